package profiles

import (
	"fmt"
	"strings"
	"unicode"

	"sesame/knocker"
)

// aliasSpecial are the characters an ssh_config Host line reads as
// something else than a name: pattern characters, negation, list and
// quoting, a comment, and the @ of user@host on ssh's command line.
const aliasSpecial = `*?!,"'#@%`

// ValidateAlias checks a name for a new profile: on top of ValidateName,
// it must be what an ssh Host alias can be (sesame ssh-config writes it as
// one, and `ssh NAME` must find it): no spaces, slashes, control
// characters, or ssh_config's special characters. Unicode letters are
// fine. Profiles named before this rule keep working, so the store itself
// holds names only to ValidateName; the command line holds new names and
// renames to this. The error names a valid suggestion.
func ValidateAlias(name string) error {
	if why := aliasProblem(name); why != "" && name != "" {
		return &FieldError{"name", fmt.Sprintf("%q %s, so it cannot be an ssh Host alias: use %q", name, why, SuggestName(name))}
	}
	return ValidateName(name)
}

// IsAlias reports whether name can be an ssh Host alias.
func IsAlias(name string) bool { return ValidateAlias(name) == nil }

func aliasProblem(name string) string {
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			return "has a space"
		case unicode.IsControl(r) || !unicode.IsPrint(r):
			return "has a control character"
		case r == '/' || r == '\\':
			return "has a slash"
		case strings.ContainsRune(aliasSpecial, r):
			return fmt.Sprintf("has %q, which ssh_config reads specially", r)
		}
	}
	return ""
}

// SuggestName turns name into one ValidateAlias accepts: each run of
// characters an alias cannot have becomes one "-".
func SuggestName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		bad := unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) ||
			r == '/' || r == '\\' || strings.ContainsRune(aliasSpecial, r)
		if bad {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	s := strings.TrimLeft(b.String(), "-")
	for len(s) > MaxNameLen {
		s = s[:len(s)-1]
		for len(s) > 0 && !utf8Start(s[len(s)-1]) {
			s = s[:len(s)-1]
		}
		s = strings.TrimRight(s, "-")
	}
	if _, err := knocker.ParseArgs([]string{s}); err == nil || s == "" {
		s = "host-" + s
	}
	return strings.TrimRight(s, "-")
}

// utf8Start reports whether b begins a UTF-8 sequence, so that cutting a
// name never splits a rune.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
