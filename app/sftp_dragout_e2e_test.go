//go:build linux

package app

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
)

// Dragging a file out of the Files pane onto another program, in the
// real app on Xvfb against the real sshd behind knockd: pressed on the
// file's row, moved in steps out of the window onto a window that takes
// drops (XDND, as a file manager's), released there. The target gets a
// file:// URI of a private copy with the server file's bytes. Released
// over no such window, nothing is dropped, and the pane says so.
func TestRealWindowFilesDragOut(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	g := newGuardedSSH(t)
	remote := filepath.Join(g.sshd.Dir, "home") // root's home on the server
	served := make([]byte, 300<<10)
	rand.Read(served)
	tree := map[string][]byte{"a.txt": []byte("alpha\n"), "deep/b.txt": []byte("beta\n")}
	writeTree(t, remote, map[string][]byte{"served.bin": served, `evil\name`: []byte("hostile\n"), "gone.txt": []byte("gone\n")})
	writeTree(t, filepath.Join(remote, "tree"), tree)

	disp := xvfb.Start(t, 1600, 900)
	a := startApp(t, disp, g)
	a.connectLab(t)
	a.clickText(t, "Files")
	a.waitState(t, "the Files pane listing root's home", func(st hookState) bool {
		return strings.Contains(filesOf(st).Files, "\ntree/") && strings.Contains(filesOf(st).Files, "\nserved.bin")
	})
	// Another program's window, right of the app's (1100 wide).
	target := xvfb.NewDropTarget(t, disp.Name, 1200, 150, 350, 400)

	// An old drag's folder that cannot be removed (an immutable file in
	// it, which even root cannot delete): the drag still comes down, and
	// the pane says what was left.
	stage := filepath.Join(g.home, ".cache", "sesame", "drag")
	stuck := filepath.Join(stage, "stuck")
	setImmutable := func(on bool) error {
		f, err := os.Open(filepath.Join(stuck, "f"))
		if err != nil {
			return err
		}
		defer f.Close()
		flags := 0
		if on {
			flags = 0x10 // FS_IMMUTABLE_FL (linux/fs.h)
		}
		return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags)
	}
	if err := os.MkdirAll(stuck, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stuck, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := setImmutable(true); err != nil {
		t.Fatalf("make a file immutable (chattr +i) in an old drag's folder: %v", err)
	}
	t.Cleanup(func() { setImmutable(false) })
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stuck, old, old); err != nil {
		t.Fatal(err)
	}

	// drag presses on name's row and moves in steps to x, y on the
	// screen; it returns with the button still down (over the target
	// once it knows).
	drag := func(name string, x, y int) {
		t.Helper()
		st, _ := a.read()
		row, ok := st.find(name)
		if !ok {
			t.Fatalf("no %s in the Files pane to drag", name)
		}
		at := a.origin(t)
		fromX, fromY := at.X+int(row.Rect[0]+row.Rect[2]/2), at.Y+int(row.Rect[1]+row.Rect[3]/2)
		a.disp.Xdotool(t, "mousemove", "--sync", fmt.Sprint(fromX), fmt.Sprint(fromY), "mousedown", "1")
		const steps = 12
		for i := 1; i <= steps; i++ {
			// Paced as a hand moves, so the app sees the pointer leave.
			a.disp.Xdotool(t, "mousemove", "--sync", fmt.Sprint(fromX+(x-fromX)*i/steps), fmt.Sprint(fromY+(y-fromY)*i/steps), "sleep", "0.05")
		}
	}

	over := func() {
		t.Helper()
		select {
		case <-target.Over():
		case <-time.After(testnet.Await):
			t.Fatal("the drag never reached the target window: no XdndPosition")
		}
	}

	// Onto the target: it is told where the pointer is before the release.
	drag("served.bin", 1350, 300)
	over()
	a.disp.Xdotool(t, "mouseup", "1")
	var drop xvfb.Drop
	select {
	case drop = <-target.Drops():
	case <-time.After(testnet.Await):
		t.Fatal("nothing was dropped on the target window")
	}
	if drop.Err != nil || len(drop.URIs) != 1 {
		t.Fatalf("the target got %+v, want one file URI", drop)
	}
	u, err := url.Parse(drop.URIs[0])
	if err != nil || u.Scheme != "file" || filepath.Base(u.Path) != "served.bin" {
		t.Fatalf("the target got the URI %q, want a file:// URI of served.bin", drop.URIs[0])
	}
	if !bytes.Equal(drop.Files[u.Path], served) {
		t.Fatalf("%s has %d bytes that differ from the server's %d", u.Path, len(drop.Files[u.Path]), len(served))
	}
	if rel, err := filepath.Rel(stage, u.Path); err != nil || strings.HasPrefix(rel, "..") {
		t.Errorf("the copy is at %s, want it under %s", u.Path, stage)
	}
	if fi, err := os.Stat(filepath.Dir(u.Path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the copy's folder: %v, %v; want mode 0700", fi.Mode(), err)
	}
	a.waitState(t, "the pane saying it was dragged out, and which old copies were left", func(st hookState) bool {
		r := filesOf(st).FilesResult
		return strings.HasPrefix(r, "Dragged served.bin out") && strings.Contains(r, "Older copies were not all removed") && strings.Contains(r, stage)
	})
	setImmutable(false) // the next drags clean up
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("files-dragged-out.png"))

	// A folder comes whole, as one URI.
	drag("tree", 1350, 300)
	over()
	a.disp.Xdotool(t, "mouseup", "1")
	select {
	case drop = <-target.Drops():
	case <-time.After(testnet.Await):
		t.Fatal("the folder was not dropped on the target window")
	}
	if len(drop.URIs) != 1 || drop.Err != nil || !strings.HasSuffix(drop.URIs[0], "/tree") {
		t.Fatalf("the target got %+v, want the URI of the folder tree", drop)
	}
	u, _ = url.Parse(drop.URIs[0])
	sameTree(t, "the dropped folder", u.Path, tree)
	if len(drop.Files) != len(tree) {
		t.Errorf("the target read %d files, want %d", len(drop.Files), len(tree))
	}
	a.waitState(t, "the pane saying the folder was dragged out", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Dragged tree out")
	})

	// A name from the server that is no plain file name is refused, as
	// Download refuses it.
	drag(`evil\name`, 1350, 300)
	a.disp.Xdotool(t, "mouseup", "1")
	a.waitState(t, "the pane refusing the hostile name", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Not dragged out: refused")
	})

	// A file gone from the server since it was listed: its download
	// fails, the pane says why, and nothing is dropped.
	if err := os.Remove(filepath.Join(remote, "gone.txt")); err != nil {
		t.Fatal(err)
	}
	drag("gone.txt", 1350, 300)
	over()
	a.disp.Xdotool(t, "mouseup", "1")
	a.dialogShown(t, "files-drag-out-failed", "Downloading gone.txt failed", "Close")
	a.disp.Xdotool(t, "key", "Escape")
	a.closed(t, "the download's error", "Downloading gone.txt failed")
	a.waitState(t, "the pane saying the download failed", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "gone.txt was not dropped: read /root/gone.txt on the server")
	})

	// Released over nothing that takes files: nothing dropped.
	drag("served.bin", 1580, 880)
	a.disp.Xdotool(t, "mouseup", "1")
	a.waitState(t, "the pane saying it was not dropped", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "served.bin was not dropped")
	})
	select {
	case drop := <-target.Drops():
		t.Errorf("the target got a drop it was not under: %+v", drop)
	default:
	}
}
