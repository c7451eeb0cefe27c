//go:build linux

package firewall

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

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
// of iptables and ip6tables, jumped to from the top of INPUT. The chain
// holds one rule that accepts what two ipsets hold (sesamed_allow4 and
// sesamed_allow6, hash:ip,port with timeouts), then, with a Guard, the
// guard's rules; each rule carries its comment. Open and Close change an
// ipset over netlink: no program runs per knock, and the kernel ends an
// open rule when its timeout runs out, whether or not sesamed still runs.
// The chain itself is written with iptables-restore, in one transaction
// per address family.
type IPTables struct {
	v4, v6 *iptables.IPTables // v6 is nil when ip6tables is not installed
	suffix string             // "", "-legacy" or "-nft"
	guard  *Guard

	mu     sync.Mutex
	inited bool
	// noV6 says why IPv6 is left out ("" when it is not): a kernel
	// without IPv6, say.
	noV6 string
}

// IPTablesOptions configure NewIPTables.
type IPTablesOptions struct {
	// Variant picks iptables-legacy ("legacy") or iptables-nft ("nft");
	// empty means whatever `iptables` is on this system.
	Variant string
	// Guard, when set, is kept in SESAMED below sesamed's accepts.
	Guard *Guard
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
	b := &IPTables{v4: v4, suffix: suffix, guard: opt.Guard}
	if _, err := exec.LookPath("ip6tables" + suffix); err != nil {
		b.noV6 = "ip6tables" + suffix + " is not installed"
	} else if b.v6, err = iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Path("ip6tables"+suffix)); err != nil {
		if !ipv6Unsupported(err) {
			return nil, fmt.Errorf("ip6tables%s: %w", suffix, err)
		}
		b.noV6 = "this kernel has no IPv6"
	}
	return b, nil
}

// ipv6Unsupported reports an ip6tables failure that means the kernel has
// no IPv6 (booted with ipv6.disable=1), which is no reason to fail: there
// is no IPv6 traffic to guard.
func ipv6Unsupported(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Address family not supported")
}

// IPv6Skipped says why IPv6 is left out, "" when it is not.
func (b *IPTables) IPv6Skipped() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.noV6
}

// Name is "iptables".
func (b *IPTables) Name() string { return nameIPTables }

// family is one of iptables and ip6tables with the ipset its chain looks up.
type family struct {
	ipt *iptables.IPTables
	v6  bool
	set string
}

func (b *IPTables) families() []family {
	fs := []family{{ipt: b.v4, set: ipset4}}
	if b.v6 != nil && b.noV6 == "" {
		fs = append(fs, family{ipt: b.v6, v6: true, set: ipset6})
	}
	return fs
}

func (f family) name() string { return familyName(f.ipt) }

func familyName(ipt *iptables.IPTables) string {
	if ipt.Proto() == iptables.ProtocolIPv6 {
		return "ip6tables"
	}
	return "iptables"
}

// jumpSpec is the INPUT rule that sends packets through our chain.
var jumpSpec = []string{"-m", "comment", "--comment", Tag, "-j", IPTablesChain}

const jumpLine = "-A INPUT -m comment --comment " + Tag + " -j " + IPTablesChain

// Init builds SESAMED in iptables and ip6tables — the lookup of the ipsets,
// then the guard — and puts one jump to it at the top of INPUT, and
// empties the ipsets of what a previous instance left. If a step fails,
// the steps made are undone in reverse, leaving the firewall as it was.
func (b *IPTables) Init(ctx context.Context) error { return b.setup(ctx, true) }

// Establish is Init keeping the open rules: see Backend.
func (b *IPTables) Establish(ctx context.Context) error { return b.setup(ctx, false) }

func (b *IPTables) setup(ctx context.Context, empty bool) error {
	if b.guard != nil {
		if err := b.guard.Validate(); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.noV6 == "" && b.v6 != nil && !ipv6Present() {
		b.noV6 = "IPv6 is disabled here (net.ipv6.conf.all.disable_ipv6)"
	}
	var undo []func() error
	fail := func(err error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](); uerr != nil {
				err = errors.Join(err, fmt.Errorf("undo: %w", uerr))
			}
		}
		return err
	}
	for _, f := range b.families() {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		created, err := ensureIPSet(f)
		if err != nil {
			return fail(err)
		}
		if created {
			undo = append(undo, func() error { return netlink.IpsetDestroy(f.set) })
		} else if empty {
			if err := netlink.IpsetFlush(f.set); err != nil {
				return fail(fmt.Errorf("ipset %s: empty it: %w", f.set, err))
			}
		}
		prev, existed, err := b.chainLines(f)
		if err != nil {
			return fail(err)
		}
		if err := b.restoreChain(ctx, f, b.wantLines(f, prev)); err != nil {
			return fail(err)
		}
		undo = append(undo, func() error {
			if existed {
				return b.restoreChain(context.Background(), f, prev)
			}
			// The jump goes first (it was added later, and undone first
			// when it was), then the chain iptables-restore created.
			return f.ipt.ClearAndDeleteChain(filterTable, IPTablesChain)
		})
		added, err := jumpFirst(f, empty)
		if err != nil {
			return fail(err)
		}
		if added {
			undo = append(undo, func() error { return deleteAll(f.ipt, "INPUT", jumpSpec) })
		}
	}
	b.inited = true
	return nil
}

// ipv6Present reports whether this network namespace has IPv6 turned on.
func ipv6Present() bool {
	v, err := os.ReadFile("/proc/sys/net/ipv6/conf/all/disable_ipv6")
	return err == nil && strings.TrimSpace(string(v)) == "0"
}

// ensureIPSet creates f's ipset when it is missing, and reports whether
// it did.
func ensureIPSet(f family) (bool, error) {
	if _, err := netlink.IpsetList(f.set); err == nil {
		return false, nil
	}
	fam := uint8(unix.AF_INET)
	if f.v6 {
		fam = unix.AF_INET6
	}
	noTimeout := uint32(0) // per-element timeouts; 0 on an element: none
	if err := netlink.IpsetCreate(f.set, "hash:ip,port", netlink.IpsetCreateOptions{Family: fam, Timeout: &noTimeout}); err != nil {
		return false, fmt.Errorf("ipset: create %s: %w (does this kernel have ip_set?)", f.set, err)
	}
	return true, nil
}

// chainLines are the rules of SESAMED as `iptables -S SESAMED` prints
// them, without the -N line, and whether the chain exists.
func (b *IPTables) chainLines(f family) ([]string, bool, error) {
	ok, err := f.ipt.ChainExists(filterTable, IPTablesChain)
	if err != nil {
		return nil, false, fmt.Errorf("%s: look for chain %s: %w", f.name(), IPTablesChain, err)
	}
	if !ok {
		return nil, false, nil
	}
	lines, err := f.ipt.List(filterTable, IPTablesChain)
	if err != nil {
		return nil, false, fmt.Errorf("%s: list %s: %w", f.name(), IPTablesChain, err)
	}
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A ") {
			out = append(out, l)
		}
	}
	return out, true, nil
}

// wantLines is what SESAMED must hold: the lookup, then the guard — ours,
// or, without one, the guard lines found there (install's, kept as they
// are).
func (b *IPTables) wantLines(f family, prev []string) []string {
	var g Guard
	if b.guard != nil {
		g = *b.guard
	}
	var out []string
	for _, spec := range guardSpecs(g, f.v6, f.set) {
		out = append(out, "-A "+IPTablesChain+" "+spec)
	}
	if b.guard == nil {
		for _, l := range prev {
			if hasComment(strings.Fields(l), GuardTag) {
				out = append(out, l)
			}
		}
	}
	return out
}

// hasComment reports whether an iptables -S rule carries exactly this
// comment.
func hasComment(fields []string, comment string) bool {
	i := slices.Index(fields, "--comment")
	return i >= 0 && i+1 < len(fields) && strings.Trim(fields[i+1], `"`) == comment
}

// restoreChain replaces SESAMED's rules with lines in one
// iptables-restore transaction (creating the chain when missing): there
// is no moment with half a chain.
func (b *IPTables) restoreChain(ctx context.Context, f family, lines []string) error {
	var in strings.Builder
	fmt.Fprintf(&in, "*%s\n:%s - [0:0]\n", filterTable, IPTablesChain)
	for _, l := range lines {
		in.WriteString(l + "\n")
	}
	in.WriteString("COMMIT\n")
	prog := f.name() + b.suffix + "-restore"
	cmd := exec.CommandContext(ctx, prog, "-w", "--noflush")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: write chain %s: %w: %s", prog, IPTablesChain, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// jumpFirst puts the jump to SESAMED first in INPUT, and makes it the only
// one there: a new one goes in first, then any other goes, so the chain is
// never out of the path. With !top a jump already in INPUT stays where it
// is: a rule inserted above it since (a knockd-style command's accept) is
// the admin's. It reports whether it inserted one.
func jumpFirst(f family, top bool) (bool, error) {
	lines, err := f.ipt.List(filterTable, "INPUT")
	if err != nil {
		return false, fmt.Errorf("%s: list INPUT: %w", f.name(), err)
	}
	var rules []string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, l)
		}
	}
	inserted := false
	if (top && (len(rules) == 0 || rules[0] != jumpLine)) || !slices.Contains(rules, jumpLine) {
		if err := f.ipt.Insert(filterTable, "INPUT", 1, jumpSpec...); err != nil {
			return false, fmt.Errorf("%s: jump from INPUT to %s: %w", f.name(), IPTablesChain, err)
		}
		rules = append([]string{jumpLine}, rules...)
		inserted = true
	}
	first := slices.Index(rules, jumpLine)
	for i := len(rules) - 1; i > first; i-- {
		if rules[i] == jumpLine {
			if err := f.ipt.Delete(filterTable, "INPUT", strconv.Itoa(i+1)); err != nil {
				return inserted, fmt.Errorf("%s: delete a second jump to %s: %w", f.name(), IPTablesChain, err)
			}
		}
	}
	return inserted, nil
}

// Check reports what of SESAMED, the jump to it, the ipsets and the guard
// is missing or out of order; nil when all is in place.
func (b *IPTables) Check(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.families() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := netlink.IpsetList(f.set); err != nil {
			return fmt.Errorf("ipset %s is gone", f.set)
		}
		lines, ok, err := b.chainLines(f)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: chain %s is gone", f.name(), IPTablesChain)
		}
		if want := b.wantLines(f, lines); !slices.Equal(lines, want) {
			return fmt.Errorf("%s: chain %s is not as sesamed set it up", f.name(), IPTablesChain)
		}
		input, err := f.ipt.List(filterTable, "INPUT")
		if err != nil {
			return fmt.Errorf("%s: list INPUT: %w", f.name(), err)
		}
		if !slices.Contains(input, jumpLine) {
			return fmt.Errorf("%s: the jump from INPUT to %s is gone", f.name(), IPTablesChain)
		}
	}
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

// ipsetMaxTimeout is the longest timeout, in seconds, the kernel's ipsets
// take.
const ipsetMaxTimeout = 2147483

// entry is r as an ipset member, held for ttl (0: no timeout).
func entry(r Rule, ttl time.Duration) *netlink.IPSetEntry {
	proto := uint8(unix.IPPROTO_TCP)
	if r.Proto == knocker.UDP {
		proto = unix.IPPROTO_UDP
	}
	port := r.Port
	// ipset counts whole seconds, up to ipsetMaxTimeout; a longer access
	// time gets none (sesamed's own timer still ends it).
	secs := uint32(0)
	if s := (ttl + time.Second - 1) / time.Second; s <= ipsetMaxTimeout {
		secs = uint32(s)
	}
	return &netlink.IPSetEntry{IP: r.Src.AsSlice(), Protocol: &proto, Port: &port, Timeout: &secs, Replace: true}
}

func (b *IPTables) setFor(r Rule) (string, error) {
	if !b.inited {
		return "", ErrNotInitialized
	}
	if r.Src.Is4() {
		return ipset4, nil
	}
	if b.v6 == nil || b.noV6 != "" {
		return "", fmt.Errorf("iptables: cannot accept %s: %s", r, cmp.Or(b.noV6, "ip6tables is not set up"))
	}
	return ipset6, nil
}

// Open adds r to its ipset for ttl (0: until Close), over netlink;
// opening it again re-arms the timeout.
func (b *IPTables) Open(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.checked("iptables", "open", ttl)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	set, err := b.setFor(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := netlink.IpsetAdd(set, entry(r, ttl)); err != nil {
		return fmt.Errorf("ipset %s: open %s: %w", set, r, err)
	}
	return nil
}

// Close deletes r from its ipset, if it is there.
func (b *IPTables) Close(ctx context.Context, r Rule) error {
	r, err := r.checked("iptables", "close", 0)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	set, err := b.setFor(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e := entry(r, 0)
	e.Timeout = nil
	if err := netlink.IpsetDel(set, e); err != nil && err != nl.IPSetError(nl.IPSET_ERR_EXIST) {
		return fmt.Errorf("ipset %s: close %s: %w", set, r, err)
	}
	return nil
}

// Rules lists the members of both ipsets, IPv4 first.
func (b *IPTables) Rules(ctx context.Context) ([]Rule, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.inited {
		return nil, ErrNotInitialized
	}
	return b.members(ctx)
}

// Stale lists the members the ipsets hold before Init.
func (b *IPTables) Stale(ctx context.Context) ([]Rule, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.members(ctx)
}

func (b *IPTables) members(ctx context.Context) ([]Rule, error) {
	var rules []Rule
	for _, set := range []string{ipset4, ipset6} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := netlink.IpsetList(set)
		if err != nil {
			continue // no set, no members
		}
		for _, e := range res.Entries {
			if r, ok := ruleFromEntry(e); ok {
				rules = append(rules, r)
			}
		}
	}
	return rules, nil
}

func ruleFromEntry(e netlink.IPSetEntry) (Rule, bool) {
	src, ok := netip.AddrFromSlice(e.IP)
	if !ok || e.Port == nil || e.Protocol == nil {
		return Rule{}, false
	}
	r := Rule{Src: src.Unmap(), Port: *e.Port}
	switch *e.Protocol {
	case unix.IPPROTO_TCP:
		r.Proto = knocker.TCP
	case unix.IPPROTO_UDP:
		r.Proto = knocker.UDP
	default:
		return Rule{}, false
	}
	return r, r.Validate() == nil
}

// Flush takes sesamed's accepts out: with a guard in SESAMED, the chain
// keeps only the guard (the port stays shut); without one, the jump and
// the chain go. Then the ipsets go.
func (b *IPTables) Flush(ctx context.Context) error { return b.remove(ctx, true) }

// Unguard takes the guard out of SESAMED; when nothing is left there, the
// jump and the chain go too: after Flush, what `sesamed uninstall` does.
func (b *IPTables) Unguard(ctx context.Context) error { return b.remove(ctx, false) }

func (b *IPTables) remove(ctx context.Context, daemon bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, ipt := range []*iptables.IPTables{b.v4, b.v6} {
		if ipt == nil || (ipt == b.v6 && b.noV6 != "") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f := family{ipt: ipt, v6: ipt == b.v6}
		lines, ok, err := b.chainLines(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		// Keep the other half: the guard when sesamed stops, sesamed's
		// lookup when the guard goes.
		drop := Tag
		if !daemon {
			drop = GuardTag
		}
		var keep []string
		for _, l := range lines {
			if !hasComment(strings.Fields(l), drop) {
				keep = append(keep, l)
			}
		}
		if len(keep) > 0 {
			if err := b.restoreChain(ctx, f, keep); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		// No chain, no jump: iptables refuses a jump to a missing chain.
		if err := deleteAll(ipt, "INPUT", jumpSpec); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := ipt.ClearAndDeleteChain(filterTable, IPTablesChain); err != nil {
			errs = append(errs, fmt.Errorf("%s: delete chain %s: %w", familyName(ipt), IPTablesChain, err))
		}
	}
	for _, set := range []string{ipset4, ipset6} {
		if res, err := netlink.IpsetList(set); err != nil || (!daemon && res.References > 0) {
			continue // no set, or sesamed's lookup still uses it
		}
		if err := netlink.IpsetDestroy(set); err != nil {
			errs = append(errs, fmt.Errorf("ipset: destroy %s: %w", set, err))
		}
	}
	if daemon {
		b.inited = false
	}
	return errors.Join(errs...)
}
