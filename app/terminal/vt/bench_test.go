package vt

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hinshun/vt10x"
)

const benchSize = 10 << 20 // 10 MB per stream, as in the `cat` target

// BenchmarkThroughput measures how fast the model takes output, in MB/s
// (b.SetBytes), on 10 MB streams fed in 32 KiB writes as an SSH channel
// delivers them, and the same streams through hinshun/vt10x, the parser we
// would otherwise use, measured in the same run. Target: a 10 MB `cat` in
// well under the 3 s the app allows (i.e. far above 3.3 MB/s).
func BenchmarkThroughput(b *testing.B) {
	streams := []struct {
		name string
		data []byte
	}{
		{"source", colouredSource(b)},
		{"yes", bytes.Repeat([]byte("y\r\n"), benchSize/3)},
		{"unicode", repeatTo([]byte("日本語のテキスト e\u0301 🙂 Ελληνικά кириллица\r\n"))},
		{"fullscreen", fullscreenRedraws()},
	}
	for _, s := range streams {
		mbps := map[string]float64{}
		run := func(name string, write func([]byte)) {
			b.Run(s.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(s.data)))
				b.ReportAllocs()
				for b.Loop() {
					write(s.data)
				}
				mbps[name] = float64(len(s.data)) * float64(b.N) / b.Elapsed().Seconds() / 1e6
			})
		}
		run("sesame", func(data []byte) {
			term := New(Options{Cols: 120, Rows: 40, Reply: func([]byte) {}})
			for chunk := range chunks(data) {
				term.Write(chunk)
			}
		})
		run("vt10x", func(data []byte) {
			term := vt10x.New(vt10x.WithSize(120, 40))
			var carry []byte
			for chunk := range chunks(data) {
				// vt10x stops short at a character cut by the chunk.
				buf := append(carry, chunk...)
				n, _ := term.Write(buf)
				carry = append(carry[:0:0], buf[n:]...)
			}
		})
		if mbps["vt10x"] > 0 {
			fmt.Printf("throughput %-10s sesame %7.1f MB/s  vt10x %7.1f MB/s  ratio %.2f\n",
				s.name, mbps["sesame"], mbps["vt10x"], mbps["sesame"]/mbps["vt10x"])
		}
	}
}

// BenchmarkResize measures a reflow of a full scrollback, which happens on
// every step of a window drag.
func BenchmarkResize(b *testing.B) {
	term := New(Options{Cols: 120, Rows: 40})
	term.Write(colouredSource(b)[:4<<20])
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		term.Resize(100+i%2*20, 40)
		i++
	}
}

// BenchmarkSnapshot measures what a frame costs the model: copying the
// visible cells out under the lock.
func BenchmarkSnapshot(b *testing.B) {
	term := New(Options{Cols: 200, Rows: 60})
	term.Write(colouredSource(b)[:1<<20])
	var s Snapshot
	b.ReportAllocs()
	for b.Loop() {
		term.Snapshot(&s, -1)
	}
}

func chunks(data []byte) func(func([]byte) bool) {
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

func repeatTo(unit []byte) []byte {
	return bytes.Repeat(unit, benchSize/len(unit))
}

var (
	keywords = regexp.MustCompile(`\b(func|return|if|else|for|range|switch|case|var|const|type|struct|package|import)\b`)
	strs     = regexp.MustCompile(`"[^"\n]*"`)
	comments = regexp.MustCompile(`//[^\n]*`)
)

// colouredSource is this package's Go source with syntax colours, as `bat`
// or `less -R` on a highlighted file would print it: 256-colour keywords,
// truecolor strings, italic comments, numbered lines.
func colouredSource(b testing.TB) []byte {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		b.Fatalf("no source to colour: %v", err)
	}
	var src []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		src = append(src, data...)
	}
	s := string(src)
	s = comments.ReplaceAllString(s, "\x1b[3;38;5;242m$0\x1b[0m")
	s = strs.ReplaceAllString(s, "\x1b[38;2;230;219;116m$0\x1b[0m")
	s = keywords.ReplaceAllString(s, "\x1b[1;38;5;204m$0\x1b[0m")
	var out bytes.Buffer
	for n := 1; out.Len() < benchSize; n++ {
		for i, line := range strings.Split(s, "\n") {
			fmt.Fprintf(&out, "\x1b[38;5;240m%5d\x1b[0m %s\r\n", n*10000+i, line)
		}
	}
	return out.Bytes()[:benchSize]
}

// fullscreenRedraws is what htop or vim send: cursor addressing, colours,
// erases and short runs of text all over a 120x40 screen.
func fullscreenRedraws() []byte {
	var out bytes.Buffer
	for frame := 0; out.Len() < benchSize; frame++ {
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
