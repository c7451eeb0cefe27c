package vt

// scrollback is a ring of the lines that scrolled off the main screen,
// oldest first. Storage grows up to max lines, then the oldest is replaced.
type scrollback struct {
	lines []Line
	start int // index of the oldest line once the ring is full
	max   int
}

func (s *scrollback) len() int { return len(s.lines) }

// at returns line i, 0 being the oldest.
func (s *scrollback) at(i int) *Line {
	return &s.lines[(s.start+i)%len(s.lines)]
}

// oldest returns the line the next push would drop, and whether it would.
func (s *scrollback) oldest() (Line, bool) {
	if len(s.lines) < s.max || s.max == 0 {
		return Line{}, false
	}
	return s.lines[s.start], true
}

// push appends l and reports whether the oldest line was dropped for it.
func (s *scrollback) push(l Line) bool {
	if s.max == 0 {
		return true
	}
	if len(s.lines) < s.max {
		s.lines = append(s.lines, l)
		return false
	}
	s.lines[s.start] = l
	s.start = (s.start + 1) % s.max
	return true
}

func (s *scrollback) clear() {
	s.lines = nil
	s.start = 0
}
