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
// door whose knock opens the guarded port for the knocking address through
// sesamed's native action (Open_Ports, no shell, no firewall program run
// per knock) in the backend install chose, so that the accept always lands
// where it beats the baseline's drop. The access time is the guides' 10
// seconds: long enough to connect; the established connection stays.
// knockd does not read these keys: the file is sesamed's.
func DefaultConfig(backend string, port uint16, proto knocker.Proto, seq knocker.Sequence) []byte {
	return []byte(fmt.Sprintf(`# knockd.conf written by sesamed install.
[options]
	UseSyslog
	Firewall = %[1]s

[open%[2]s%[3]d]
	sequence    = %[4]s
	seq_timeout = 5
	tcpflags    = syn
	open_ports  = %[3]d:%[5]s
	access_time = 10
`, backend, strings.ToUpper(proto.String()), port, seq.String(), proto))
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
