package profiles

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"sesame/internal/filelock"
	"sesame/knocker"
	"sesame/rotate"
)

// File names in the config directory.
const (
	SettingsFileName = "sesame.yaml"
	lockFileName     = "sesame.lock"
)

// ConfigDirEnv names the environment variable that overrides the config
// directory.
const ConfigDirEnv = "SESAME_CONFIG_DIR"

// Errors the store returns, for errors.Is. The errors themselves are
// *NotFoundError, *ExistsError and *SecretsMissingError, which name the
// profile.
var (
	ErrNotFound       = errors.New("no such profile")
	ErrExists         = errors.New("a profile with that name exists")
	ErrSecretsMissing = errors.New("the profile's secrets are missing from the keyring")
)

// NotFoundError: no profile has the name.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string        { return fmt.Sprintf("no profile named %q", e.Name) }
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ExistsError: the name is taken, by Existing (which may differ in case).
type ExistsError struct{ Name, Existing string }

func (e *ExistsError) Error() string {
	if e.Existing != e.Name {
		return fmt.Sprintf("a profile named %q exists (names are compared ignoring case)", e.Existing)
	}
	return fmt.Sprintf("a profile named %q exists", e.Name)
}
func (e *ExistsError) Is(target error) bool { return target == ErrExists }

// SecretsMissingError: the profile's keyring entry is gone (deleted outside
// Sesame, or the settings file was copied from another machine).
type SecretsMissingError struct{ Name string }

func (e *SecretsMissingError) Error() string {
	return fmt.Sprintf("the secrets of profile %q are missing from the keyring (deleted outside Sesame, or the settings came from another machine): set them again with sesame profile edit %s --open SEQ", e.Name, e.Name)
}
func (e *SecretsMissingError) Is(target error) bool { return target == ErrSecretsMissing }

// DefaultDir is the config directory: $SESAME_CONFIG_DIR, else "sesame" in
// the user's config directory (~/.config/sesame on Linux).
func DefaultDir() (string, error) {
	if d := os.Getenv(ConfigDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w (set %s)", err, ConfigDirEnv)
	}
	return filepath.Join(d, "sesame"), nil
}

// OpenDefault returns the store in DefaultDir with the OS keyring. It does
// no I/O: a command that never reads or writes a profile never needs a
// config directory or a keyring.
func OpenDefault() (*Store, error) {
	dir, err := DefaultDir()
	if err != nil {
		return nil, err
	}
	return NewStore(dir, SystemKeyring()), nil
}

// Store keeps profiles: settings in a YAML file in a directory, secrets in
// a keyring, one entry per profile. Every change is one transaction under
// a lock file, shared by all Sesame processes: the keyring is written
// first, then the settings file (atomically); when either fails, what was
// changed in the keyring is put back, so both keep the previous profile.
//
// A Store is safe for concurrent use by several goroutines and processes.
type Store struct {
	dir string
	kr  Keyring

	// afterKeyring, when set (by tests), runs between the keyring writes
	// and the settings file write of every change; an error fails the
	// change there.
	afterKeyring func() error
}

// NewStore returns the store in dir, keeping secrets in kr. It does no I/O;
// dir is created on the first change.
func NewStore(dir string, kr Keyring) *Store {
	return &Store{dir: dir, kr: kr}
}

// Dir is the store's config directory.
func (s *Store) Dir() string { return s.dir }

// SettingsFile is the path of the settings file.
func (s *Store) SettingsFile() string { return filepath.Join(s.dir, SettingsFileName) }

// List returns every profile, sorted by name, with settings only: Secrets
// are left empty, so listing never touches the keyring (no prompt, and it
// works without one).
func (s *Store) List() ([]*Profile, error) {
	st, err := readSettings(s.SettingsFile())
	if err != nil {
		return nil, err
	}
	out := make([]*Profile, 0, len(st.entries))
	for i := range st.entries {
		p, err := st.entries[i].profile(st.path)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// Get returns the named profile (the name compared ignoring case) with its
// secrets. When its keyring entry is missing it returns the profile without
// secrets and a *SecretsMissingError.
func (s *Store) Get(name string) (*Profile, error) {
	var p *Profile
	err := s.read(func(st *settings) error {
		i := st.find(name)
		if i < 0 {
			return &NotFoundError{Name: name}
		}
		var err error
		p, err = s.load(st, i)
		return err
	})
	return p, err
}

// load reads entry i of st and its secrets.
func (s *Store) load(st *settings, i int) (*Profile, error) {
	e := &st.entries[i]
	p, err := e.profile(st.path)
	if err != nil {
		return nil, err
	}
	doc, err := s.kr.Get(Service, e.Key)
	if errors.Is(err, ErrSecretNotFound) {
		return p, &SecretsMissingError{Name: p.Name}
	}
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if p.Secrets, err = decodeSecrets(doc); err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	return p, nil
}

// Create saves a new profile; if the name is taken it returns an
// *ExistsError and changes nothing.
func (s *Store) Create(p *Profile) error {
	res, err := s.SaveAll([]*Profile{p}, false)
	if err == nil && len(res.Skipped) > 0 {
		return res.Skipped[0]
	}
	return err
}

// Save creates p or replaces the profile of the same name.
func (s *Store) Save(p *Profile) error {
	_, err := s.SaveAll([]*Profile{p}, true)
	return err
}

// SaveResult says what SaveAll did with each profile, by name.
type SaveResult struct {
	Created  []string
	Replaced []string
	// Skipped are the profiles left out because the name was taken.
	Skipped []*ExistsError
}

// SaveAll saves several profiles in one transaction: all of them or none.
// A profile whose name is taken replaces the old one when replace is set,
// and is otherwise left out (and listed in Skipped). Every profile is
// validated before anything is written.
func (s *Store) SaveAll(ps []*Profile, replace bool) (*SaveResult, error) {
	docs := make([]string, len(ps))
	seen := map[string]string{}
	for i, p := range ps {
		var err error
		if err = p.Validate(); err != nil {
			return nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		if docs[i], err = encodeSecrets(p.Secrets); err != nil {
			return nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		k := strings.ToLower(p.Name)
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("profile %q is given twice (as %q too)", p.Name, prev)
		}
		seen[k] = p.Name
	}
	var res SaveResult
	err := s.write(func(tx *tx) error {
		res = SaveResult{}
		for i, p := range ps {
			j := tx.st.find(p.Name)
			switch {
			case j >= 0 && !replace:
				res.Skipped = append(res.Skipped, &ExistsError{Name: p.Name, Existing: tx.st.entries[j].Name})
				continue
			case j >= 0:
				res.Replaced = append(res.Replaced, p.Name)
			default:
				key, err := newKey()
				if err != nil {
					return err
				}
				tx.st.entries = append(tx.st.entries, settingsEntry{Key: key})
				j = len(tx.st.entries) - 1
				res.Created = append(res.Created, p.Name)
			}
			e := &tx.st.entries[j]
			if err := tx.setSecret(e.Key, docs[i]); err != nil {
				return fmt.Errorf("profile %q: %w", p.Name, err)
			}
			e.setProfile(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// Update changes the named profile in one transaction: fn gets the profile
// as stored (with empty secrets if its keyring entry is missing, so that
// they can be set again) and changes it in place; the result is validated
// and saved. fn may not rename the profile (use Rename). An error from fn
// cancels the update and is returned as is.
func (s *Store) Update(name string, fn func(p *Profile) error) (*Profile, error) {
	var out *Profile
	err := s.write(func(tx *tx) error {
		i := tx.st.find(name)
		if i < 0 {
			return &NotFoundError{Name: name}
		}
		p, err := s.load(tx.st, i)
		if err != nil && !errors.Is(err, ErrSecretsMissing) {
			return err
		}
		stored := p.Name
		if err := fn(p); err != nil {
			return err
		}
		if p.Name != stored {
			return fmt.Errorf("profile %q: Update cannot rename a profile: use Rename", stored)
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("profile %q: %w", p.Name, err)
		}
		doc, err := encodeSecrets(p.Secrets)
		if err != nil {
			return fmt.Errorf("profile %q: %w", p.Name, err)
		}
		e := &tx.st.entries[i]
		if err := tx.setSecret(e.Key, doc); err != nil {
			return fmt.Errorf("profile %q: %w", p.Name, err)
		}
		e.setProfile(p)
		out = p
		return nil
	})
	return out, err
}

// UpdateSecrets changes the named profile's secrets in one transaction; it
// is Update for callers that only keep a password or passphrase the user
// asked to remember (it makes a Store an sshlaunch.SecretKeeper).
func (s *Store) UpdateSecrets(name string, fn func(*Secrets)) error {
	_, err := s.Update(name, func(p *Profile) error {
		fn(&p.Secrets)
		return nil
	})
	return err
}

// Touch sets the profile's LastUsed. It does not touch the keyring.
func (s *Store) Touch(name string, at time.Time) error {
	return s.write(func(tx *tx) error {
		i := tx.st.find(name)
		if i < 0 {
			return &NotFoundError{Name: name}
		}
		tx.st.entries[i].LastUsed = at.UTC().Format(time.RFC3339Nano)
		return nil
	})
}

// TakeOpen returns the profile and the sequence that opens its door now:
// TakeOpenAt(name, time.Now()).
func (s *Store) TakeOpen(name string) (p *Profile, seq knocker.Sequence, err error) {
	return s.TakeOpenAt(name, time.Now())
}

// TakeOpenAt returns the profile and the sequence that opens its door at
// now. What is used up is recorded in the keyring before it returns, so it
// is never sent twice, even if the knock then fails:
//
//   - a rotating profile gets the sequence of the window rotate.Choose
//     picks (the current one, or the next when this device used the
//     current one already). When this device used both, it returns a
//     *WindowsSpentError saying when to ask again, and records nothing;
//   - a profile with one-time sequences gets the next unused one;
//     p.Secrets.OneTime holds the ones left;
//   - any other gets its open sequence.
//
// p is the profile as this knock opens it, ready for a knock or a connect
// flow: p.Secrets.Open is seq, and a rotating profile's seed is left out
// (the flow needs only this window's sequence).
func (s *Store) TakeOpenAt(name string, now time.Time) (p *Profile, seq knocker.Sequence, err error) {
	p, err = s.Get(name)
	if err != nil {
		return nil, nil, err
	}
	if len(p.Secrets.OneTime) == 0 && p.Secrets.Rotation == nil {
		seq = p.Secrets.Open
	} else if p, err = s.Update(p.Name, func(p *Profile) error {
		var err error
		seq, err = takeFrom(p, now)
		return err
	}); err != nil {
		return nil, nil, err
	}
	if len(seq) == 0 {
		return nil, nil, fmt.Errorf("profile %q has used up its one-time sequences and has no open sequence: import its door again with sesame profile import KNOCKD.CONF --host %s --door %s", p.Name, p.Host, p.Name)
	}
	p.Secrets.Open, p.Secrets.Rotation = seq, nil
	return p, seq, nil
}

// takeFrom uses up, in p, the sequence it opens with at now.
func takeFrom(p *Profile, now time.Time) (knocker.Sequence, error) {
	if r := p.Secrets.Rotation; r != nil {
		w, wait := r.Params.Choose(r.LastWindow, now)
		if wait > 0 {
			return nil, &WindowsSpentError{Name: p.Name, Retry: now.Add(wait)}
		}
		seq, err := rotate.Sequence(r.Seed, r.Params, w)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		r.LastWindow = w
		return seq, nil
	}
	if len(p.Secrets.OneTime) == 0 {
		// Another process used the last one since Get.
		return p.Secrets.Open, nil
	}
	seq := p.Secrets.OneTime[0]
	p.Secrets.OneTime = p.Secrets.OneTime[1:]
	p.Secrets.OneTimeUsed++
	return seq, nil
}

// WindowsSpentError: a rotating profile knocked with the current window
// and the next one already, and sesamed takes each once; at Retry the
// window after those is accepted.
type WindowsSpentError struct {
	Name  string
	Retry time.Time
}

func (e *WindowsSpentError) Error() string {
	return fmt.Sprintf("profile %q knocked with this window's sequence and the next one's already (sesamed takes each once): the next is usable at %s",
		e.Name, e.Retry.Format(time.TimeOnly))
}

// ErrNotOneTime refuses to refill a profile that does not knock with
// one-time sequences.
var ErrNotOneTime = errors.New("the profile does not knock with one-time sequences")

// RefillOneTime replaces the named profile's unused one-time sequences with
// seqs, as many as fit in its keyring entry, and keeps every other field
// (user, key, last use, the count used): what importing its door again
// does when the server's file has new lines. It returns the profile and
// how many sequences it now holds.
func (s *Store) RefillOneTime(name string, seqs []knocker.Sequence) (*Profile, int, error) {
	n := 0
	p, err := s.Update(name, func(p *Profile) error {
		if len(p.Secrets.OneTime) == 0 && p.Secrets.OneTimeUsed == 0 {
			return fmt.Errorf("profile %q: %w: import with --force to replace it", p.Name, ErrNotOneTime)
		}
		n = OneTimeFit(p.Secrets, seqs)
		p.Secrets.OneTime = slices.Clone(seqs[:n])
		return nil
	})
	return p, n, err
}

// Rename renames a profile. Only the settings file changes (the keyring
// entry is keyed by a name that never changes), so the rename happens
// entirely or not at all.
func (s *Store) Rename(oldName, newName string) error {
	if err := ValidateName(newName); err != nil {
		return err
	}
	return s.write(func(tx *tx) error {
		i := tx.st.find(oldName)
		if i < 0 {
			return &NotFoundError{Name: oldName}
		}
		if j := tx.st.find(newName); j >= 0 && j != i {
			return &ExistsError{Name: newName, Existing: tx.st.entries[j].Name}
		}
		tx.st.entries[i].Name = newName
		return nil
	})
}

// Delete removes a profile and its keyring entry.
func (s *Store) Delete(name string) error {
	return s.write(func(tx *tx) error {
		i := tx.st.find(name)
		if i < 0 {
			return &NotFoundError{Name: name}
		}
		if err := tx.deleteSecret(tx.st.entries[i].Key); err != nil {
			return fmt.Errorf("profile %q: %w", tx.st.entries[i].Name, err)
		}
		tx.st.entries = append(tx.st.entries[:i], tx.st.entries[i+1:]...)
		return nil
	})
}

// read runs fn on the settings under a shared lock, so that it sees the
// settings and the keyring of one finished transaction.
func (s *Store) read(fn func(st *settings) error) error {
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		// No config directory: no profiles, and nothing to create.
		return fn(&settings{path: s.SettingsFile()})
	}
	lock, err := filelock.Shared(filepath.Join(s.dir, lockFileName))
	if err != nil {
		// A read-only config directory still reads; only writes lock
		// each other out.
		lock = nil
	}
	defer lock.Unlock()
	st, err := readSettings(s.SettingsFile())
	if err != nil {
		return err
	}
	return fn(st)
}

// tx is one change to the store, under the exclusive lock.
type tx struct {
	s  *Store
	st *settings
	// undo puts back what the transaction changed in the keyring, newest
	// first.
	undo []func() error
}

// write runs fn under the exclusive lock, then writes the settings file.
// If fn or the file write fails, the keyring changes fn made are undone.
func (s *Store) write(fn func(tx *tx) error) (err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create the config directory: %w", err)
	}
	lock, err := filelock.Exclusive(filepath.Join(s.dir, lockFileName))
	if err != nil {
		return err
	}
	defer lock.Unlock()
	st, err := readSettings(s.SettingsFile())
	if err != nil {
		return err
	}
	if err := st.writable(); err != nil {
		return err
	}
	t := &tx{s: s, st: st}
	defer func() {
		if err != nil {
			err = t.rollback(err)
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if s.afterKeyring != nil {
		if err := s.afterKeyring(); err != nil {
			return err
		}
	}
	return st.write()
}

// setSecret writes a keyring entry, remembering how to put the old one
// back. An unchanged entry is not rewritten.
func (t *tx) setSecret(key, doc string) error {
	old, err := t.s.kr.Get(Service, key)
	switch {
	case err == nil && old == doc:
		return nil
	case err == nil:
		t.undo = append(t.undo, func() error { return t.s.kr.Set(Service, key, old) })
	case errors.Is(err, ErrSecretNotFound):
		t.undo = append(t.undo, func() error { return t.s.kr.Delete(Service, key) })
	default:
		return err
	}
	return t.s.kr.Set(Service, key, doc)
}

// deleteSecret deletes a keyring entry, remembering it to put it back. A
// missing entry is not an error: the goal is that it is gone.
func (t *tx) deleteSecret(key string) error {
	old, err := t.s.kr.Get(Service, key)
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.s.kr.Delete(Service, key); err != nil && !errors.Is(err, ErrSecretNotFound) {
		return err
	}
	t.undo = append(t.undo, func() error { return t.s.kr.Set(Service, key, old) })
	return nil
}

// rollback undoes the keyring changes after cause made the transaction
// fail, and says whether that worked.
func (t *tx) rollback(cause error) error {
	if len(t.undo) == 0 {
		return cause
	}
	var errs []error
	for i := len(t.undo) - 1; i >= 0; i-- {
		if err := t.undo[i](); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; putting the keyring back also failed, so it may hold newer secrets than the settings file: %s", cause, oneLine(errors.Join(errs...)))
	}
	return cause
}

// newKey makes a keyring account name for a new profile.
func newKey() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a keyring key: %w", err)
	}
	return "profile-" + hex.EncodeToString(b[:]), nil
}

// UnspendOneTime puts seq back as the named profile's next one-time
// sequence: a knock with it did not open the door, and the user did not
// count it used, so the next knock sends it again. A seq already back in
// front changes nothing.
func (s *Store) UnspendOneTime(name string, seq knocker.Sequence) (*Profile, error) {
	return s.Update(name, func(p *Profile) error {
		if len(p.Secrets.OneTime) > 0 && p.Secrets.OneTime[0].Equal(seq) {
			return nil
		}
		p.Secrets.OneTime = append([]knocker.Sequence{seq}, p.Secrets.OneTime...)
		p.Secrets.OneTimeUsed = max(p.Secrets.OneTimeUsed-1, 0)
		return nil
	})
}
