// Package version holds the release version of the sesame and sesamed
// binaries, set at build time with
// -ldflags "-X sesame/internal/version.Version=1.2.3".
package version

// Version is the release version; "dev" for a build from a work tree.
var Version = "0.1.0-dev"
