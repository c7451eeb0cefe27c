//go:build linux

package firewall

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/coreos/go-iptables/iptables"

	"sesame/knocker"
)

// IPTablesChain is the chain, in the filter table of iptables and
// ip6tables, that holds sesamed's accept rules. INPUT jumps to it from its
// first position, so an accept there comes before any drop in INPUT.
const IPTablesChain = "SESAMED"

const filterTable = "filter"

// The iptables variants IPTablesOptions.Variant and Choice.Variant name.
const (
	VariantLegacy = "legacy" // iptables-legacy: the x_tables kernel API
	VariantNFT    = "nft"    // iptables-nft: iptables rules kept in nf_tables
)

// IPTables is the iptables backend: one chain, SESAMED, in the filter table
// of iptables and ip6tables, jumped to from the top of INPUT; each rule in it
// carries the comment "sesamed". It runs the iptables programs through
// coreos/go-iptables, so each Open or Close costs two program runs (check,
// then change).
type IPTables struct {
	v4, v6 *iptables.IPTables // v6 is nil when ip6tables is not installed

	mu     sync.Mutex
	inited bool
}

// IPTablesOptions configure NewIPTables.
type IPTablesOptions struct {
	// Variant picks iptables-legacy ("legacy") or iptables-nft ("nft");
	// empty means whatever `iptables` is on this system.
	Variant string
}

// NewIPTables finds the iptables and ip6tables programs. A missing
// ip6tables is not an error: IPv6 rules then fail to open, and say why.
func NewIPTables(opt IPTablesOptions) (*IPTables, error) {
	suffix := ""
	switch opt.Variant {
	case "":
	case VariantLegacy, VariantNFT:
		suffix = "-" + opt.Variant
	default:
		return nil, fmt.Errorf("iptables variant %q: use %q or %q", opt.Variant, VariantLegacy, VariantNFT)
	}
	v4, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Path("iptables"+suffix))
	if err != nil {
		return nil, fmt.Errorf("iptables%s: %w (install the iptables package)", suffix, err)
	}
	b := &IPTables{v4: v4}
	if _, err := exec.LookPath("ip6tables" + suffix); err == nil {
		if b.v6, err = iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Path("ip6tables"+suffix)); err != nil {
			return nil, fmt.Errorf("ip6tables%s: %w", suffix, err)
		}
	}
	return b, nil
}

// Name is "iptables".
func (b *IPTables) Name() string { return nameIPTables }

func (b *IPTables) tables() []*iptables.IPTables {
	if b.v6 == nil {
		return []*iptables.IPTables{b.v4}
	}
	return []*iptables.IPTables{b.v4, b.v6}
}

func familyName(ipt *iptables.IPTables) string {
	if ipt.Proto() == iptables.ProtocolIPv6 {
		return "ip6tables"
	}
	return "iptables"
}

// jumpSpec is the INPUT rule that sends packets through our chain.
var jumpSpec = []string{"-m", "comment", "--comment", Tag, "-j", IPTablesChain}

// Init creates (or empties) the SESAMED chain in iptables and ip6tables and
// puts one jump to it at the top of INPUT, removing any jump a previous
// instance left further down.
func (b *IPTables) Init(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ipt := range b.tables() {
		if err := ctx.Err(); err != nil {
			return err
		}
		// ClearChain creates the chain, or flushes it when it exists:
		// rules a crashed instance left behind go here.
		if err := ipt.ClearChain(filterTable, IPTablesChain); err != nil {
			return fmt.Errorf("%s: create chain %s: %w", familyName(ipt), IPTablesChain, err)
		}
		if err := deleteAll(ipt, "INPUT", jumpSpec); err != nil {
			return err
		}
		if err := ipt.Insert(filterTable, "INPUT", 1, jumpSpec...); err != nil {
			return fmt.Errorf("%s: jump from INPUT to %s: %w", familyName(ipt), IPTablesChain, err)
		}
	}
	b.inited = true
	return nil
}

// deleteAll removes every copy of a rule from a chain.
func deleteAll(ipt *iptables.IPTables, chain string, spec []string) error {
	for {
		ok, err := ipt.Exists(filterTable, chain, spec...)
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return fmt.Errorf("%s: check %s: %w", familyName(ipt), chain, err)
		}
		if !ok {
			return nil
		}
		if err := ipt.Delete(filterTable, chain, spec...); err != nil {
			return fmt.Errorf("%s: delete from %s: %w", familyName(ipt), chain, err)
		}
	}
}

func isNotExist(err error) bool {
	var e *iptables.Error
	return errors.As(err, &e) && e.IsNotExist()
}

// ruleSpec is the rule accepting r in our chain.
func ruleSpec(r Rule) []string {
	p := r.Proto.String()
	return []string{"-s", r.Src.String(), "-p", p, "-m", p, "--dport", strconv.Itoa(int(r.Port)),
		"-m", "comment", "--comment", Tag, "-j", "ACCEPT"}
}

func (b *IPTables) tableFor(r Rule) (*iptables.IPTables, error) {
	if !b.inited {
		return nil, ErrNotInitialized
	}
	if r.Src.Is4() {
		return b.v4, nil
	}
	if b.v6 == nil {
		return nil, fmt.Errorf("iptables: cannot accept %s: ip6tables is not installed", r)
	}
	return b.v6, nil
}

// Open appends an accept for r to SESAMED unless it is already there.
func (b *IPTables) Open(ctx context.Context, r Rule) error {
	return b.change(ctx, r, "open", (*iptables.IPTables).AppendUnique)
}

// Close deletes the accept for r, if it is there.
func (b *IPTables) Close(ctx context.Context, r Rule) error {
	return b.change(ctx, r, "close", (*iptables.IPTables).DeleteIfExists)
}

func (b *IPTables) change(ctx context.Context, r Rule, what string, op func(ipt *iptables.IPTables, table, chain string, spec ...string) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r = r.normalize()
	b.mu.Lock()
	defer b.mu.Unlock()
	ipt, err := b.tableFor(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := op(ipt, filterTable, IPTablesChain, ruleSpec(r)...); err != nil {
		return fmt.Errorf("%s: %s %s: %w", familyName(ipt), what, r, err)
	}
	return nil
}

// Rules lists the accepts in SESAMED, IPv4 first.
func (b *IPTables) Rules(ctx context.Context) ([]Rule, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.inited {
		return nil, ErrNotInitialized
	}
	var rules []Rule
	for _, ipt := range b.tables() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lines, err := ipt.List(filterTable, IPTablesChain)
		if err != nil {
			return nil, fmt.Errorf("%s: list %s: %w", familyName(ipt), IPTablesChain, err)
		}
		for _, line := range lines {
			if r, ok := parseIPTablesRule(line); ok {
				rules = append(rules, r)
			}
		}
	}
	return rules, nil
}

// Flush removes the jump from INPUT and the SESAMED chain with every rule
// in it.
func (b *IPTables) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, ipt := range b.tables() {
		if err := ctx.Err(); err != nil {
			return err
		}
		// No chain, no jump: iptables refuses a jump to a missing chain.
		ok, err := ipt.ChainExists(filterTable, IPTablesChain)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: look for chain %s: %w", familyName(ipt), IPTablesChain, err))
			continue
		}
		if !ok {
			continue
		}
		if err := deleteAll(ipt, "INPUT", jumpSpec); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := ipt.ClearAndDeleteChain(filterTable, IPTablesChain); err != nil {
			errs = append(errs, fmt.Errorf("%s: delete chain %s: %w", familyName(ipt), IPTablesChain, err))
		}
	}
	b.inited = false
	return errors.Join(errs...)
}

// parseIPTablesRule reads one line of `iptables -S SESAMED` back into the
// Rule that ruleSpec wrote, e.g.
//
//	-A SESAMED -s 192.0.2.2/32 -p tcp -m tcp --dport 22 -m comment --comment sesamed -j ACCEPT
//
// Lines that are not such a rule (the -N line, anything added by hand)
// report false.
func parseIPTablesRule(line string) (Rule, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "-A" || f[1] != IPTablesChain {
		return Rule{}, false
	}
	var (
		r              Rule
		tagged, accept bool
	)
	for i := 2; i+1 < len(f); i += 2 {
		key, val := f[i], f[i+1]
		switch key {
		case "-s":
			pfx, err := netip.ParsePrefix(val)
			if err != nil {
				a, err := netip.ParseAddr(val)
				if err != nil {
					return Rule{}, false
				}
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
			if pfx.Bits() != pfx.Addr().BitLen() {
				return Rule{}, false // a network, not one address: not ours
			}
			r.Src = pfx.Addr()
		case "-p":
			p, err := knocker.ParseProto(val)
			if err != nil {
				return Rule{}, false
			}
			r.Proto = p
		case "-m":
		case "--dport":
			n, err := strconv.ParseUint(val, 10, 16)
			if err != nil {
				return Rule{}, false
			}
			r.Port = uint16(n)
		case "--comment":
			tagged = strings.Trim(val, `"`) == Tag
		case "-j":
			accept = val == "ACCEPT"
		default:
			return Rule{}, false // an option ruleSpec never writes
		}
	}
	if len(f)%2 != 0 || !tagged || !accept || r.Validate() != nil {
		return Rule{}, false
	}
	return r, true
}
