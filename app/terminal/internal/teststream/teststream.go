// Package teststream makes the output streams the terminal benchmarks
// feed: what cat, yes, a full-screen program and non-Latin text print.
package teststream

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Size is the length of each stream: the 10 MB of the `cat` target.
const Size = 10 << 20

// source is a piece of Go to colour.
const source = `// Package example shows what a highlighted file looks like.
package example

import (
	"fmt"
	"strings"
)

// Greeter says hello in several ways.
type Greeter struct {
	Name  string
	Times int
}

func (g Greeter) Greet(w fmt.Stringer) string {
	var b strings.Builder
	for i := range g.Times {
		if i%2 == 0 {
			fmt.Fprintf(&b, "hello, %s (%d)\n", g.Name, i)
		} else {
			b.WriteString("and again: " + w.String())
		}
	}
	switch n := len(g.Name); {
	case n > 10:
		return "long name"
	default:
		return b.String()
	}
}
`

var (
	keywords = regexp.MustCompile(`\b(func|return|if|else|for|range|switch|case|var|const|type|struct|package|import|default)\b`)
	strs     = regexp.MustCompile(`"[^"\n]*"`)
	comments = regexp.MustCompile(`//[^\n]*`)
)

// Source is Go with syntax colours and numbered lines, as bat or less -R
// print a highlighted file: 256-colour keywords, truecolor strings, italic
// comments.
func Source() []byte {
	s := comments.ReplaceAllString(source, "\x1b[3;38;5;242m$0\x1b[0m")
	s = strs.ReplaceAllString(s, "\x1b[38;2;230;219;116m$0\x1b[0m")
	s = keywords.ReplaceAllString(s, "\x1b[1;38;5;204m$0\x1b[0m")
	lines := strings.Split(s, "\n")
	var out bytes.Buffer
	for n := 1; out.Len() < Size; n++ {
		fmt.Fprintf(&out, "\x1b[38;5;240m%6d\x1b[0m %s\r\n", n, lines[n%len(lines)])
	}
	return out.Bytes()[:Size]
}

// Yes is what yes(1) prints through a pty.
func Yes() []byte { return bytes.Repeat([]byte("y\r\n"), Size/3) }

// Unicode is text in several scripts, wide characters, a combining mark
// and an emoji.
func Unicode() []byte {
	unit := []byte("日本語のテキスト e\u0301 🙂 Ελληνικά кириллица\r\n")
	return bytes.Repeat(unit, Size/len(unit))
}

// Fullscreen is what htop or vim send to a 120×40 screen: cursor
// addressing, colours, erases and short runs of text, frame after frame.
func Fullscreen() []byte {
	var out bytes.Buffer
	for frame := 0; out.Len() < Size; frame++ {
		out.WriteString("\x1b[?2026h\x1b[H")
		for y := 1; y <= 40; y++ {
			fmt.Fprintf(&out, "\x1b[%d;1H\x1b[48;5;%dm\x1b[38;2;%d;%d;200m%3d%%\x1b[0m [", y, 16+y, y*6, frame%256, (frame+y)%100)
			n := (frame * y) % 60
			out.WriteString(strings.Repeat("|", n))
			fmt.Fprintf(&out, "\x1b[%dX\x1b[1;%dH]\x1b[K", 60-n, 66)
		}
		out.WriteString("\x1b[?2026l")
	}
	return out.Bytes()
}

// Chunks yields data in 32 KiB pieces, as an SSH channel delivers it.
func Chunks(data []byte) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			n := min(len(data), 32<<10)
			if !yield(data[:n]) {
				return
			}
			data = data[n:]
		}
	}
}
