//go:build race

package testnet

// raceEnabled makes Binary build with the race detector when the tests
// run with it, so the daemons the end-to-end tests start are checked too.
const raceEnabled = true
