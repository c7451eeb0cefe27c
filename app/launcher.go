package app

import (
	"context"
	"log/slog"
	"net"

	"sesame/internal/keeper"
	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spaknock"
	"sesame/sshlaunch"
)

// Launcher is what the app needs from the outside world: the connect flow
// and bare knocks. SSH is the real one; the widget tests use a fake.
type Launcher interface {
	// Connect runs the whole flow for req.Profile — open knock, SSH,
	// shell, close knock — calling shell once the connection is up. It
	// returns after the close knock went out, as sshlaunch.Run does.
	Connect(ctx context.Context, req ConnectRequest, shell func(ctx context.Context, sh Shell) error) error
	// Knock sends seq to the profile's host with its options.
	Knock(ctx context.Context, p *profiles.Profile, seq knocker.Sequence, progress func(knock.Event)) error
}

// ConnectRequest is one connect.
type ConnectRequest struct {
	Profile profiles.Profile
	// Hops are the profiles of Profile's jump hosts, first hop first,
	// each with the open sequence it knocks with (hops.go).
	Hops   []profiles.Profile
	UI     sshlaunch.UI
	Keeper sshlaunch.SecretKeeper
	// HopUI is the UI of a hop's flow; nil uses UI.
	HopUI func(hop string) sshlaunch.UI
}

// Shell starts the login shell on an authenticated connection.
type Shell interface {
	Run(ctx context.Context, stdio sshlaunch.Stdio, pty *sshlaunch.PTY) error
}

// SSH is the real Launcher: sshlaunch's flow and package knock's sender.
type SSH struct {
	Env      sshlaunch.Env
	Log      *slog.Logger
	Resolver *net.Resolver
	// CloseKeeper knocks a session's door shut if the app dies with it
	// open (package keeper); nil runs without one.
	CloseKeeper *keeper.Exec
}

// Connect implements Launcher.
func (l SSH) Connect(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) error {
	cfg := sshlaunch.Config{
		Profile:     req.Profile,
		UI:          req.UI,
		Keeper:      req.Keeper,
		Env:         l.Env,
		Log:         l.Log,
		Resolver:    l.Resolver,
		CloseKeeper: l.CloseKeeper,
	}
	// Each hop's door is knocked from the hop before it and closed, inner
	// one first, when the session ends, as sesame connect does.
	hops := make([]sshlaunch.Config, len(req.Hops))
	for i, hp := range req.Hops {
		hops[i] = cfg
		hops[i].Profile = hp
		if req.HopUI != nil {
			hops[i].UI = req.HopUI(hp.Name)
		}
	}
	return sshlaunch.RunVia(ctx, hops, cfg, func(ctx context.Context, c *sshlaunch.Conn) error {
		return shell(ctx, loginShell{c})
	})
}

// Knock implements Launcher. An SPA profile sends its packet instead of
// seq.
func (l SSH) Knock(ctx context.Context, p *profiles.Profile, seq knocker.Sequence, progress func(knock.Event)) error {
	opts := p.KnockOptions()
	opts.Resolver = l.Resolver
	opts.Progress = progress
	if p.Kind() == profiles.KindSPA {
		addr, err := knock.Resolve(ctx, p.Host, p.Family, l.Resolver)
		if err != nil {
			return err
		}
		return spaknock.Send(ctx, addr, p, spaknock.Options{Progress: progress})
	}
	_, err := knock.Send(ctx, p.Host, seq, opts)
	return err
}

type loginShell struct{ c *sshlaunch.Conn }

func (s loginShell) Run(ctx context.Context, stdio sshlaunch.Stdio, pty *sshlaunch.PTY) error {
	return s.c.Run(ctx, "", stdio, pty)
}
