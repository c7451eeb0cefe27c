// Package sftpcopy lists folders on an SFTP server and copies files and
// folders (recursively) between it and this computer, with progress: the
// work behind the app's Files pane, on the session's own SSH connection.
package sftpcopy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Open starts the SFTP subsystem on an SSH connection that is already up,
// so browsing and copying need no second login and no second knock.
// Writes and reads of a file go out many at a time, which keeps a link
// with a long round trip busy.
func Open(c *ssh.Client) (*sftp.Client, error) {
	sc, err := sftp.NewClient(c, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		return nil, fmt.Errorf("start SFTP on the connection: %w (the server must offer the sftp subsystem: Subsystem sftp in sshd_config)", err)
	}
	return sc, nil
}

// Entry is one file or folder in a listing.
type Entry struct {
	Name    string
	Dir     bool
	Size    int64
	Mode    fs.FileMode
	ModTime time.Time
}

// List reads a remote folder: folders first, then files, each by name. A
// symbolic link to a folder counts as a folder, so it can be opened.
func List(c *sftp.Client, dir string) ([]Entry, error) {
	infos, err := c.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := make([]Entry, 0, len(infos))
	for _, fi := range infos {
		e := Entry{Name: fi.Name(), Dir: fi.IsDir(), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if st, err := c.Stat(path.Join(dir, fi.Name())); err == nil {
				e.Dir = st.IsDir()
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Progress is how far a copy has come.
type Progress struct {
	// Name is the file being copied now, relative to what was asked for.
	Name string
	// Done and Total are bytes over all the files; Files and FilesTotal
	// count files.
	Done, Total       int64
	Files, FilesTotal int
}

// Copier copies between this computer and the server.
type Copier struct {
	C *sftp.Client
	// Progress, if set, is called as bytes go by (on the copying
	// goroutine: the caller throttles what it draws).
	Progress func(Progress)
}

// item is one file or folder to create, relative to the copy's root.
type item struct {
	rel  string
	dir  bool
	size int64
	mode fs.FileMode
}

// RemoteExists reports whether name exists on the server.
func RemoteExists(c *sftp.Client, name string) (bool, error) {
	_, err := c.Lstat(name)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("look for %s on the server: %w", name, err)
}

// Upload copies the local file or folder src into the remote folder
// dstDir, under its own name, replacing files there of the same name.
func (c Copier) Upload(ctx context.Context, src, dstDir string) error {
	items, err := walkLocal(src)
	if err != nil {
		return err
	}
	dst := path.Join(dstDir, filepath.Base(src))
	p := progressOf(items)
	for _, it := range items {
		to := path.Join(dst, filepath.ToSlash(it.rel))
		if it.dir {
			if err := c.C.MkdirAll(to); err != nil {
				return fmt.Errorf("create the folder %s on the server: %w", to, err)
			}
			continue
		}
		p.Name = path.Join(filepath.Base(src), filepath.ToSlash(it.rel))
		if err := c.upload(ctx, filepath.Join(src, it.rel), to, it, &p); err != nil {
			return err
		}
		p.Files++
		c.report(p)
	}
	return nil
}

func (c Copier) upload(ctx context.Context, from, to string, it item, p *Progress) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	defer in.Close()
	out, err := c.C.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("create %s on the server: %w (check that you may write in that folder)", to, err)
	}
	_, err = out.ReadFrom(&counting{ctx: ctx, r: in, size: it.size, p: p, report: c.report})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", from, to, err)
	}
	// Keep the permissions (a script stays executable), not the owner.
	_ = c.C.Chmod(to, it.mode.Perm())
	return nil
}

// Download copies the remote file or folder src into the local folder
// dstDir, under its own name, replacing files there of the same name.
func (c Copier) Download(ctx context.Context, src, dstDir string) error {
	base := path.Base(src)
	if err := CheckName(base); err != nil {
		return fmt.Errorf("download %s: %w", src, err)
	}
	// A folder the server lists wrongly is skipped, and said at the end,
	// while the rest comes down.
	items, skipped := c.walkRemote(src)
	if items == nil {
		return skipped
	}
	dst := filepath.Join(dstDir, base)
	p := progressOf(items)
	for _, it := range items {
		// walkRemote let only plain names through; this is the last
		// guard before a write.
		if it.rel != "" && !filepath.IsLocal(filepath.FromSlash(it.rel)) {
			return fmt.Errorf("download %s: %q would land outside %s: %w", src, it.rel, dst, ErrUnsafeName)
		}
		to := filepath.Join(dst, filepath.FromSlash(it.rel))
		if it.dir {
			if err := os.MkdirAll(to, 0o755); err != nil {
				return fmt.Errorf("create the folder %s: %w", to, err)
			}
			continue
		}
		p.Name = path.Join(path.Base(src), it.rel)
		if err := c.download(ctx, path.Join(src, it.rel), to, it, &p); err != nil {
			return err
		}
		p.Files++
		c.report(p)
	}
	if skipped != nil {
		return fmt.Errorf("download %s: the rest came down, but: %w", src, skipped)
	}
	return nil
}

func (c Copier) download(ctx context.Context, from, to string, it item, p *Progress) error {
	in, err := c.C.Open(from)
	if err != nil {
		return fmt.Errorf("open %s on the server: %w", from, err)
	}
	defer in.Close()
	perm := it.mode.Perm()
	if perm == 0 {
		perm = 0o644
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", to, err)
	}
	_, err = in.WriteTo(&counting{ctx: ctx, w: out, p: p, report: c.report})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download %s to %s: %w", from, to, err)
	}
	return nil
}

func (c Copier) report(p Progress) {
	if c.Progress != nil {
		c.Progress(p)
	}
}

func progressOf(items []item) Progress {
	var p Progress
	for _, it := range items {
		if !it.dir {
			p.Total += it.size
			p.FilesTotal++
		}
	}
	return p
}

// walkLocal lists src and, for a folder, everything under it (folders
// before what they hold). Links and special files are left out: a copy
// follows none.
func walkLocal(src string) ([]item, error) {
	var items []item
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "." {
			rel = ""
		}
		items = append(items, item{rel: rel, dir: d.IsDir(), size: fi.Size(), mode: fi.Mode()})
		return nil
	})
	return items, err
}

// ErrUnsafeName is why a name the server sent is not used: it could
// write outside the folder the user chose.
var ErrUnsafeName = errors.New("the server sent a name that is not one plain file name")

// ErrTooDeep is why a folder more than maxDepth levels down is skipped.
var ErrTooDeep = errors.New("folders nested too deep")

// maxDepth bounds how deep a download goes: the server says what is a
// folder, so a hostile one could nest folders without end.
const maxDepth = 128

// maxSkipped is how many skipped entries an error names.
const maxSkipped = 10

// CheckName accepts a name the server sent only if it is one plain file
// name here and on every system the app runs on: not empty, not . or ..,
// with no / or \ (a separator on Windows), and local by the rules of
// this system (which on Windows also refuses NUL, COM1, C:x and the like).
func CheckName(name string) error {
	switch {
	case name == "", name == ".", name == "..",
		strings.ContainsAny(name, `/\`),
		!filepath.IsLocal(name):
		return fmt.Errorf("refused %q: %w (it could write outside the folder you chose; rename it on the server to download it)", name, ErrUnsafeName)
	}
	return nil
}

// walkRemote is walkLocal on the server. It returns what can be copied
// safely, with an error naming each entry it skipped (a name that is not
// one plain file name, a folder too deep); items is nil only when src
// itself cannot be read.
func (c Copier) walkRemote(src string) (items []item, skipped error) {
	fi, err := c.C.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("read %s on the server: %w", src, err)
	}
	if !fi.IsDir() {
		return []item{{size: fi.Size(), mode: fi.Mode()}}, nil
	}
	items = []item{{dir: true, mode: fi.Mode()}}
	var errs []error
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		dir := path.Join(src, rel)
		if depth > maxDepth {
			errs = append(errs, fmt.Errorf("skipped what is in %s on the server: %w (more than %d levels; download a folder further down)", dir, ErrTooDeep, maxDepth))
			return nil
		}
		infos, err := c.C.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("list %s on the server: %w", dir, err)
		}
		for _, fi := range infos {
			if err := CheckName(fi.Name()); err != nil {
				errs = append(errs, fmt.Errorf("in %s on the server: %w", dir, err))
				continue
			}
			r := path.Join(rel, fi.Name())
			switch {
			case fi.IsDir():
				items = append(items, item{rel: r, dir: true, mode: fi.Mode()})
				if err := walk(r, depth+1); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				items = append(items, item{rel: r, size: fi.Size(), mode: fi.Mode()})
			}
		}
		return nil
	}
	if err := walk("", 1); err != nil {
		return nil, err
	}
	// A server can send any number of bad names; a few make the point.
	if n := len(errs); n > maxSkipped {
		errs = append(errs[:maxSkipped], fmt.Errorf("and %d more skipped", n-maxSkipped))
	}
	return items, errors.Join(errs...)
}

// counting passes bytes through, adding them to the progress, and stops
// the copy when ctx is cancelled.
type counting struct {
	ctx    context.Context
	r      io.Reader
	w      io.Writer
	size   int64 // of what r reads: lets sftp send many writes at once
	p      *Progress
	report func(Progress)
}

func (c *counting) Size() int64 { return c.size }

func (c *counting) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	c.add(n)
	return n, err
}

func (c *counting) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(b)
	c.add(n)
	return n, err
}

func (c *counting) add(n int) {
	if n > 0 {
		c.p.Done += int64(n)
		c.report(*c.p)
	}
}
