//go:build linux

package terminal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/creack/pty"

	"sesame/internal/testnet"
)

// The whole widget on a real program: vim in a pty, attached with Attach,
// driven by key events, checked on what the widget drew.
func TestWidgetRunsVim(t *testing.T) {
	testnet.RequireTools(t, "vim")
	h := newHarness(t, 60, 15)
	dir := t.TempDir()
	var text strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&text, "widget line %02d\n", i)
	}
	file := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(file, []byte(text.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("vim", "-u", "NONE", "-N", "-i", "NONE", "-n", file)
	cmd.Env = []string{"TERM=xterm-256color", "LANG=C.UTF-8", "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	// The pty starts at the widget's size: a SIGWINCH that reaches vim
	// before it sets its handler is lost and leaves it drawing 10 columns
	// (the likely cause of this test timing out on a loaded machine). The
	// resize below checks that vim hears of a new size.
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 60, Rows: 15})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer cmd.Process.Kill()

	done := make(chan error, 1)
	go func() {
		done <- h.term.Attach(context.Background(), f, f, func(cols, rows int) {
			pty.Setsize(f, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
		})
	}()
	drawn := func(y int, want string) {
		t.Helper()
		testnet.WaitFor(t, fmt.Sprintf("row %d drawn as %q", y, want), func() (ok bool) {
			h.onUI(func() { ok = h.shownRow(y) == want })
			return ok
		})
	}
	drawn(0, "widget line 01")
	drawn(13, "widget line 14")

	// Keys as Fyne delivers them: runes for text, TypedKey for the rest.
	h.onUI(func() {
		test.Type(h.term, "G")
	})
	drawn(13, "widget line 40")
	h.onUI(func() {
		test.Type(h.term, "gg")
		h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		test.Type(h.term, "dd")
	})
	drawn(2, "widget line 04")
	// A bigger window: vim hears of it and fills it.
	h.onUI(func() { h.resize(70, 20) })
	drawn(18, "widget line 20")

	h.onUI(func() {
		test.Type(h.term, ":q!")
		h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	if err := <-done; err != nil && !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("Attach ended with %v", err) // a pty reports its end as EIO
	}
	cmd.Wait()
	if h.term.Model().Modes().AltScreen {
		t.Error("still on the alternate screen after vim quit")
	}
}
