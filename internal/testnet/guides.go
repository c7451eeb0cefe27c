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
