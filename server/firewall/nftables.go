//go:build linux

package firewall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"sesame/knocker"
)

// The nftables table and chain sesamed uses unless told otherwise. The
// table is sesamed's own: created when missing, removed by Flush when
// nothing else lives in it.
const (
	NFTDefaultTable = "sesamed"
	NFTDefaultChain = "input"
)

// The sets holding the open (source, protocol, port) triples, one per
// address family; their names carry the tag so that they can share a table
// with anybody's sets.
const (
	nftSet4 = Tag + "_allow4"
	nftSet6 = Tag + "_allow6"
)

var (
	setType4 = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
	setType6 = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeInetProto, nftables.TypeInetService)
)

// NFTables is the nftables backend. It talks netlink to the kernel
// directly (no nft program) and keeps the open rules as elements of two
// sets (with per-element timeouts, so that a grant ends on time even when
// sesamed does not), looked up by two rules at the top of one inet chain:
//
//	ip saddr . meta l4proto . th dport @sesamed_allow4 accept comment "sesamed"
//	ip6 saddr . meta l4proto . th dport @sesamed_allow6 accept comment "sesamed"
//
// so Open and Close are one netlink transaction each (add or delete one
// element), a second Open of the same rule adds nothing, and the lookup
// costs the same however many addresses are open. With a Guard, the guard's
// rules follow the lookups in the same chain, built in the same
// transaction.
//
// nftables runs every base chain hooked at input, and a packet must get
// through all of them: an accept only ends its own chain. So the chain
// sesamed's rules go in must be the chain that drops the guarded port —
// sesamed's own (inet sesamed input), or an existing chain of yours named
// by NFTablesOptions.
type NFTables struct {
	table     *nftables.Table
	chainName string
	own       bool   // the table is sesamed's own
	guard     *Guard // nil: leave any guard there is as it is

	mu    sync.Mutex
	chain *nftables.Chain // nil until Init
	sets  [2]*nftables.Set
	// timed holds the open rules added with a timeout, so that opening
	// one again re-arms its timeout (the kernel keeps the old one on a
	// plain add).
	timed map[Rule]struct{}
}

// NFTablesOptions configure NewNFTables.
type NFTablesOptions struct {
	// Table and Chain name the inet chain sesamed's rules go in, at its
	// top. Empty means sesamed's own table "sesamed" and chain "input",
	// created (as a filter chain at the input hook, priority filter, policy
	// accept) when missing. A table and chain of yours must exist.
	Table, Chain string
	// Guard, when set, is kept in the chain below sesamed's accepts.
	Guard *Guard
}

// NewNFTables returns the nftables backend. It touches nothing until Init.
func NewNFTables(opt NFTablesOptions) *NFTables {
	b := &NFTables{
		table:     &nftables.Table{Family: nftables.TableFamilyINet, Name: opt.Table},
		chainName: opt.Chain,
		guard:     opt.Guard,
		timed:     map[Rule]struct{}{},
	}
	if b.table.Name == "" {
		b.table.Name = NFTDefaultTable
	}
	if b.chainName == "" {
		b.chainName = NFTDefaultChain
	}
	b.own = b.table.Name == NFTDefaultTable
	return b
}

// Name is "nftables".
func (b *NFTables) Name() string { return nameNFTables }

func (b *NFTables) where() string {
	return fmt.Sprintf("inet %s %s", b.table.Name, b.chainName)
}

// conn opens a netlink connection for one operation, in the network
// namespace of the calling thread.
func (b *NFTables) conn() (*nftables.Conn, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: netlink: %w", err)
	}
	return c, nil
}

// begin checks ctx and opens a connection for one operation, then looks up
// the table and chain; either may come back nil. Call it with b.mu held.
func (b *NFTables) begin(ctx context.Context) (*nftables.Conn, *nftables.Table, *nftables.Chain, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	c, err := b.conn()
	if err != nil {
		return nil, nil, nil, err
	}
	table, chain, err := b.find(c)
	return c, table, chain, err
}

// find looks up the table and chain; either may come back nil.
func (b *NFTables) find(c *nftables.Conn) (*nftables.Table, *nftables.Chain, error) {
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, nil, fmt.Errorf("nftables: list tables: %w", err)
	}
	var table *nftables.Table
	for _, t := range tables {
		if t.Name == b.table.Name {
			table = t
		}
	}
	if table == nil {
		return nil, nil, nil
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, nil, fmt.Errorf("nftables: list chains: %w", err)
	}
	for _, ch := range chains {
		if ch.Table.Name == table.Name && ch.Name == b.chainName {
			return table, ch, nil
		}
	}
	return table, nil, nil
}

// comment is a rule's comment, "" without one.
func comment(r *nftables.Rule) string {
	c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return c
}

// tagged reports whether a rule is one of the daemon's lookups.
func tagged(r *nftables.Rule) bool { return comment(r) == Tag }

// ourSets finds sesamed's two sets in table; either may be nil.
func ourSets(c *nftables.Conn, table *nftables.Table) ([2]*nftables.Set, error) {
	var sets [2]*nftables.Set
	all, err := c.GetSets(table)
	if err != nil {
		return sets, fmt.Errorf("nftables: list sets of table inet %s: %w", table.Name, err)
	}
	for _, s := range all {
		switch s.Name {
		case nftSet4:
			sets[0] = s
		case nftSet6:
			sets[1] = s
		}
	}
	return sets, nil
}

// queueRemoval queues the deletion of our lookups and sets in the chain
// (daemon), or of the guard's rules (!daemon). It reports whether anything
// else is left in the chain or table.
func (b *NFTables) queueRemoval(c *nftables.Conn, table *nftables.Table, chain *nftables.Chain, daemon bool) (others bool, err error) {
	rules, err := c.GetRules(table, chain)
	if err != nil {
		return false, fmt.Errorf("nftables: list rules of %s: %w", b.where(), err)
	}
	mine := Tag
	if !daemon {
		mine = GuardTag
	}
	for _, r := range rules {
		if comment(r) != mine {
			others = true
			continue
		}
		if err := c.DelRule(r); err != nil {
			return false, fmt.Errorf("nftables: delete rule: %w", err)
		}
	}
	sets, err := c.GetSets(table)
	if err != nil {
		return false, fmt.Errorf("nftables: list sets of table inet %s: %w", table.Name, err)
	}
	for _, s := range sets {
		if daemon && (s.Name == nftSet4 || s.Name == nftSet6) {
			c.DelSet(s)
		} else {
			others = true
		}
	}
	return others, nil
}

// Init sets up sesamed's table and chain (created when they are its own
// and missing), its sets, their lookups at the top of the chain and, with
// a Guard, the guard below them, all in one transaction, and empties the
// sets of what a previous instance left (after a crash; Stale lists it
// first).
func (b *NFTables) Init(ctx context.Context) error { return b.setup(ctx, true) }

// Establish is Init without emptying the sets: the rules open now stay
// open. It puts back whatever of sesamed's chain, sets, lookups and guard
// is missing, and puts them in order, in one transaction; `sesamed install`
// uses it to add the guard beside a running sesamed, and sesamed to repair
// its chain after a reload of the firewall.
func (b *NFTables) Establish(ctx context.Context) error { return b.setup(ctx, false) }

func (b *NFTables) setup(ctx context.Context, empty bool) error {
	if b.guard != nil {
		if err := b.guard.Validate(); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, table, chain, err := b.begin(ctx)
	if err != nil {
		return err
	}
	if (table == nil || chain == nil) && !b.own {
		return fmt.Errorf("nftables: chain %s not found: create it, or leave the table unset to use sesamed's own", b.where())
	}
	if table == nil {
		table = c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: b.table.Name})
	}
	var sets [2]*nftables.Set
	if chain == nil {
		policy := nftables.ChainPolicyAccept
		chain = c.AddChain(&nftables.Chain{
			Name:     b.chainName,
			Table:    table,
			Type:     nftables.ChainTypeFilter,
			Hooknum:  nftables.ChainHookInput,
			Priority: nftables.ChainPriorityFilter,
			Policy:   &policy,
		})
	} else {
		rules, err := c.GetRules(table, chain)
		if err != nil {
			return fmt.Errorf("nftables: list rules of %s: %w", b.where(), err)
		}
		for _, r := range rules {
			if tagged(r) || (b.guard != nil && comment(r) == GuardTag) {
				if err := c.DelRule(r); err != nil {
					return fmt.Errorf("nftables: delete rule: %w", err)
				}
			}
		}
		if sets, err = ourSets(c, table); err != nil {
			return err
		}
	}
	for i, fam := range []struct {
		name    string
		keyType nftables.SetDatatype
	}{{nftSet4, setType4}, {nftSet6, setType6}} {
		if s := sets[i]; s != nil && !s.HasTimeout {
			// An older sesamed's set, without timeouts: replace it (its
			// lookup went above).
			c.DelSet(s)
			sets[i] = nil
		}
		if sets[i] != nil {
			if empty {
				c.FlushSet(sets[i])
			}
			continue
		}
		s := &nftables.Set{
			Table:         table,
			Name:          fam.name,
			KeyType:       fam.keyType,
			Concatenation: true,
			HasTimeout:    true,
		}
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nftables: add set %s: %w", fam.name, err)
		}
		sets[i] = s
	}
	// InsertRule puts a rule first, so insert from the last rule up: the
	// guard's drop, its accepts, then the IPv6 and IPv4 lookups.
	if b.guard != nil {
		guard := guardRules(table, chain, *b.guard)
		for i := len(guard) - 1; i >= 0; i-- {
			c.InsertRule(guard[i])
		}
	}
	c.InsertRule(lookupRule(table, chain, sets[1], true))
	c.InsertRule(lookupRule(table, chain, sets[0], false))
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: set up %s: %w", b.where(), err)
	}
	if empty {
		clear(b.timed)
	}
	b.chain, b.sets = chain, sets
	return nil
}

// Check reports what of sesamed's chain, sets, lookups and guard is
// missing or out of order, nil when all is in place.
func (b *NFTables) Check(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, table, chain, err := b.begin(ctx)
	if err != nil {
		return err
	}
	if table == nil || chain == nil {
		return fmt.Errorf("chain %s is gone", b.where())
	}
	sets, err := ourSets(c, table)
	if err != nil {
		return err
	}
	if sets[0] == nil || sets[1] == nil {
		return fmt.Errorf("set %s or %s is gone", nftSet4, nftSet6)
	}
	rules, err := c.GetRules(table, chain)
	if err != nil {
		return fmt.Errorf("nftables: list rules of %s: %w", b.where(), err)
	}
	if len(rules) < 2 || !tagged(rules[0]) || !tagged(rules[1]) {
		return fmt.Errorf("sesamed's accepts are not at the top of %s", b.where())
	}
	if b.guard == nil {
		return nil
	}
	want := len(guardRules(table, chain, *b.guard))
	n := 0
	for _, r := range rules[2:] {
		if comment(r) != GuardTag {
			break
		}
		n++
	}
	if n != want {
		return fmt.Errorf("the guard of %s/%d is not right below sesamed's accepts in %s", b.guard.Proto, b.guard.Port, b.where())
	}
	return nil
}

// guardRules are the guard's rules in order: established and related
// traffic accepted, the allowed sources accepted, the port dropped.
func guardRules(t *nftables.Table, ch *nftables.Chain, g Guard) []*nftables.Rule {
	tag := userdata.AppendString(nil, userdata.TypeComment, GuardTag)
	rule := func(exprs ...expr.Any) *nftables.Rule {
		return &nftables.Rule{Table: t, Chain: ch, Exprs: exprs, UserData: tag}
	}
	proto := byte(unix.IPPROTO_TCP)
	if g.Proto == knocker.UDP {
		proto = unix.IPPROTO_UDP
	}
	port := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(g.Port >> 8), byte(g.Port)}},
	}
	state := binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED)
	rules := []*nftables.Rule{rule(
		&expr.Ct{Key: expr.CtKeySTATE, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: state, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		&expr.Verdict{Kind: expr.VerdictAccept},
	)}
	for _, v6 := range []bool{false, true} {
		nfproto, off, n := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4)
		if v6 {
			nfproto, off, n = unix.NFPROTO_IPV6, 8, 16
		}
		for _, a := range g.allowed(v6) {
			mask := net.CIDRMask(a.Bits(), a.Addr().BitLen())
			exprs := []expr.Any{
				&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.Addr().AsSlice()},
			}
			exprs = append(append(exprs, port...), &expr.Verdict{Kind: expr.VerdictAccept})
			rules = append(rules, rule(exprs...))
		}
	}
	drop := append(append([]expr.Any{}, port...), &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop})
	return append(rules, rule(drop...))
}

// lookupRule is `ip[6] saddr . meta l4proto . th dport @set counter accept`
// with our comment. In a concatenation each field starts on its own 32-bit
// register: the source fills 1 (= 32-bit registers 8..11), then l4proto
// and the port follow it.
func lookupRule(t *nftables.Table, ch *nftables.Chain, s *nftables.Set, ipv6 bool) *nftables.Rule {
	nfproto, off, n, reg := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4), uint32(9)
	if ipv6 {
		nfproto, off, n, reg = unix.NFPROTO_IPV6, 8, 16, 12
	}
	return &nftables.Rule{
		Table: t,
		Chain: ch,
		Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg},
			&expr.Payload{DestRegister: reg + 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID},
			&expr.Counter{},
			&expr.Verdict{Kind: expr.VerdictAccept},
		},
		UserData: userdata.AppendString(nil, userdata.TypeComment, Tag),
	}
}

// elementKey is the set key for r: the address, then the protocol and the
// port each padded to 4 bytes, as concatenations are laid out.
func elementKey(r Rule) []byte {
	a := r.Src.AsSlice()
	proto := byte(unix.IPPROTO_TCP)
	if r.Proto == knocker.UDP {
		proto = unix.IPPROTO_UDP
	}
	return append(a, proto, 0, 0, 0, byte(r.Port>>8), byte(r.Port), 0, 0)
}

// ruleFromKey reads a set key back; false for a key elementKey never makes.
func ruleFromKey(k []byte) (Rule, bool) {
	n := len(k) - 8
	if n != 4 && n != 16 {
		return Rule{}, false
	}
	src, _ := netip.AddrFromSlice(k[:n])
	r := Rule{Src: src, Port: uint16(k[n+4])<<8 | uint16(k[n+5])}
	switch k[n] {
	case unix.IPPROTO_TCP:
		r.Proto = knocker.TCP
	case unix.IPPROTO_UDP:
		r.Proto = knocker.UDP
	default:
		return Rule{}, false
	}
	return r, r.Validate() == nil
}

func (b *NFTables) setFor(r Rule) (*nftables.Set, error) {
	if b.chain == nil {
		return nil, ErrNotInitialized
	}
	if r.Src.Is4() {
		return b.sets[0], nil
	}
	return b.sets[1], nil
}

// Open adds r to its set for ttl (0: until Close): one netlink
// transaction. Opening a rule that is open adds nothing, but re-arms its
// timeout: the kernel keeps an element's old timeout on a plain add, so
// the element is added, deleted and added again in one transaction.
func (b *NFTables) Open(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.checked("nftables", "open", ttl)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.setFor(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := b.conn()
	if err != nil {
		return err
	}
	// The kernel counts in milliseconds; less than one would mean "none".
	if ttl > 0 && ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	elem := []nftables.SetElement{{Key: elementKey(r), Timeout: ttl}}
	_, armed := b.timed[r]
	if err := c.SetAddElements(s, elem); err != nil {
		return fmt.Errorf("nftables: open %s: %w", r, err)
	}
	if armed {
		if err := c.SetDeleteElements(s, elem); err != nil {
			return fmt.Errorf("nftables: open %s: %w", r, err)
		}
		if err := c.SetAddElements(s, elem); err != nil {
			return fmt.Errorf("nftables: open %s: %w", r, err)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: open %s in %s: %w", r, b.where(), err)
	}
	if ttl > 0 {
		b.timed[r] = struct{}{}
	} else {
		delete(b.timed, r)
	}
	return nil
}

// Close deletes r from its set; an element that is not there (its timeout
// ran out, say) is fine. Close is slower than Open (about 10 ms more,
// measured on Linux 6.18): a transaction that removes anything waits for
// an RCU grace period in the kernel, and holds the nftables commit lock
// meanwhile.
func (b *NFTables) Close(ctx context.Context, r Rule) error {
	r, err := r.checked("nftables", "close", 0)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.setFor(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := b.conn()
	if err != nil {
		return err
	}
	delete(b.timed, r)
	if err := c.SetDeleteElements(s, []nftables.SetElement{{Key: elementKey(r)}}); err != nil {
		return fmt.Errorf("nftables: close %s: %w", r, err)
	}
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("nftables: close %s in %s: %w", r, b.where(), err)
	}
	return nil
}

// Rules lists the elements of both sets, IPv4 first.
func (b *NFTables) Rules(ctx context.Context) ([]Rule, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.chain == nil {
		return nil, ErrNotInitialized
	}
	c, err := b.conn()
	if err != nil {
		return nil, err
	}
	return listElements(ctx, c, b.sets)
}

// Stale lists the rules open in sesamed's sets before Init: what a
// previous instance left there.
func (b *NFTables) Stale(ctx context.Context) ([]Rule, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, table, _, err := b.begin(ctx)
	if err != nil || table == nil {
		return nil, err
	}
	sets, err := ourSets(c, table)
	if err != nil {
		return nil, err
	}
	return listElements(ctx, c, sets)
}

func listElements(ctx context.Context, c *nftables.Conn, sets [2]*nftables.Set) ([]Rule, error) {
	var rules []Rule
	for _, s := range sets {
		if s == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		elems, err := c.GetSetElements(s)
		if err != nil {
			return nil, fmt.Errorf("nftables: list set %s: %w", s.Name, err)
		}
		for _, e := range elems {
			if r, ok := ruleFromKey(e.Key); ok {
				rules = append(rules, r)
			}
		}
	}
	return rules, nil
}

// Flush removes sesamed's lookups and sets from the chain, and sesamed's
// own table when nothing else is left in it, in one transaction. A guard
// stays: the port stays shut while sesamed is not running.
func (b *NFTables) Flush(ctx context.Context) error { return b.remove(ctx, true) }

// Unguard removes the guard's rules, and sesamed's own table when nothing
// else is left in it: after Flush, what `sesamed uninstall` does.
func (b *NFTables) Unguard(ctx context.Context) error { return b.remove(ctx, false) }

func (b *NFTables) remove(ctx context.Context, daemon bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, table, chain, err := b.begin(ctx)
	if err != nil {
		return err
	}
	if daemon {
		b.chain = nil
		clear(b.timed)
	}
	if table == nil || chain == nil {
		return nil
	}
	others, err := b.queueRemoval(c, table, chain, daemon)
	if err != nil {
		return err
	}
	if b.own && !others {
		chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
		if err != nil {
			return fmt.Errorf("nftables: list chains: %w", err)
		}
		alone := true
		for _, ch := range chains {
			if ch.Table.Name == table.Name && ch.Name != chain.Name {
				alone = false
			}
		}
		if alone {
			c.DelTable(table)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: clean up %s: %w", b.where(), err)
	}
	return nil
}
