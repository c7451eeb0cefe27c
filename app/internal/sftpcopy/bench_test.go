package sftpcopy

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// benchSize is the file each transfer moves: large enough that OpenSSH's
// login, timed apart and taken off, is small beside it.
const benchSize = 64 << 20

// BenchmarkSFTP is the Files pane's throughput (this package's Copier on
// the session's connection) against OpenSSH's sftp on the same veth link
// to the same sshd, upload and download, with the ratio (the issue's
// floor: 80 %).
func BenchmarkSFTP(b *testing.B) {
	testnet.RequireTools(b, "sftp")
	sc, p, sshd, home := benchServer(b)
	remote := filepath.Join(sshd.Dir, "home")
	local := b.TempDir()
	src := filepath.Join(local, "payload")
	data := make([]byte, benchSize)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	down := filepath.Join(local, "down")
	if err := os.Mkdir(down, 0o755); err != nil {
		b.Fatal(err)
	}
	// OpenSSH's sftp in the client namespace, with the client's key and
	// known_hosts; login is its time with an empty batch.
	openssh := func(batch string) time.Duration {
		f := filepath.Join(local, "batch")
		if err := os.WriteFile(f, []byte(batch), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := p.Client.Command(context.Background(), "sftp", "-q", "-b", f, "-F", "/dev/null", "-o", "BatchMode=yes",
			"-i", filepath.Join(home, ".ssh", "id_ed25519"), "-o", "UserKnownHostsFile="+filepath.Join(home, ".ssh", "known_hosts"),
			"root@"+testnet.ServerAddr4.String()) // ssh reads ~ from the password database, not $HOME
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sftp: %v: %s", err, out)
		}
		return time.Since(start)
	}
	login := openssh("pwd\n")
	for range 2 {
		login = min(login, openssh("pwd\n"))
	}
	cp := Copier{C: sc}
	var ours, theirs [2]time.Duration // up, down
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := cp.Upload(context.Background(), src, "/root"); err != nil {
			b.Fatal(err)
		}
		ours[0] += time.Since(start)
		start = time.Now()
		if err := cp.Download(context.Background(), "/root/payload", down); err != nil {
			b.Fatal(err)
		}
		ours[1] += time.Since(start)
		os.Remove(filepath.Join(remote, "payload"))
		theirs[0] += openssh("put "+src+" /root/payload\n") - login
		theirs[1] += openssh("get /root/payload "+filepath.Join(down, "payload2")+"\n") - login
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(b.N) * benchSize / 1e6 / d.Seconds() }
	for i, dir := range []string{"up", "down"} {
		b.ReportMetric(mbps(ours[i]), "MB/s-"+dir)
		b.ReportMetric(mbps(theirs[i]), "MB/s-"+dir+"-openssh")
		b.ReportMetric(100*mbps(ours[i])/mbps(theirs[i]), "%-of-openssh-"+dir)
	}
	b.Logf("SFTP %d MiB over veth: up %.0f MB/s (OpenSSH sftp %.0f, %.0f %%), down %.0f MB/s (OpenSSH sftp %.0f, %.0f %%); floor 80 %%; OpenSSH's login (%s) taken off its times",
		benchSize>>20, mbps(ours[0]), mbps(theirs[0]), 100*mbps(ours[0])/mbps(theirs[0]),
		mbps(ours[1]), mbps(theirs[1]), 100*mbps(ours[1])/mbps(theirs[1]), login.Round(time.Millisecond))
}
