package sftpcopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// hostile is an SFTP server, in this process, that lists whatever a test
// tells it: names no honest server sends, and folders without end. Every
// file it serves holds its own path.
type hostile struct {
	// dirs are the folders it admits to, and what each lists.
	dirs map[string][]fakeInfo
	// deep, if set, is a folder that holds a folder "d" at every level,
	// down to levels levels.
	deep   string
	levels int
	// lists counts listings, so that a client caught in a loop of them
	// gets an error in the end instead of running on.
	lists atomic.Int64
}

// maxLists is more listings than any test here asks of a correct client.
const maxLists = 5000

type fakeInfo struct {
	name string
	dir  bool
}

func (i fakeInfo) Name() string { return i.name }
func (i fakeInfo) Size() int64  { return 4 }
func (i fakeInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.dir }
func (i fakeInfo) Sys() any           { return nil }

type listing []os.FileInfo

func (l listing) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if off+int64(n) == int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

func (h *hostile) isDir(p string) bool {
	if _, ok := h.dirs[p]; ok {
		return true
	}
	if h.deep == "" || !strings.HasPrefix(p+"/", h.deep+"/") {
		return false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(p, h.deep), "/")
	return rest == "" || strings.Count(rest, "/") < h.levels && strings.Trim(strings.ReplaceAll(rest, "/", ""), "d") == ""
}

func (h *hostile) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "Stat", "Lstat":
		if h.isDir(r.Filepath) {
			return listing{fakeInfo{name: path.Base(r.Filepath), dir: true}}, nil
		}
		return listing{fakeInfo{name: path.Base(r.Filepath)}}, nil
	case "List":
		if h.lists.Add(1) > maxLists {
			return nil, errors.New("the test server listed too many folders: the client is in a loop")
		}
		if l, ok := h.dirs[r.Filepath]; ok {
			out := make(listing, len(l))
			for i, fi := range l {
				out[i] = fi
			}
			return out, nil
		}
		if h.isDir(r.Filepath) {
			rest := strings.TrimPrefix(strings.TrimPrefix(r.Filepath, h.deep), "/")
			if rest == "" || strings.Count(rest, "/")+1 < h.levels {
				return listing{fakeInfo{name: "d", dir: true}}, nil
			}
			return listing{}, nil
		}
		return nil, os.ErrNotExist
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

func (h *hostile) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	return strings.NewReader(r.Filepath), nil
}

func (h *hostile) Filewrite(*sftp.Request) (io.WriterAt, error) {
	return nil, sftp.ErrSSHFxPermissionDenied
}

func (h *hostile) Filecmd(*sftp.Request) error { return sftp.ErrSSHFxPermissionDenied }

// dial connects an SFTP client to h over a pipe.
func (h *hostile) dial(t *testing.T) *sftp.Client {
	t.Helper()
	cc, sc := net.Pipe()
	srv := sftp.NewRequestServer(sc, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve() }()
	c, err := sftp.NewClientPipe(cc, cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); srv.Close(); <-done })
	return c
}

// files lists every file and folder under root, by path relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err == nil && rel != "." {
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A server that sends names that climb out of the folder, or hold a
// separator, writes nothing outside the folder downloaded: pkg/sftp cuts
// a name to its last element (../x comes as x), but a/.. comes as .., and
// ..\x stays whole (a climb on Windows); those are refused by name, and
// the plain files beside them still come down.
func TestDownloadRefusesHostileNames(t *testing.T) {
	for _, tc := range []struct {
		sent string
		dir  bool
		// seen is the name as the client gets it, which the error must
		// quote; "" when the client already cut it to a plain name.
		seen string
		// topOnly sends it in the folder downloaded, not in sub too
		// (where a .. folder makes a loop, not an escape).
		topOnly bool
	}{
		{sent: "../x"},
		{sent: "../../x"},
		{sent: "a/../../x"},
		{sent: "x/y"},
		{sent: "/tmp/x"},
		{sent: "a/..", seen: ".."},
		{sent: "a/..", dir: true, seen: ".."},
		{sent: "../", dir: true, seen: ".."},
		{sent: "a/..", dir: true, seen: "..", topOnly: true},
		{sent: "", seen: "."},
		{sent: "x/.", seen: "."},
		{sent: `..\x`, seen: `..\x`},
		{sent: `..\..\x`, seen: `..\..\x`},
		{sent: `..\evil`, dir: true, seen: `..\evil`},
	} {
		t.Run(fmt.Sprintf("%q dir=%v top=%v", tc.sent, tc.dir, tc.topOnly), func(t *testing.T) {
			bad := fakeInfo{name: tc.sent, dir: tc.dir}
			sub := []fakeInfo{bad, {name: "in.txt"}}
			if tc.topOnly {
				sub = sub[1:]
			}
			h := &hostile{dirs: map[string][]fakeInfo{
				"/srv/pub":         {{name: "ok.txt"}, bad, {name: "sub", dir: true}},
				"/srv/pub/sub":     sub,
				"/srv":             {{name: "x"}},
				`/srv/pub/..\evil`: {{name: "x"}},
			}}
			c := h.dial(t)
			// The download goes two levels below root, so a climb of one
			// or two stays where the test can see it.
			root := t.TempDir()
			into := filepath.Join(root, "a", "b")
			if err := os.MkdirAll(into, 0o755); err != nil {
				t.Fatal(err)
			}
			err := Copier{C: c}.Download(context.Background(), "/srv/pub", into)
			switch {
			case tc.seen == "" && err != nil:
				t.Errorf("Download = %v, want nil: the client cut %q to a plain name", err, tc.sent)
			case tc.seen != "" && !errors.Is(err, ErrUnsafeName):
				t.Errorf("Download = %v, want an error wrapping ErrUnsafeName", err)
			case tc.seen != "" && !strings.Contains(err.Error(), strconv.Quote(tc.seen)):
				t.Errorf("the error does not name %q: %v", tc.seen, err)
			}
			want := map[string]bool{"a/b/pub/ok.txt": true, "a/b/pub/sub/in.txt": true}
			for _, f := range files(t, root) {
				if f != "a" && f != "a/b" && f != "a/b/pub" && !strings.HasPrefix(f, "a/b/pub/") {
					t.Errorf("the download wrote %s, outside a/b/pub", f)
				}
				if tc.seen != "" && strings.HasPrefix(f, "a/b/pub/") && !want[f] && f != "a/b/pub/sub" {
					t.Errorf("the download wrote %s, from a name it should refuse", f)
				}
				delete(want, f)
			}
			for f := range want {
				t.Errorf("the download left out %s, a plain file beside the bad name", f)
			}
			if got, err := os.ReadFile(filepath.Join(into, "pub", "ok.txt")); err != nil || !bytes.Equal(got, []byte("/srv/pub/ok.txt")) {
				t.Errorf("ok.txt = %q, %v", got, err)
			}
		})
	}
}

// A single file whose name the server made up is refused before anything
// is written: on Windows ..\x climbs even here, as filepath.Join splits it
// where path.Base did not.
func TestDownloadRefusesHostileFileName(t *testing.T) {
	for _, src := range []string{`/srv/..\x`, `/srv/..\..\x`, `/srv/a\b`, "/", "/srv/..", "/srv/."} {
		t.Run(src, func(t *testing.T) {
			c := (&hostile{}).dial(t)
			into := t.TempDir()
			err := Copier{C: c}.Download(context.Background(), src, into)
			if !errors.Is(err, ErrUnsafeName) {
				t.Errorf("Download(%q) = %v, want an error wrapping ErrUnsafeName", src, err)
			}
			if got := files(t, into); len(got) != 0 {
				t.Errorf("Download(%q) wrote %q", src, got)
			}
		})
	}
}

// The server says what is a folder, so it can nest folders without end: a
// download goes maxDepth levels down, says what it skipped, and ends.
func TestDownloadStopsAtMaxDepth(t *testing.T) {
	h := &hostile{deep: "/srv/deep", levels: 4 * maxDepth}
	c := h.dial(t)
	into := t.TempDir()
	err := Copier{C: c}.Download(context.Background(), "/srv/deep", into)
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("Download = %v, want an error wrapping ErrTooDeep", err)
	}
	if err != nil && !strings.Contains(err.Error(), "/srv/deep/d/d/") {
		t.Errorf("the error does not name the folder skipped: %v", err)
	}
	deepest := 0
	for _, f := range files(t, into) {
		deepest = max(deepest, strings.Count(f, "/"))
	}
	if deepest != maxDepth {
		t.Errorf("the download went %d levels below the folder, want %d", deepest, maxDepth)
	}
}

// Names that are plain here pass, odd as they look.
func TestCheckName(t *testing.T) {
	for _, name := range []string{"a", ".bashrc", "...", "..a", "a..", "with space", "ünï"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
}
