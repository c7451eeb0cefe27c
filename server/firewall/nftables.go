//go:build linux

package firewall

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/google/nftables"
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
// sets, looked up by two rules at the top of one inet chain:
//
//	ip saddr . meta l4proto . th dport @sesamed_allow4 accept comment "sesamed"
//	ip6 saddr . meta l4proto . th dport @sesamed_allow6 accept comment "sesamed"
//
// so Open and Close are one netlink transaction each (add or delete one
// element), a second Open of the same rule adds nothing, and the lookup
// costs the same however many addresses are open.
//
// nftables runs every base chain hooked at input, and a packet must get
// through all of them: an accept only ends its own chain. So the chain
// sesamed's rules go in must be the chain that drops the guarded port —
// the one `sesamed install` creates (inet sesamed input), or an existing
// chain of yours named by NFTablesOptions.
type NFTables struct {
	table     *nftables.Table
	chainName string
	own       bool // the table is sesamed's own

	mu    sync.Mutex
	chain *nftables.Chain // nil until Init
	sets  [2]*nftables.Set
}

// NFTablesOptions configure NewNFTables.
type NFTablesOptions struct {
	// Table and Chain name the inet chain sesamed's rules go in, at its
	// top. Empty means sesamed's own table "sesamed" and chain "input",
	// created (as a filter chain at the input hook, priority filter, policy
	// accept) when missing. A table and chain of yours must exist.
	Table, Chain string
}

// NewNFTables returns the nftables backend. It touches nothing until Init.
func NewNFTables(opt NFTablesOptions) *NFTables {
	b := &NFTables{
		table:     &nftables.Table{Family: nftables.TableFamilyINet, Name: opt.Table},
		chainName: opt.Chain,
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

// tagged reports whether a rule is one of ours.
func tagged(r *nftables.Rule) bool {
	c, ok := userdata.GetString(r.UserData, userdata.TypeComment)
	return ok && c == Tag
}

// queueRemoval queues the deletion of our rules and sets in the chain.
// It reports whether anything other than ours is in the chain or table.
func (b *NFTables) queueRemoval(c *nftables.Conn, table *nftables.Table, chain *nftables.Chain) (others bool, err error) {
	rules, err := c.GetRules(table, chain)
	if err != nil {
		return false, fmt.Errorf("nftables: list rules of %s: %w", b.where(), err)
	}
	for _, r := range rules {
		if !tagged(r) {
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
		if s.Name == nftSet4 || s.Name == nftSet6 {
			c.DelSet(s)
		} else {
			others = true
		}
	}
	return others, nil
}

// Init creates sesamed's table and chain when they are its own and
// missing, removes whatever a previous instance left in the chain, and puts
// the two set lookups at the top of the chain, all in one transaction.
func (b *NFTables) Init(ctx context.Context) error {
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
	} else if _, err := b.queueRemoval(c, table, chain); err != nil {
		return err
	}
	var sets [2]*nftables.Set
	for i, fam := range []struct {
		name    string
		keyType nftables.SetDatatype
	}{{nftSet4, setType4}, {nftSet6, setType6}} {
		s := &nftables.Set{
			Table:         table,
			Name:          fam.name,
			KeyType:       fam.keyType,
			Concatenation: true,
		}
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nftables: add set %s: %w", fam.name, err)
		}
		sets[i] = s
	}
	// InsertRule puts a rule first, so insert IPv6 then IPv4.
	c.InsertRule(lookupRule(table, chain, sets[1], true))
	c.InsertRule(lookupRule(table, chain, sets[0], false))
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: set up %s: %w", b.where(), err)
	}
	b.chain, b.sets = chain, sets
	return nil
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

// Open adds r to its set: one netlink transaction. Adding an element that
// is already there leaves the set as it was.
func (b *NFTables) Open(ctx context.Context, r Rule) error {
	return b.change(ctx, r, "open", (*nftables.Conn).SetAddElements)
}

// Close deletes r from its set; an element that is not there is fine.
// Close is slower than Open (about 10 ms more, measured on Linux 6.18): a
// transaction that removes anything waits for an RCU grace period in the
// kernel, and holds the nftables commit lock meanwhile.
func (b *NFTables) Close(ctx context.Context, r Rule) error {
	err := b.change(ctx, r, "close", (*nftables.Conn).SetDeleteElements)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

func (b *NFTables) change(ctx context.Context, r Rule, what string, op func(*nftables.Conn, *nftables.Set, []nftables.SetElement) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r = r.normalize()
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
	if err := op(c, s, []nftables.SetElement{{Key: elementKey(r)}}); err != nil {
		return fmt.Errorf("nftables: %s %s: %w", what, r, err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: %s %s in %s: %w", what, r, b.where(), err)
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
	var rules []Rule
	for _, s := range b.sets {
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

// Flush removes sesamed's rules and sets from the chain, and sesamed's own
// table when nothing else is left in it (a baseline `sesamed install` put
// there stays), in one transaction.
func (b *NFTables) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, table, chain, err := b.begin(ctx)
	if err != nil {
		return err
	}
	b.chain = nil
	if table == nil || chain == nil {
		return nil
	}
	others, err := b.queueRemoval(c, table, chain)
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
