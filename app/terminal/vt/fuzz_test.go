package vt

import (
	"sync"
	"testing"
)

// FuzzWrite feeds arbitrary bytes, split and resized at arbitrary points:
// the model must never panic and must stay consistent (cursor in range,
// wide characters whole, sizes right).
func FuzzWrite(f *testing.F) {
	seeds := []string{
		"hello\r\nworld",
		"\x1b[1;31mred\x1b[0m\x1b[38;2;1;2;3m\x1b[48:5:200m",
		"\x1b[2;5r\x1b[?6h\x1b[10;10H\x1b[5L\x1b[3M\x1b[4@\x1b[2P\x1b[9X",
		"\x1b[?1049h\x1b[H\x1b[2J\x1b[?1049l\x1b[?47h\x1b[?1047l",
		"日本語🙂e\u0301\u200d\ufe0f\xe2\x82\xff",
		"\x1b]0;title\a\x1b]11;?\x1b\\\x1bP+q544e\x1b\\\x1b_x\x1b\\",
		"\x1b[6n\x1b[c\x1b[>c\x1b[?2004$p\x1b[18t\x1b[22t\x1b[23t",
		"\x1b(0lqk\x0e\x0f\x1b#8\x1bc\x1b7\x1b8\x1bM\x1bD\x1bE\x1bH\x1b[3g",
		"\x1b[65535;65535H\x1b[65535@\x1b[65535b\x1b[;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;m",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(20), uint8(5), uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cols, rows uint8, split uint16) {
		term := New(Options{Cols: int(cols%100) + 1, Rows: int(rows%50) + 1, Scrollback: 50})
		at := int(split) % (len(data) + 1)
		term.Write(data[:at])
		checkInvariants(t, term)
		term.Resize(int(split%97)+1, int(split%31)+1)
		checkInvariants(t, term)
		term.Write(data[at:])
		checkInvariants(t, term)

		var s Snapshot
		term.Snapshot(&s, 0)
		term.Snapshot(&s, -1)
		if s.CursorY >= s.Rows || s.CursorX >= s.Cols {
			t.Fatalf("snapshot cursor %d,%d outside %dx%d", s.CursorX, s.CursorY, s.Cols, s.Rows)
		}
		term.Text(Pos{Line: s.First}, Pos{Line: s.LiveTop + int64(s.Rows), Col: s.Cols})
		term.WordAt(Pos{Line: s.LiveTop, Col: s.CursorX})
	})
}

// One goroutine writes while another draws; run with -race.
func TestConcurrentWriteAndSnapshot(t *testing.T) {
	var replies sync.WaitGroup
	term := New(Options{Cols: 40, Rows: 10, Reply: func([]byte) {}})
	stream := []byte("\x1b[31mhello\x1b[0m world 日本\r\n\x1b[6n\x1b[?1049h\x1b[Halt\x1b[?1049l")
	done := make(chan struct{})
	replies.Add(1)
	go func() {
		defer replies.Done()
		for range 2000 {
			term.Write(stream)
		}
		close(done)
	}()
	var s Snapshot
	for {
		select {
		case <-done:
			replies.Wait()
			checkInvariants(t, term)
			return
		default:
			term.Snapshot(&s, s.LiveTop-5)
			term.Text(Pos{Line: s.Top}, Pos{Line: s.Top + 3})
			term.Modes()
			term.Resize(40+int(s.Top%3), 10)
		}
	}
}
