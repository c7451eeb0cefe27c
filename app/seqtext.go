package app

import (
	"strings"

	"sesame/knocker"
)

// parseSeq reads a knock sequence typed in the form: knocks separated by
// commas, spaces or both ("7000,8000", "7000 8000:udp", "7000, 8000"), as
// `sesame knock` takes them as arguments and knockd.conf writes them.
func parseSeq(text string) (knocker.Sequence, error) {
	return knocker.ParseArgs(strings.Fields(strings.ReplaceAll(text, ",", " ")))
}
