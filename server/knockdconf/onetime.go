package knockdconf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"sesame/internal/atomicfile"
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
			seq, _, perr := parseDoorSequence(t)
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

// MarkOneTimeSequenceUsed marks seq used in the one-time sequences file at
// path, in knockd's format: a '#' at the start of its line, so that knockd
// and sesamed both skip it from then on. The first unused line holding seq
// (same ports and protocols, however it is written) is marked; knockd
// compares raw bytes of half the ports and can mark the wrong line. The
// '#' replaces a leading blank (the layout knockd's manual recommends) or
// is inserted before the first digit, which knockd would overwrite. The
// file is replaced atomically (a temporary file renamed over it), so a crash
// never leaves it half written. It returns the line it marked.
func MarkOneTimeSequenceUsed(path string, seq knocker.Sequence) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("mark one-time sequence used: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("mark one-time sequence used: %w", err)
	}
	start, line := 0, 0
	for start < len(data) {
		line++
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		text := strings.TrimSpace(string(data[start:end]))
		if text != "" && text[0] != '#' {
			if s, _, err := parseDoorSequence(text); err == nil && s.Equal(seq) {
				var out []byte
				out = append(out, data[:start]...)
				if data[start] == ' ' || data[start] == '\t' {
					out = append(out, '#')
					out = append(out, data[start+1:]...)
				} else {
					out = append(out, '#')
					out = append(out, data[start:]...)
				}
				if err := atomicfile.Write(path, out, info.Mode().Perm()); err != nil {
					return 0, fmt.Errorf("mark one-time sequence used: %w", err)
				}
				return line, nil
			}
		}
		start = end + 1
	}
	return 0, &Error{File: path, Msg: "the sequence just used is no longer in the file (was it edited while sesamed ran?)"}
}
