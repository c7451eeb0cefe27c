package vt

// Color is a cell colour: the terminal default, one of the 256 palette
// entries, or a 24-bit RGB value. The kinds live in separate ranges, so a
// truecolor value never collides with a palette index.
type Color uint32

// ColorKind says how to read a Color.
type ColorKind uint8

const (
	KindDefault ColorKind = iota // the theme's foreground or background
	KindIndex                    // palette index 0–255 (0–15 are the ANSI colours)
	KindRGB                      // 24-bit truecolor
)

// DefaultColor is the zero Color: the theme's foreground or background.
const DefaultColor Color = 0

const (
	kindShift = 24
	indexBit  = Color(KindIndex) << kindShift
	rgbBit    = Color(KindRGB) << kindShift
)

// IndexColor returns palette entry i.
func IndexColor(i uint8) Color { return indexBit | Color(i) }

// RGBColor returns a truecolor value.
func RGBColor(r, g, b uint8) Color {
	return rgbBit | Color(r)<<16 | Color(g)<<8 | Color(b)
}

// Kind reports whether c is the default, a palette index or RGB.
func (c Color) Kind() ColorKind { return ColorKind(c >> kindShift) }

// Index is the palette index of a KindIndex colour.
func (c Color) Index() uint8 { return uint8(c) }

// RGB is the red, green and blue of a KindRGB colour.
func (c Color) RGB() (r, g, b uint8) { return uint8(c >> 16), uint8(c >> 8), uint8(c) }

// Attr is a set of cell attributes (SGR) and layout flags.
type Attr uint16

const (
	Bold Attr = 1 << iota
	Faint
	Italic
	Underline
	Blink
	Reverse
	Hidden
	Strike
	// Wide marks the left cell of a character two columns wide; the cell to
	// its right is a WideSpacer that shows nothing of its own.
	Wide
	WideSpacer

	// wrapPad marks the blank left at the right margin when a wide character
	// wrapped to the next line; reflow and copy skip it.
	wrapPad
)

// sgrMask is what SGR sets; the rest are layout flags.
const sgrMask = Bold | Faint | Italic | Underline | Blink | Reverse | Hidden | Strike

// Cell is one character cell. Rune is ' ' for a blank. A cell that holds a
// base character with combining marks has a Rune outside the Unicode range
// (see clusterBase); resolve it with Snapshot.Text or Terminal.CellText.
type Cell struct {
	Rune   rune
	FG, BG Color
	Attr   Attr
}

// Line is one row of cells. Wrapped means the text continues on the next
// line (the cursor wrapped at the right margin), which is what reflow on
// resize and copying a selection follow.
type Line struct {
	Cells   []Cell
	Wrapped bool
	// ext bounds what was written: every cell from ext on is a default
	// blank. It spares scanning and clearing whole lines when most are
	// short, as in the output of `yes` or `cat`.
	ext int
}

// touch records that cells up to end may hold something.
func (l *Line) touch(end int) {
	if end > l.ext {
		l.ext = min(end, len(l.Cells))
	}
}

// content is the length of l without trailing blanks.
func (l *Line) content() int { return contentLen(l.Cells[:l.ext]) }

// blank reports whether c shows nothing: a space on the default background
// with no attribute that draws on a blank, and not half of a wide character.
func (c Cell) blank() bool {
	return c.Rune == ' ' && c.BG == DefaultColor && c.Attr&(Reverse|Underline|Strike|WideSpacer) == 0
}

// contentLen is the length of l without trailing blank cells.
func contentLen(cells []Cell) int {
	n := len(cells)
	for n > 0 && cells[n-1].blank() {
		n--
	}
	return n
}
