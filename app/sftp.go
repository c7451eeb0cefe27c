package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/pkg/sftp"

	"sesame/app/internal/sftpcopy"
)

// fileShell is a Shell whose connection can also carry SFTP: the session's
// Files pane uses it, on the same SSH connection, so there is no second
// login and no second knock.
type fileShell interface {
	SFTP() (*sftp.Client, error)
}

// SFTP implements fileShell.
func (s loginShell) SFTP() (*sftp.Client, error) { return sftpcopy.Open(s.c.Client) }

// filesPane is the Files pane beside a session's terminal: the server's
// folders, upload and download with progress. All its fields belong to
// the UI goroutine; the network work runs on goroutines of its own.
type filesPane struct {
	u *UI
	s *session

	shell fileShell    // the connection's, while the session runs
	c     *sftp.Client // opened on first use
	dir   string
	items []sftpcopy.Entry
	sel   int // the entry selected, -1 for none

	box      *fyne.Container
	where    *widget.Label
	list     *widget.List
	upBtn    *widget.Button
	download *widget.Button
	upload   *widget.Button
	upDir    *widget.Button
	refresh  *widget.Button
	xfer     *fyne.Container // the transfer under way: what, bar, Cancel
	xferText *widget.Label
	bar      *widget.ProgressBar
	result   *widget.Label // how the last transfer ended
	cancel   context.CancelFunc
	out      dragOut // a drag of an entry out of the window (sftp_dragout.go)
}

func newFilesPane(s *session) *filesPane {
	f := &filesPane{u: s.u, s: s, sel: -1}
	f.where = widget.NewLabel("")
	f.where.Truncation = fyne.TextTruncateEllipsis
	f.where.TextStyle.Monospace = true
	f.upBtn = widget.NewButtonWithIcon("", theme.MoveUpIcon(), f.parent)
	f.refresh = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { f.cd(f.dir) })
	f.upload = widget.NewButtonWithIcon("Upload", theme.UploadIcon(), f.pickUpload)
	f.upDir = widget.NewButtonWithIcon("Upload folder", theme.FolderOpenIcon(), f.pickUploadFolder)
	f.download = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), f.pickDownload)
	f.download.Disable()
	f.list = widget.NewList(
		func() int { return len(f.items) },
		func() fyne.CanvasObject { return newFileRow(f) },
		func(id widget.ListItemID, o fyne.CanvasObject) { o.(*fileRow).set(id, f.items[id]) },
	)
	f.list.OnSelected = func(id widget.ListItemID) {
		f.sel = id
		if f.cancel == nil {
			f.download.Enable()
		}
	}
	f.list.OnUnselected = func(widget.ListItemID) {
		f.sel = -1
		f.download.Disable()
	}
	f.xferText = widget.NewLabel("")
	f.xferText.Truncation = fyne.TextTruncateEllipsis
	f.bar = widget.NewProgressBar()
	stop := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if f.cancel != nil {
			f.cancel()
		}
	})
	f.xfer = container.NewVBox(f.xferText, container.NewBorder(nil, nil, nil, stop, f.bar))
	f.xfer.Hide()
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	f.result.Hide()
	text := "Double-click a folder to open it. Drop files or folders from the desktop here to upload them."
	if f.out.starter = desktopDragger(f.u.win); f.out.starter != nil {
		text += " Drag one out of the window to copy it there."
	}
	hint := widget.NewLabel(text)
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	top := container.NewVBox(
		container.NewBorder(nil, nil, f.upBtn, f.refresh, f.where),
		container.NewHBox(f.upload, f.upDir, f.download),
	)
	f.box = container.NewBorder(top, container.NewVBox(f.xfer, f.result, hint), nil, nil, f.list)
	return f
}

// attach gives the pane the connection of a session that just came up
// (again, after a reconnect).
func (f *filesPane) attach(sh fileShell) {
	f.shell, f.c = sh, nil
	if f.s.filesShown {
		f.cd(f.dir)
	}
}

// detach forgets the connection, which has ended.
func (f *filesPane) detach() {
	if f.cancel != nil {
		f.cancel()
	}
	if f.c != nil {
		f.c.Close() // its connection is closing anyway: this only ends its goroutines
	}
	f.shell, f.c = nil, nil
}

// openClient starts SFTP on the session's connection (network: called
// off the UI goroutine, with the shell read on it).
func openClient(sh fileShell) (*sftp.Client, error) {
	if sh == nil {
		return nil, errors.New("the session is not connected: reconnect first")
	}
	return sh.SFTP()
}

// withClient runs work with the SFTP client on a goroutine, opening it
// first if need be, and then on the UI goroutine.
func (f *filesPane) withClient(work func(c *sftp.Client) error, then func(error)) {
	sh, c := f.shell, f.c
	go func() {
		var err error
		opened := false
		if c == nil {
			c, err = openClient(sh)
			opened = err == nil
		}
		if err == nil {
			err = work(c)
		}
		f.u.do(func() {
			switch {
			case opened && f.shell == sh && f.c == nil:
				f.c = c // kept for the next work
			case opened:
				c.Close() // another was kept meanwhile, or the session ended
			}
			then(err)
		})
	}()
}

// cd lists dir ("" for the login folder) and shows it.
func (f *filesPane) cd(dir string) {
	var items []sftpcopy.Entry
	f.withClient(func(c *sftp.Client) error {
		var err error
		if dir == "" {
			if dir, err = c.Getwd(); err != nil {
				return fmt.Errorf("find the login folder: %w", err)
			}
		}
		items, err = sftpcopy.List(c, dir)
		return err
	}, func(err error) {
		if err != nil {
			f.u.showError("Cannot list the folder", err, "Check that the folder exists and that you may read it.")
			return
		}
		f.dir, f.items = dir, items
		f.where.SetText(dir)
		f.list.UnselectAll()
		f.list.Refresh()
		f.list.ScrollToTop()
	})
}

func (f *filesPane) parent() {
	if f.dir != "" && f.dir != "/" {
		f.cd(path.Dir(f.dir))
	}
}

// open opens the entry id: a folder is listed, a file selected.
func (f *filesPane) open(id int) {
	if id < 0 || id >= len(f.items) {
		return
	}
	if e := f.items[id]; e.Dir {
		f.cd(path.Join(f.dir, e.Name))
		return
	}
	f.list.Select(id)
}

func (f *filesPane) pickUpload() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		rc.Close()
		f.uploadPaths([]string{rc.URI().Path()})
	}, f.u.win)
	setHome(d)
	showFileDialog(d)
}

func (f *filesPane) pickUploadFolder() {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil || l == nil {
			return
		}
		f.uploadPaths([]string{l.Path()})
	}, f.u.win)
	setHome(d)
	showFileDialog(d)
}

func (f *filesPane) pickDownload() {
	if f.sel < 0 || f.sel >= len(f.items) {
		return
	}
	src := path.Join(f.dir, f.items[f.sel].Name)
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil || l == nil {
			return
		}
		f.downloadTo(src, l.Path())
	}, f.u.win)
	d.SetConfirmText("Download here")
	setHome(d)
	showFileDialog(d)
}

// setHome starts a file dialog in the home folder.
func setHome(d *dialog.FileDialog) {
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
}

// uploadPaths uploads local files and folders, one after the other, into
// the folder shown, asking before replacing what is there.
func (f *filesPane) uploadPaths(paths []string) {
	if len(paths) == 0 {
		return
	}
	if f.cancel != nil {
		f.u.showError("A transfer is under way", errors.New("one transfer at a time"), "Wait for it to end, or press Cancel.")
		return
	}
	src, rest := paths[0], paths[1:]
	dst := path.Join(f.dir, filepath.Base(src))
	next := func() { f.uploadPaths(rest) }
	var exists bool
	f.withClient(func(c *sftp.Client) error {
		var err error
		exists, err = sftpcopy.RemoteExists(c, dst)
		return err
	}, func(err error) {
		if err != nil {
			f.u.showError("Cannot upload "+filepath.Base(src), err, "")
			return
		}
		run := func() {
			f.transfer("Uploading", filepath.Base(src), func(ctx context.Context, cp sftpcopy.Copier) error {
				return cp.Upload(ctx, src, f.dir)
			}, func(err error) {
				if err == nil {
					next()
				}
			})
		}
		if exists {
			f.askReplace(filepath.Base(src), "on the server in "+f.dir, run, next)
			return
		}
		run()
	})
}

// downloadTo downloads the remote src into the local folder dir.
func (f *filesPane) downloadTo(src, dir string) {
	if f.cancel != nil {
		f.u.showError("A transfer is under way", errors.New("one transfer at a time"), "Wait for it to end, or press Cancel.")
		return
	}
	name := path.Base(src)
	// The name came from the server: refuse it before it reaches a local
	// path (on Windows ..\x would climb), not only in the copy itself.
	if err := sftpcopy.CheckName(name); err != nil {
		f.u.showError("Cannot download "+name, err, "")
		return
	}
	run := func() {
		f.transfer("Downloading", name, func(ctx context.Context, cp sftpcopy.Copier) error {
			return cp.Download(ctx, src, dir)
		}, nil)
	}
	if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
		f.askReplace(name, "in "+dir, run, nil)
		return
	}
	run()
}

// askReplace asks before a copy replaces name where; yes runs replace,
// no runs skip (when not nil).
func (f *filesPane) askReplace(name, where string, replace, skip func()) {
	msg := widget.NewLabel(fmt.Sprintf("%s already exists %s.\nFiles of the same name are replaced; other files there are kept.", name, where))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Replace "+name+"?", "Replace", "Skip", msg, func(ok bool) {
		switch {
		case ok:
			replace()
		case skip != nil:
			skip()
		}
	}, f.u.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// transfer runs a copy with its progress shown under the list, then
// lists the folder again and runs then (when not nil) with how it ended.
func (f *filesPane) transfer(verb, name string, copyFn func(context.Context, sftpcopy.Copier) error, then func(error)) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.setBusy(true)
	f.result.Hide()
	f.xferText.SetText(fmt.Sprintf("%s %s…", verb, name))
	f.bar.SetValue(0)
	f.xfer.Show()
	var (
		mu      sync.Mutex
		last    sftpcopy.Progress
		pending bool
	)
	show := func() {
		mu.Lock()
		p := last
		pending = false
		mu.Unlock()
		f.showProgress(verb, p)
	}
	var final sftpcopy.Progress
	f.withClient(func(c *sftp.Client) error {
		cp := sftpcopy.Copier{C: c, Progress: func(p sftpcopy.Progress) {
			mu.Lock()
			last = p
			queue := !pending
			pending = true
			mu.Unlock()
			if queue { // one redraw in flight at a time, however fast bytes go
				f.u.do(show)
			}
		}}
		err := copyFn(ctx, cp)
		mu.Lock()
		final = last
		mu.Unlock()
		return err
	}, func(err error) {
		cancel()
		f.cancel = nil
		f.setBusy(false)
		f.xfer.Hide()
		switch {
		case errors.Is(err, context.Canceled):
			f.showResult(fmt.Sprintf("%s %s cancelled after %s.", verb, name, size(final.Done)), widget.WarningImportance)
		case err != nil:
			f.showResult(fmt.Sprintf("%s %s failed.", verb, name), widget.DangerImportance)
			f.u.showError(fmt.Sprintf("%s %s failed", verb, name), err, transferHint(err))
		default:
			done := map[string]string{"Uploading": "Uploaded", "Downloading": "Downloaded"}[verb]
			f.showResult(fmt.Sprintf("%s %s: %s, %s.", done, name, plural(final.FilesTotal, "file"), size(final.Total)), widget.SuccessImportance)
			f.u.setStatus(fmt.Sprintf("%s: %s %s", f.s.name, done, name))
		}
		if f.shell != nil {
			f.cd(f.dir)
		}
		if then != nil {
			then(err)
		}
	})
}

// setBusy disables the buttons that start a transfer while one runs (one
// at a time: they share the connection's bandwidth anyway).
func (f *filesPane) setBusy(busy bool) {
	for _, b := range []*widget.Button{f.upload, f.upDir} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if busy || f.sel < 0 {
		f.download.Disable()
	} else {
		f.download.Enable()
	}
}

func (f *filesPane) showProgress(verb string, p sftpcopy.Progress) {
	if f.cancel == nil {
		return // ended meanwhile
	}
	if p.Total > 0 {
		f.bar.SetValue(float64(p.Done) / float64(p.Total))
	}
	f.xferText.SetText(fmt.Sprintf("%s %s: %s of %s, file %d of %d", verb, p.Name, size(p.Done), size(p.Total), min(p.Files+1, p.FilesTotal), p.FilesTotal))
}

func (f *filesPane) showResult(msg string, imp widget.Importance) {
	f.result.SetText(msg)
	f.result.Importance = imp
	f.result.Show()
	f.result.Refresh()
}

func transferHint(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "You may not write there: pick another folder."
	case errors.Is(err, fs.ErrNotExist):
		return "It is gone: list the folder again."
	}
	return "Check the connection, then try again."
}

// size is n bytes for a person: 512 B, 3.2 MB.
func size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGT"[i])
}

// plural is "1 file", "3 files".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fileRow is one entry of the Files list: a tap selects it, a double tap
// opens it, a drag out of the window drops it on another program.
type fileRow struct {
	widget.BaseWidget
	f    *filesPane
	id   int
	icon *widget.Icon
	name *widget.Label
	size *widget.Label
}

func newFileRow(f *filesPane) *fileRow {
	r := &fileRow{f: f, icon: widget.NewIcon(theme.FileIcon()), name: widget.NewLabel(""), size: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.size.Importance = widget.LowImportance
	r.ExtendBaseWidget(r)
	return r
}

func (r *fileRow) set(id int, e sftpcopy.Entry) {
	r.id = id
	r.name.SetText(e.Name)
	if e.Dir {
		r.icon.SetResource(theme.FolderIcon())
		r.size.SetText("")
	} else {
		r.icon.SetResource(theme.FileIcon())
		r.size.SetText(size(e.Size))
	}
}

func (r *fileRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.icon, r.size, r.name))
}

func (r *fileRow) Tapped(*fyne.PointEvent)       { r.f.list.Select(r.id) }
func (r *fileRow) DoubleTapped(*fyne.PointEvent) { r.f.open(r.id) }
func (r *fileRow) Dragged(ev *fyne.DragEvent)    { r.f.rowDragged(r.id, ev) }
func (r *fileRow) DragEnd()                      { r.f.rowDragEnded() }

// MouseDown starts a gesture: a drag out left stale by a lost release
// ends (desktop.Mouseable). MouseUp has nothing to do.
func (r *fileRow) MouseDown(*desktop.MouseEvent) { r.f.rowPressed() }
func (r *fileRow) MouseUp(*desktop.MouseEvent)   {}

// toggleFiles shows or hides the Files pane beside the terminal.
func (s *session) toggleFiles() {
	if s.term == nil {
		return
	}
	if s.files == nil {
		s.files = newFilesPane(s)
		s.files.shell = s.fileShell
	}
	if s.filesShown {
		s.filesShown = false
		s.body.Objects = []fyne.CanvasObject{s.term}
	} else {
		s.filesShown = true
		split := container.NewHSplit(s.term, s.files.box)
		split.Offset = 0.6
		s.body.Objects = []fyne.CanvasObject{split}
		if s.files.dir == "" || s.files.c == nil {
			s.files.cd(s.files.dir)
		}
	}
	s.body.Refresh()
}

// setFileShell records the connection the Files pane uses (nil when it
// ended).
func (s *session) setFileShell(sh fileShell) {
	s.fileShell = sh
	if s.files == nil {
		return
	}
	if sh == nil {
		s.files.detach()
		return
	}
	s.files.attach(sh)
}

// dropped uploads what was dropped on the window into the Files pane of
// the session shown, if its pane is open.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	s := u.sessionOf(u.tabs.Selected())
	if s == nil || !s.filesShown || s.files.shell == nil {
		u.setStatus("Nothing uploaded: open Files in a connected session's tab, then drop files there")
		return
	}
	var paths []string
	for _, uri := range uris {
		if uri.Scheme() == "file" {
			paths = append(paths, uri.Path())
		}
	}
	s.files.uploadPaths(paths)
}
