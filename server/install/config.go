package install

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"sesame/knocker"
)

// RandomSequence draws a three-knock sequence (TCP and UDP mixed) on ports
// from 1024 up, none of them the guarded port, from crypto/rand: the
// guides' 7000,8000,9000 is the first thing a scanner tries.
func RandomSequence(guarded uint16) (knocker.Sequence, error) {
	var seq knocker.Sequence
	for len(seq) < 3 {
		n, err := rand.Int(rand.Reader, big.NewInt(2*(65536-1024)))
		if err != nil {
			return nil, fmt.Errorf("random sequence: %w", err)
		}
		v := n.Int64()
		st := knocker.Step{Port: uint16(1024 + v/2), Proto: knocker.TCP}
		if v%2 == 1 {
			st.Proto = knocker.UDP
		}
		if st.Port == guarded || (len(seq) > 0 && seq[len(seq)-1].Port == st.Port) {
			continue
		}
		seq = append(seq, st)
	}
	return seq, nil
}

// DefaultConfig is the knockd.conf install writes when there is none: one
// door opening the guarded port for the knocking address for 10 seconds,
// with knockd's own keys so that knockd reads it too. The commands are the
// guides' iptables ones for the iptables backend; for nftables they add to
// and remove from the set sesamed's nftables backend looks up.
func DefaultConfig(backend string, port uint16, proto knocker.Proto, seq knocker.Sequence) []byte {
	var open4, close4, open6, close6 string
	p := proto.String()
	switch backend {
	case "nftables":
		elem := fmt.Sprintf("{ %%IP%% . %s . %d }", p, port)
		open4 = "/usr/sbin/nft add element inet sesamed sesamed_allow4 " + elem
		close4 = "/usr/sbin/nft delete element inet sesamed sesamed_allow4 " + elem
		open6 = "/usr/sbin/nft add element inet sesamed sesamed_allow6 " + elem
		close6 = "/usr/sbin/nft delete element inet sesamed sesamed_allow6 " + elem
	default:
		rule := fmt.Sprintf("INPUT -s %%IP%% -p %s --dport %d -j ACCEPT", p, port)
		open4, close4 = "/usr/sbin/iptables -I "+rule, "/usr/sbin/iptables -D "+rule
		open6, close6 = "/usr/sbin/ip6tables -I "+rule, "/usr/sbin/ip6tables -D "+rule
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# knockd.conf written by sesamed install; sesamed and knockd both read it.
[options]
	UseSyslog

[open%[1]s]
	sequence        = %[2]s
	seq_timeout     = 5
	tcpflags        = syn
	start_command   = %[3]s
	start_command_6 = %[4]s
	cmd_timeout     = 10
	stop_command    = %[5]s
	stop_command_6  = %[6]s
`, strings.ToUpper(p)+fmt.Sprint(port), seq.String(), open4, open6, close4, close6)
	return []byte(b.String())
}

// redactSequence hides the values of the sequence lines of a config for
// printing: the plan shows what is written, but a knock sequence is a
// secret.
func redactSequence(conf []byte) string {
	lines := strings.Split(string(conf), "\n")
	for i, l := range lines {
		key, _, ok := strings.Cut(l, "=")
		if ok && strings.EqualFold(strings.TrimSpace(key), "sequence") {
			lines[i] = key + "= <secret: see the file>"
		}
	}
	return strings.Join(lines, "\n")
}
