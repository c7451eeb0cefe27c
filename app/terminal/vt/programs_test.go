//go:build linux

package vt

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"sesame/internal/testnet"
)

// These tests run the real vim, less, tmux and htop in a pty with
// TERM=xterm-256color, feed what they print into a Terminal, send its
// replies and our keystrokes back, and check the grid.

type program struct {
	term *Terminal
	pty  *os.File
	cmd  *exec.Cmd
	done chan struct{} // the output is drained: the program exited
}

// startProgram shows before on the main screen, then runs the program on
// a cols×rows pty.
func startProgram(t *testing.T, cols, rows int, before string, env []string, name string, args ...string) *program {
	t.Helper()
	testnet.RequireTools(t, name)
	p := &program{done: make(chan struct{})}
	p.term = New(Options{Cols: cols, Rows: rows, Reply: func(b []byte) { p.pty.Write(b) }})
	p.term.SetDefaultColors([3]uint8{0xee, 0xee, 0xee}, [3]uint8{0x11, 0x11, 0x11})
	p.term.Write([]byte(before))

	home := t.TempDir()
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = home
	p.cmd.Env = append([]string{"TERM=xterm-256color", "LANG=C.UTF-8", "HOME=" + home, "PATH=" + os.Getenv("PATH")}, env...)
	f, err := pty.StartWithSize(p.cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatalf("start %s in a pty: %v", name, err)
	}
	p.pty = f
	go func() {
		io.Copy(p.term, f) // ends with EIO once the program is gone
		close(p.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the screen at the end:\n%s", p.term.ScreenText())
		}
		p.cmd.Process.Kill()
		p.cmd.Wait()
		f.Close()
		<-p.done
	})
	return p
}

func (p *program) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := p.pty.Write([]byte(keys)); err != nil {
		t.Fatalf("send %q: %v", keys, err)
	}
}

// waitRow waits until row y reads want (without trailing blanks).
func (p *program) waitRow(t *testing.T, y int, want string) {
	t.Helper()
	testnet.WaitFor(t, fmt.Sprintf("row %d to read %q", y, want), func() bool {
		return p.term.LineText(y) == want
	})
}

// waitText waits until some row contains all of the parts and returns it.
func (p *program) waitText(t *testing.T, parts ...string) int {
	t.Helper()
	row := -1
	testnet.WaitFor(t, fmt.Sprintf("a row with %q", parts), func() bool {
		_, rows := p.term.Size()
	next:
		for y := range rows {
			line := p.term.LineText(y)
			for _, s := range parts {
				if !strings.Contains(line, s) {
					continue next
				}
			}
			row = y
			return true
		}
		return false
	})
	return row
}

// exit waits for the program to end and its output to be read.
func (p *program) exit(t *testing.T) {
	t.Helper()
	testnet.WaitFor(t, "the program to exit", func() bool {
		select {
		case <-p.done:
			return true
		default:
			return false
		}
	})
	p.cmd.Wait()
}

func writeLines(t *testing.T, format string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format+"\n", i)
	}
	path := filepath.Join(t.TempDir(), "file.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const before = "$ echo before\r\nbefore\r\n$ "

// checkRestored asserts that the main screen is back as it was.
func checkRestored(t *testing.T, p *program) {
	t.Helper()
	if p.term.Modes().AltScreen {
		t.Error("still on the alternate screen after the program exited")
	}
	for y, want := range []string{"$ echo before", "before"} {
		if got := p.term.LineText(y); got != want {
			t.Errorf("after exit row %d = %q, want %q", y, got, want)
		}
	}
}

func TestVim(t *testing.T) {
	file := writeLines(t, "vim line %02d", 50)
	p := startProgram(t, 80, 24, before, nil, "vim", "-u", "NONE", "-N", "-i", "NONE", "-n", file)
	p.waitRow(t, 0, "vim line 01")
	p.waitText(t, "file.txt", "50L")
	if !p.term.Modes().AltScreen {
		t.Error("vim is not on the alternate screen")
	}
	for y := range 23 {
		if got, want := p.term.LineText(y), fmt.Sprintf("vim line %02d", y+1); got != want {
			t.Errorf("row %d = %q, want %q", y, got, want)
		}
	}
	if x, y := p.term.Cursor(); x != 0 || y != 0 {
		t.Errorf("cursor at %d,%d, want 0,0", x, y)
	}

	// Line numbers redraw every row with an inserted column.
	p.send(t, ":set number\r")
	p.waitRow(t, 0, "  1 vim line 01")
	// Jumping to the end scrolls.
	p.send(t, "G")
	p.waitRow(t, 22, " 50 vim line 50")

	// A smaller window: vim redraws on SIGWINCH at the new size.
	p.term.Resize(60, 12)
	if err := pty.Setsize(p.pty, &pty.Winsize{Cols: 60, Rows: 12}); err != nil {
		t.Fatal(err)
	}
	p.waitRow(t, 10, " 50 vim line 50")

	p.send(t, ":q\r")
	p.exit(t)
	checkRestored(t, p)
}

func TestLess(t *testing.T) {
	file := writeLines(t, "less line %03d", 100)
	p := startProgram(t, 80, 24, before, []string{"LESSHISTFILE=-", "LESS="}, "less", file)
	p.waitRow(t, 0, "less line 001")
	p.waitRow(t, 22, "less line 023")
	// The prompt shows the file name in standout (reverse video).
	row := p.waitText(t, "file.txt")
	if row != 23 || p.term.Cell(0, 23).Attr&Reverse == 0 {
		t.Errorf("prompt on row %d with attributes %#x, want row 23 in reverse", row, p.term.Cell(0, 23).Attr)
	}
	p.send(t, "G")
	p.waitRow(t, 22, "less line 100")
	p.send(t, "g")
	p.waitRow(t, 0, "less line 001")
	p.send(t, "q")
	p.exit(t)
	checkRestored(t, p)
}

func TestTmux(t *testing.T) {
	dir := t.TempDir()
	p := startProgram(t, 80, 24, before, []string{"TMUX_TMPDIR=" + dir}, "tmux", "-f", "/dev/null", "-L", "vt-test",
		"new-session", "printf 'hello from tmux\\n\\033[1;38;2;10;200;30mtruecolor\\033[0m\\n'; sleep 600")
	p.waitRow(t, 0, "hello from tmux")
	// The status line: tmux's default is black on green.
	status := p.waitText(t, "[0] 0:")
	if c := p.term.Cell(0, status); status != 23 || c.BG != IndexColor(2) {
		t.Errorf("status line on row %d with background %#x, want row 23 on green (%#x)", status, c.BG, IndexColor(2))
	}
	// Without the RGB capability in xterm-256color, tmux sends the nearest
	// palette colour.
	p.waitRow(t, 1, "truecolor")
	if c := p.term.Cell(0, 1); c.Attr&Bold == 0 || c.FG == DefaultColor {
		t.Errorf("truecolor cell fg %#x attr %#x, want a bold colour", c.FG, c.Attr)
	}
	p.send(t, "\x02:") // prefix C-b, then the command prompt
	p.waitRow(t, 23, ":")
	p.send(t, "kill-server\r")
	p.exit(t)
	checkRestored(t, p)
}

func TestHtop(t *testing.T) {
	p := startProgram(t, 100, 30, before, nil, "htop")
	header := p.waitText(t, "PID", "USER", "Command")
	if c := p.term.Cell(0, header); c.BG == DefaultColor && c.Attr&Reverse == 0 {
		t.Errorf("the column header has no background (fg %#x bg %#x attr %#x)", c.FG, c.BG, c.Attr)
	}
	if !p.term.Modes().AltScreen {
		t.Error("htop is not on the alternate screen")
	}
	if p.term.Modes().Mouse == MouseOff {
		t.Error("htop did not turn on mouse reporting")
	}
	p.send(t, "q")
	p.exit(t)
	checkRestored(t, p)
}
