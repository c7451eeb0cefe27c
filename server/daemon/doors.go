package daemon

import (
	"fmt"
	"time"

	"sesame/server/knockdconf"
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

// buildDoors turns a config's doors into the matcher's: one per door, plus
// one per Close_Sequence. One-time doors get their sequences from the file;
// a rotating door becomes rotating.Slots doors, with the sequences of the
// windows live at now. Warnings say what could not be used.
func buildDoors(cfg *knockdconf.Config, now time.Time) (doors []*matcher.Door, rots []*rotatingDoor, warnings []string, err error) {
	for _, c := range cfg.Doors {
		if c.IsRotating() {
			rd, err := buildRotating(c, now)
			if err != nil {
				return nil, nil, nil, err
			}
			rots = append(rots, rd)
			doors = append(doors, rd.slots[:]...)
			doors = append(doors, closeDoor(c)...)
			continue
		}
		d := &matcher.Door{
			Name:       c.Name,
			Sequence:   c.Sequence,
			SeqTimeout: c.SeqTimeout,
			Cooldown:   c.Cooldown,
			Flags:      c.TCPFlags,
			Target:     c.Target,
			Data:       &doorAction{conf: c},
		}
		if c.OneTimeSequences != "" {
			seqs, err := knockdconf.ReadOneTimeSequencesFile(c.OneTimeSequences)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("door [%s]: %w", c.Name, err)
			}
			d.OneTimeDoor = true
			if len(seqs) == 0 {
				warnings = append(warnings, fmt.Sprintf("no more sequences left in the one time sequences file for door %s --> disabling the door", c.Name))
			} else {
				d.Sequence = seqs[0].Sequence
				for _, s := range seqs[1:] {
					d.OneTime = append(d.OneTime, s.Sequence)
				}
			}
		}
		doors = append(doors, d)
		doors = append(doors, closeDoor(c)...)
	}
	return doors, rots, warnings, nil
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

// buildRotating makes a rotating door's slots, reading its seed file.
func buildRotating(c *knockdconf.Door, now time.Time) (*rotatingDoor, error) {
	seed, err := c.Rotating.LoadSeed()
	if err != nil {
		return nil, fmt.Errorf("door [%s]: %w", c.Name, err)
	}
	rot, err := rotating.NewDoor(seed, c.Rotating.Params)
	if err != nil {
		return nil, fmt.Errorf("door [%s]: %w", c.Name, err)
	}
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
	return rd, nil
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
func needsNative(cfg *knockdconf.Config) bool {
	for _, d := range cfg.Doors {
		if d.HasNativeOpen() {
			return true
		}
	}
	return false
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "no limit"
	}
	return d.String()
}
