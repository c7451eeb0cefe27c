// Package steps runs a start-up written as a list of named steps, each of
// which may leave something to undo when the program stops: a lock to
// release, a rule to remove, a goroutine to stop and wait for.
package steps

import "context"

// Step is one part of a start-up. It returns how to undo what it did (nil
// when there is nothing to undo) or why it could not be done; a step that
// fails undoes its own part before it returns.
type Step func(ctx context.Context) (undo func(), err error)

// Start runs steps in order. When one fails, the undos of the steps before
// it run in reverse and its error is returned as it is (the steps' errors
// already say what failed). Otherwise stop runs every undo, in reverse:
// what started last stops first.
func Start(ctx context.Context, steps ...Step) (stop func(), err error) {
	var undos []func()
	stop = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
		undos = nil
	}
	for _, s := range steps {
		undo, err := s(ctx)
		if err != nil {
			stop()
			return func() {}, err
		}
		if undo != nil {
			undos = append(undos, undo)
		}
	}
	return stop, nil
}

// Background is a step's way to run f in a goroutine until the program
// stops: undo cancels f's context and waits until f has returned.
func Background(ctx context.Context, f func(ctx context.Context)) (undo func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
