package sesamedcli

import (
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/loadconf"
)

// checkReport is `sesamed check --json`. Its field names are documented in
// the README and stay stable. Knock sequences and seeds are secrets and
// never appear: doors give their length and protocols.
type checkReport struct {
	File string `json:"file"`
	// OK is false exactly when sesamed would refuse to start.
	OK         bool         `json:"ok"`
	Interfaces []string     `json:"interfaces,omitempty"`
	LogFile    string       `json:"log_file,omitempty"`
	Syslog     bool         `json:"syslog"`
	Firewall   string       `json:"firewall,omitempty"`
	Doors      []checkDoor  `json:"doors"`
	Warnings   []checkIssue `json:"warnings"`
	Errors     []checkIssue `json:"errors"`
}

// checkIssue is a warning or an error, with where it is when known.
type checkIssue struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

type checkDoor struct {
	Name string `json:"name"`
	Line int    `json:"line"`
	// Kind is "sequence", "one-time" or "rotating".
	Kind        string `json:"kind"`
	Knocks      int    `json:"knocks"`
	Protocols   string `json:"protocols"`
	OneTimeFile string `json:"one_time_file,omitempty"`
	OneTimeLeft *int   `json:"one_time_left,omitempty"`
	Disabled    bool   `json:"disabled"`
	// Rotating are a rotating door's settings (not its seed).
	Rotating      *checkRotating `json:"rotating,omitempty"`
	SeqTimeout    string         `json:"seq_timeout"`
	TCPFlags      string         `json:"tcpflags,omitempty"`
	Target        string         `json:"target,omitempty"`
	Cooldown      string         `json:"cooldown"`
	StartCommand  string         `json:"start_command,omitempty"`
	StartCommand6 *string        `json:"start_command6,omitempty"`
	StopCommand   string         `json:"stop_command,omitempty"`
	StopCommand6  *string        `json:"stop_command6,omitempty"`
	CmdTimeout    string         `json:"cmd_timeout,omitempty"`
	OpenPorts     []string       `json:"open_ports,omitempty"`
	AccessTime    string         `json:"access_time,omitempty"`
	CloseWhenIdle string         `json:"close_when_idle,omitempty"`
	CloseKnocks   int            `json:"close_knocks,omitempty"`
}

type checkRotating struct {
	Length    int    `json:"length"`
	PortMin   int    `json:"port_min"`
	PortMax   int    `json:"port_max"`
	Protocols string `json:"protocols"`
	Window    string `json:"window"`
	SeedFile  string `json:"seed_file,omitempty"`
}

// located reads the "file:line: message" the config's warnings and errors
// are written as.
var located = regexp.MustCompile(`^(.+?):(\d+): (.*)$`)

func issue(msg string) checkIssue {
	if m := located.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return checkIssue{File: m[1], Line: line, Message: m[3]}
	}
	return checkIssue{Message: msg}
}

// issuesOf splits a load error into its errors, each with its place.
func issuesOf(err error) []checkIssue {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []checkIssue
		for _, e := range joined.Unwrap() {
			out = append(out, issuesOf(e)...)
		}
		return out
	}
	var ce *knockdconf.Error
	if errors.As(err, &ce) && ce.Line > 0 {
		return []checkIssue{{File: ce.File, Line: ce.Line, Message: ce.Msg}}
	}
	return []checkIssue{issue(err.Error())}
}

func newCheckReport(file string, ld *loadconf.Loaded, err error) *checkReport {
	r := &checkReport{File: file, Doors: []checkDoor{}, Warnings: []checkIssue{}, Errors: []checkIssue{}}
	if err != nil {
		r.Errors = issuesOf(err)
		return r
	}
	cfg := ld.Config
	r.OK, r.File = true, cfg.File
	r.Interfaces, r.Syslog, r.Firewall = ld.Interfaces, cfg.UseSyslog, cfg.Firewall
	if ld.LogFile != "" && ld.LogFileErr == nil {
		r.LogFile = ld.LogFile
	}
	for _, w := range ld.Warnings {
		r.Warnings = append(r.Warnings, issue(w))
	}
	for _, d := range ld.Doors {
		r.Doors = append(r.Doors, doorReport(d))
	}
	return r
}

func doorReport(d loadconf.Door) checkDoor {
	cd := checkDoor{Name: d.Name, Line: d.Line, Kind: "sequence", Knocks: len(d.Sequence), Protocols: protocols(d.Sequence),
		Disabled: d.Disabled(), SeqTimeout: d.SeqTimeout.String(), Cooldown: d.Cooldown.String(),
		StartCommand: d.StartCommand, StopCommand: d.StopCommand}
	switch {
	case d.IsRotating():
		p := d.Rotating.Params
		cd.Kind, cd.Knocks, cd.Protocols = "rotating", p.Length, p.Protocols.String()
		cd.Rotating = &checkRotating{Length: p.Length, PortMin: int(p.PortMin), PortMax: int(p.PortMax),
			Protocols: p.Protocols.String(), Window: p.Window.String(), SeedFile: d.Rotating.SeedFile}
	case d.OneTimeSequences != "":
		left := len(d.OneTime)
		cd.Kind, cd.OneTimeFile, cd.OneTimeLeft, cd.Knocks, cd.Protocols = "one-time", d.OneTimeSequences, &left, 0, ""
	}
	if !d.TCPFlags.IsZero() {
		cd.TCPFlags = d.TCPFlags.String()
	}
	if d.Target.IsValid() {
		cd.Target = d.Target.String()
	}
	if d.StartCommand6Set {
		cd.StartCommand6 = &d.StartCommand6
	}
	if d.StopCommand6Set {
		cd.StopCommand6 = &d.StopCommand6
	}
	if d.StopCommand != "" || d.StopCommand6Set {
		cd.CmdTimeout = d.CmdTimeout.String()
	}
	if d.HasNativeOpen() {
		for _, p := range d.OpenPorts {
			cd.OpenPorts = append(cd.OpenPorts, p.String())
		}
		cd.AccessTime, cd.CloseWhenIdle, cd.CloseKnocks = d.AccessTime.String(), d.CloseWhenIdle.String(), len(d.CloseSequence)
	}
	return cd
}

// protocols names a sequence's protocols: "tcp", "udp" or "tcp,udp".
func protocols(s knocker.Sequence) string {
	tcp, udp := false, false
	for _, st := range s {
		tcp = tcp || st.Proto == knocker.TCP
		udp = udp || st.Proto == knocker.UDP
	}
	switch {
	case tcp && udp:
		return "tcp,udp"
	case udp:
		return "udp"
	case tcp:
		return "tcp"
	}
	return ""
}

func writeCheckJSON(w io.Writer, r *checkReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
