//go:build !headless

package main

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// hideConsole closes the console window Windows opens for sesame.exe (a
// console program, so that its command line prints) when it was started
// from Explorer or the Start menu to open the app: then this process is
// the console's only one. Started from a terminal, it keeps it.
func hideConsole() {
	kernel32 := windows.NewLazySystemDLL("kernel32.dll")
	var pids [2]uint32
	n, _, _ := kernel32.NewProc("GetConsoleProcessList").Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n == 1 {
		kernel32.NewProc("FreeConsole").Call()
	}
}
