// Command sesame knocks, opens an SSH session on the same address, and
// knocks the door shut when the session ends. Without arguments it opens the
// desktop app; with a subcommand it runs the command line.
package main

import (
	"context"
	"fmt"
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
	if len(args) > 0 {
		attachConsole()
	}
	// The profile store is opened only by commands that use profiles.
	deps := cli.Deps{IO: cli.SystemStreams(), Profiles: profiles.OpenDefault, CloseKeeper: &keeper.Exec{}}
	if len(args) == 0 {
		return runApp(deps)
	}
	// SIGHUP too: a closed terminal, or ssh ending its ProxyCommand, must
	// still let the close knock go out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Windows' console events (the close button, logoff, shutdown) end
	// the process as soon as their handler returns: it holds on until the
	// command has sent its close knock and returned. The app's build loads
	// user32 (GLFW), and Windows then tells it of logoff and shutdown only
	// through a window, also when it runs a command.
	done := make(chan struct{})
	h := winend.Handler{End: winend.Cancel{Cancel: stop, Done: done}}
	defer onConsoleEvents(h)()
	if err := onSessionEnd(h); err != nil {
		fmt.Fprintf(deps.IO.ErrOut, "sesame: %v; a logoff or shutdown may leave the door open\n", err)
	}
	defer close(done)
	return cli.Main(ctx, args, deps)
}
