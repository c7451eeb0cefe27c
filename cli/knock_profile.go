package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
)

// OneTimeLow is how few one-time sequences left make `sesame knock` warn.
const OneTimeLow = 5

// runKnockProfile is `sesame knock [--close] NAME`: the profile's open (or
// close) sequence, to its host, with its delay and address family (-4/-6
// override the family).
func runKnockProfile(ctx context.Context, o *knockOptions) error {
	if o.ProbePort < -1 || o.ProbePort > 65535 {
		return usageErrorf("--probe-port %d: give a port from 1 to 65535, or 0 to not check", o.ProbePort)
	}
	for _, f := range []string{"udp", "delay"} {
		if o.Changed(f) {
			return usageErrorf("--%s is for HOST PORT... knocks: a profile's protocols and delay are its own (sesame profile edit %s --delay ...)", f, o.Profile)
		}
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	var p *profiles.Profile
	var seq knocker.Sequence
	// oneTime: the knock takes the profile's next one-time sequence.
	oneTime := false
	if before, err := store.Get(o.Profile); err == nil && !o.Close {
		oneTime = len(before.Secrets.OneTime) > 0 && before.Secrets.Rotation == nil
	}
	if o.Close {
		if p, err = store.Get(o.Profile); err != nil {
			return profileError(err)
		}
		if seq = p.Secrets.Close; len(seq) == 0 {
			return usageErrorf("profile %s has no close sequence: add one with sesame profile edit %s --close SEQ", p.Name, p.Name)
		}
	} else if p, seq, err = takeOpen(ctx, o.Deps, store, o.Profile, "sesame knock"); err != nil {
		if errors.Is(err, profiles.ErrNotFound) {
			// It may be a host whose ports were forgotten.
			return usageErrorf("%v (to knock a host, give at least one port: sesame knock HOST PORT...)", err)
		}
		return profileError(err)
	}
	req := &knockRequest{host: p.Host, seq: seq, opt: p.KnockOptions()}
	req.opt.Resolver = o.Resolver
	if req.opt.Family, err = o.family(p.Family); err != nil {
		return err
	}
	if o.Verbose {
		req.opt.Progress = verboseCount(o.progressOut(), p.Name)
	}
	rep := &knockReport{Host: p.Host, Profile: p.Name, Sequence: "open"}
	if o.Close {
		rep.Sequence = "close"
	}
	req.opt.Progress = rep.track(req.opt.Progress, false)
	addr, err := send(ctx, req)
	if err != nil {
		return err
	}
	if err := store.Touch(p.Name, time.Now()); err != nil {
		fmt.Fprintf(o.Deps.IO.ErrOut, "sesame knock: warning: the knock was sent, but its time was not saved: %v\n", err)
	}
	if oneTime && o.ProbePort != 0 {
		port := o.ProbePort
		if port < 0 {
			port = p.SSHPort()
		}
		open, spent, err := confirmOneTime(ctx, o.Deps.IO, p.Name, addr, port, func() error {
			_, err := store.UnspendOneTime(p.Name, seq)
			return err
		})
		if err != nil {
			return err
		}
		rep.checked(open)
		left := len(p.Secrets.OneTime)
		if !spent {
			left++
		}
		rep.OneTimeLeft = &left
		if !spent {
			return o.report(rep)
		}
	} else if o.Changed("probe-port") && o.ProbePort > 0 {
		// Asked for on any profile: is the door open now?
		open, how := probeDoor(ctx, addr, o.ProbePort, probeTimeout)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep.checked(open)
		if !open {
			_ = o.report(rep)
			return fmt.Errorf("%s: the door did not open: %s", p.Name, how)
		}
		fmt.Fprintf(o.Deps.IO.ErrOut, "sesame knock: %s: the door opened: %s\n", p.Name, how)
	}
	if !o.Close && p.Secrets.OneTimeUsed > 0 {
		warnOneTime(o.Deps.IO.ErrOut, "sesame knock", p)
		if rep.OneTimeLeft == nil && p.Secrets.Rotation == nil {
			left := len(p.Secrets.OneTime)
			rep.OneTimeLeft = &left
		}
	}
	return o.report(rep)
}

// warnOneTime warns when a profile's one-time sequences run low; cmd names
// the command that used one.
func warnOneTime(w io.Writer, cmd string, p *profiles.Profile) {
	switch left := len(p.Secrets.OneTime); {
	case left == 0:
		fmt.Fprintf(w, "%s: warning: that was the last one-time sequence of %s: %s\n", cmd, p.Name, refillHint(p))
	case left <= OneTimeLow:
		fmt.Fprintf(w, "%s: warning: %d one-time sequences left for %s: soon %s\n", cmd, left, p.Name, refillHint(p))
	}
}

// refillHint says how to refill a one-time profile without losing its
// other settings.
func refillHint(p *profiles.Profile) string {
	return fmt.Sprintf("add lines to the door's One_Time_Sequences file, then import its door again "+
		"(sesame profile import KNOCKD.CONF --host %s --door %s; the profile's other settings are kept)", p.Host, p.Name)
}

// verboseCount reports a profile's knocks without their ports, which are
// secret: "web: knock 1/3 sent to 192.0.2.1".
func verboseCount(w io.Writer, name string) func(knock.Event) {
	return func(ev knock.Event) {
		if ev.Kind == knock.Sent {
			fmt.Fprintf(w, "%s: knock %d/%d sent to %s\n", name, ev.Step, ev.Total, ev.Addr)
		}
	}
}
