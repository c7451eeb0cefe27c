package profiles

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExportRoundTrip(t *testing.T) {
	a, b := fullProfile(t, "a"), fullProfile(t, "b")
	b.Family, b.Delay, b.Secrets.Close = 0, 0, nil
	for _, withSecrets := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Export(&buf, []*Profile{a, b}, withSecrets); err != nil {
			t.Fatal(err)
		}
		if !IsExport(buf.Bytes()) {
			t.Fatal("IsExport is false for an export")
		}
		got, err := ReadExport(buf.Bytes(), "x.json")
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []*Profile{a, b} {
			w := *want
			w.LastUsed = time.Time{} // not exported
			if !withSecrets {
				w.Secrets = Secrets{}
			}
			if !reflect.DeepEqual(got[i], &w) {
				t.Errorf("with secrets %v: profile %d\n got %+v\nwant %+v", withSecrets, i, got[i], &w)
			}
		}
		leaks := []string{a.Secrets.Password, a.Secrets.Passphrase, "17001", "31001"}
		for _, s := range leaks {
			if got := strings.Contains(buf.String(), s); got != withSecrets {
				t.Errorf("with secrets %v: export contains %q: %v", withSecrets, s, got)
			}
		}
	}
}

func TestReadExportErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"syntax error", "{\n\"format\": \"sesame-profiles\",\n\"profiles\": [ 41234 x ]}", "x.json:3: not valid JSON"},
		{"wrong type", "{\"format\": \"sesame-profiles\", \"version\": 1,\n\"profiles\": [{\"name\": 41234}]}", "x.json:2: profiles.name must be a string"},
		{"not an export", `{"hello": 1}`, "unknown field"},
		{"no format", `{"profiles": []}`, "not a Sesame profile export"},
		{"newer", `{"format": "sesame-profiles", "version": 3, "profiles": []}`, "newer Sesame"},
		{"truncated", `{"format": "sesame-profiles", "profiles": [`, "ends early"},
		{"bad secrets", `{"format": "sesame-profiles", "version": 1, "profiles": [{"name": "n", "host": "h", "secrets": {"v": 1, "open": "41234,0"}}]}`, `profile 1 ("n"): the open sequence`},
		{"bad delay", `{"format": "sesame-profiles", "version": 1, "profiles": [{"name": "n", "host": "h", "delay": "soon"}]}`, "delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadExport([]byte(tt.data), "x.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadExport = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "41234") {
				t.Fatalf("error quotes input: %v", err)
			}
		})
	}
}

// FuzzReadExport: an import file is untrusted input. Reading it never
// panics, and what it reads survives an export round trip unchanged.
func FuzzReadExport(f *testing.F) {
	var buf bytes.Buffer
	p := fullProfile(f, "web")
	if err := Export(&buf, []*Profile{p}, true); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format": "sesame-profiles", "version": 1, "profiles": [{"name": "a", "host": "h", "delay": "100"}]}`))
	f.Add([]byte(`{"format": "sesame-profiles", "profiles": [{"secrets": {"v": 1, "onetime": ["1,2", ""]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ReadExport(data, "f.json")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Export(&out, ps, true); err != nil {
			t.Fatal(err)
		}
		again, err := ReadExport(out.Bytes(), "again.json")
		if err != nil {
			t.Fatalf("re-reading an export of what was read: %v", err)
		}
		if !reflect.DeepEqual(again, ps) {
			t.Fatalf("round trip changed the profiles:\n%+v\n%+v", ps, again)
		}
	})
}
