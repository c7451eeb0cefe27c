package rotating

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"sesame/internal/atomicfile"
	"sesame/knockdconf"
	"sesame/rotate"
)

// StateFile is the ledger's file in sesamed's state directory.
const StateFile = "spent-windows.json"

// StatePath is the ledger's file for cfg: StateFile in its StateDir.
func StatePath(cfg *knockdconf.Config) string {
	dir := cfg.StateDir
	if dir == "" {
		dir = knockdconf.DefaultStateDir
	}
	return filepath.Join(dir, StateFile)
}

// ledgerVersion is the version of the file this code writes; a newer one
// is refused rather than rewritten without what it holds.
const ledgerVersion = 1

// ledgerFile is the ledger on disk:
//
//	{"v": 1, "doors": {"9f86d081884c7d65": {"window": 30, "spent": [57000001, 57000002]}}}
//
// Doors are keyed by rotate.ID, which shows nothing of the seed. Only
// windows that are still live are kept: older ones can never be accepted
// again anyway, so the file stays a few lines long.
type ledgerFile struct {
	V     int                `json:"v"`
	Doors map[string]*record `json:"doors"`
}

type record struct {
	// Window is the door's window length in seconds, so that the record
	// can be pruned without the config.
	Window int64   `json:"window"`
	Spent  []int64 `json:"spent"`
}

// Ledger remembers, per door, the windows already accepted. Spend works
// in memory, at once; Save writes the file. Safe for concurrent use.
type Ledger struct {
	path string

	mu    sync.Mutex
	doors map[string]*record
	// distrustAt, after a file that could not be read, is when it was
	// read: every window live then is counted as spent, since any of
	// them might have been used, and refusing a knock beats accepting a
	// replay.
	distrustAt int64 // unix seconds; 0: trust the record
	dirty      bool

	saveMu sync.Mutex // one write at a time, each of the latest state
}

// CorruptError says the ledger file could not be read; OpenLedger then
// returns a ledger that counts every window live at that time as spent.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("the record of spent windows %s cannot be read (%v): rotating doors refuse the windows live now, in case one was used, and take knocks again from the window after next; the file is rewritten at the next knock",
		e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// OpenLedger reads the ledger at path; a missing file is an empty ledger.
// A file that cannot be read returns a usable ledger and a *CorruptError
// (the ledger then distrusts the windows live at now, see CorruptError).
func OpenLedger(path string, now time.Time) (*Ledger, error) {
	l := &Ledger{path: path, doors: map[string]*record{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err == nil {
		var f ledgerFile
		if err = json.Unmarshal(data, &f); err == nil {
			switch {
			case f.V > ledgerVersion:
				err = fmt.Errorf("written by a newer sesamed (version %d, this one reads %d)", f.V, ledgerVersion)
			case f.V < 1:
				err = errors.New("no version")
			default:
				for id, r := range f.Doors {
					if r != nil && r.Window > 0 {
						l.doors[id] = r
					}
				}
				return l, nil
			}
		}
	}
	l.distrustAt = now.Unix()
	l.dirty = true
	return l, &CorruptError{Path: path, Err: err}
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Spend records window w of the door id (with parameters p) as used, and
// reports whether it was not used before.
func (l *Ledger) Spend(id string, p rotate.Params, w int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.distrustAt != 0 && w <= p.WindowAt(time.Unix(l.distrustAt, 0))+rotate.Skew {
		return false
	}
	r := l.doors[id]
	if r == nil {
		r = &record{Window: int64(p.Window / time.Second)}
		l.doors[id] = r
	}
	if slices.Contains(r.Spent, w) {
		return false
	}
	r.Spent = append(r.Spent, w)
	l.dirty = true
	return true
}

// Spent reports whether window w of the door id is spent.
func (l *Ledger) Spent(id string, w int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.doors[id]
	return r != nil && slices.Contains(r.Spent, w)
}

// prune drops the windows that can no longer be live at now, and the
// doors left with none.
func (l *Ledger) prune(now time.Time) {
	for id, r := range l.doors {
		oldest := now.Unix()/r.Window - rotate.Skew
		r.Spent = slices.DeleteFunc(r.Spent, func(w int64) bool { return w < oldest })
		if len(r.Spent) == 0 {
			delete(l.doors, id)
		}
	}
}

// Save writes the ledger to its file, atomically (a crash leaves the old
// file or the new one), mode 0600, creating the directory if needed.
// Nothing is written when nothing changed since the last Save.
func (l *Ledger) Save(now time.Time) error {
	l.saveMu.Lock()
	defer l.saveMu.Unlock()
	l.mu.Lock()
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	l.prune(now)
	data, err := json.Marshal(ledgerFile{V: ledgerVersion, Doors: l.doors})
	l.dirty = false
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("save spent windows: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		l.markDirty()
		return fmt.Errorf("save spent windows: %w", err)
	}
	if err := atomicfile.Write(l.path, append(data, '\n'), 0o600); err != nil {
		l.markDirty()
		return fmt.Errorf("save spent windows: %w", err)
	}
	return nil
}

func (l *Ledger) markDirty() {
	l.mu.Lock()
	l.dirty = true
	l.mu.Unlock()
}
