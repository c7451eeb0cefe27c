//go:build sesame_testhook

package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// shownTexts is every text drawn in the window, on the content (layer 0)
// and on each overlay above it (dialogs, menus, layer 1 and up), with its
// place in window pixels: what a test driving the real window finds a
// button or a menu item by, and checks a dialog by. Texts scrolled out of
// sight are left out.
func shownTexts(c fyne.Canvas) []hookText {
	var out []hookText
	scale := c.Scale()
	for i, root := range layers(c) {
		walkShown(root, fyne.NewPos(0, 0), fullClip(), func(o fyne.CanvasObject, pos fyne.Position) {
			if t, ok := o.(*canvas.Text); ok && t.Text != "" {
				out = append(out, hookText{Layer: i, Text: t.Text, Rect: rectAt(pos, t.Size(), scale)})
			}
		})
	}
	return out
}

// overlayButton is where the button labelled text is on the topmost
// overlay (a dialog) that has one, in window pixels; zero when none shows.
func overlayButton(c fyne.Canvas, text string) [4]float32 {
	ls := layers(c)
	for i := len(ls) - 1; i > 0; i-- {
		var r [4]float32
		walkShown(ls[i], fyne.NewPos(0, 0), fullClip(), func(o fyne.CanvasObject, pos fyne.Position) {
			if b, ok := o.(*widget.Button); ok && b.Text == text && r[2] == 0 {
				r = rectAt(pos, b.Size(), c.Scale())
			}
		})
		if r[2] > 0 {
			return r
		}
	}
	return [4]float32{}
}

// layers are the window's content and the overlays above it, bottom up.
func layers(c fyne.Canvas) []fyne.CanvasObject {
	return append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...)
}

// rectAt is x, y, width, height in window pixels of an object at pos.
func rectAt(pos fyne.Position, sz fyne.Size, scale float32) [4]float32 {
	return [4]float32{pos.X * scale, pos.Y * scale, sz.Width * scale, sz.Height * scale}
}

// redact replaces the texts that hold one of secrets by "[secret]".
func redact(texts []hookText, secrets []string) []hookText {
	for i, tx := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(tx.Text, s) {
				texts[i].Text = "[secret]"
			}
		}
	}
	return texts
}

// clip is the part of the window a scroll container lets show.
type clip struct{ min, max fyne.Position }

func fullClip() clip { return clip{fyne.NewPos(-1e9, -1e9), fyne.NewPos(1e9, 1e9)} }

func (c clip) within(p fyne.Position, sz fyne.Size) clip {
	return clip{
		fyne.NewPos(max(c.min.X, p.X), max(c.min.Y, p.Y)),
		fyne.NewPos(min(c.max.X, p.X+sz.Width), min(c.max.Y, p.Y+sz.Height)),
	}
}

func (c clip) shows(p fyne.Position, sz fyne.Size) bool {
	x, y := p.X+sz.Width/2, p.Y+sz.Height/2
	return x >= c.min.X && x <= c.max.X && y >= c.min.Y && y <= c.max.Y
}

// walkShown calls found for each visible object under o (within the
// scroll containers' views), whose parent is at offset in the window.
func walkShown(o fyne.CanvasObject, offset fyne.Position, cl clip, found func(fyne.CanvasObject, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	pos := offset.Add(o.Position())
	if cl.shows(pos, o.Size()) {
		found(o, pos)
	}
	var children []fyne.CanvasObject
	switch w := o.(type) {
	case *fyne.Container:
		children = w.Objects
	case fyne.Widget:
		if _, ok := w.(*container.Scroll); ok {
			cl = cl.within(pos, w.Size())
		}
		// The renderer the driver already made and laid out: Fyne's test
		// package is the one public way to it (its init makes a test app,
		// which the real one replaces when main makes it; only binaries
		// built with the hook's tag link it).
		children = test.WidgetRenderer(w).Objects()
	}
	for _, c := range children {
		walkShown(c, pos, cl, found)
	}
}
