package terminal

import "testing"

// Zooming draws bigger or smaller cells: the grid in the same window gets
// fewer or more of them, the program hears the new size, and zoom 1 is
// the theme's size again.
func TestZoomChangesCellsAndGrid(t *testing.T) {
	h := newHarness(t, 80, 24)
	base := h.term.cellSize()
	for _, tc := range []struct {
		zoom       float32
		bigger     bool
		cols, rows int
	}{
		{zoom: 2, bigger: true},
		{zoom: 0.5},
		{zoom: 1, cols: 80, rows: 24},
	} {
		h.sizes = nil
		h.term.SetZoom(tc.zoom)
		cell := h.term.cellSize()
		cols, rows := h.term.GridSize()
		switch {
		case tc.cols != 0:
			if cell != base || cols != tc.cols || rows != tc.rows {
				t.Errorf("zoom %v: cell %v and grid %dx%d, want the theme's %v and %dx%d", tc.zoom, cell, cols, rows, base, tc.cols, tc.rows)
			}
		case tc.bigger:
			if cell.Height <= base.Height || cols >= 80 || rows >= 24 {
				t.Errorf("zoom %v: cell %v and grid %dx%d, want bigger cells than %v and a smaller grid", tc.zoom, cell, cols, rows, base)
			}
		default:
			if cell.Height >= base.Height || cols <= 80 || rows <= 24 {
				t.Errorf("zoom %v: cell %v and grid %dx%d, want smaller cells than %v and a larger grid", tc.zoom, cell, cols, rows, base)
			}
		}
		if len(h.sizes) != 1 || h.sizes[0] != [2]int{cols, rows} {
			t.Errorf("zoom %v: OnResize heard %v, want once %dx%d", tc.zoom, h.sizes, cols, rows)
		}
	}
}
