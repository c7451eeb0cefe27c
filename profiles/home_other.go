//go:build !windows

package profiles

// homeSeparators: elsewhere ~\ is a file name, not the home folder.
const homeSeparators = "/"
