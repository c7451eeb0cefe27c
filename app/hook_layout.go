//go:build sesame_testhook

package app

// report tells whether the sidebar is collapsed, and the terminals' zoom.
func (l *sideLayout) report(st *hookState) {
	st.SidebarHidden = l.hidden
	st.Zoom = l.u.zoom()
}
