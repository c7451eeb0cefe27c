package knockdconf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
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
	lines, err := MarkOneTimeSequencesUsed(path, []knocker.Sequence{seq})
	if err != nil {
		return 0, err
	}
	return lines[0], nil
}

// MarkOneTimeSequencesUsed is MarkOneTimeSequenceUsed for several
// sequences (a knocked one and the unused ones before it that sesamed's
// look-ahead skipped), in one atomic replacement of the file: either all
// are marked or none is. It returns the lines it marked, in seqs' order.
func MarkOneTimeSequencesUsed(path string, seqs []knocker.Sequence) ([]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mark one-time sequence used: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("mark one-time sequence used: %w", err)
	}
	marked := make([]int, len(seqs))
	var out []byte
	start, line := 0, 0
	for start < len(data) {
		line++
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		next := min(end+1, len(data))
		text := strings.TrimSpace(string(data[start:end]))
		if i := unmarked(text, seqs, marked); i >= 0 {
			marked[i] = line
			out = append(out, '#')
			if data[start] == ' ' || data[start] == '\t' {
				out = append(out, data[start+1:next]...)
			} else {
				out = append(out, data[start:next]...)
			}
		} else {
			out = append(out, data[start:next]...)
		}
		start = end + 1
	}
	if slices.Contains(marked, 0) {
		return nil, &Error{File: path, Msg: "the sequence just used is no longer in the file (was it edited while sesamed ran?)"}
	}
	if err := atomicfile.Write(path, out, info.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("mark one-time sequence used: %w", err)
	}
	return marked, nil
}

// unmarked is the index of the sequence of seqs that the unused line text
// holds and that has no line yet, or -1.
func unmarked(text string, seqs []knocker.Sequence, marked []int) int {
	if text == "" || text[0] == '#' {
		return -1
	}
	s, _, err := parseDoorSequence(text)
	if err != nil {
		return -1
	}
	for i, want := range seqs {
		if marked[i] == 0 && s.Equal(want) {
			return i
		}
	}
	return -1
}
