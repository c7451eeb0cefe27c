package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/viper"

	"sesame/internal/atomicfile"
	"sesame/knock"
	"sesame/knocker"
)

// settingsVersion is the newest version of the settings file this code
// writes. A newer file is read but never rewritten, so that fields this
// version does not know are not dropped. A file is written with the lowest
// version that holds its fields, so that one without SPA profiles stays
// writable by a Sesame from before them.
//
//	1: the profiles' settings
//	2: spa (an SPA profile's settings)
const settingsVersion = 2

// settingsEntry is one profile in the settings file: everything but the
// secrets, and the keyring account that holds those.
type settingsEntry struct {
	Name string `yaml:"name" mapstructure:"name"`
	// Key is the keyring account of the profile's secrets. It is random and
	// never changes, so a rename touches only this file.
	Key      string `yaml:"key" mapstructure:"key"`
	Host     string `yaml:"host" mapstructure:"host"`
	Port     int    `yaml:"port,omitempty" mapstructure:"port"`
	User     string `yaml:"user,omitempty" mapstructure:"user"`
	Identity string `yaml:"identity,omitempty" mapstructure:"identity"`
	Family   string `yaml:"family,omitempty" mapstructure:"family"`
	Delay    string `yaml:"delay,omitempty" mapstructure:"delay"`
	Wait     string `yaml:"wait,omitempty" mapstructure:"wait"`
	// Keepalive, KeepaliveMax and AutoReconnect: see Profile.
	Keepalive     string `yaml:"keepalive,omitempty" mapstructure:"keepalive"`
	KeepaliveMax  int    `yaml:"keepalive_max,omitempty" mapstructure:"keepalive_max"`
	AutoReconnect bool   `yaml:"auto_reconnect,omitempty" mapstructure:"auto_reconnect"`
	Note          string `yaml:"note,omitempty" mapstructure:"note"`
	// Forwards are Forward.String()s; Jump names profiles.
	Forwards []string `yaml:"forwards,omitempty" mapstructure:"forwards"`
	Jump     []string `yaml:"jump,omitempty" mapstructure:"jump"`
	LastUsed string   `yaml:"last_used,omitempty" mapstructure:"last_used"`
	// SPA is an SPA profile's settings (its keys are in the keyring).
	SPA *spaSetting `yaml:"spa,omitempty" mapstructure:"spa"`
}

// spaSetting is SPA in the settings file and in an export.
type spaSetting struct {
	Port    int    `yaml:"port,omitempty" mapstructure:"port" json:"port,omitempty"`
	Proto   string `yaml:"proto,omitempty" mapstructure:"proto" json:"proto,omitempty"`
	Access  string `yaml:"access,omitempty" mapstructure:"access" json:"access,omitempty"`
	AllowIP string `yaml:"allow_ip,omitempty" mapstructure:"allow_ip" json:"allow_ip,omitempty"`
	Timeout int    `yaml:"timeout,omitempty" mapstructure:"timeout" json:"timeout,omitempty"`
	User    string `yaml:"user,omitempty" mapstructure:"user" json:"user,omitempty"`
}

func newSPASetting(s *SPA) *spaSetting {
	if s == nil {
		return nil
	}
	return &spaSetting{Port: s.Port, Proto: s.Proto, Access: s.Access, AllowIP: s.AllowIP, Timeout: s.Timeout, User: s.User}
}

func (s *spaSetting) spa() *SPA {
	if s == nil {
		return nil
	}
	return &SPA{Port: s.Port, Proto: s.Proto, Access: s.Access, AllowIP: s.AllowIP, Timeout: s.Timeout, User: s.User}
}

// settings is the settings file, read whole. Keys other than profiles and
// version (settings of the app) are kept as they are.
type settings struct {
	path    string
	v       *viper.Viper
	version int
	entries []settingsEntry
}

// readSettings reads the settings file; a missing file reads as empty.
func readSettings(path string) (*settings, error) {
	st := &settings{path: path, v: viper.New(), version: settingsVersion}
	st.v.SetConfigType("yaml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	if err := st.v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("settings file %s is not valid YAML: %v (fix or move it away)", path, oneLine(err))
	}
	if st.v.IsSet("version") {
		st.version = st.v.GetInt("version")
	}
	if err := st.v.UnmarshalKey("profiles", &st.entries); err != nil {
		return nil, fmt.Errorf("settings file %s: the profiles list cannot be read: %v", path, oneLine(err))
	}
	// Check every entry now, so that a file with a bad one is neither
	// listed in part nor rewritten around it.
	for i := range st.entries {
		e := &st.entries[i]
		if e.Name == "" || e.Key == "" {
			return nil, fmt.Errorf("settings file %s: profile %d has no name or key (changed by hand?)", path, i+1)
		}
		if _, err := e.profile(path); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// writable says why the file must not be rewritten, if it must not.
func (st *settings) writable() error {
	if st.version > settingsVersion {
		return fmt.Errorf("settings file %s was written by a newer Sesame (version %d, this one writes %d): upgrade Sesame", st.path, st.version, settingsVersion)
	}
	return nil
}

// write replaces the settings file atomically.
func (st *settings) write() error {
	if err := st.writable(); err != nil {
		return err
	}
	entries := st.entries
	if entries == nil {
		entries = []settingsEntry{}
	}
	version := 1
	for _, e := range entries {
		if e.SPA != nil {
			version = 2
		}
	}
	st.v.Set("version", version)
	st.v.Set("profiles", entries)
	var buf bytes.Buffer
	if err := st.v.WriteConfigTo(&buf); err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	return atomicfile.Write(st.path, buf.Bytes(), 0o600)
}

// find returns the index of the profile named name, compared ignoring case
// (Windows' Credential Manager and people both do), or -1.
func (st *settings) find(name string) int {
	for i, e := range st.entries {
		if e.Name == name {
			return i
		}
	}
	for i, e := range st.entries {
		if strings.EqualFold(e.Name, name) {
			return i
		}
	}
	return -1
}

// profile is the entry as a Profile, without secrets.
func (e *settingsEntry) profile(file string) (*Profile, error) {
	p := &Profile{Name: e.Name, Host: e.Host, Port: e.Port, User: e.User, IdentityFile: e.Identity, Note: e.Note,
		KeepaliveMax: e.KeepaliveMax, AutoReconnect: e.AutoReconnect, SPA: e.SPA.spa()}
	bad := func(field string, err error) error {
		return fmt.Errorf("settings file %s: profile %q: %s: %v", file, e.Name, field, err)
	}
	var err error
	if p.Family, err = knock.ParseFamily(e.Family); err != nil {
		return nil, bad("family", err)
	}
	if p.Delay, err = parseSettingDuration(e.Delay); err != nil {
		return nil, bad("delay", err)
	}
	if p.Wait, err = parseSettingDuration(e.Wait); err != nil {
		return nil, bad("wait", err)
	}
	if p.Keepalive, err = parseSettingDuration(e.Keepalive); err != nil {
		return nil, bad("keepalive", err)
	}
	if p.Forwards, err = ParseForwards(e.Forwards); err != nil {
		return nil, bad("forwards", err)
	}
	p.Jump = e.Jump
	if e.LastUsed != "" {
		if p.LastUsed, err = time.Parse(time.RFC3339Nano, e.LastUsed); err != nil {
			return nil, bad("last_used", errors.New("not an RFC 3339 time"))
		}
	}
	return p, nil
}

func parseSettingDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return knocker.ParseDelay(s)
}

// setProfile copies p's settings (not its secrets) into the entry.
func (e *settingsEntry) setProfile(p *Profile) {
	e.Name, e.Host, e.Port, e.User, e.Identity, e.Note = p.Name, p.Host, p.Port, p.User, p.IdentityFile, p.Note
	e.Family = ""
	if p.Family != knock.FamilyAuto {
		e.Family = p.Family.String()
	}
	e.Delay = durationSetting(p.Delay)
	e.Wait = durationSetting(p.Wait)
	e.Keepalive = durationSetting(p.Keepalive)
	e.KeepaliveMax, e.AutoReconnect = p.KeepaliveMax, p.AutoReconnect
	e.SPA = newSPASetting(p.SPA)
	e.Forwards, e.Jump = ForwardStrings(p.Forwards), p.Jump
	e.LastUsed = ""
	if !p.LastUsed.IsZero() {
		e.LastUsed = p.LastUsed.UTC().Format(time.RFC3339Nano)
	}
}

func durationSetting(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// oneLine folds a multi-line error message (YAML and mapstructure errors
// list problems on separate lines) into one.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
