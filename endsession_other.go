//go:build !windows || headless

package main

import "sesame/internal/winend"

// onSessionEnd is for Windows builds that load user32 (the app's);
// elsewhere SIGTERM at logoff and shutdown closes the doors, and the
// headless Windows build, which loads no user32, gets console events.
func onSessionEnd(winend.Handler) error { return nil }
