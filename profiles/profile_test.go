package profiles

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/rotate"
)

func validProfile() Profile {
	open, _ := knocker.ParseSequence("7000,8000,9000")
	return Profile{Name: "web", Host: "web.example.com", Secrets: Secrets{Open: open}}
}

func testRotation() *Rotation {
	seed, _ := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	return &Rotation{Seed: seed, Params: rotate.DefaultParams()}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(p *Profile)
		fields []string // the fields the error must name; none = valid
	}{
		{"valid", func(p *Profile) {}, nil},
		{"empty name", func(p *Profile) { p.Name = "" }, []string{"name"}},
		{"name with slash", func(p *Profile) { p.Name = "a/b" }, []string{"name"}},
		{"name like a flag", func(p *Profile) { p.Name = "-x" }, []string{"name"}},
		{"name like a port list", func(p *Profile) { p.Name = "7000,8000:udp" }, []string{"name"}},
		{"name with digits", func(p *Profile) { p.Name = "web-7000" }, nil},
		{"long name", func(p *Profile) { p.Name = strings.Repeat("n", MaxNameLen+1) }, []string{"name"}},
		{"empty host", func(p *Profile) { p.Host = "" }, []string{"host"}},
		{"user@host", func(p *Profile) { p.Host = "root@web" }, []string{"host"}},
		{"port 70000", func(p *Profile) { p.Port = 70000 }, []string{"port"}},
		{"user with space", func(p *Profile) { p.User = "a b" }, []string{"user"}},
		// Each would start a line of its own in sesame ssh-config's output.
		{"host with a line break", func(p *Profile) { p.Host = "web\nProxyCommand=sh${IFS}-c${IFS}id" }, []string{"host"}},
		{"user with a control character", func(p *Profile) { p.User = "root\r" }, []string{"user"}},
		{"identity with a line break", func(p *Profile) { p.IdentityFile = "~/.ssh/k\nProxyCommand=x" }, []string{"identity"}},
		{"identity with a quote", func(p *Profile) { p.IdentityFile = `~/.ssh/"k` }, []string{"identity"}},
		{"negative delay", func(p *Profile) { p.Delay = -time.Second }, []string{"delay"}},
		{"long wait", func(p *Profile) { p.Wait = time.Hour }, []string{"wait"}},
		{"no open sequence", func(p *Profile) { p.Secrets.Open = nil }, []string{"open"}},
		{"one-time sequences instead of open", func(p *Profile) {
			p.Secrets.Open = nil
			p.Secrets.OneTime = []knocker.Sequence{{{Port: 1, Proto: knocker.TCP}}}
		}, nil},
		{"one-time sequences used up", func(p *Profile) { p.Secrets.Open = nil; p.Secrets.OneTimeUsed = 4 }, nil},
		{"bad one-time sequence", func(p *Profile) { p.Secrets.OneTime = []knocker.Sequence{{{Port: 0, Proto: knocker.TCP}}} }, []string{"one-time"}},
		{"a seed instead of open", func(p *Profile) { p.Secrets.Open = nil; p.Secrets.Rotation = testRotation() }, nil},
		{"a seed and an open sequence", func(p *Profile) { p.Secrets.Rotation = testRotation() }, []string{"seed"}},
		{"a seed and one-time sequences", func(p *Profile) {
			p.Secrets.Open = nil
			p.Secrets.Rotation = testRotation()
			p.Secrets.OneTimeUsed = 1
		}, []string{"seed"}},
		{"a short seed", func(p *Profile) {
			p.Secrets.Open = nil
			p.Secrets.Rotation = testRotation()
			p.Secrets.Rotation.Seed = p.Secrets.Rotation.Seed[:10]
		}, []string{"seed"}},
		{"a bad rotating window", func(p *Profile) {
			p.Secrets.Open = nil
			p.Secrets.Rotation = testRotation()
			p.Secrets.Rotation.Params.Window = time.Second
		}, []string{"rotating"}},
		{"bad close sequence", func(p *Profile) { p.Secrets.Close = knocker.Sequence{{Port: 0, Proto: knocker.TCP}} }, []string{"close"}},
		{"two problems", func(p *Profile) { p.Host = ""; p.Port = -1 }, []string{"host", "port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProfile()
			tt.edit(&p)
			wantFieldErrors(t, p.Validate(), tt.fields)
		})
	}
}

// wantFieldErrors fails t unless err, what Validate returned, holds a
// FieldError for each of fields, or is nil when fields is empty.
func wantFieldErrors(t *testing.T, err error, fields []string) {
	t.Helper()
	if len(fields) == 0 {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate() = nil, want errors for %v", fields)
	}
	for _, f := range fields {
		found := false
		for _, e := range unwrapAll(err) {
			var fe *FieldError
			if errors.As(e, &fe) && fe.Field == f {
				found = true
			}
		}
		if !found {
			t.Errorf("Validate() = %v, want an error for field %q", err, f)
		}
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestValidateNeverQuotesSecrets(t *testing.T) {
	p := validProfile()
	p.Secrets.Open = knocker.Sequence{{Port: 31337, Proto: knocker.TCP}, {Port: 0, Proto: knocker.UDP}}
	err := p.Validate()
	if err == nil || strings.Contains(err.Error(), "31337") {
		t.Fatalf("Validate() = %v: want an error that does not quote the sequence", err)
	}
}

func TestRotationDoorSetup(t *testing.T) {
	seed, err := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	if err != nil {
		t.Fatal(err)
	}
	r := &Rotation{Seed: seed, Params: rotate.DefaultParams()}
	tests := []struct {
		once bool
		head string
	}{
		{true, "# The seed of vault, shown only now. On the server, put these lines in the door's section of knockd.conf (sesamed)"},
		{false, "# The seed of vault. On the server, put these lines"},
	}
	for _, tt := range tests {
		got := r.DoorSetup("vault", tt.once)
		if !strings.HasPrefix(got, tt.head) || !strings.HasSuffix(got, knockdconf.RotatingLines(seed, r.Params)) {
			t.Errorf("DoorSetup(once %v):\n%s", tt.once, got)
		}
	}
}
