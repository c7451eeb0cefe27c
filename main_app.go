//go:build !headless

package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	fyneapp "fyne.io/fyne/v2/app"

	"sesame/app"
	"sesame/cli"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// headless is false: this build has the desktop app.
const headless = false

// runApp opens the desktop app.
func runApp(deps cli.Deps) int {
	if msg := noDisplay(); msg != "" {
		fmt.Fprintln(deps.IO.ErrOut, msg)
		return cli.ExitUsage
	}
	hideConsole()
	store, err := profiles.OpenDefault()
	if err != nil {
		fmt.Fprintf(deps.IO.ErrOut, "sesame: %v\n", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(deps.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ui := app.New(fyneapp.NewWithID(app.ID), app.Deps{
		Store:    store,
		Launcher: app.SSH{Env: sshlaunch.DefaultEnv(), Log: log, CloseKeeper: deps.CloseKeeper},
		Log:      log,
	})
	// A signal closes the doors without the UI goroutine, which may be
	// stuck; Fyne's own handler only asks that goroutine to quit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-sigs
		ui.CloseDoors()
		os.Exit(0)
	}()
	ui.ShowAndRun()
	return 0
}

// noDisplay explains, on systems with X11 or Wayland, that there is no
// display to open the window on.
func noDisplay() string {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios":
		return ""
	}
	if os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	return "sesame: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot open.\n" +
		"Use the command line instead: sesame --help lists the commands (sesame connect NAME, sesame knock ...)."
}
