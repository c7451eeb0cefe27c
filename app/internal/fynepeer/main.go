//go:build !headless

// Command fynepeer is the floor the app's cold-start benchmark measures
// Sesame against: a bare Fyne window of the same size with one label and
// one button (regular and bold text, as any real window has).
package main

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := fyneapp.NewWithID("org.sesame.FynePeer")
	w := a.NewWindow("Fyne peer")
	w.SetContent(container.NewVBox(widget.NewLabel("A bare Fyne window"), widget.NewButton("A button", nil)))
	w.Resize(fyne.NewSize(1100, 700))
	w.ShowAndRun()
}
