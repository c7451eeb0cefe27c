//go:build linux

package xdnd

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/internal/xvfb"
)

// systemPython is Debian's Python, where python3-gi is installed (a
// python3 first on PATH, pyenv's say, may lack it).
const systemPython = "/usr/bin/python3"

// gtkDrop is what the GTK target printed for a drop.
type gtkDrop struct {
	URIs  []string          `json:"uris"`
	Files map[string]string `json:"files"` // path → hex content
	Error string            `json:"error"`
}

// startGTKTarget runs a real GTK 3 drop target at x, y (w×h) on display
// and returns its drops as they come.
func startGTKTarget(t testing.TB, display string, x, y, w, h int) <-chan gtkDrop {
	t.Helper()
	probe := exec.Command(systemPython, "-c", `import gi; gi.require_version("Gtk", "3.0"); from gi.repository import Gtk`)
	probe.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("GTK 3 for Python is not installed (scripts/deps.sh test installs python3-gi and gir1.2-gtk-3.0): %v: %s", err, out)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "gtk_target.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemPython, script, strconv.Itoa(x), strconv.Itoa(y), strconv.Itoa(w), strconv.Itoa(h))
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "GDK_BACKEND=x11", "NO_AT_BRIDGE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan struct{})
	drops := make(chan gtkDrop, 4)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				continue
			}
			var d gtkDrop
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				d.Error = "unreadable line from the target: " + sc.Text()
			}
			drops <- d
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the GTK target never showed its window")
	}
	return drops
}

// The drag against a real peer: GTK 3's drop target, as GNOME's file
// manager has it, takes the file (a name that needs percent-encoding)
// and reads the bytes.
func TestDragToGTK(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp := xvfb.Start(t, 640, 480)
	drops := startGTKTarget(t, disp.Name, 300, 100, 200, 200)
	file := filepath.Join(t.TempDir(), "to gtk #1 é.txt")
	want := []byte("for GTK\n")
	if err := os.WriteFile(file, want, 0o600); err != nil {
		t.Fatal(err)
	}
	disp.Xdotool(t, "mousemove", "--sync", "5", "5")
	results := make(chan Result, 1)
	d := Start(disp.Name, 0, func(r Result) { results <- r })
	d.Move()
	// In steps over the window, as a hand moves: GTK answers each position.
	for _, x := range []string{"320", "360", "400"} {
		disp.Xdotool(t, "mousemove", "--sync", x, "200")
		d.Move()
	}
	d.Ready([]string{file}, nil)
	d.Release()
	if r := await(t, results); !r.Dropped || r.Err != nil {
		t.Fatalf("result %+v, want dropped", r)
	}
	select {
	case got := <-drops:
		content, err := hex.DecodeString(got.Files[file])
		if got.Error != "" || len(got.URIs) != 1 || err != nil || string(content) != string(want) {
			t.Fatalf("GTK got %+v, want %s with its content", got, file)
		}
	case <-time.After(finishWait):
		t.Fatal("the drag says dropped, GTK printed nothing")
	}
}

// BenchmarkDropOnGTK is a whole drag of a ready file onto GTK 3's drop
// target, from the first look at the pointer to GTK's XdndFinished,
// against the tests' bare XDND source (xvfb.DropFiles: no pointer
// following, no proxy, no timestamp) dropping the same file on it in the
// same run, with the ratio.
func BenchmarkDropOnGTK(b *testing.B) {
	xvfb.Require(b, "Xvfb", "xdotool")
	disp := xvfb.Start(b, 640, 480)
	drops := startGTKTarget(b, disp.Name, 300, 100, 200, 200)
	win := strings.Fields(disp.Xdotool(b, "search", "--sync", "--onlyvisible", "--name", "^GTK drop target$"))[0]
	file := filepath.Join(b.TempDir(), "bench.txt")
	if err := os.WriteFile(file, []byte("bench\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	disp.Xdotool(b, "mousemove", "--sync", "400", "200")
	next := func() {
		select {
		case d := <-drops:
			if d.Error != "" || len(d.URIs) != 1 {
				b.Fatalf("GTK got %+v", d)
			}
		case <-time.After(finishWait):
			b.Fatal("GTK printed no drop")
		}
	}
	var ours, theirs time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		results := make(chan Result, 1)
		d := Start(disp.Name, 0, func(r Result) { results <- r })
		d.Move()
		d.Ready([]string{file}, nil)
		d.Release()
		if r := await(b, results); !r.Dropped {
			b.Fatalf("not dropped: %+v", r)
		}
		ours += time.Since(start)
		next()
		start = time.Now()
		xvfb.DropFiles(b, disp.Name, win, 400, 200, file)
		theirs += time.Since(start)
		next()
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(ours), "ms/drop")
	b.ReportMetric(per(theirs), "ms/drop-bare-source")
	b.ReportMetric(float64(ours)/float64(theirs), "x-bare-source")
	b.Logf("a drag onto GTK 3: %.2f ms (the bare test source %.2f ms, %.2f×), including the X connection", per(ours), per(theirs), float64(ours)/float64(theirs))
}
