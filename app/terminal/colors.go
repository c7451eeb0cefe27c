package terminal

import (
	"image/color"

	"sesame/app/terminal/vt"
)

// ansi are the 16 basic colours (Tango), chosen to read on both dark and
// light backgrounds.
var ansi = [16]color.RGBA{
	{0x2e, 0x34, 0x36, 0xff}, {0xcc, 0x00, 0x00, 0xff}, {0x4e, 0x9a, 0x06, 0xff}, {0xc4, 0xa0, 0x00, 0xff},
	{0x34, 0x65, 0xa4, 0xff}, {0x75, 0x50, 0x7b, 0xff}, {0x06, 0x98, 0x9a, 0xff}, {0xd3, 0xd7, 0xcf, 0xff},
	{0x55, 0x57, 0x53, 0xff}, {0xef, 0x29, 0x29, 0xff}, {0x8a, 0xe2, 0x34, 0xff}, {0xfc, 0xe9, 0x4f, 0xff},
	{0x72, 0x9f, 0xcf, 0xff}, {0xad, 0x7f, 0xa8, 0xff}, {0x34, 0xe2, 0xe2, 0xff}, {0xee, 0xee, 0xec, 0xff},
}

// palette returns xterm's 256-colour palette entry i: the 16 above, a
// 6×6×6 colour cube, then 24 greys.
func palette(i uint8) color.RGBA {
	switch {
	case i < 16:
		return ansi[i]
	case i < 232:
		levels := [6]uint8{0, 95, 135, 175, 215, 255}
		i -= 16
		return color.RGBA{levels[i/36], levels[i/6%6], levels[i%6], 0xff}
	default:
		g := 8 + 10*(i-232)
		return color.RGBA{g, g, g, 0xff}
	}
}

// colors turns cell colours into pixels for one theme.
type colors struct {
	fg, bg    color.RGBA // the defaults
	selection color.RGBA
}

// resolve gives the foreground and background of a cell after bold,
// faint, reverse and hidden, and after the whole screen's reverse video.
func (p colors) resolve(c vt.Cell, reverseScreen bool) (fg, bg color.RGBA) {
	dfg, dbg := p.fg, p.bg
	if reverseScreen {
		dfg, dbg = dbg, dfg
	}
	fg = p.color(c.FG, dfg, c.Attr&vt.Bold != 0)
	bg = p.color(c.BG, dbg, false)
	if c.Attr&vt.Reverse != 0 {
		fg, bg = bg, fg
	}
	if c.Attr&vt.Faint != 0 {
		fg = blend(fg, bg)
	}
	if c.Attr&vt.Hidden != 0 {
		fg = bg
	}
	return fg, bg
}

// color converts one cell colour. Bold text in one of the first eight
// colours shows in its bright variant, as xterm does.
func (p colors) color(c vt.Color, def color.RGBA, bold bool) color.RGBA {
	switch c.Kind() {
	case vt.KindIndex:
		i := c.Index()
		if bold && i < 8 {
			i += 8
		}
		return palette(i)
	case vt.KindRGB:
		r, g, b := c.RGB()
		return color.RGBA{r, g, b, 0xff}
	}
	return def
}

// blend is the colour halfway between a and b.
func blend(a, b color.RGBA) color.RGBA {
	return color.RGBA{uint8((int(a.R) + int(b.R)) / 2), uint8((int(a.G) + int(b.G)) / 2), uint8((int(a.B) + int(b.B)) / 2), 0xff}
}

func rgba(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}
