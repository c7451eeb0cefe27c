package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/term"

	"sesame/internal/clock"
	"sesame/knocker"
	"sesame/profiles"
)

func (d Deps) clock() clock.Clock {
	if d.Clock == nil {
		return clock.System{}
	}
	return d.Clock
}

// takeOpen is Store.TakeOpenAt now. When a rotating profile has knocked
// with the window sesamed is in and the next one already (sesamed takes
// each once), it waits for the next window, counting down on errOut, and
// takes again. cmd names the command in what it prints.
func takeOpen(ctx context.Context, deps Deps, store *profiles.Store, name, cmd string) (*profiles.Profile, knocker.Sequence, error) {
	clock := deps.clock()
	for {
		p, seq, err := store.TakeOpenAt(name, clock.Now())
		var spent *profiles.WindowsSpentError
		if !errors.As(err, &spent) {
			return p, seq, err
		}
		if err := countdown(ctx, clock, deps.IO.ErrOut, cmd, spent); err != nil {
			return nil, nil, err
		}
	}
}

// countdown waits until spent.Retry. On a terminal it counts the seconds
// down on one line; elsewhere (a log, ssh's ProxyCommand) it says once
// how long it waits.
func countdown(ctx context.Context, clock clock.Clock, w io.Writer, cmd string, spent *profiles.WindowsSpentError) error {
	msg := fmt.Sprintf("%s: %s knocked with this window's sequence and the next one's already, and sesamed takes each once: waiting for the next window", cmd, spent.Name)
	left := func() time.Duration { return spent.Retry.Sub(clock.Now()) }
	if !isTerminal(w) {
		fmt.Fprintf(w, "%s (%s)\n", msg, seconds(left()))
		return clock.Sleep(ctx, left())
	}
	for d := left(); d > 0; d = left() {
		fmt.Fprintf(w, "\r%s: %s ", msg, seconds(d))
		if err := clock.Sleep(ctx, min(d, time.Second)); err != nil {
			fmt.Fprintln(w)
			return err
		}
	}
	fmt.Fprintf(w, "\r%s: done\n", msg)
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// seconds writes a wait as whole seconds, rounded up: "12s".
func seconds(d time.Duration) string {
	return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "s"
}
