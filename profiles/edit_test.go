package profiles

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
	"sesame/rotate"
)

// TestEdit pins the editing rules the CLI's flags and the app's form both
// go through: what replaces what, and when the last rotating window is
// kept.
func TestEdit(t *testing.T) {
	seedA := testRotation().Seed
	seedB, _ := rotate.ParseSeed("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
	params := func(change func(*rotate.Params)) *rotate.Params {
		p := rotate.DefaultParams()
		change(&p)
		return &p
	}
	slow := params(func(p *rotate.Params) { p.Window = time.Minute })
	str := func(s string) *string { return &s }
	dur := func(d time.Duration) *time.Duration { return &d }
	noClose := knocker.Sequence{}

	fixed := func() Profile {
		p := validProfile()
		p.Secrets.Close = seq(t, "9000,8000")
		p.Secrets.Password = "kept"
		return p
	}
	oneTime := func() Profile {
		p := validProfile()
		p.Secrets.Open = nil
		p.Secrets.OneTime = []knocker.Sequence{seq(t, "1,2"), seq(t, "3,4")}
		p.Secrets.OneTimeUsed = 3
		return p
	}
	rotating := func(last int64) Profile {
		p := validProfile()
		p.Secrets.Open = nil
		p.Secrets.Rotation = &Rotation{Seed: seedA, Params: rotate.DefaultParams(), LastWindow: last}
		return p
	}
	with := func(p Profile, change func(*Profile)) Profile {
		change(&p)
		return p
	}

	tests := []struct {
		name  string
		start Profile
		edit  Edit
		want  Profile
		err   string // in the error; "" for none
	}{
		{"nothing changes nothing", rotating(42), Edit{}, rotating(42), ""},
		{"settings change alone", fixed(),
			Edit{Host: str("db.example.com"), Note: str("n"), Delay: dur(time.Second), Wait: dur(0), Keepalive: dur(5 * time.Second), Password: str("")},
			with(fixed(), func(p *Profile) {
				p.Host, p.Note, p.Delay, p.Keepalive, p.Secrets.Password = "db.example.com", "n", time.Second, 5*time.Second, ""
			}), ""},
		{"an empty close removes it", fixed(), Edit{Close: &noClose},
			with(fixed(), func(p *Profile) { p.Secrets.Close = noClose }), ""},
		{"an open sequence replaces the seed", rotating(42), Edit{Open: seq(t, "5,6")},
			with(validProfile(), func(p *Profile) { p.Secrets.Open = seq(t, "5,6") }), ""},
		{"an open sequence replaces one-time sequences", oneTime(), Edit{Open: seq(t, "5,6")},
			with(validProfile(), func(p *Profile) { p.Secrets.Open = seq(t, "5,6") }), ""},
		{"a seed replaces the open sequence", fixed(), Edit{Seed: seedA},
			with(fixed(), func(p *Profile) {
				p.Secrets.Open, p.Secrets.Rotation = nil, &Rotation{Seed: seedA, Params: rotate.DefaultParams()}
			}), ""},
		{"a seed replaces one-time sequences", oneTime(), Edit{Seed: seedA, Params: slow},
			with(validProfile(), func(p *Profile) {
				p.Secrets.Open, p.Secrets.Rotation = nil, &Rotation{Seed: seedA, Params: *slow}
			}), ""},
		{"the same seed and settings keep the last window", rotating(42), Edit{Seed: seedA, Params: params(func(*rotate.Params) {})},
			rotating(42), ""},
		{"another seed counts windows anew", rotating(42), Edit{Seed: seedB},
			with(rotating(0), func(p *Profile) { p.Secrets.Rotation.Seed = seedB }), ""},
		{"other settings count windows anew", rotating(42), Edit{Params: slow},
			with(rotating(0), func(p *Profile) { p.Secrets.Rotation.Params = *slow }), ""},
		{"a new seed keeps the settings", with(rotating(42), func(p *Profile) { p.Secrets.Rotation.Params = *slow }), Edit{Seed: seedB},
			with(rotating(0), func(p *Profile) { p.Secrets.Rotation.Seed, p.Secrets.Rotation.Params = seedB, *slow }), ""},
		{"forwards and jump hosts replace the profile's", with(fixed(), func(p *Profile) {
			p.Forwards, p.Jump = []Forward{{Kind: DynamicForward, Port: 1080}}, []string{"old"}
		}), Edit{Forwards: &[]Forward{{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80}}, Jump: &[]string{"gw", "inner"}},
			with(fixed(), func(p *Profile) {
				p.Forwards, p.Jump = []Forward{{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80}}, []string{"gw", "inner"}
			}), ""},
		{"empty forwards and jump hosts remove them", with(fixed(), func(p *Profile) {
			p.Forwards, p.Jump = []Forward{{Kind: DynamicForward, Port: 1080}}, []string{"gw"}
		}), Edit{Forwards: &[]Forward{}, Jump: &[]string{}},
			with(fixed(), func(p *Profile) { p.Forwards, p.Jump = []Forward{}, []string{} }), ""},
		{"no forwards nor jump hosts keep them", with(fixed(), func(p *Profile) {
			p.Forwards, p.Jump = []Forward{{Kind: DynamicForward, Port: 1080}}, []string{"gw"}
		}), Edit{Host: str("other")},
			with(fixed(), func(p *Profile) {
				p.Host, p.Forwards, p.Jump = "other", []Forward{{Kind: DynamicForward, Port: 1080}}, []string{"gw"}
			}), ""},
		{"settings without a seed", fixed(), Edit{Params: slow, Host: str("other")}, fixed(), ErrNoSeed.Error()},
		{"bad settings", rotating(42), Edit{Params: params(func(p *rotate.Params) { p.PortMin, p.PortMax = 100, 101 })},
			rotating(42), "rotating sequence: port range 100-101 is smaller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.start
			err := tt.edit.Apply(&got)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Apply = %v, want %q", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Apply made\n%+v\n%+v\nwant\n%+v\n%+v", got, got.Secrets.Rotation, tt.want, tt.want.Secrets.Rotation)
			}
		})
	}
}

// TestEditForwardFaces pins that a forward reads the same, with the same
// words, on both faces: the CLI's --forward "L SPEC" (ParseForward) and
// the form's kind and spec (ParseForwardSpec), so an Edit made by either
// holds the same forwards.
func TestEditForwardFaces(t *testing.T) {
	tests := []struct {
		kind ForwardKind
		spec string
		want Forward
		err  string // in both errors; "" for none
	}{
		{LocalForward, "8080:localhost:80", Forward{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80}, ""},
		{LocalForward, "127.0.0.1:8080:db:5432", Forward{Kind: LocalForward, Bind: "127.0.0.1", Port: 8080, Host: "db", HostPort: 5432}, ""},
		{RemoteForward, "[::1]:9000:[2001:db8::1]:22", Forward{Kind: RemoteForward, Bind: "::1", Port: 9000, Host: "2001:db8::1", HostPort: 22}, ""},
		{DynamicForward, "*:1080", Forward{Kind: DynamicForward, Bind: "*", Port: 1080}, ""},
		{LocalForward, "8080:localhost", Forward{}, "2 colon-separated part(s) where 3 or 4 are needed"},
		{LocalForward, "8080:localhost:http", Forward{}, `the host's port "http" is not a port 1-65535`},
		{DynamicForward, "1:2:3", Forward{}, "too many parts"},
		{RemoteForward, "0:localhost:22", Forward{}, `the listening port "0" is not a port`},
		{LocalForward, "8080:a b:80", Forward{}, "is not a host name or address"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+tt.spec, func(t *testing.T) {
			form, ferr := ParseForwardSpec(tt.kind, tt.spec)
			cli, cerr := ParseForward(string(tt.kind) + " " + tt.spec)
			for face, err := range map[string]error{"form": ferr, "--forward": cerr} {
				if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
					t.Fatalf("%s: error %v, want %q", face, err, tt.err)
				}
			}
			if ferr != nil {
				if ferr.Error() != cerr.Error() {
					t.Errorf("the faces say different things:\nform:      %v\n--forward: %v", ferr, cerr)
				}
				return
			}
			if form != tt.want || cli != tt.want {
				t.Errorf("form read %+v, --forward %+v, want %+v", form, cli, tt.want)
			}
			p := validProfile()
			fws := []Forward{form}
			if err := (&Edit{Forwards: &fws}).Apply(&p); err != nil || p.Validate() != nil {
				t.Fatalf("Apply: %v, Validate: %v", err, p.Validate())
			}
			if back, err := ParseForward(p.Forwards[0].String()); err != nil || back != tt.want {
				t.Errorf("saved as %q, read back %+v, %v", p.Forwards[0], back, err)
			}
		})
	}
}

// TestParseSettings pins how typed settings read, with the limits and the
// words both faces show.
func TestParseSettings(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) (any, error)
		text  string
		want  any
		err   string
	}{
		{"port", port, "2222", 2222, ""},
		{"port empty", port, " ", 0, ""},
		{"port 0", port, "0", 0, "0 is not a port: give a number from 1 to 65535 (empty for 22)"},
		{"port 70000", port, "70000", 0, "70000 is not a port"},
		{"port name", port, "ssh", 0, "1 to 65535"},
		{"delay ms", delay, "150", 150 * time.Millisecond, ""},
		{"delay duration", delay, "1.5s", 1500 * time.Millisecond, ""},
		{"delay empty", delay, "", time.Duration(0), ""},
		{"delay bad", delay, "fast", time.Duration(0), "bad delay"},
		{"delay too long", delay, "2h", time.Duration(0), "must be between 0 and 1h: give at most 1h"},
		{"wait at most", wait, "5m", 5 * time.Minute, ""},
		{"wait too long", wait, "10m", time.Duration(0), "must be between 0 and 5m: give at most 5m"},
		{"keepalive", keepalive, "5s", 5 * time.Second, ""},
		{"keepalive empty", keepalive, "", time.Duration(0), ""},
		{"keepalive without a unit", keepalive, "15", time.Duration(0), `bad duration "15": use e.g. 15s`},
		{"keepalive too short", keepalive, "500ms", time.Duration(0), "must be between 1s and 10m (or empty for 15s)"},
		{"keepalive too long", keepalive, "1h", time.Duration(0), "must be between 1s and 10m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.text)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("%q: error %v, want %q", tt.text, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("%q = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func port(s string) (any, error)  { n, err := ParsePort(s); return n, err }
func delay(s string) (any, error) { d, err := ParseDelay(s); return d, err }
func wait(s string) (any, error)  { d, err := ParseWait(s); return d, err }
func keepalive(s string) (any, error) {
	d, err := ParseKeepalive(s)
	return d, err
}
