package profiles

import (
	"bytes"
	"slices"
	"testing"
)

// TestReadImport pins what both faces import from a file: the kind it is
// taken for, the profiles offered and the ones skipped.
func TestReadImport(t *testing.T) {
	export := func(withSecrets bool, ps ...Profile) []byte {
		var buf bytes.Buffer
		var ptrs []*Profile
		for i := range ps {
			ptrs = append(ptrs, &ps[i])
		}
		if err := Export(&buf, ptrs, withSecrets); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	good := validProfile()
	noHost := validProfile()
	noHost.Name, noHost.Host = "nohost", ""
	tests := []struct {
		name        string
		data        []byte
		host        string
		wantErr     bool
		wantExport  bool // the kind of a file that fails
		wantKnockd  bool
		offered     []string
		skipped     []string
		noSecrets   []string // the skipped ones marked NoSecrets
		offeredHost string
	}{
		{name: "export with secrets", data: export(true, good), offered: []string{"web"}, offeredHost: "web.example.com"},
		{name: "export without secrets", data: export(false, good), skipped: []string{"web"}, noSecrets: []string{"web"}},
		{name: "export with an invalid profile", data: export(true, good, noHost), offered: []string{"web"}, skipped: []string{"nohost"}, offeredHost: "web.example.com"},
		{name: "export ignores the host", data: export(true, good), host: "other.example.com", offered: []string{"web"}, offeredHost: "web.example.com"},
		{name: "knockd.conf", data: []byte("[openSSH]\n\tsequence = 7000,8000,9000\n[closeSSH]\n\tsequence = 9000,8000,7000\n"),
			host: "door.example.com", wantKnockd: true, offered: []string{"SSH"}, offeredHost: "door.example.com"},
		{name: "broken export", data: []byte(`{"format": 1`), wantErr: true, wantExport: true},
		{name: "broken knockd.conf", data: []byte("[door]\n\tsequence = 70000\n"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := ReadImport(tt.data, "f")
			if tt.wantErr {
				if err == nil || IsExport(tt.data) != tt.wantExport {
					t.Fatalf("ReadImport = %v, IsExport %v; want an error, IsExport %v", err, IsExport(tt.data), tt.wantExport)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (im.Knockd != nil) != tt.wantKnockd {
				t.Fatalf("taken for a knockd.conf: %v, want %v", im.Knockd != nil, tt.wantKnockd)
			}
			offered, skipped := im.Offer(tt.host, nil)
			var gotOffered, gotSkipped, gotNoSecrets []string
			for _, o := range offered {
				gotOffered = append(gotOffered, o.Profile.Name)
				if o.Profile.Host != tt.offeredHost {
					t.Errorf("%s: host %q, want %q", o.Profile.Name, o.Profile.Host, tt.offeredHost)
				}
			}
			for _, s := range skipped {
				gotSkipped = append(gotSkipped, s.Name)
				if s.NoSecrets {
					gotNoSecrets = append(gotNoSecrets, s.Name)
				}
			}
			if !slices.Equal(gotOffered, tt.offered) || !slices.Equal(gotSkipped, tt.skipped) || !slices.Equal(gotNoSecrets, tt.noSecrets) {
				t.Errorf("offered %q, skipped %q (no secrets %q); want %q, %q (%q)",
					gotOffered, gotSkipped, gotNoSecrets, tt.offered, tt.skipped, tt.noSecrets)
			}
		})
	}
}
