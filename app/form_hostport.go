package app

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// hostPortRow is the Host row with the SSH port beside the host, as an
// address is written (host, then port): one row for where the server is.
// The port's hint (or problem) shows under the host's.
func (f *profileForm) hostPortRow() {
	b := &f.base
	port := ""
	if b.Port != 0 {
		port = strconv.Itoa(b.Port)
	}
	host := f.entry(fHost, "e.g. server.example.com", b.Host)
	portEntry := f.entry(fPort, "e.g. 22", port) // "e.g.", as every placeholder: not taken for a value
	portLabel := widget.NewLabel("SSH port")
	portLabel.TextStyle.Bold = true
	// Room for five digits and the placeholder, not half the row.
	portBox := container.NewGridWrap(fyne.NewSize(90, portEntry.MinSize().Height), portEntry)
	f.addRow("Host", fHost, "The server's name or address: knocked, then connected to.",
		container.NewBorder(nil, nil, nil, container.NewHBox(portLabel, portBox), host))
	f.hintFor[fPort] = "SSH port: empty for 22."
	h := widget.NewLabel(f.hintFor[fPort])
	h.Wrapping = fyne.TextWrapWord
	h.Importance = widget.LowImportance
	h.SizeName = theme.SizeNameCaptionText
	f.hints[fPort] = h
	f.rows[fHost][1].(*fyne.Container).Add(h)
	f.rows[fPort] = f.rows[fHost]
}
