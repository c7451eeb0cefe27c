package testnet

import (
	"bytes"
	"sync"
)

// GuideConf is the knockd.conf the common knockd guides publish: an
// openSSH door (7000,8000,9000) that inserts an ACCEPT for the knocking
// address on port 22, and a closeSSH door (9000,8000,7000) that deletes it.
const GuideConf = `[options]
	logfile = /dev/null

[openSSH]
	sequence    = 7000,8000,9000
	seq_timeout = 5
	command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn

[closeSSH]
	sequence    = 9000,8000,7000
	seq_timeout = 5
	command     = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn
`

// DebianStockConf is the knockd.conf Debian's knockd package ships: the
// guides' doors, but its accept is appended to INPUT (-A), below any drop
// already there.
const DebianStockConf = `[options]
	UseSyslog

[openSSH]
	sequence    = 7000,8000,9000
	seq_timeout = 5
	command     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn

[closeSSH]
	sequence    = 9000,8000,7000
	seq_timeout = 5
	command     = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn
`

// Buffer is a bytes.Buffer safe for a process's (or a session's) output
// goroutines writing while the test reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// More of the guides' configurations, for the sesamed tests that run them
// against knockd and sesamed side by side.
const (
	// MixedConf: UDP and TCP knocks, a stop command after cmd_timeout.
	MixedConf = `[options]
	logfile = /dev/null

[SSH]
	sequence      = 2222:udp,3333:tcp,4444:udp
	seq_timeout   = 15
	start_command = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	cmd_timeout   = 3
	stop_command  = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
	// UDPConf: all UDP, a long timeout for slow knocks.
	UDPConf = `[options]
	logfile = /dev/null

[openSSH]
	sequence    = 5000:udp,6000:udp,7000:udp
	seq_timeout = 20
	command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
	// IPv6Conf: separate commands for IPv6 knocks.
	IPv6Conf = `[options]
	logfile = /dev/null

[openSSH]
	sequence        = 7000,8000,9000
	seq_timeout     = 5
	tcpflags        = syn
	start_command   = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	start_command_6 = /sbin/ip6tables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
)
