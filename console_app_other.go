//go:build !headless && !windows

package main

// hideConsole is for Windows only.
func hideConsole() {}
