package terminal

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sesame/app/terminal/internal/teststream"
	"sesame/app/terminal/vt"
)

// BenchmarkCat pushes 10 MB of coloured source through the widget in
// 32 KiB writes, as `cat` of a large file over SSH, with the real frame
// batching: Write updates the model, frames are drawn on a stand-in for
// the Fyne goroutine at most every 1/60 s. It reports MB/s, the frames
// drawn, and the longest frame (how long the window would be busy).
// Target: 10 MB in under 3 s, and no frame long enough to be noticed.
func BenchmarkCat(b *testing.B) {
	test.NewTempApp(b)
	data := teststream.Source()
	b.SetBytes(int64(len(data)))
	var (
		ui     sync.Mutex
		frames int
		worst  time.Duration
	)
	for b.Loop() {
		term := New()
		win := test.NewWindow(term)
		win.SetPadded(false)
		cell := term.cellSize()
		win.Resize(fyne.NewSize(cell.Width*120, cell.Height*40))
		term.do = func(f func()) {
			ui.Lock()
			defer ui.Unlock()
			start := time.Now()
			f()
			frames++
			worst = max(worst, time.Since(start))
		}
		for chunk := range teststream.Chunks(data) {
			term.Write(chunk)
		}
		for term.refreshPending.Load() {
			time.Sleep(time.Millisecond) // the last frame
		}
		ui.Lock()
		win.Close()
		ui.Unlock()
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "worst-frame-ms")
}

// BenchmarkFrame measures one frame in which every cell of a 120×40 screen
// of coloured text changed, drawn by our renderer and by widget.TextGrid
// with a style per cell (the alternative we measured), in the same run:
// refresh-ms is the widget's own work on the Fyne goroutine, paint-ms
// Fyne's software painter drawing the result (a stand-in for the GL
// painter, which here draws one image for us and two objects per cell for
// TextGrid).
func BenchmarkFrame(b *testing.B) {
	test.NewTempApp(b)
	const cols, rows = 120, 40
	// Eight different screens of the source, to cycle through.
	src := teststream.Source()
	var screens [][]byte
	for i := range 8 {
		lines := bytes.SplitAfter(src[i*5000:], []byte("\r\n"))[:rows]
		screens = append(screens, append([]byte("\x1b[H\x1b[2J"), bytes.Join(lines, nil)...))
	}
	perFrame := map[string]time.Duration{}
	// frame runs one frame's refresh and paint and reports their times.
	frame := func(b *testing.B, win fyne.Window, refresh func()) {
		var build, paint time.Duration
		for b.Loop() {
			start := time.Now()
			refresh()
			mid := time.Now()
			win.Canvas().Capture()
			build += mid.Sub(start)
			paint += time.Since(mid)
		}
		n := time.Duration(b.N)
		b.ReportMetric(float64(build/n)/1e6, "refresh-ms")
		b.ReportMetric(float64(paint/n)/1e6, "paint-ms")
		b.ReportMetric(float64(len(test.LaidOutObjects(win.Content()))), "objects")
		perFrame[b.Name()] = (build + paint) / n
	}

	b.Run("sesame", func(b *testing.B) {
		term := New()
		term.after = func(_ time.Duration, f func()) { f() }
		term.do = func(f func()) { f() }
		win := test.NewWindow(term)
		win.SetPadded(false)
		cell := term.cellSize()
		win.Resize(fyne.NewSize(cell.Width*cols, cell.Height*rows))
		i := 0
		frame(b, win, func() {
			term.lastRefresh.Store(0) // draw at once
			term.Write(screens[i%len(screens)])
			i++
		})
	})

	b.Run("textgrid", func(b *testing.B) {
		// The same screens as TextGrid rows with a style per cell.
		var grids [][]widget.TextGridRow
		pal := colors{fg: ansi[15], bg: ansi[0]}
		for _, s := range screens {
			m := vt.New(vt.Options{Cols: cols, Rows: rows})
			m.Write(s)
			var snap vt.Snapshot
			m.Snapshot(&snap, -1)
			grid := make([]widget.TextGridRow, rows)
			for y, l := range snap.Lines {
				for _, c := range l.Cells {
					fg, bg := pal.resolve(c, false)
					grid[y].Cells = append(grid[y].Cells, widget.TextGridCell{
						Rune:  c.Rune,
						Style: &widget.CustomTextGridStyle{FGColor: fg, BGColor: bg},
					})
				}
			}
			grids = append(grids, grid)
		}
		tg := widget.NewTextGrid()
		win := test.NewWindow(tg)
		win.SetPadded(false)
		cell := New().cellSize()
		win.Resize(fyne.NewSize(cell.Width*cols, cell.Height*rows))
		i := 0
		frame(b, win, func() {
			tg.Rows = grids[i%len(grids)]
			tg.Refresh()
			i++
		})
	})
	ours, peer := perFrame["BenchmarkFrame/sesame"], perFrame["BenchmarkFrame/textgrid"]
	if ours > 0 && peer > 0 {
		fmt.Printf("full-screen frame 120x40 (refresh + software paint): sesame %v, widget.TextGrid %v, TextGrid/sesame %.2f\n",
			ours.Round(time.Microsecond), peer.Round(time.Microsecond), float64(peer)/float64(ours))
	}
}
