//go:build linux

// Package loadconf loads a config the one way sesamed starts with it: the
// knockd.conf, each door's one-time sequences and rotating seed, the log
// file and the interfaces to listen on. The daemon (at start and on
// SIGHUP) and `sesamed check` both call Load, so that a config check
// accepts starts, one it refuses does not, and both say the same warnings.
package loadconf

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"sesame/knockdconf"
	"sesame/server/accessconf"
	"sesame/server/netwatch"
	"sesame/server/rotating"
	"sesame/server/sesamedlog"
)

// Options are what sesamed's command line adds to the config.
type Options struct {
	// Path is the config file (-c).
	Path string
	// LogFile (-g) wins over the config's LogFile.
	LogFile string
	// Interfaces (-i) win over the config's Interface.
	Interfaces []string
	// Net is the machine's interfaces, to check that the ones to listen on
	// exist; nil reads them.
	Net netwatch.State
	// Reload is a SIGHUP: sesamed keeps the interfaces, log file and
	// syslog it has (it follows interfaces that come and go, and reopens
	// the log file itself), so none of them is checked.
	Reload bool
	// DefaultRoutes names the interfaces of the default routes (used when
	// neither -i nor Interface names one); nil is
	// netwatch.DefaultRouteInterfaces.
	DefaultRoutes func() []string
}

// Loaded is a config as sesamed runs it.
type Loaded struct {
	Config *knockdconf.Config
	// Doors are Config.Doors, in order, with what their files hold.
	Doors []Door
	// Access is fwknopd's access.conf that Fwknop_Access names; nil
	// without it.
	Access *accessconf.Config
	// LogFile is the log file in effect ("" for none); LogFileErr says why
	// it cannot be opened, in which case the log lines go to standard
	// error.
	LogFile    string
	LogFileErr error
	// Interfaces are the interfaces to listen on.
	Interfaces []string
	// Warnings are what sesamed logs at start and `check` prints, each as
	// one line without a "warning: " prefix; the config's own come first.
	Warnings []string
}

// Door is a door with what sesamed reads for it besides the config.
type Door struct {
	*knockdconf.Door
	// OneTime are a one-time door's unused sequences, in file order; none
	// means the door is disabled (see Load).
	OneTime []knockdconf.OneTimeSequence
	// Rotation is a rotating door's sequences, from its seed.
	Rotation *rotating.Door
}

// Disabled reports whether the door can never open as loaded: a one-time
// door with no sequence left.
func (d Door) Disabled() bool {
	return d.OneTimeSequences != "" && len(d.OneTime) == 0
}

// DefaultInterface is knockd's default when neither -i nor Interface names
// one and no default route does.
const DefaultInterface = "eth0"

// Load reads the config at o.Path and everything it names, as sesamed
// does when it starts. An error is what makes sesamed refuse to start (it
// names the file and line, or the door, and what to fix); warnings are
// what it starts with anyway:
//
//   - a log file that cannot be opened (knockd warns and runs; so does
//     sesamed, logging to syslog or standard error instead);
//   - UseSyslog on a machine where syslog cannot be reached;
//   - a one-time door with no unused sequence left: knockd refuses to
//     start, sesamed runs with that door disabled, so that one spent door
//     does not shut every other one.
func Load(o Options) (*Loaded, error) {
	cfg, err := knockdconf.ParseFile(o.Path)
	if err != nil {
		return nil, err
	}
	ld := &Loaded{Config: cfg, Warnings: slices.Clone(cfg.Warnings)}
	if w := readableConfig(cfg); w != "" {
		ld.Warnings = append(ld.Warnings, w)
	}
	for _, c := range cfg.Doors {
		d, warnings, err := loadDoor(cfg.File, c)
		if err != nil {
			return nil, err
		}
		ld.Warnings = append(ld.Warnings, warnings...)
		ld.Doors = append(ld.Doors, d)
	}
	if cfg.FwknopAccess != "" {
		acc, warnings, err := loadAccess(cfg)
		if err != nil {
			return nil, err
		}
		ld.Access = acc
		ld.Warnings = append(ld.Warnings, warnings...)
	}

	ld.LogFile = cfg.LogFile
	setting := "LogFile"
	if o.LogFile != "" {
		ld.LogFile, setting = o.LogFile, "-g"
	}
	routes := o.DefaultRoutes
	if routes == nil {
		routes = netwatch.DefaultRouteInterfaces
	}
	ld.Interfaces = ChooseInterfaces(o.Interfaces, cfg, routes)
	if o.Reload {
		return ld, nil
	}

	// The log lines go to standard error only when none of the places
	// asked for can take them (sesamedlog.Logger).
	var syslogErr error
	if cfg.UseSyslog {
		syslogErr = sesamedlog.ProbeSyslog()
	}
	ld.LogFileErr = sesamedlog.Probe(ld.LogFile)
	if syslogErr != nil {
		instead := "standard error"
		if ld.LogFile != "" && ld.LogFileErr == nil {
			instead = "the log file only"
		}
		ld.Warnings = append(ld.Warnings, fmt.Sprintf("cannot reach syslog (UseSyslog): %v; sesamed logs to %s instead", syslogErr, instead))
	}
	if ld.LogFileErr != nil {
		instead := "standard error"
		if cfg.UseSyslog && syslogErr == nil {
			instead = "syslog only"
		}
		ld.Warnings = append(ld.Warnings, fmt.Sprintf("cannot open the log file %s: %v; sesamed logs to %s instead (create the directory, or fix %s)", ld.LogFile, ld.LogFileErr, instead, setting))
	}

	state := o.Net
	if state == nil {
		if state, err = netwatch.Read(); err != nil {
			return nil, err
		}
	}
	for _, name := range ld.Interfaces {
		if name == netwatch.Any {
			continue
		}
		if _, ok := state[name]; !ok {
			return nil, fmt.Errorf("interface %s does not exist (fix -i or Interface; this machine has %s)", name, strings.Join(sortedNames(state), ", "))
		}
	}
	return ld, nil
}

// loadDoor reads what a door names: its one-time sequences file, or its
// rotating seed.
func loadDoor(file string, c *knockdconf.Door) (Door, []string, error) {
	d := Door{Door: c}
	var warnings []string
	switch {
	case c.IsRotating():
		seed, err := c.Rotating.LoadSeed()
		if err != nil {
			return d, nil, fmt.Errorf("door [%s]: %w", c.Name, err)
		}
		rot, err := rotating.NewDoor(seed, c.Rotating.Params)
		if err != nil {
			return d, nil, fmt.Errorf("door [%s]: %w", c.Name, err)
		}
		d.Rotation = rot
	case c.OneTimeSequences != "":
		seqs, err := knockdconf.ReadOneTimeSequencesFile(c.OneTimeSequences)
		if err != nil {
			return d, nil, fmt.Errorf("door [%s]: %w", c.Name, err)
		}
		d.OneTime = seqs
		if fi, err := os.Lstat(c.OneTimeSequences); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			// Marking a line used replaces the file (atomicfile), which
			// never writes through a link: the link would become a file.
			warnings = append(warnings, fmt.Sprintf("%s:%d: door [%s]: %s is a symbolic link: marking a sequence used replaces the link with a file in its directory, and the file it points to keeps its lines; point One_Time_Sequences at the file itself", file, c.Line, c.Name, c.OneTimeSequences))
		}
		if perm, ok := readableByOthers(c.OneTimeSequences); ok {
			warnings = append(warnings, fmt.Sprintf("%s:%d: door [%s]: %s has mode %04o, so others than its owner can read its sequences and knock: chmod 600 %s", file, c.Line, c.Name, c.OneTimeSequences, perm, c.OneTimeSequences))
		}
		if len(seqs) == 0 {
			warnings = append(warnings, fmt.Sprintf("%s:%d: door [%s] is disabled: %s has no unused sequence left (knockd refuses to start with it; sesamed runs the other doors): append sequences to the file (sesamed picks them up)", file, c.Line, c.Name, c.OneTimeSequences))
		}
	}
	return d, warnings, nil
}

// loadAccess reads fwknopd's access.conf, and warns as fwknopd does when
// others than its owner may read it: it holds the keys.
func loadAccess(cfg *knockdconf.Config) (*accessconf.Config, []string, error) {
	acc, err := accessconf.ParseFile(cfg.FwknopAccess)
	if err != nil {
		return nil, nil, fmt.Errorf("Fwknop_Access: %w", err)
	}
	warnings := slices.Clone(acc.Warnings)
	if perm, ok := readableByOthers(acc.File); ok {
		warnings = append(warnings, fmt.Sprintf("%s has mode %04o, so others than its owner can read its keys and send SPA packets: chmod 600 %s", acc.File, perm, acc.File))
	}
	return acc, warnings, nil
}

// readableConfig warns when a config that holds secrets itself (a
// Sequence, Close_Sequence or Rotating_Seed) can be read by others than
// its owner: any local user who can read it can knock. knockd runs such a
// config, and so does sesamed, with this warning; a seed file is refused
// outright (knockdconf.ReadSeedFile), as ssh refuses a readable key.
func readableConfig(cfg *knockdconf.Config) string {
	var held []string
	hint := ""
	for _, d := range cfg.Doors {
		switch {
		case d.Rotating != nil && d.Rotating.Seed != nil:
			held = append(held, "the Rotating_Seed of ["+d.Name+"]")
			hint = " (or move the seed to a Rotating_Seed_File, which must be 0600)"
		case len(d.Sequence) > 0:
			held = append(held, "the Sequence of ["+d.Name+"]")
		}
		if len(d.CloseSequence) > 0 {
			held = append(held, "the Close_Sequence of ["+d.Name+"]")
		}
	}
	if len(held) == 0 {
		return ""
	}
	perm, ok := readableByOthers(cfg.File)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s has mode %04o, so others than its owner can read %s and knock: chmod 600 %s%s", cfg.File, perm, strings.Join(held, ", "), cfg.File, hint)
}

// readableByOthers reports the mode of the file at path when its group or
// everyone may read it.
func readableByOthers(path string) (os.FileMode, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	perm := fi.Mode().Perm()
	return perm, perm&0o044 != 0
}

// ChooseInterfaces picks the interfaces to listen on: -i, else Interface,
// else the default routes', else eth0.
func ChooseInterfaces(flag []string, cfg *knockdconf.Config, defaultRoutes func() []string) []string {
	if len(flag) > 0 {
		return flag
	}
	if cfg.Interface != "" {
		return SplitInterfaces(cfg.Interface)
	}
	if def := defaultRoutes(); len(def) > 0 {
		return def
	}
	return []string{DefaultInterface}
}

// SplitInterfaces reads "eth0,wg0" (-i or Interface).
func SplitInterfaces(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func sortedNames(s netwatch.State) []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
