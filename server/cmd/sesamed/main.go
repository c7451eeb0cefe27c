// Command sesamed is a port-knock daemon that reads knockd.conf: a drop-in
// for knockd(8). See server/sesamedcli for its command line.
package main

import (
	"context"
	"os"

	"sesame/server/sesamedcli"
)

func main() {
	os.Exit(sesamedcli.Main(context.Background(), os.Args[1:], sesamedcli.SystemDeps()))
}
