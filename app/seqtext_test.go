package app

import (
	"strings"
	"testing"
)

func TestParseSeqTakesSpacesAndCommas(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{
		{"7000,8000,9000", "7000,8000,9000", true},
		{"7000 8000 9000", "7000,8000,9000", true},
		{" 7000, 8000:udp ,9000 ", "7000,8000:udp,9000", true},
		{"7000\t8000", "7000,8000", true},
		{"", "", false},
		{" , ", "", false},
		{"7000 x", "", false},
	} {
		seq, err := parseSeq(tc.text)
		if (err == nil) != tc.ok || (tc.ok && seq.String() != tc.want) {
			t.Errorf("parseSeq(%q) = %v, %v; want %q ok=%v", tc.text, seq, err, tc.want, tc.ok)
		}
	}
}

// The form takes knocks separated by spaces, as `sesame knock` does, and
// saves them as the sequence they are.
func TestFormSequencesWithSpaces(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	f.entries[fName].SetText("web")
	f.entries[fHost].SetText("web.example.com")
	f.entries[fOpen].SetText("7000 8000:udp, 9000")
	checkProblem(t, f, fOpen, "7000 8000:udp, 9000", "")
	f.entries[fClose].SetText("9000 8000")
	checkProblem(t, f, fClose, "9000 8000", "")
	h.submit(f)
	p, err := h.store.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	if p.Secrets.Open.String() != "7000,8000:udp,9000" || p.Secrets.Close.String() != "9000,8000" {
		t.Errorf("saved open %s close %s", p.Secrets.Open, p.Secrets.Close)
	}
}

// The SSH port sits beside the host, on the Host row, and its problems
// show there.
func TestFormHostAndPortOneRow(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	if f.rows[fPort] != f.rows[fHost] {
		t.Fatal("the SSH port has a row of its own")
	}
	f.entries[fPort].SetText("70000")
	checkProblem(t, f, fPort, "70000", "1 to 65535")
	if !strings.Contains(h.texts(), "1 to 65535") {
		t.Errorf("the port's problem is not shown:\n%s", h.texts())
	}
}
