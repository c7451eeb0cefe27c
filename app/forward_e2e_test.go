//go:build linux

package app

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/knocker"
	"sesame/profiles"
)

// The real app in a real window, with a profile's port forward and a
// profile behind a jump host: the -L forward, made by the session opened
// from the list, reaches a service only the server's loopback has; the
// inner host, connected from the tray, has its door knocked from the
// bastion (its only way in) and its session comes from the bastion;
// closing each tab closes every door, the inner one first.
func TestRealWindowForwardAndJumpHost(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	g := newGuardedSSH(t)
	g.pair.Server.ServeGreeting(t, "127.0.0.1:7001", "on the server")

	// inner: a host only the bastion (the guarded server, profile lab)
	// reaches, with a knockd door of its own on other ports.
	inner, link := testnet.Behind(t, g.pair.Server, 0)
	inner.GuardSSH(t)
	isshd := inner.SSHD(t)
	pub, err := os.ReadFile(filepath.Join(g.home, ".ssh", "id_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(isshd.AuthorizedKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	inner.Knockd(t, link.FarIf, strings.NewReplacer("7000", "7100", "8000", "7200", "9000", "7300").Replace(testnet.GuideConf))
	known, err := os.OpenFile(filepath.Join(g.home, ".ssh", "known_hosts"), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, err = known.WriteString(link.Far.String() + " " + isshd.HostKey + "\n")
	if cerr := known.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	seq := func(s string) knocker.Sequence {
		q, err := knocker.ParseSequence(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	fw, err := profiles.ParseForward("L 127.0.0.1:17001:127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	fwd := &profiles.Profile{Name: "fwd", Host: testnet.ServerAddr4.String(), User: "root", Forwards: []profiles.Forward{fw},
		Secrets: profiles.Secrets{Open: seq("7000,8000,9000"), Close: seq("9000,8000,7000")}}
	innerP := &profiles.Profile{Name: "inner", Host: link.Far.String(), User: "root", Jump: []string{"lab"},
		Secrets: profiles.Secrets{Open: seq("7100,7200,7300"), Close: seq("7300,7200,7100")}}

	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g, fwd, innerP)
	a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	win := a.window(t)
	a.disp.Xdotool(t, "windowfocus", "--sync", win)
	client := testnet.ClientAddr4.String()
	prompt := func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	}

	// The forward: Enter in the filter connects the profile it selects.
	a.disp.Xdotool(t, "type", "--delay", "30", "fwd")
	a.waitState(t, "fwd selected", func(st hookState) bool { return st.Selected == "fwd" })
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "fwd's shell", prompt)
	got, c := g.pair.Client.Greeting(t, "127.0.0.1:17001")
	if got != "on the server" {
		t.Errorf("the forward 127.0.0.1:17001 says %q, want the server's loopback service", got)
	}
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("forward-session.png"))
	c.Close()
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.waitState(t, "fwd's tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
	g.pair.Server.WaitAccept(t, client, false)
	if _, err := g.pair.Client.Dial(netip.MustParseAddrPort("127.0.0.1:17001"), time.Second); err == nil {
		t.Error("the forward still listens after its tab closed")
	}

	// The jump host, from the tray's menu.
	a.trayClick(t, "inner", "Connect")
	a.waitState(t, "inner's shell", prompt)
	a.disp.Xdotool(t, "windowfocus", "--sync", win)
	a.waitState(t, "the terminal's focus", func(st hookState) bool { return st.Tabs[0].Title == "inner" })
	a.disp.Xdotool(t, "type", "--delay", "20", `echo "from $SSH_CONNECTION" | cut -d" " -f1,2`)
	a.disp.Xdotool(t, "key", "Return")
	st := a.waitState(t, "sshd's SSH_CONNECTION on the inner host", func(st hookState) bool {
		return strings.Contains(tabScreen(st, 0), "\nfrom 192.0.2.")
	})
	if want := "\nfrom " + link.Near.String() + "\n"; !strings.Contains(tabScreen(st, 0), want) {
		t.Errorf("the inner host's session does not come from the bastion's %s:\n%s", link.Near, tabScreen(st, 0))
	}
	if want := "root@" + link.Far.String() + ":22 through lab"; !strings.Contains(fmt.Sprint(st.Texts), want) {
		t.Errorf("the tab's header does not say %q", want)
	}
	if !g.pair.Server.HasAcceptFrom(t, client) {
		t.Error("the bastion's door is not open for the client during the session")
	}
	if !inner.HasAcceptFrom(t, link.Near.String()) {
		t.Error("the inner door is not open for the bastion during the session")
	}
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("jump-session.png"))
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.waitState(t, "inner's tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
	inner.WaitAccept(t, link.Near.String(), false)
	g.pair.Server.WaitAccept(t, client, false)
}
