//go:build linux

package firewall

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/google/nftables"
)

// Options choose and configure a backend for Detect.
type Options struct {
	// Prefer is "auto" (or empty), "iptables" or "nftables".
	Prefer string
	// NFT names the chain the nftables backend uses; see NFTablesOptions.
	NFT NFTablesOptions
	// Guard, when set, is the baseline the backend keeps below its
	// accepts (sesamed --guard).
	Guard *Guard
}

// Choice is the backend Detect picked, and why, in words for the log.
type Choice struct {
	Name    string // "iptables" or "nftables"
	Variant string // for iptables: "legacy", "nft", or "" for the system's default
	Reason  string
	// Warning, when set, names something in the ruleset that would keep
	// sesamed's accepts from working; log it.
	Warning string
}

// Detect picks the backend (see Choose) and returns it, not yet
// initialised.
func Detect(ctx context.Context, opt Options) (Backend, Choice, error) {
	c, err := Choose(ctx, opt)
	if err != nil {
		return nil, c, err
	}
	return New(c, opt)
}

// New returns the backend c names, not yet initialised: the one Choose
// picked, or the one an install recorded.
func New(c Choice, opt Options) (Backend, Choice, error) {
	if c.Name == nameNFTables {
		nft := opt.NFT
		nft.Guard = opt.Guard
		return NewNFTables(nft), c, nil
	}
	b, err := NewIPTables(IPTablesOptions{Variant: c.Variant, Guard: opt.Guard})
	if err != nil {
		return nil, c, err
	}
	return b, c, nil
}

// Choose decides which backend sesamed's accepts must go through. An
// accept only helps if it is seen before the drop it must beat, and in
// nftables an accept ends only its own base chain, so the question is where
// the system filters its input today:
//
//  1. legacy iptables has rules (or a drop policy) in INPUT: iptables,
//     through iptables-legacy, because those rules run whatever else exists;
//  2. else iptables-nft has rules (or a drop policy) in INPUT (the tables
//     `ip filter` / `ip6 filter` that iptables-nft manages): iptables,
//     through iptables-nft, because an accept in another nftables table
//     cannot override a drop there;
//  3. else nftables, natively: one netlink transaction per Open, the
//     fastest path; if another nftables chain already filters input, the
//     Choice carries a warning, as sesamed's chain must be that one.
//
// When nftables is not available at all, iptables is the answer.
func Choose(ctx context.Context, opt Options) (Choice, error) {
	switch opt.Prefer {
	case nameNFTables:
		c := Choice{Name: nameNFTables, Reason: "nftables asked for"}
		if in, err := inputChains(); err == nil {
			c.Warning = in.warning(NewNFTables(opt.NFT))
		}
		return c, nil
	case nameIPTables:
		c := Choice{Name: nameIPTables, Reason: "iptables asked for"}
		if n := legacyInputRules(); n > 0 {
			c.Variant = VariantLegacy
			c.Reason += "; legacy iptables holds the INPUT rules, so through iptables-legacy"
		}
		return c, nil
	case "", nameAuto:
	default:
		return Choice{}, fmt.Errorf("firewall backend %q: use auto, iptables or nftables", opt.Prefer)
	}
	if err := ctx.Err(); err != nil {
		return Choice{}, err
	}
	if n := legacyInputRules(); n > 0 {
		return Choice{Name: nameIPTables, Variant: VariantLegacy,
			Reason: fmt.Sprintf("legacy iptables filters INPUT (%d rules or a drop policy)", n)}, nil
	}
	in, err := inputChains()
	if err != nil {
		return Choice{Name: nameIPTables,
			Reason: fmt.Sprintf("nftables is not usable here (%v)", err)}, nil
	}
	if in.iptablesNFT > 0 {
		return Choice{Name: nameIPTables, Variant: VariantNFT,
			Reason: fmt.Sprintf("iptables-nft filters INPUT (%d rules or a drop policy)", in.iptablesNFT)}, nil
	}
	return Choice{Name: nameNFTables, Reason: "no iptables rules filter input",
		Warning: in.warning(NewNFTables(opt.NFT))}, nil
}

// legacyInputRules counts the rules and drop policies in INPUT of legacy
// iptables and ip6tables. It reads /proc first, so that a system that never
// used legacy iptables does not get empty legacy tables created by asking
// (thread-self: the network namespace is per thread).
func legacyInputRules() int {
	n := 0
	for _, fam := range []struct{ proc, save string }{
		{"/proc/thread-self/net/ip_tables_names", "iptables-legacy-save"},
		{"/proc/thread-self/net/ip6_tables_names", "ip6tables-legacy-save"},
	} {
		names, err := os.ReadFile(fam.proc)
		if err != nil || !bytes.Contains(names, []byte("filter")) {
			continue
		}
		out, err := exec.Command(fam.save, "-t", "filter").Output()
		if err != nil {
			continue
		}
		n += countInput(out)
	}
	return n
}

// countInput counts, in iptables-save output, the rules in INPUT and an
// INPUT policy other than ACCEPT.
func countInput(save []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(save))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "-A INPUT "):
			n++
		case strings.HasPrefix(line, ":INPUT ") && !strings.HasPrefix(line, ":INPUT ACCEPT"):
			n++
		}
	}
	return n
}

type inputFilters struct {
	iptablesNFT int      // rules and drop policies in iptables-nft's INPUT chains
	native      []string // other base chains at the input hook with rules or a drop policy
}

// warning names a chain other than nft's that filters input, where a drop
// would beat nft's accepts.
func (in inputFilters) warning(nft *NFTables) string {
	others := in.native
	if in.iptablesNFT > 0 {
		others = append(others, "ip filter INPUT (iptables-nft)")
	}
	for _, other := range others {
		if other != nft.where() {
			return fmt.Sprintf("nftables chain %s also filters input, and sesamed's accepts in %s cannot override its drops: "+
				"name that chain as sesamed's nftables chain, or put your drop for the guarded port in %s", other, nft.where(), nft.where())
		}
	}
	return ""
}

// inputChains looks at every nftables base chain hooked at input.
func inputChains() (inputFilters, error) {
	var in inputFilters
	c, err := nftables.New()
	if err != nil {
		return in, err
	}
	chains, err := c.ListChains()
	if err != nil {
		return in, err
	}
	for _, ch := range chains {
		if ch.Hooknum == nil || *ch.Hooknum != *nftables.ChainHookInput || ch.Type != nftables.ChainTypeFilter {
			continue
		}
		rules, err := c.GetRules(ch.Table, ch)
		if err != nil {
			return in, err
		}
		n := len(rules)
		if ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop {
			n++
		}
		if n == 0 {
			continue
		}
		fam := ch.Table.Family
		if (fam == nftables.TableFamilyIPv4 || fam == nftables.TableFamilyIPv6) && ch.Table.Name == "filter" && ch.Name == "INPUT" {
			in.iptablesNFT += n
			continue
		}
		in.native = append(in.native, fmt.Sprintf("%s %s %s", familyWord(fam), ch.Table.Name, ch.Name))
	}
	return in, nil
}

func familyWord(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyNetdev:
		return "netdev"
	case nftables.TableFamilyARP:
		return "arp"
	}
	return fmt.Sprintf("family(%d)", f)
}
