//go:build linux

package daemon

import (
	"context"
	"os"
	"slices"
	"syscall"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/matcher"
)

// oneTimePoll is how often the file of a one-time door running low is
// looked at for appended lines: a stat, and a read only when it changed.
const oneTimePoll = time.Second

// oneTimeLoop picks up lines appended to the files of one-time doors that
// have fewer unused sequences than the look-ahead (none: the door is off),
// so that an admin refilling a door needs no SIGHUP. Doors with enough
// left are not looked at.
func (d *daemon) oneTimeLoop(ctx context.Context) {
	tick := time.NewTicker(oneTimePoll)
	defer tick.Stop()
	seen := map[*oneTimeDoor]fileStamp{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.mu.Lock()
		m, ones := d.m.Load(), d.ones // the same config's
		d.mu.Unlock()
		d.pickUp(m, ones, seen)
		// Doors of a config replaced by a reload are forgotten.
		for od := range seen {
			if !slices.Contains(ones, od) {
				delete(seen, od)
			}
		}
	}
}

// pickUp reads the files of ones that run low and changed since seen, and
// gives their doors the lines appended after the last one they hold.
func (d *daemon) pickUp(m *matcher.Matcher, ones []*oneTimeDoor, seen map[*oneTimeDoor]fileStamp) {
	for _, od := range ones {
		if m.OneTimeLeft(od.group) >= oneTimeLookahead {
			continue
		}
		path := od.conf.OneTimeSequences
		st, ok := stampOf(path)
		if !ok || st == seen[od] {
			continue
		}
		seen[od] = st
		seqs, err := knockdconf.ReadOneTimeSequencesFile(path)
		if err != nil {
			d.log.Error("warning: door %s: %v (sesamed reads the file again when it changes)", od.conf.Name, err)
			continue
		}
		var added []knocker.Sequence
		for _, s := range seqs {
			// Lines up to lastLine were read before: one spent in memory
			// may not carry its '#' yet, and must not open again.
			if s.Line > od.lastLine {
				added = append(added, s.Sequence)
				od.lastLine = s.Line
			}
		}
		if len(added) == 0 {
			continue
		}
		m.AppendOneTime(od.group, added)
		// The captures pass the new sequences before the log says so; the
		// refilter after it corrects a filter another change computed
		// before this one and set after it.
		d.syncFilter()
		d.refilter()
		d.log.Event("%s: picked up %d new one time sequence(s) appended to %s", od.conf.Name, len(added), path)
	}
}

// fileStamp tells a file's versions apart: an append changes its size and
// time, a replacement its inode.
type fileStamp struct {
	ino, size uint64
	mtime     int64
}

func stampOf(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStamp{}, false
	}
	return fileStamp{ino: sys.Ino, size: uint64(fi.Size()), mtime: fi.ModTime().UnixNano()}, true
}
