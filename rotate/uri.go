package rotate

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// URIScheme starts a seed URI.
const URIScheme = "sesame://rotating"

// URI is a seed and its parameters in one line, for copying a rotating
// sequence to another device (the app shows it as a QR code; `sesame
// profile add --seed` takes it):
//
//	sesame://rotating?seed=BASE32&length=4&ports=10000-60000&protocols=tcp&window=30
//
// It holds the seed: it is as secret as the seed.
func URI(seed Seed, p Params) string {
	return fmt.Sprintf("%s?seed=%s&length=%d&ports=%d-%d&protocols=%s&window=%d",
		URIScheme, seed, p.Length, p.PortMin, p.PortMax, p.Protocols, int(p.Window/time.Second))
}

// IsURI reports whether s looks like a seed URI rather than a bare seed.
func IsURI(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), URIScheme)
}

// ParseURI reads a seed URI. Parameters left out take their defaults.
// Errors never quote the URI: it holds the seed.
func ParseURI(s string) (Seed, Params, error) {
	s = strings.TrimSpace(s)
	if !IsURI(s) {
		return nil, Params{}, fmt.Errorf("not a seed URI: it starts with %s", URIScheme)
	}
	q, err := url.ParseQuery(s[strings.IndexByte(s+"?", '?')+1:])
	if err != nil {
		return nil, Params{}, errors.New("the seed URI's parameters cannot be read")
	}
	seed, err := ParseSeed(q.Get("seed"))
	if err != nil {
		return nil, Params{}, fmt.Errorf("the seed URI's seed: %w", err)
	}
	p := DefaultParams()
	if v := q.Get("length"); v != "" {
		if p.Length, err = strconv.Atoi(v); err != nil {
			return nil, Params{}, fmt.Errorf("the seed URI's length %q is not a number", v)
		}
	}
	if v := q.Get("ports"); v != "" {
		if p.PortMin, p.PortMax, err = ParsePortRange(v); err != nil {
			return nil, Params{}, err
		}
	}
	if v := q.Get("protocols"); v != "" {
		if p.Protocols, err = ParseProtocols(v); err != nil {
			return nil, Params{}, err
		}
	}
	if v := q.Get("window"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, Params{}, fmt.Errorf("the seed URI's window %q is not a number of seconds", v)
		}
		p.Window = time.Duration(n) * time.Second
	}
	if err := p.Validate(); err != nil {
		return nil, Params{}, err
	}
	return seed, p, nil
}

// ParseSeedOrURI reads a seed as a person pastes it: the door's seed in
// base32, or a seed URI from another device, which brings the door's
// parameters along (params is nil for a bare seed). The CLI's --seed and
// the app's seed field both read it here. Errors never quote the text.
func ParseSeedOrURI(text string) (seed Seed, params *Params, err error) {
	if IsURI(text) {
		seed, p, err := ParseURI(text)
		if err != nil {
			return nil, nil, err
		}
		return seed, &p, nil
	}
	if seed, err = ParseSeed(text); err != nil {
		return nil, nil, fmt.Errorf("%w: give the door's seed, or a %s URI", err, URIScheme)
	}
	return seed, nil, nil
}
