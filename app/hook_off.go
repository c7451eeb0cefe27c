//go:build !sesame_testhook

package app

// startTestHook is a no-op: normal builds have no test hook.
func startTestHook(*UI) {}
