//go:build linux

package firewall

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Watch calls changed, until ctx ends, each time the nftables ruleset
// changes shape: a table, chain, rule or set added or deleted, which is
// what `nft flush ruleset`, a reload of the nftables service, `ufw reload`
// and every iptables-nft change do. Set elements coming and going (every
// knock) are not reported. The kernel sends these as netlink events, so
// nothing is polled. It returns when ctx ends, or an error if the events
// cannot be had. changed runs on Watch's goroutine; a burst of changes
// (one transaction) calls it once.
//
// Legacy iptables sends no events; see PollLegacy.
func Watch(ctx context.Context, changed func()) error {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return fmt.Errorf("nftables events: %w", err)
	}
	defer c.Close()
	if err := c.JoinGroup(unix.NFNLGRP_NFTABLES); err != nil {
		return fmt.Errorf("nftables events: join the group: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		msgs, err := c.Receive()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if errors.Is(err, unix.ENOBUFS) {
				changed() // events were lost: assume the worst
				continue
			}
			return fmt.Errorf("nftables events: %w", err)
		}
		for _, m := range msgs {
			if shapeChange(m.Header.Type) {
				changed()
				break
			}
		}
	}
}

// shapeChange reports an nftables message that adds or deletes a table,
// chain, rule or set.
func shapeChange(t netlink.HeaderType) bool {
	if t>>8 != unix.NFNL_SUBSYS_NFTABLES {
		return false
	}
	switch t & 0xff {
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE,
		unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN,
		unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE,
		unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET:
		return true
	}
	return false
}

// LegacyPoll is how often sesamed looks at a legacy iptables ruleset,
// which sends no events when it changes.
const LegacyPoll = 2 * time.Second

// NeedsPolling reports whether b's changes come without events: the
// legacy iptables backend.
func NeedsPolling(b Backend) bool {
	ipt, ok := b.(*IPTables)
	return ok && ipt.suffix == "-"+VariantLegacy
}
