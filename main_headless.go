//go:build headless

package main

import (
	"context"
	"fmt"

	"sesame/cli"
)

// headless is true: this build has no desktop app.
const headless = true

// runApp explains that this build has no desktop app, then shows the usage.
func runApp(deps cli.Deps) int {
	fmt.Fprintln(deps.IO.ErrOut, "sesame: this is the headless build (no desktop app); use a subcommand:")
	cli.Main(context.Background(), []string{"--help"}, deps)
	return cli.ExitUsage
}
