//go:build linux

package daemon

import (
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/loadconf"
	"sesame/server/matcher"
	"sesame/server/rotating"
)

// doorAction is what a matcher door does when it opens; it rides along in
// matcher.Door.Data.
type doorAction struct {
	conf *knockdconf.Door
	// closes is set on the door built from a Close_Sequence: it ends what
	// conf's Open_Ports granted instead of opening anything.
	closes bool
	// rot is set on the slots of a rotating door: the sequence that
	// completes one is judged (accepted once, within the skew) before the
	// door opens.
	rot *rotating.Door
}

// rotatingDoor is a rotating door at work: rotating.Slots matcher doors,
// each holding the sequence of one live window.
type rotatingDoor struct {
	rot   *rotating.Door
	slots [rotating.Slots]*matcher.Door
}

// closeSuffix names the door a Close_Sequence adds, in log lines:
// "192.0.2.2: SSH/close: Stage 1".
const closeSuffix = "/close"

// oneTimeLookahead is how many of a one-time door's next unused sequences
// open it: a client whose knock was lost (or ignored within the cooldown)
// has counted a sequence used that sesamed never saw, and its next one
// must still open the door. The sequences skipped are spent with it.
const oneTimeLookahead = 3

// oneTimeDoor is a one-time door at work: oneTimeLookahead matcher doors
// sharing one group of unused sequences from the door's file.
type oneTimeDoor struct {
	conf  *knockdconf.Door
	group *matcher.OneTimeGroup
	// lastLine is the file's line of the last sequence read into group:
	// lines appended after it are picked up, and nothing at or before it
	// (a line spent in memory whose '#' is not written yet) is read again.
	lastLine int
}

// buildDoors turns a loaded config's doors into the matcher's: one per
// door, plus one per Close_Sequence. A one-time door becomes
// oneTimeLookahead doors listening for the next unused sequences of its
// file (none: they stay off until lines are appended, and loadconf
// warned); a rotating door becomes rotating.Slots doors, with the
// sequences of the windows live at now.
func buildDoors(ld *loadconf.Loaded, now time.Time) (doors []*matcher.Door, rots []*rotatingDoor, ones []*oneTimeDoor) {
	for _, ldd := range ld.Doors {
		c := ldd.Door
		if ldd.Rotation != nil {
			rd := buildRotating(c, ldd.Rotation, now)
			rots = append(rots, rd)
			doors = append(doors, rd.slots[:]...)
			doors = append(doors, closeDoor(c)...)
			continue
		}
		d := matcher.Door{
			Name:       c.Name,
			Sequence:   c.Sequence,
			SeqTimeout: c.SeqTimeout,
			Cooldown:   c.Cooldown,
			Flags:      c.TCPFlags,
			Target:     c.Target,
			Data:       &doorAction{conf: c},
		}
		if c.OneTimeSequences == "" {
			doors = append(doors, &d)
		} else {
			od := &oneTimeDoor{conf: c}
			seqs := make([]knocker.Sequence, len(ldd.OneTime))
			for i, s := range ldd.OneTime {
				seqs[i] = s.Sequence
				od.lastLine = s.Line
			}
			slots := matcher.OneTimeSlots(d, seqs, oneTimeLookahead)
			od.group = slots[0].Group
			ones = append(ones, od)
			doors = append(doors, slots...)
		}
		doors = append(doors, closeDoor(c)...)
	}
	return doors, rots, ones
}

// closeDoor is the door of c's Close_Sequence, if it has one.
func closeDoor(c *knockdconf.Door) []*matcher.Door {
	if len(c.CloseSequence) == 0 {
		return nil
	}
	return []*matcher.Door{{
		Name:       c.Name + closeSuffix,
		Sequence:   c.CloseSequence,
		SeqTimeout: c.SeqTimeout,
		Cooldown:   c.Cooldown,
		Flags:      c.TCPFlags,
		Target:     c.Target,
		Data:       &doorAction{conf: c, closes: true},
	}}
}

// buildRotating makes a rotating door's slots.
func buildRotating(c *knockdconf.Door, rot *rotating.Door, now time.Time) *rotatingDoor {
	rd := &rotatingDoor{rot: rot}
	act := &doorAction{conf: c, rot: rot}
	seqs := rot.SlotSequences(now)
	for i := range rd.slots {
		rd.slots[i] = &matcher.Door{
			Name:       c.Name,
			Sequence:   seqs[i],
			SeqTimeout: c.SeqTimeout,
			Cooldown:   c.Cooldown,
			Flags:      c.TCPFlags,
			Target:     c.Target,
			Data:       act,
		}
	}
	return rd
}

// roll gives the slots the sequences of the windows live at now, and
// reports whether any changed.
func (rd *rotatingDoor) roll(m *matcher.Matcher, now time.Time) bool {
	changed := false
	for i, seq := range rd.rot.SlotSequences(now) {
		if m.SetSequence(rd.slots[i], seq) {
			changed = true
		}
	}
	return changed
}

// needsNative reports whether a config uses the native open action.
func needsNative(cfg *knockdconf.Config) bool { return cfg.NeedsNative() }

func seconds(d time.Duration) string {
	if d == 0 {
		return "no limit"
	}
	return d.String()
}
