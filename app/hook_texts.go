//go:build sesame_testhook

package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// shownTexts is every text drawn in the window, on the content (layer 0)
// and on each overlay above it (dialogs, menus, layer 1 and up), with its
// place in window pixels: what a test driving the real window finds a
// button or a menu item by, and checks a dialog by. Texts scrolled out of
// sight are left out.
func shownTexts(c fyne.Canvas) []hookText {
	var out []hookText
	scale := c.Scale()
	layers := append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...)
	for i, root := range layers {
		walkShown(root, fyne.NewPos(0, 0), fullClip(), func(t *canvas.Text, pos fyne.Position) {
			if t.Text == "" {
				return
			}
			sz := t.Size()
			out = append(out, hookText{Layer: i, Text: t.Text,
				Rect: [4]float32{pos.X * scale, pos.Y * scale, sz.Width * scale, sz.Height * scale}})
		})
	}
	return out
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

// walkShown calls found for each visible text under o, whose parent is at
// offset in the window.
func walkShown(o fyne.CanvasObject, offset fyne.Position, cl clip, found func(*canvas.Text, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	pos := offset.Add(o.Position())
	var children []fyne.CanvasObject
	switch w := o.(type) {
	case *canvas.Text:
		if cl.shows(pos, w.Size()) {
			found(w, pos)
		}
		return
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
