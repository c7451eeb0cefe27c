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
	// The profile store is opened only by commands that use profiles.
	deps := cli.Deps{IO: cli.SystemStreams(), Profiles: profiles.OpenDefault, CloseKeeper: &keeper.Exec{}, Headless: headless}
	if len(args) == 0 {
		return runApp(deps)
	}
	// SIGHUP too: a closed terminal, or ssh ending its ProxyCommand, must
	// still let the close knock go out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return cli.Main(ctx, args, deps)
}
