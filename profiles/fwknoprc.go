package profiles

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"sesame/spa"
)

// rcMarkers are the ~/.fwknoprc variables that tell one from a
// knockd.conf (whose keys are "Name = value", never these).
var rcMarkers = []string{"SPA_SERVER", "KEY_BASE64", "HMAC_KEY_BASE64", "KEY", "HMAC_KEY", "ACCESS", "ALLOW_IP", "USE_HMAC"}

// IsFwknoprc reports whether data looks like a ~/.fwknoprc: a line that
// starts with one of fwknop's client variables and a space.
func IsFwknoprc(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, _, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			name, _, ok = strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		}
		name = strings.TrimSuffix(name, ":")
		for _, m := range rcMarkers {
			if ok && name == m {
				return true
			}
		}
	}
	return false
}

// FromFwknoprc turns the stanzas of a ~/.fwknoprc into SPA profiles, one
// per named stanza, each with [default]'s variables under its own, as
// fwknop -n NAME reads them:
//
//   - SPA_SERVER is the host (host when it has none), SPA_SERVER_PORT and
//     SPA_SERVER_PROTO where the packet goes;
//   - ACCESS the ports it opens (a single tcp port is the SSH port too);
//   - ALLOW_IP the address it asks for ("source" and fwknop's -s alike);
//   - FW_TIMEOUT and SPOOF_USER the timeout and user name it asks with;
//   - KEY_BASE64 (or KEY) and HMAC_KEY_BASE64 (or HMAC_KEY), with
//     HMAC_DIGEST_TYPE and ENCRYPTION_MODE, the keys.
//
// Stanzas that cannot become a profile (GPG keys, no HMAC key, a NAT
// request) are returned in skipped, with why; nothing says a key.
func FromFwknoprc(stanzas []spa.RCStanza, file, host string) (offered []Imported, skipped []Skipped) {
	for _, st := range stanzas {
		if strings.EqualFold(st.Name, "default") {
			continue
		}
		merged, err := spa.Stanza(stanzas, st.Name)
		if err != nil {
			skipped = append(skipped, Skipped{Name: st.Name, Reason: err.Error()})
			continue
		}
		p, warnings, err := rcProfile(merged, host)
		if err != nil {
			skipped = append(skipped, Skipped{Name: st.Name, Reason: err.Error()})
			continue
		}
		if err := p.Validate(); err != nil {
			skipped = append(skipped, Skipped{Name: st.Name, Reason: strings.ReplaceAll(err.Error(), "\n", "; ")})
			continue
		}
		offered = append(offered, Imported{Profile: p, From: fmt.Sprintf("stanza [%s] of %s", st.Name, file),
			Warnings: warnings, Doors: []string{st.Name}})
	}
	return offered, skipped
}

// rcProfile is the profile of one merged stanza.
func rcProfile(st spa.RCStanza, host string) (*Profile, []string, error) {
	get := func(name string) string { v, _ := st.Get(name); return v }
	if yes(get("USE_GPG")) {
		return nil, nil, fmt.Errorf("it uses GPG keys (USE_GPG), which Sesame does not: make Rijndael keys with fwknop --key-gen")
	}
	for _, name := range []string{"NAT_ACCESS", "SPOOF_SOURCE_IP", "NAT_LOCAL", "NAT_RAND_PORT", "RAND_PORT"} {
		v, ok := st.Get(name)
		if ok && (name == "NAT_ACCESS" || name == "SPOOF_SOURCE_IP" || yes(v)) {
			return nil, nil, fmt.Errorf("it uses %s, which Sesame does not send: use fwknop for this server", name)
		}
	}
	p := &Profile{Name: st.Name, Host: get("SPA_SERVER"), SPA: &SPA{}}
	if p.Host == "" {
		if host == "" {
			return nil, nil, fmt.Errorf("it has no SPA_SERVER: add one, or give the host")
		}
		p.Host = host
	}
	var warnings []string
	if v := get("SPA_SERVER_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return nil, nil, fmt.Errorf("SPA_SERVER_PORT %q is not a port from 1 to 65535", v)
		}
		if n != DefaultSPAPort {
			p.SPA.Port = n
		}
	}
	if v := strings.ToLower(get("SPA_SERVER_PROTO")); v != "" && v != DefaultSPAProto {
		if v != "tcp" {
			return nil, nil, fmt.Errorf("SPA_SERVER_PROTO %s: Sesame sends SPA over udp or tcp", v)
		}
		p.SPA.Proto = v
	}
	if v := get("ACCESS"); v != "" {
		if err := CheckSPAAccess(v); err != nil {
			return nil, nil, fmt.Errorf("ACCESS: %v", err)
		}
		p.SPA.Access = v
		// A single tcp port is the SSH port the door opens.
		if proto, port, _ := strings.Cut(v, "/"); proto == "tcp" && !strings.Contains(v, ",") {
			p.Port, _ = strconv.Atoi(port)
			if p.Port == 22 {
				p.Port = 0
			}
			p.SPA.Access = ""
		}
	}
	switch v := get("ALLOW_IP"); {
	case v == "":
	case strings.EqualFold(v, "source") || v == "0.0.0.0":
		p.SPA.AllowIP = AllowSource
	case strings.EqualFold(v, "resolve"):
		p.SPA.AllowIP = AllowSource
		warnings = append(warnings, "ALLOW_IP resolve asks a web service for this computer's address, which Sesame does not: it asks the server to use the address it sees (source)")
	default:
		if _, err := netip.ParseAddr(v); err != nil {
			return nil, nil, fmt.Errorf("ALLOW_IP %q is not an address, source or resolve", v)
		}
		p.SPA.AllowIP = v
	}
	if v := get("FW_TIMEOUT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("FW_TIMEOUT %q is not a number of seconds", v)
		}
		p.SPA.Timeout = n
	}
	p.SPA.User = get("SPOOF_USER")
	keys, err := st.Keys()
	if err != nil {
		return nil, nil, err
	}
	if len(keys.HMACKey) == 0 {
		return nil, nil, fmt.Errorf("it has no HMAC key (HMAC_KEY_BASE64): Sesame sends only authenticated packets; add the server's HMAC key, or make new keys with fwknop --key-gen")
	}
	p.Secrets.SPA = &SPAKeys{Key: keys.Key, HMACKey: keys.HMACKey, HMAC: keys.HMAC, Mode: keys.Mode}
	return p, warnings, nil
}

// yes is fwknop's is_yes_str: a value that starts with y or Y.
func yes(v string) bool { return strings.HasPrefix(strings.ToLower(v), "y") }
