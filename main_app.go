//go:build !headless

package main

import (
	"context"

	"sesame/cli"
)

// runApp opens the desktop app. Until the app lands it shows the usage.
func runApp(deps cli.Deps) int {
	return cli.Main(context.Background(), []string{"--help"}, deps)
}
