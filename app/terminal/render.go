package terminal

import (
	"image"
	"image/color"
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"

	"sesame/app/terminal/vt"
)

// renderer draws the grid into one image: per cell a background, a glyph
// from our own rasterizer, underline and strike-through; the cursor and
// the selection drawn as inverted cells. Only rows that changed since the
// last frame are drawn again. Characters the monospace font lacks are
// canvas.Text objects placed on their cells, so Fyne's font fallback draws
// them.
type renderer struct {
	t      *Terminal
	raster *canvas.Raster
	img    *image.RGBA

	face      *face
	faceFont  fyne.Resource
	facePx    float64
	scale     float32
	textSize  float32
	pal       colors
	ink       image.Uniform // the colour glyphs are drawn in
	size      fyne.Size
	snap      vt.Snapshot
	drawn     [][]vt.Cell // what each row showed last frame
	drawnKeys []rowKey
	full      bool // the next frame redraws every row

	overlays [][]*canvas.Text // per row
	objects  []fyne.CanvasObject
}

// rowKey is the per-row state other than cells that changes its pixels.
type rowKey struct {
	cursor   int // column of the cursor, -1 if not on this row
	shape    vt.CursorShape
	focused  bool
	selFrom  int // selected columns, from > to when none
	selTo    int
	reversed bool
}

func newRenderer(t *Terminal) *renderer {
	r := &renderer{t: t, scale: 1, full: true}
	r.raster = canvas.NewRaster(func(w, h int) image.Image {
		if r.img == nil {
			return image.NewRGBA(image.Rect(0, 0, 1, 1))
		}
		return r.img
	})
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.objects = []fyne.CanvasObject{r.raster}
	r.updateFace()
	return r
}

func (r *renderer) Destroy() {}

func (r *renderer) Objects() []fyne.CanvasObject { return r.objects }

// MinSize leaves room for a small grid; a terminal takes what it is given.
func (r *renderer) MinSize() fyne.Size {
	cell := r.t.cellSize()
	return fyne.NewSize(cell.Width*20, cell.Height*5)
}

func (r *renderer) Layout(size fyne.Size) {
	r.size = size
	r.raster.Resize(size)
	r.Refresh()
}

// layoutGrid fits the model to the widget: as many whole cells as fit.
func (r *renderer) layoutGrid() {
	w, h := r.pixels()
	cols, rows := max(1, w/r.face.cellW), max(1, h/r.face.cellH)
	if oc, or := r.t.vt.Size(); oc == cols && or == rows {
		return
	}
	r.t.vt.Resize(cols, rows)
	r.t.sel = selection{}
	r.t.viewTop = -1
	r.full = true
	r.t.gridResized(cols, rows)
}

func (r *renderer) pixels() (int, int) {
	return int(math.Ceil(float64(r.size.Width * r.scale))), int(math.Ceil(float64(r.size.Height * r.scale)))
}

// updateFace follows the canvas scale, the theme's text size and font.
func (r *renderer) updateFace() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(r.t); c != nil {
		r.scale = c.Scale()
	}
	th := r.t.Theme()
	r.textSize = th.Size(theme.SizeNameText)
	if z := r.t.zoom; z > 0 {
		r.textSize *= z
	}
	res := th.Font(fyne.TextStyle{Monospace: true})
	if r.t.font != nil {
		res = r.t.font
	}
	px := float64(r.textSize * r.scale)
	if r.face != nil && res == r.faceFont && px == r.facePx {
		return
	}
	f, err := newFace(res.Content(), px)
	if err != nil {
		fyne.LogError("terminal: the theme's monospace font is unusable; using the built-in one", err)
		res = theme.DefaultTextMonospaceFont()
		if f, err = newFace(res.Content(), px); err != nil {
			panic(err) // the font Fyne ships with
		}
	}
	r.face, r.faceFont, r.facePx, r.full = f, res, px, true
	r.t.cell.Store(&fyne.Size{Width: float32(f.cellW) / r.scale, Height: float32(f.cellH) / r.scale})
}

// Refresh draws a frame.
func (r *renderer) Refresh() {
	r.updateFace()
	r.layoutGrid()
	th, v := r.t.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	pal := colors{fg: rgba(th.Color(theme.ColorNameForeground, v)), bg: rgba(th.Color(theme.ColorNameBackground, v))}
	if pal != r.pal {
		r.pal, r.full = pal, true
		r.t.vt.SetDefaultColors([3]uint8{pal.fg.R, pal.fg.G, pal.fg.B}, [3]uint8{pal.bg.R, pal.bg.G, pal.bg.B})
	}
	r.t.vt.Snapshot(&r.snap, r.t.viewTop)
	r.draw()
	canvas.Refresh(r.raster)
}

func (r *renderer) draw() {
	w, h := r.pixels()
	if w <= 0 || h <= 0 {
		return
	}
	if r.img == nil || r.img.Rect.Dx() != w || r.img.Rect.Dy() != h {
		r.img = image.NewRGBA(image.Rect(0, 0, w, h))
		r.full = true
	}
	s := &r.snap
	if len(r.drawn) != s.Rows || len(r.overlays) != s.Rows {
		r.drawn = make([][]vt.Cell, s.Rows)
		r.drawnKeys = make([]rowKey, s.Rows)
		r.overlays = make([][]*canvas.Text, s.Rows)
		r.full = true
	}
	if r.full {
		fillRect(r.img, r.img.Rect, r.screenBG())
	}
	overlaysChanged := false
	for y := range s.Rows {
		key := r.rowKey(y)
		if !r.full && key == r.drawnKeys[y] && slices.Equal(r.drawn[y], s.Lines[y].Cells) {
			continue
		}
		overlaysChanged = r.drawRow(y, key) || overlaysChanged
		r.drawn[y] = append(r.drawn[y][:0], s.Lines[y].Cells...)
		r.drawnKeys[y] = key
	}
	r.full = false
	if overlaysChanged {
		r.objects = r.objects[:1]
		for _, row := range r.overlays {
			for _, o := range row {
				r.objects = append(r.objects, o)
			}
		}
	}
}

func (r *renderer) screenBG() color.RGBA {
	if r.snap.Modes.ReverseVideo {
		return r.pal.fg
	}
	return r.pal.bg
}

func (r *renderer) rowKey(y int) rowKey {
	s := &r.snap
	k := rowKey{cursor: -1, focused: r.t.focused, selFrom: 1, selTo: 0, reversed: s.Modes.ReverseVideo}
	if y == s.CursorY && s.Modes.CursorVisible {
		k.cursor, k.shape = s.CursorX, s.Modes.CursorShape
	}
	if sel := r.t.sel; sel.active {
		a, b := sel.ordered()
		line := s.Top + int64(y)
		if line >= a.Line && line <= b.Line {
			k.selFrom, k.selTo = 0, s.Cols-1
			if line == a.Line {
				k.selFrom = a.Col
			}
			if line == b.Line {
				k.selTo = b.Col
			}
		}
	}
	return k
}

// drawRow paints row y and reports whether its overlays changed.
func (r *renderer) drawRow(y int, key rowKey) bool {
	f, s := r.face, &r.snap
	cw, ch := f.cellW, f.cellH
	top := y * ch
	cells := s.Lines[y].Cells
	oldOverlays := len(r.overlays[y])
	r.overlays[y] = r.overlays[y][:0]
	fillRect(r.img, image.Rect(0, top, r.img.Rect.Dx(), top+ch), r.screenBG())

	for x := 0; x < len(cells); x++ {
		c := cells[x]
		if c.Attr&vt.WideSpacer != 0 {
			continue
		}
		width := 1
		if c.Attr&vt.Wide != 0 {
			width = 2
		}
		fg, bg := r.pal.resolve(c, s.Modes.ReverseVideo)
		if x >= key.selFrom && x <= key.selTo {
			fg, bg = bg, fg
		}
		cursorHere := x == key.cursor || width == 2 && x+1 == key.cursor
		if cursorHere && key.focused && key.shape == vt.CursorBlock {
			fg, bg = bg, fg
		}
		cell := image.Rect(x*cw, top, (x+width)*cw, top+ch)
		fillRect(r.img, cell, bg)

		if text := s.Text(c); text != " " && fg != bg {
			bold, italic := c.Attr&vt.Bold != 0, c.Attr&vt.Italic != 0
			if f.has(text) {
				if m := f.mask(text, width, bold, italic); m != nil {
					r.ink.C = fg
					drawMask(r.img, cell.Min, m, &r.ink)
				}
			} else {
				r.overlays[y] = append(r.overlays[y], r.overlay(text, x, y, fg, bold, italic))
			}
		}
		if c.Attr&vt.Underline != 0 {
			ly := top + min(f.ascent+f.line, ch-f.line)
			fillRect(r.img, image.Rect(cell.Min.X, ly, cell.Max.X, ly+f.line), fg)
		}
		if c.Attr&vt.Strike != 0 {
			ly := top + f.ascent*2/3
			fillRect(r.img, image.Rect(cell.Min.X, ly, cell.Max.X, ly+f.line), fg)
		}
		if cursorHere {
			r.drawCursor(cell, key, fg)
		}
	}
	return oldOverlays != 0 || len(r.overlays[y]) != 0
}

// drawCursor draws the shapes other than the focused block (which is the
// cell drawn inverted): a hollow box when unfocused, a bar or an underline.
func (r *renderer) drawCursor(cell image.Rectangle, key rowKey, fg color.RGBA) {
	t := 2 * r.face.line
	c := r.pal.fg
	if key.reversed {
		c = r.pal.bg
	}
	switch {
	case !key.focused:
		fillRect(r.img, image.Rect(cell.Min.X, cell.Min.Y, cell.Max.X, cell.Min.Y+1), c)
		fillRect(r.img, image.Rect(cell.Min.X, cell.Max.Y-1, cell.Max.X, cell.Max.Y), c)
		fillRect(r.img, image.Rect(cell.Min.X, cell.Min.Y, cell.Min.X+1, cell.Max.Y), c)
		fillRect(r.img, image.Rect(cell.Max.X-1, cell.Min.Y, cell.Max.X, cell.Max.Y), c)
	case key.shape == vt.CursorBar:
		fillRect(r.img, image.Rect(cell.Min.X, cell.Min.Y, cell.Min.X+t, cell.Max.Y), c)
	case key.shape == vt.CursorUnderline:
		fillRect(r.img, image.Rect(cell.Min.X, cell.Max.Y-t, cell.Max.X, cell.Max.Y), c)
	}
}

// overlay is a canvas.Text for a character our font lacks.
func (r *renderer) overlay(text string, x, y int, fg color.RGBA, bold, italic bool) *canvas.Text {
	o := canvas.NewText(text, fg)
	o.TextSize = r.textSize
	o.TextStyle = fyne.TextStyle{Bold: bold, Italic: italic}
	o.Move(fyne.NewPos(float32(x*r.face.cellW)/r.scale, float32(y*r.face.cellH)/r.scale))
	o.Resize(o.MinSize())
	return o
}

// fillRect fills rect (clipped to img) with c.
func fillRect(img *image.RGBA, rect image.Rectangle, c color.RGBA) {
	rect = rect.Intersect(img.Rect)
	if rect.Empty() {
		return
	}
	first := img.Pix[img.PixOffset(rect.Min.X, rect.Min.Y):][:4*rect.Dx()]
	for i := 0; i < len(first); i += 4 {
		first[i], first[i+1], first[i+2], first[i+3] = c.R, c.G, c.B, c.A
	}
	for y := rect.Min.Y + 1; y < rect.Max.Y; y++ {
		copy(img.Pix[img.PixOffset(rect.Min.X, y):], first)
	}
}
