package daemon

import (
	"fmt"
	"time"

	"sesame/server/knockdconf"
	"sesame/server/matcher"
)

// doorAction is what a matcher door does when it opens; it rides along in
// matcher.Door.Data.
type doorAction struct {
	conf *knockdconf.Door
	// closes is set on the door built from a Close_Sequence: it ends what
	// conf's Open_Ports granted instead of opening anything.
	closes bool
}

// closeSuffix names the door a Close_Sequence adds, in log lines:
// "192.0.2.2: SSH/close: Stage 1".
const closeSuffix = "/close"

// buildDoors turns a config's doors into the matcher's: one per door, plus
// one per Close_Sequence. One-time doors get their sequences from the file;
// warnings say what could not be used.
func buildDoors(cfg *knockdconf.Config) (doors []*matcher.Door, warnings []string, err error) {
	for _, c := range cfg.Doors {
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
				return nil, nil, fmt.Errorf("door [%s]: %w", c.Name, err)
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
		if len(c.CloseSequence) > 0 {
			doors = append(doors, &matcher.Door{
				Name:       c.Name + closeSuffix,
				Sequence:   c.CloseSequence,
				SeqTimeout: c.SeqTimeout,
				Cooldown:   c.Cooldown,
				Flags:      c.TCPFlags,
				Target:     c.Target,
				Data:       &doorAction{conf: c, closes: true},
			})
		}
	}
	return doors, warnings, nil
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
