package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// fileDialogSize is the size the file dialogs open at: room for a file
// list and the folders beside it.
var fileDialogSize = fyne.NewSize(700, 500)

// showFileDialog shows a file dialog at fileDialogSize. Fyne (2.8.1)
// builds a file dialog's window only in Show, and its Resize reads that
// window's MinSize: a Resize before Show is a nil pointer panic, which
// took the whole app, and the doors of its sessions, down with it.
func showFileDialog(d *dialog.FileDialog) {
	d.Show()
	d.Resize(fileDialogSize)
}
