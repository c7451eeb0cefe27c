//go:build !windows

package main

import "sesame/internal/winend"

// onSessionEnd is for Windows; elsewhere SIGTERM at logoff and shutdown
// closes the doors.
func onSessionEnd(winend.Handler) error { return nil }
