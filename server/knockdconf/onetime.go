package knockdconf

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"sesame/knocker"
)

// OneTimeSequence is one line of a One_Time_Sequences file.
type OneTimeSequence struct {
	// Line is the 1-based line number; Offset the byte offset of the line's
	// first byte, where knockd writes the '#' that marks it used.
	Line     int
	Offset   int64
	Sequence knocker.Sequence
}

// ReadOneTimeSequences reads the unused sequences of a one-time sequences
// file, in order. As in knockd, blank lines and lines starting with '#'
// (comments, and sequences already used) are skipped; each other line is a
// sequence in the Sequence syntax. Unlike knockd, which skips a line it
// cannot read, a bad line is an error naming it: a typo would otherwise
// silently burn a sequence the client still holds.
func ReadOneTimeSequences(r io.Reader, file string) ([]OneTimeSequence, error) {
	var out []OneTimeSequence
	br := bufio.NewReader(r)
	var offset int64
	for line := 1; ; line++ {
		text, err := br.ReadString('\n')
		if text == "" && err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf("cannot read: %v", err)}
		}
		start := offset
		offset += int64(len(text))
		t := strings.TrimSpace(text)
		if t != "" && t[0] != '#' {
			seq, perr := parseDoorSequence(t)
			if perr != nil {
				return nil, &Error{File: file, Line: line, Msg: "sequence " + perr.Error()}
			}
			out = append(out, OneTimeSequence{Line: line, Offset: start, Sequence: seq})
		}
		if err == io.EOF {
			return out, nil
		}
	}
}

// ReadOneTimeSequencesFile is ReadOneTimeSequences on the file at path.
func ReadOneTimeSequencesFile(path string) ([]OneTimeSequence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read one-time sequences: %w", err)
	}
	defer f.Close()
	return ReadOneTimeSequences(f, path)
}
