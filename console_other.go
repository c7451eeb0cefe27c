//go:build !windows

package main

import "sesame/internal/winend"

// attachConsole is for the Windows GUI-subsystem exe.
func attachConsole() bool { return false }

// onConsoleEvents is for Windows' console events; elsewhere the signals
// main already handles (SIGINT, SIGTERM, SIGHUP) are their equivalents.
func onConsoleEvents(winend.Handler) (remove func()) { return func() {} }
