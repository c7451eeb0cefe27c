package app

// hookState is what the test hook (hook_on.go) writes, and the
// end-to-end tests read.
type hookState struct {
	// Scale is the canvas scale: window pixels per Fyne unit.
	Scale float32
	// Connect is the detail pane's Connect button: x, y, width, height
	// in window pixels.
	Connect [4]float32
	// Selected is the profile selected in the list.
	Selected string
	// Countdown is a rotating profile's countdown in the detail pane;
	// ShowSeed its Show seed… button, and SeedConfirm the Show button of
	// the question that follows (x, y, width, height; zero when hidden).
	Countdown   string
	ShowSeed    [4]float32
	SeedConfirm [4]float32
	// SeedShown says the seed dialog is open (the seed itself is never
	// written here).
	SeedShown bool
	Tabs      []hookTab
	Status    string
	// StallMS is the longest the UI goroutine took to run a no-op since
	// start or the last SIGUSR1: how long the window was unresponsive.
	StallMS float64
	// NewButton and MenuButton are the + and ⋮ buttons above the list
	// (x, y, width, height): icons, with no text to find them by.
	NewButton, MenuButton [4]float32
	// SidebarHidden says the sidebar is collapsed (Ctrl+B); Zoom is the
	// terminals' zoom (1 is the theme's text size).
	SidebarHidden bool
	Zoom          float32
	// Focused names what has the keyboard focus: "kind" (the profile
	// form's kind of knock, then ":" and the kind chosen), "field:KEY"
	// (a form field), or the focused widget's type.
	Focused string
	// FormView is the profile form's scrolled area, FormName its Name
	// field, which rises as the form scrolls down (x, y, width, height
	// in window pixels; zero while no form is open).
	FormView, FormName [4]float32
	// Seq counts the states written: a live app keeps raising it.
	Seq int64
	// Texts is every text drawn in the window, on the content and the
	// overlays above it (dialogs, menus), with its place.
	Texts []hookText
}

// hookText is a text drawn in the window.
type hookText struct {
	// Layer is 0 for the window's content, n for the n-th overlay above
	// it (a dialog, a menu).
	Layer int
	Text  string
	// Rect is x, y, width, height in window pixels.
	Rect [4]float32
}

// hookTab is one session tab.
type hookTab struct {
	Title string
	// Progress is the progress view, a line per step.
	Progress string
	Screen   string
	Banner   string
	Failure  string
	// Lost is the bar over a lost session's terminal, and Reconnect its
	// button (x, y, width, height).
	Lost      string
	Reconnect [4]float32
	// Files is the Files pane while it is shown: its folder, then a
	// line per entry (folders end in /); Transfer the transfer under way
	// and FilesResult how the last one ended; FilesSelected is the entry
	// selected (Download takes it).
	// Cols and Rows are the terminal's grid.
	Cols, Rows    int
	Files         string
	Transfer      string
	FilesResult   string
	FilesSelected string
}
