//go:build linux

package app

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
)

// writeTree writes files (slash-separated name → content) under dir.
func writeTree(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sameTree checks that dir holds files, byte for byte.
func sameTree(t testing.TB, where, dir string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v", where, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: %s has %d bytes that differ from the %d sent", where, name, len(got), len(want))
		}
	}
}

// filesOf is the Files pane of the first tab, as the hook reports it.
func filesOf(st hookState) hookTab {
	if len(st.Tabs) == 0 {
		return hookTab{}
	}
	return st.Tabs[0]
}

// The Files pane of a session's tab, in the real app on Xvfb against the
// real sshd behind knockd: it browses the server over the session's own
// connection (one knock, one login), uploads a folder and downloads it
// back, recursively and byte for byte, asks before replacing (Replace and
// Skip), shows the progress of a slow upload and cancels it, shows an
// error for a folder gone, and uploads files dropped on it from the
// desktop (an XDND drop, as a file manager makes it). Each dialog is seen
// on the screen.
func TestRealWindowFiles(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	testnet.RequireTools(t, "tc")
	appBinary(t)
	g := newGuardedSSH(t)
	remote := filepath.Join(g.sshd.Dir, "home") // root's home on the server
	big := make([]byte, 3<<20+5)
	rand.Read(big)
	files := map[string][]byte{"big.bin": big, "notes/a.txt": []byte("alpha\n"), "notes/deep/b.txt": []byte("beta\n")}
	writeTree(t, filepath.Join(g.home, "proj"), files)
	slow := make([]byte, 8<<20) // 30 s at 2 Mbit/s: cancelled long before it ends
	rand.Read(slow)
	writeTree(t, g.home, map[string][]byte{"slow.iso": slow, "dropped.txt": []byte("from the desktop\n")})
	if err := os.Mkdir(filepath.Join(g.home, "down"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, remote, map[string][]byte{"served.txt": []byte("on the server\n")})

	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g)
	a.connectLab(t)

	a.clickText(t, "Files")
	a.waitState(t, "the Files pane listing root's home", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).Files, "/root\n") && strings.Contains(filesOf(st).Files, "\nserved.txt")
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("files.png"))

	// A folder goes up, whole.
	a.clickText(t, "Upload folder")
	a.dialogShown(t, "files-upload-folder", "Open", "Cancel", "proj")
	a.clickText(t, "proj") // a folder tapped is opened; Open takes the folder shown
	a.awaitTexts(t, "proj opened in the dialog", "notes")
	a.clickText(t, "Open")
	a.waitState(t, "the upload done", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Uploaded proj: 3 files") && strings.Contains(filesOf(st).Files, "\nproj/")
	})
	sameTree(t, "the uploaded folder", filepath.Join(remote, "proj"), files)
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("files-uploaded.png"))

	// Again: asked, and Skip leaves the server's copy as it is.
	upAgain := func(name string) {
		t.Helper()
		a.clickText(t, "Upload folder")
		a.dialogShown(t, "files-upload-folder-again", "Open", "Cancel", "proj")
		a.clickText(t, "proj")
		a.awaitTexts(t, "proj opened in the dialog", "notes")
		a.clickText(t, "Open")
		a.dialogShown(t, name, "Replace proj?", "Replace", "Skip")
	}
	writeTree(t, remote, map[string][]byte{"proj/notes/a.txt": []byte("changed on the server\n")})
	upAgain("files-replace-skip")
	a.clickText(t, "Skip")
	a.closed(t, "the replace question", "Replace proj?")
	sameTree(t, "the folder after Skip", remote, map[string][]byte{"proj/notes/a.txt": []byte("changed on the server\n")})
	upAgain("files-replace")
	a.clickText(t, "Replace")
	testnet.WaitFor(t, "a.txt replaced on the server", func() bool {
		b, _ := os.ReadFile(filepath.Join(remote, "proj", "notes", "a.txt"))
		return string(b) == "alpha\n"
	})

	// Down again into a folder of this computer, and again over it.
	st := a.waitState(t, "the upload ended", func(st hookState) bool {
		return filesOf(st).Transfer == "" && strings.HasPrefix(filesOf(st).FilesResult, "Uploaded proj")
	})
	a.selectFile(t, "proj")
	a.clickText(t, "Download")
	a.dialogShown(t, "files-download", "Download here", "Cancel", "down")
	a.clickText(t, "down")
	a.awaitTexts(t, "down opened in the dialog", "Download here")
	a.clickText(t, "Download here")
	a.waitState(t, "the download done", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Downloaded proj: 3 files")
	})
	sameTree(t, "the downloaded folder", filepath.Join(g.home, "down", "proj"), files)
	writeTree(t, g.home, map[string][]byte{"down/proj/big.bin": []byte("stale")})
	a.selectFile(t, "proj")
	a.clickText(t, "Download")
	a.dialogShown(t, "files-download-again", "Download here", "Cancel", "down")
	a.clickText(t, "down")
	a.awaitTexts(t, "down opened in the dialog", "Download here")
	a.clickText(t, "Download here")
	a.dialogShown(t, "files-download-replace", "Replace proj?", "Replace", "Skip")
	a.clickText(t, "Replace")
	testnet.WaitFor(t, "big.bin replaced here", func() bool {
		b, _ := os.ReadFile(filepath.Join(g.home, "down", "proj", "big.bin"))
		return bytes.Equal(b, big)
	})

	// A double click opens a folder.
	a.waitState(t, "the download ended", func(st hookState) bool { return filesOf(st).Transfer == "" })
	a.doubleClickText(t, "proj")
	a.waitState(t, "proj listed", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).Files, "/root/proj\nnotes/\nbig.bin")
	})

	// A slow link: the progress shows, and Cancel stops the upload.
	g.pair.Client.Run(t, "tc", "qdisc", "add", "dev", testnet.ClientIf, "root", "tbf", "rate", "2mbit", "burst", "32kbit", "latency", "400ms")
	a.clickText(t, "Upload")
	a.dialogShown(t, "files-upload-file", "Open", "Cancel", "slow")
	a.clickText(t, "slow") // the dialog shows the extension under the name
	a.clickText(t, "Open")
	st = a.waitState(t, "the progress of the slow upload", func(st hookState) bool {
		return strings.Contains(filesOf(st).Transfer, "Uploading slow.iso: ") && !strings.Contains(filesOf(st).Transfer, ": 0 B of")
	})
	t.Logf("progress: %s", filesOf(st).Transfer)
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("files-progress.png"))
	// One transfer at a time: a drop meanwhile is refused, and said so.
	st, _ = a.read()
	if tx, ok := st.find("big.bin"); ok {
		at := a.origin(t)
		xvfb.DropFiles(t, disp.Name, a.window(t), at.X+int(tx.Rect[0]+tx.Rect[2]/2), at.Y+int(tx.Rect[1]+tx.Rect[3]/2),
			filepath.Join(g.home, "dropped.txt"))
	} else {
		t.Fatal("no big.bin in the Files pane to drop beside")
	}
	a.dialogShown(t, "files-busy", "A transfer is under way", "Close")
	a.disp.Xdotool(t, "key", "Escape")
	a.closed(t, "the busy error", "A transfer is under way")
	a.clickText(t, "Cancel")
	a.waitState(t, "the upload cancelled", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Uploading slow.iso cancelled after ")
	})
	if b, err := os.ReadFile(filepath.Join(remote, "proj", "slow.iso")); err == nil && len(b) == len(slow) {
		t.Error("the cancelled upload went through whole")
	}
	g.pair.Client.Run(t, "tc", "qdisc", "del", "dev", testnet.ClientIf, "root")

	// A folder gone from the server: an error that says so.
	if err := os.RemoveAll(filepath.Join(remote, "proj", "notes")); err != nil {
		t.Fatal(err)
	}
	a.doubleClickText(t, "notes")
	a.dialogShown(t, "files-error", "Cannot list the folder", "Close")
	a.disp.Xdotool(t, "key", "Escape") // as its Close button
	a.closed(t, "the error", "Cannot list the folder")

	// Files dropped from the desktop go up into the folder shown.
	st, _ = a.read()
	pane, ok := st.find("big.bin")
	if !ok {
		t.Fatal("no big.bin in the Files pane to drop beside")
	}
	at := a.origin(t)
	xvfb.DropFiles(t, disp.Name, a.window(t), at.X+int(pane.Rect[0]+pane.Rect[2]/2), at.Y+int(pane.Rect[1]+pane.Rect[3]/2),
		filepath.Join(g.home, "dropped.txt"))
	a.waitState(t, "the dropped file uploaded", func(st hookState) bool {
		return strings.HasPrefix(filesOf(st).FilesResult, "Uploaded dropped.txt: 1 file")
	})
	sameTree(t, "the dropped file", filepath.Join(remote, "proj"), map[string][]byte{"dropped.txt": []byte("from the desktop\n")})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("files-dropped.png"))

	// All of it over the session's one connection: one login, so no
	// second knock.
	if n := strings.Count(g.sshd.Proc.Output(), "Accepted publickey"); n != 1 {
		t.Errorf("sshd logged %d logins, want the session's one: the Files pane logged in again", n)
	}
}

// doubleClickText double-clicks the text on the top layer.
func (a *realApp) doubleClickText(t testing.TB, text string) {
	t.Helper()
	r := a.steady(t, text).Rect
	a.before = a.disp.Screenshot(t)
	x, y := r[0]+r[2]/2, r[1]+r[3]/2
	a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "--repeat", "2", "--delay", "80", "1")
}

// selectFile clicks name in the Files pane and waits for it to be
// selected: a tap waits to see that it is not a double tap.
func (a *realApp) selectFile(t testing.TB, name string) {
	t.Helper()
	a.clickText(t, name)
	a.waitState(t, name+" selected", func(st hookState) bool { return filesOf(st).FilesSelected == name })
}
