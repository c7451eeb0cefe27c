package app

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// contrast is WCAG's contrast ratio of two colours (1 to 21).
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, bl, _ := c.RGBA()
		ch := func(v uint32) float64 {
			s := float64(v) / 0xffff
			if s <= 0.03928 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(bl)
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Hints and other low-importance labels, drawn in the disabled colour,
// are readable on the window and on dialogs, light and dark: WCAG's 4.5:1
// for text; and disabled still differs from the normal text colour.
func TestHintsAreReadable(t *testing.T) {
	th := quietTheme{theme.DefaultTheme()}
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		hint := th.Color(theme.ColorNameDisabled, v)
		for _, bg := range []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameOverlayBackground} {
			if c := contrast(hint, th.Color(bg, v)); c < 4.5 {
				t.Errorf("variant %d: hints on %s have a contrast of %.2f:1, want at least 4.5:1", v, bg, c)
			}
		}
		if c := contrast(hint, th.Color(theme.ColorNameForeground, v)); c < 1.3 {
			t.Errorf("variant %d: disabled text is hardly apart from normal text (%.2f:1)", v, c)
		}
	}
}
