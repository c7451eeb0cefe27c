package terminal

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// face rasterizes the theme's monospace font into cell-sized alpha masks.
// Drawing our own glyphs keeps every character on the cell grid and keeps
// the cost of a frame independent of what is on screen: one image, no
// texture per run of text. Characters the font lacks (CJK, emoji) are left
// to canvas.Text, which falls back to other fonts.
type face struct {
	font   *sfnt.Font
	buf    sfnt.Buffer
	ppem   fixed.Int26_6
	cellW  int // pixels
	cellH  int
	ascent int // baseline from the top of the cell
	line   int // underline thickness
	masks  map[glyphKey]*image.Alpha
	raster vector.Rasterizer
}

type glyphKey struct {
	text         string
	width        int // cells
	bold, italic bool
}

const maxCachedGlyphs = 4096

// newFace loads an OpenType or TrueType font at px pixels per em.
func newFace(ttf []byte, px float64) (*face, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("terminal font: %w", err)
	}
	fc := &face{font: f, ppem: fixed.Int26_6(math.Round(px * 64)), masks: map[glyphKey]*image.Alpha{}}
	m, err := f.Metrics(&fc.buf, fc.ppem, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("terminal font metrics: %w", err)
	}
	idx, err := f.GlyphIndex(&fc.buf, 'M')
	if err != nil || idx == 0 {
		return nil, fmt.Errorf("terminal font has no M: %v", err)
	}
	adv, err := f.GlyphAdvance(&fc.buf, idx, fc.ppem, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("terminal font advance: %w", err)
	}
	fc.cellW = max(1, int(math.Round(float64(adv)/64)))
	fc.ascent = int(math.Ceil(float64(m.Ascent) / 64))
	fc.cellH = max(1, fc.ascent+int(math.Ceil(float64(m.Descent)/64)))
	fc.line = max(1, int(math.Round(px/14)))
	return fc, nil
}

// has reports whether the font draws every character of text.
func (f *face) has(text string) bool {
	for _, r := range text {
		if i, err := f.font.GlyphIndex(&f.buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// mask returns the coverage of text drawn in a box width cells wide, or nil
// for a blank. Masks are cached; the cache is dropped when it grows large.
func (f *face) mask(text string, width int, bold, italic bool) *image.Alpha {
	if text == " " {
		return nil
	}
	key := glyphKey{text, width, bold, italic}
	if m, ok := f.masks[key]; ok {
		return m
	}
	if len(f.masks) >= maxCachedGlyphs {
		clear(f.masks)
	}
	m := f.render(text, width, bold, italic)
	f.masks[key] = m
	return m
}

func (f *face) render(text string, width int, bold, italic bool) *image.Alpha {
	w, h := f.cellW*width, f.cellH
	f.raster.Reset(w, h)
	baseX, baseAdv := float32(0), float32(0)
	for i, r := range []rune(text) {
		idx, err := f.font.GlyphIndex(&f.buf, r)
		if err != nil || idx == 0 {
			continue
		}
		adv, _ := f.font.GlyphAdvance(&f.buf, idx, f.ppem, font.HintingNone)
		segs, err := f.font.LoadGlyph(&f.buf, idx, f.ppem, nil)
		if err != nil {
			continue
		}
		ox := baseX
		if i == 0 {
			// Centre the character in its box (a wide character in a
			// monospace font is narrower than two cells).
			baseAdv = float32(adv) / 64
			baseX = (float32(w) - baseAdv) / 2
			ox = baseX
		} else if adv == 0 {
			ox = baseX + baseAdv // a zero-width mark sits over what precedes it
		}
		f.addOutline(segs, ox, float32(f.ascent), italic)
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	f.raster.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	if bold {
		embolden(m, max(1, f.cellW/8))
	}
	return m
}

// addOutline feeds glyph segments (origin on the baseline, y down) to the
// rasterizer at ox, oy; italic slants them by 12°.
func (f *face) addOutline(segs sfnt.Segments, ox, oy float32, italic bool) {
	const slant = 0.21
	pt := func(p fixed.Point26_6) (float32, float32) {
		x, y := float32(p.X)/64, float32(p.Y)/64
		if italic {
			x -= y * slant
		}
		return ox + x, oy + y
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			f.raster.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			f.raster.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			f.raster.QuadTo(bx, by, cx, cy)
		case sfnt.SegmentOpCubeTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			dx, dy := pt(s.Args[2])
			f.raster.CubeTo(bx, by, cx, cy, dx, dy)
		}
	}
	f.raster.ClosePath()
}

// embolden thickens strokes by smearing coverage n pixels to the right.
func embolden(m *image.Alpha, n int) {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := m.Pix[(y-b.Min.Y)*m.Stride:][:b.Dx()]
		for x := len(row) - 1; x > 0; x-- {
			for k := 1; k <= n && x-k >= 0; k++ {
				row[x] = max(row[x], row[x-k])
			}
		}
	}
}

// drawMask paints colour c through mask m at p.
func drawMask(dst *image.RGBA, p image.Point, m *image.Alpha, c *image.Uniform) {
	r := image.Rectangle{Min: p, Max: p.Add(m.Bounds().Size())}
	draw.DrawMask(dst, r, c, image.Point{}, m, image.Point{}, draw.Over)
}
