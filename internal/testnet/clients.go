//go:build linux

package testnet

import "testing"

// KnockClient is a knock(1)-compatible client: `sesame knock`, or the real
// knock from Debian's knockd package. End-to-end checks run with both, so
// that a failure shows whether the harness or Sesame is wrong.
type KnockClient struct {
	Name string
	Argv func(args ...string) []string
}

// KnockClients returns `sesame knock` (the headless build of this module)
// and knock(1); it skips the test without root or knock.
func KnockClients(t testing.TB) []KnockClient {
	t.Helper()
	RequireRoot(t)
	RequireTools(t, "knock")
	sesame := Binary(t, "sesame", "headless")
	return []KnockClient{
		{"sesame", func(args ...string) []string { return append([]string{sesame, "knock"}, args...) }},
		{"knock", func(args ...string) []string { return append([]string{"knock"}, args...) }},
	}
}

// Knock runs the client in the namespace and fails the test unless it
// exits 0. It returns the client's output.
func (c KnockClient) Knock(t testing.TB, ns *NS, args ...string) string {
	t.Helper()
	argv := c.Argv(args...)
	return ns.Run(t, argv[0], argv[1:]...)
}
