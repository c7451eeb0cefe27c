package profiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"sesame/knock"
)

// exportFormat marks a Sesame export, so that import can tell it from a
// knockd.conf and from other JSON.
//
//	1: the profiles, their settings and secrets
//	2: kind (every profile's) and spa (an SPA profile's settings)
const (
	exportFormat  = "sesame-profiles"
	exportVersion = 2
)

// exportFile is `sesame profile export`'s JSON:
//
//	{"format": "sesame-profiles", "version": 2, "with_secrets": false,
//	 "profiles": [{"name": "web", "kind": "sequence", "host": "web.example.com", "port": 2222,
//	   "user": "admin", "identity": "~/.ssh/id_ed25519", "family": "6",
//	   "delay": "100ms", "wait": "1s", "note": "…",
//	   "secrets": {"v": 1, "open": "7000,8000,9000", …}},
//	  {"name": "vault", "kind": "spa", "host": "vault.example.com",
//	   "spa": {"port": 62201, "access": "tcp/22", "allow_ip": "source", "timeout": 30}}]}
//
// "secrets" (the keyring document) is there only in an export made with
// --with-secrets. "kind" says how the profile knocks, also without its
// secrets.
type exportFile struct {
	Format      string          `json:"format"`
	Version     int             `json:"version"`
	WithSecrets bool            `json:"with_secrets"`
	Profiles    []exportProfile `json:"profiles"`
}

type exportProfile struct {
	Name     string `json:"name"`
	Kind     string `json:"kind,omitempty"`
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
	User     string `json:"user,omitempty"`
	Identity string `json:"identity,omitempty"`
	Family   string `json:"family,omitempty"`
	Delay    string `json:"delay,omitempty"`
	Wait     string `json:"wait,omitempty"`
	// Keepalive, KeepaliveMax and AutoReconnect: see Profile.
	Keepalive     string      `json:"keepalive,omitempty"`
	KeepaliveMax  int         `json:"keepalive_max,omitempty"`
	AutoReconnect bool        `json:"auto_reconnect,omitempty"`
	Note          string      `json:"note,omitempty"`
	SPA           *spaSetting `json:"spa,omitempty"`
	Forwards      []string    `json:"forwards,omitempty"`
	Jump          []string    `json:"jump,omitempty"`
	Secrets       *secretsDoc `json:"secrets,omitempty"`
}

// Export writes profiles as JSON. Secrets are written only when
// withSecrets is set; then every profile must have been read with them.
func Export(w io.Writer, ps []*Profile, withSecrets bool) error {
	f := exportFile{Format: exportFormat, Version: exportVersion, WithSecrets: withSecrets, Profiles: []exportProfile{}}
	for _, p := range ps {
		ep := exportProfile{Name: p.Name, Host: p.Host, Port: p.Port, User: p.User, Identity: p.IdentityFile,
			Delay: durationSetting(p.Delay), Wait: durationSetting(p.Wait), Note: p.Note,
			Keepalive: durationSetting(p.Keepalive), KeepaliveMax: p.KeepaliveMax, AutoReconnect: p.AutoReconnect,
			Kind: p.Kind().String(), SPA: newSPASetting(p.SPA),
			Forwards: ForwardStrings(p.Forwards), Jump: p.Jump}
		if p.Family != knock.FamilyAuto {
			ep.Family = p.Family.String()
		}
		if withSecrets {
			doc := newSecretsDoc(p.Secrets)
			ep.Secrets = &doc
		}
		f.Profiles = append(f.Profiles, ep)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the export: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// IsExport reports whether data looks like a Sesame export (JSON) rather
// than a knockd.conf.
func IsExport(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// ReadExport reads an export made by Export; file names it in errors, which
// never quote a secret. Profiles exported without secrets come back with
// empty Secrets (they do not validate until an open sequence is set).
func ReadExport(data []byte, file string) ([]*Profile, error) {
	var f exportFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, exportError(data, file, err)
	}
	switch {
	case f.Format != exportFormat:
		return nil, fmt.Errorf("%s: not a Sesame profile export (no \"format\": %q)", file, exportFormat)
	case f.Version > exportVersion:
		return nil, fmt.Errorf("%s: written by a newer Sesame (version %d, this one reads %d): upgrade Sesame", file, f.Version, exportVersion)
	}
	var out []*Profile
	for i, ep := range f.Profiles {
		where := fmt.Sprintf("%s: profile %d (%q)", file, i+1, ep.Name)
		p := &Profile{Name: ep.Name, Host: ep.Host, Port: ep.Port, User: ep.User, IdentityFile: ep.Identity, Note: ep.Note,
			KeepaliveMax: ep.KeepaliveMax, AutoReconnect: ep.AutoReconnect, SPA: ep.SPA.spa()}
		var err error
		if p.Family, err = knock.ParseFamily(ep.Family); err != nil {
			return nil, fmt.Errorf("%s: family: %v", where, err)
		}
		if p.Delay, err = parseSettingDuration(ep.Delay); err != nil {
			return nil, fmt.Errorf("%s: delay: %v", where, err)
		}
		if p.Wait, err = parseSettingDuration(ep.Wait); err != nil {
			return nil, fmt.Errorf("%s: wait: %v", where, err)
		}
		if p.Keepalive, err = parseSettingDuration(ep.Keepalive); err != nil {
			return nil, fmt.Errorf("%s: keepalive: %v", where, err)
		}
		if p.Forwards, err = ParseForwards(ep.Forwards); err != nil {
			return nil, fmt.Errorf("%s: forwards: %v", where, err)
		}
		p.Jump = ep.Jump
		if ep.Secrets != nil {
			if p.Secrets, err = ep.Secrets.secrets("its secrets"); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
		}
		if err := checkKind(p, ep); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// checkKind checks an exported profile's "kind" (optional: version 1 has
// none) against what its settings and secrets say.
func checkKind(p *Profile, ep exportProfile) error {
	if ep.Kind == "" {
		return nil
	}
	k, err := ParseKind(ep.Kind)
	if err != nil {
		return err
	}
	switch got := p.Kind(); {
	case (k == KindSPA) != (got == KindSPA):
		return fmt.Errorf("kind is %s but the profile is %s: the export was changed by hand, export it again", k, got)
	case ep.Secrets != nil && k != got:
		return fmt.Errorf("kind is %s but its secrets are %s's: the export was changed by hand, export it again", k, got)
	}
	return nil
}

// exportError explains a JSON error by line, without the JSON decoder's
// quotes of the input (which may be a secret).
func exportError(data []byte, file string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s:%d: not valid JSON", file, lineAt(data, syn.Offset))
	case errors.As(err, &typ):
		return fmt.Errorf("%s:%d: %s must be a %s", file, lineAt(data, typ.Offset), typ.Field, typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the JSON ends early", file)
	}
	// DisallowUnknownFields: `json: unknown field "x"` names a key, not a value.
	return fmt.Errorf("%s: %v", file, err)
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
