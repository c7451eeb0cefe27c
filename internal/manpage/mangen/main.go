// Command mangen writes the man pages of sesame (section 1) and sesamed
// (section 8) from their command trees: `make man` runs it as
// `go run ./internal/manpage/mangen DIR`, which fills DIR/man1 and
// DIR/man8.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"sesame/cli"
	"sesame/internal/manpage"
	"sesame/internal/version"
	"sesame/server/sesamedcli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mangen DIR (writes DIR/man1/sesame*.1 and DIR/man8/sesamed*.8)")
		os.Exit(2)
	}
	dir := os.Args[1]
	// The pages describe the commands, not this process: no streams,
	// store or keyring are touched while rendering.
	none := strings.NewReader("")
	sesame := cli.NewRootCmd(cli.Deps{IO: cli.IOStreams{In: none, Out: os.Stdout, ErrOut: os.Stderr}})
	sesamed := sesamedcli.NewRootCmd(sesamedcli.Deps{IO: sesamedcli.IOStreams{In: none, Out: os.Stdout, ErrOut: os.Stderr}, Getenv: os.Getenv})
	n := 0
	for _, t := range []struct {
		section string
		root    *cobra.Command
	}{{"1", sesame}, {"8", sesamed}} {
		written, err := manpage.Write(t.root, t.section, version.Version, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mangen: %v\n", err)
			os.Exit(1)
		}
		n += len(written)
	}
	fmt.Printf("wrote %d man pages in %s/man1 and %s/man8\n", n, dir, dir)
}
