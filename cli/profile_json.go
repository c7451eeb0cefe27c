package cli

import (
	"encoding/base64"
	"time"

	"sesame/profiles"
	"sesame/rotate"
)

// listedProfile is a profile's settings, as `profile list --json` prints
// each and `profile show --json` starts with: never secrets. The field
// names are documented in the README and stay stable.
type listedProfile struct {
	Name     string     `json:"name"`
	Host     string     `json:"host"`
	Port     int        `json:"port"`
	User     string     `json:"user,omitempty"`
	Identity string     `json:"identity,omitempty"`
	Family   string     `json:"family"`
	Delay    string     `json:"delay"`
	Wait     string     `json:"wait"`
	Note     string     `json:"note,omitempty"`
	Forwards []string   `json:"forwards,omitempty"`
	Jump     []string   `json:"jump,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

func listed(p *profiles.Profile) listedProfile {
	lp := listedProfile{Name: p.Name, Host: p.Host, Port: p.SSHPort(), User: p.User, Identity: p.IdentityFile,
		Family: p.Family.String(), Delay: p.Delay.String(), Wait: p.Wait.String(), Note: p.Note,
		Forwards: profiles.ForwardStrings(p.Forwards), Jump: p.Jump}
	if !p.LastUsed.IsZero() {
		lp.LastUsed = &p.LastUsed
	}
	return lp
}

// shownProfile is `profile show --json`: the settings, what kind of
// secrets the profile has (whether, never what), and the secrets
// themselves only with --reveal.
type shownProfile struct {
	listedProfile
	Keepalive     string `json:"keepalive"`
	KeepaliveMax  int    `json:"keepalive_max"`
	AutoReconnect bool   `json:"auto_reconnect"`
	// Kind is "fixed", "rotating", "one-time" or "spa": how the door is
	// opened.
	Kind            string        `json:"kind"`
	Rotating        *rotatingJSON `json:"rotating,omitempty"`
	SPA             *spaJSON      `json:"spa,omitempty"`
	HasClose        bool          `json:"has_close"`
	OneTimeLeft     int           `json:"one_time_left"`
	OneTimeUsed     int           `json:"one_time_used"`
	PasswordSaved   bool          `json:"password_saved"`
	PassphraseSaved bool          `json:"passphrase_saved"`
	// SecretsMissing: the keyring has no entry for the profile.
	SecretsMissing bool `json:"secrets_missing,omitempty"`
	// Secrets are set with --reveal only.
	Secrets *revealed `json:"secrets,omitempty"`
}

// rotatingJSON are a rotating sequence's parameters (the door's
// Rotating_* settings), which are not secret; the seed is.
type rotatingJSON struct {
	Length    int    `json:"length"`
	PortMin   int    `json:"port_min"`
	PortMax   int    `json:"port_max"`
	Protocols string `json:"protocols"`
	Window    string `json:"window"`
}

// spaJSON are an SPA profile's settings (where the packet goes and what it
// asks for), which are not secret; its keys are.
type spaJSON struct {
	Port    int    `json:"port"`
	Proto   string `json:"proto"`
	Access  string `json:"access"`
	AllowIP string `json:"allow_ip,omitempty"`
	Timeout int    `json:"timeout,omitempty"`
	User    string `json:"user,omitempty"`
}

type revealed struct {
	Open       string   `json:"open,omitempty"`
	Close      string   `json:"close,omitempty"`
	Seed       string   `json:"seed,omitempty"`
	SeedURI    string   `json:"seed_uri,omitempty"`
	OneTime    []string `json:"one_time,omitempty"`
	Password   string   `json:"password,omitempty"`
	Passphrase string   `json:"passphrase,omitempty"`
	// SPAKey and SPAHMACKey are base64, as fwknop's KEY_BASE64 and
	// HMAC_KEY_BASE64.
	SPAKey     string `json:"spa_key,omitempty"`
	SPAHMACKey string `json:"spa_hmac_key,omitempty"`
}

func shown(p *profiles.Profile, missing, reveal bool) shownProfile {
	ka, kmax := p.KeepaliveSettings()
	s := p.Secrets
	out := shownProfile{listedProfile: listed(p), Keepalive: ka.String(), KeepaliveMax: kmax, AutoReconnect: p.AutoReconnect,
		Kind: "fixed", HasClose: len(s.Close) > 0, OneTimeLeft: len(s.OneTime), OneTimeUsed: s.OneTimeUsed,
		PasswordSaved: s.Password != "", PassphraseSaved: s.Passphrase != "", SecretsMissing: missing}
	switch {
	case s.Rotation != nil:
		r := s.Rotation.Params
		out.Kind = "rotating"
		out.Rotating = &rotatingJSON{Length: r.Length, PortMin: int(r.PortMin), PortMax: int(r.PortMax), Protocols: r.Protocols.String(), Window: r.Window.String()}
	case len(s.OneTime) > 0 || s.OneTimeUsed > 0:
		out.Kind = "one-time"
	}
	if sp := p.SPA; sp != nil {
		port, proto := sp.ServerPort()
		out.Kind = "spa"
		out.SPA = &spaJSON{Port: port, Proto: proto, Access: sp.AccessFor(p.SSHPort()), AllowIP: sp.AllowIP, Timeout: sp.Timeout, User: sp.User}
	}
	if reveal && !missing {
		rv := &revealed{Open: s.Open.String(), Close: s.Close.String(), Password: s.Password, Passphrase: s.Passphrase}
		if r := s.Rotation; r != nil {
			rv.Seed, rv.SeedURI = r.Seed.String(), rotate.URI(r.Seed, r.Params)
		}
		if k := s.SPA; k != nil {
			rv.SPAKey, rv.SPAHMACKey = base64.StdEncoding.EncodeToString(k.Key), base64.StdEncoding.EncodeToString(k.HMACKey)
		}
		for _, seq := range s.OneTime {
			rv.OneTime = append(rv.OneTime, seq.String())
		}
		out.Secrets = rv
	}
	return out
}
