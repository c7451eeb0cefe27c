//go:build windows

package main

import (
	"golang.org/x/sys/windows"

	"sesame/internal/winend"
)

var kernel32 = windows.NewLazySystemDLL("kernel32.dll")

// onConsoleEvents answers the console's events — Ctrl+C, Ctrl+Break, the
// window's close button, logoff and shutdown — with h, so that each lets
// the close knock go out: registered after Go's own handler, it runs
// before it, and answers TRUE. It returns the function that removes it.
func onConsoleEvents(h winend.Handler) (remove func()) {
	cb := windows.NewCallback(func(ctrlType uint32) uintptr {
		e, ok := winend.FromCtrlType(ctrlType)
		if !ok || !h.Handle(e) {
			return 0
		}
		return 1
	})
	set := kernel32.NewProc("SetConsoleCtrlHandler")
	if r, _, _ := set.Call(cb, 1); r == 0 {
		// No console to get events from (a GUI start): nothing to remove.
		return func() {}
	}
	return func() { set.Call(cb, 0) }
}
