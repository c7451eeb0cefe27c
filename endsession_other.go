//go:build !windows && !headless

package main

import "sesame/internal/winend"

// onSessionEnd is for Windows; elsewhere the app's signal handler (SIGTERM
// at logoff and shutdown) closes the doors.
func onSessionEnd(winend.Handler) error { return nil }
