package app

import (
	"fmt"
	"strings"

	"sesame/profiles"
	"sesame/sshlaunch"
)

// takeHops reads the jump hosts of p, first hop first, each with the
// sequence that opens its door now (a one-time one is used up here, as
// the profile's own is).
func (u *UI) takeHops(p *profiles.Profile) ([]profiles.Profile, error) {
	hops := make([]profiles.Profile, 0, len(p.Jump))
	for _, n := range p.Jump {
		hp, _, err := u.deps.Store.TakeOpen(n)
		if err != nil {
			u.unspendHops(hops, nil)
			return nil, fmt.Errorf("jump host %s of %s: %w (edit %s's jump hosts, or add the profile %s)", n, p.Name, err, p.Name, n)
		}
		hops = append(hops, *hp)
	}
	return hops, nil
}

// unspendHops puts back the one-time sequences that were taken and not
// sent: every one when err is nil (nothing was knocked), else, when a
// hop's door did not open, that hop's and those of every door beyond it,
// which the chain never reached.
func (u *UI) unspendHops(hops []profiles.Profile, err error) {
	failed := sshlaunch.HopFailed(err)
	reached := err == nil
	for _, hp := range hops {
		reached = reached || hp.Name == failed
		if reached {
			u.unspend(&hp)
		}
	}
}

// unspend puts p's one-time sequence back, if it knocks with one.
func (u *UI) unspend(p *profiles.Profile) {
	if p.Secrets.OneTimeUsed == 0 {
		return
	}
	if _, err := u.deps.Store.UnspendOneTime(p.Name, p.Secrets.Open); err != nil {
		u.deps.Log.Warn("could not put the unused one-time sequence back", "profile", p.Name, "err", err)
	}
}

// hopUI is a jump host's part of a session's flow: its prompts (host key,
// password) are the session's, its progress goes to the status line, as
// the tab's checklist is the profile's own door; a failed close knock is
// the session's to show (the hop's door may still be open).
type hopUI struct {
	*flowUI
	hop string
}

func (h hopUI) Progress(ev sshlaunch.Event) {
	if ev.Stage == sshlaunch.StageNotice || (ev.Stage == sshlaunch.StageClosed && ev.Err != nil) {
		h.flowUI.Progress(ev)
		return
	}
	msg := ev.Stage.String()
	if k := ev.Knock; k != nil && ev.Stage == sshlaunch.StageKnock {
		msg = fmt.Sprintf("knock %d of %d", k.Step, k.Total)
	}
	s := h.s
	s.u.do(func() { s.u.setStatus(fmt.Sprintf("%s: jump host %s: %s", s.name, h.hop, msg)) })
}

// viaText is what a session's header adds for its jump hosts: " through
// gw, inner", or nothing.
func viaText(jump []string) string {
	if len(jump) == 0 {
		return ""
	}
	return " through " + strings.Join(jump, ", ")
}
