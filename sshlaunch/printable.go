package sshlaunch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable makes text that came from the server safe to show: control
// characters other than newline and tab (escape sequences among them, which
// could redraw a terminal, retitle a window or fake a prompt) and bytes that
// are not UTF-8 each become '?', as OpenSSH does for the same text.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if !safeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if safeRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func safeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return true
	case r == utf8.RuneError:
		return false
	default:
		return !unicode.IsControl(r) && r != '\u2028' && r != '\u2029'
	}
}
