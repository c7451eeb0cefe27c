//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"

	"sesame/internal/winend"
)

var kernel32 = windows.NewLazySystemDLL("kernel32.dll")

// attachParentProcess is AttachConsole's ATTACH_PARENT_PROCESS.
const attachParentProcess = ^uintptr(0)

// attachConsole lets the app's exe, a Windows GUI program (so that no
// console window flashes when Explorer or the Start menu starts it), print
// in the terminal that runs it as a command: Windows gives a GUI program no
// console, so it attaches to its parent's. Standard handles it was given
// (ssh's pipes to a ProxyCommand, a redirect to a file) are kept. The
// headless build is a console program and has its handles already.
//
// cmd.exe does not wait for a GUI program: it goes on reading the same
// keyboard. So standard input is not the console's (keystrokes, a
// password among them, would go to whichever reads first): it is empty,
// and attachConsole reports that it attached, for main to point at
// sesame-cli.exe when a command fails.
func attachConsole() (attached bool) {
	std := []struct {
		id     uint32
		file   **os.File
		device string
		mode   int
	}{
		{windows.STD_INPUT_HANDLE, &os.Stdin, os.DevNull, os.O_RDONLY},
		{windows.STD_OUTPUT_HANDLE, &os.Stdout, "CONOUT$", os.O_RDWR},
		{windows.STD_ERROR_HANDLE, &os.Stderr, "CONOUT$", os.O_RDWR},
	}
	missing := false
	for _, s := range std {
		if h, err := windows.GetStdHandle(s.id); err != nil || h == 0 || h == windows.InvalidHandle {
			missing = true
		}
	}
	if !missing {
		return false
	}
	if r, _, _ := kernel32.NewProc("AttachConsole").Call(attachParentProcess); r == 0 {
		return false // started without a console (Explorer): nothing to print to
	}
	for _, s := range std {
		if h, err := windows.GetStdHandle(s.id); err == nil && h != 0 && h != windows.InvalidHandle {
			continue
		}
		f, err := os.OpenFile(s.device, s.mode, 0)
		if err != nil {
			continue
		}
		*s.file = f
		_ = windows.SetStdHandle(s.id, windows.Handle(f.Fd()))
	}
	return true
}

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
