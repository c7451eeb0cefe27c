package vt

import (
	"fmt"
	"testing"

	"github.com/hinshun/vt10x"

	"sesame/app/terminal/internal/teststream"
)

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
		{"source", teststream.Source()},
		{"yes", teststream.Yes()},
		{"unicode", teststream.Unicode()},
		{"fullscreen", teststream.Fullscreen()},
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
			for chunk := range teststream.Chunks(data) {
				term.Write(chunk)
			}
		})
		run("vt10x", func(data []byte) {
			term := vt10x.New(vt10x.WithSize(120, 40))
			var carry []byte
			for chunk := range teststream.Chunks(data) {
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
	term.Write(teststream.Source()[:4<<20])
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
	term.Write(teststream.Source()[:1<<20])
	var s Snapshot
	b.ReportAllocs()
	for b.Loop() {
		term.Snapshot(&s, -1)
	}
}
