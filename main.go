// Command sesame knocks, opens an SSH session on the same address, and
// knocks the door shut when the session ends. Without arguments it opens the
// desktop app; with a subcommand it runs the command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"sesame/cli"
	"sesame/internal/keeper"
	"sesame/internal/winend"
	"sesame/profiles"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// This binary, started by itself to knock the door shut should it die.
	if len(args) > 0 && args[0] == keeper.Arg {
		return keeper.Main()
	}
	attached := len(args) > 0 && attachConsole()
	// The profile store is opened only by commands that use profiles.
	deps := cli.Deps{IO: cli.SystemStreams(), Profiles: profiles.OpenDefault, CloseKeeper: &keeper.Exec{}, Headless: headless}
	if len(args) == 0 {
		return runApp(deps)
	}
	// SIGHUP too: a closed terminal, or ssh ending its ProxyCommand, must
	// still let the close knock go out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Windows' console events (Ctrl+C, the close button) end the process
	// as soon as their handler returns: it holds on until the command has
	// sent its close knock and returned. A program that loads user32 (as
	// the session-end window does) hears of logoff and shutdown only
	// through a window. Without a desktop to make it on (Wine without a
	// display) the console events remain, and nothing is said.
	done := make(chan struct{})
	h := winend.Handler{End: winend.Cancel{Cancel: stop, Done: done}}
	defer onConsoleEvents(h)()
	_ = onSessionEnd(h)
	defer close(done)
	code := cli.Main(ctx, args, deps)
	if attached && code != 0 {
		os.Stderr.WriteString("sesame: sesame.exe is the desktop app and reads no keyboard in a console (cmd.exe reads it too): use sesame-cli.exe for commands that ask for input\n")
	}
	return code
}
