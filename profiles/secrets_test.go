package profiles

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
	"sesame/rotate"
)

func TestSecretsDocument(t *testing.T) {
	s := Secrets{
		Open: seq(t, "7000,8000:udp,9000@1.5s"), Close: seq(t, "9000,8000:udp,7000"),
		Password: `p"w\` + "\n", Passphrase: "ünïcode",
		OneTime: []knocker.Sequence{seq(t, "1,2"), seq(t, "3:udp,4")}, OneTimeUsed: 7,
	}
	doc, err := encodeSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"open":"7000,8000:udp,9000@1.5s","close":"9000,8000:udp,7000","password":"p\"w\\\n","passphrase":"ünïcode","onetime":["1,2","3:udp,4"],"used":7}`
	if doc != want {
		t.Fatalf("document\n got %s\nwant %s", doc, want)
	}
	back, err := decodeSecrets(doc)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("decode = %+v, %v", back, err)
	}
	if doc, _ := encodeSecrets(Secrets{Open: seq(t, "1")}); doc != `{"v":1,"open":"1"}` {
		t.Fatalf("minimal document %s: empty fields must be left out", doc)
	}
}

// TestRotationDocument: a seed makes the document version 2; without one
// it stays version 1, which a Sesame from before seeds still reads.
func TestRotationDocument(t *testing.T) {
	seed, err := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	if err != nil {
		t.Fatal(err)
	}
	s := Secrets{Close: seq(t, "9000"), Rotation: &Rotation{Seed: seed,
		Params:     rotate.Params{Length: 5, PortMin: 2000, PortMax: 2999, Protocols: rotate.Mixed, Window: time.Minute},
		LastWindow: 57000001}}
	doc, err := encodeSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":2,"close":"9000","rot":{"seed":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","len":5,"ports":"2000-2999","proto":"mixed","win":60,"last":57000001}}`
	if doc != want {
		t.Fatalf("document\n got %s\nwant %s", doc, want)
	}
	back, err := decodeSecrets(doc)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("decode = %+v, %v", back, err)
	}
	s.Rotation = nil
	if doc, _ := encodeSecrets(s); !strings.HasPrefix(doc, `{"v":1,`) {
		t.Fatalf("a document without a seed: %s, want version 1", doc)
	}
}

func TestSecretsDocumentErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `hunter2`, "not a Sesame secrets document"},
		{"no version", `{"open":"41234"}`, "no format version"},
		{"newer version", `{"v":4,"open":"41234","seed":"ABC"}`, "newer Sesame"},
		{"bad seed", `{"v":2,"rot":{"seed":"41234!","len":4,"ports":"1-100","proto":"tcp","win":30}}`, "rotating sequence"},
		{"short seed", `{"v":2,"rot":{"seed":"ABC","len":4,"ports":"1-100","proto":"tcp","win":30}}`, "at least 160"},
		{"bad rotating ports", `{"v":2,"rot":{"seed":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","len":4,"ports":"100","proto":"tcp","win":30}}`, "LOW-HIGH"},
		{"bad rotating window", `{"v":2,"rot":{"seed":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","len":4,"ports":"1-100","proto":"tcp","win":1}}`, "window 1s"},
		{"bad open", `{"v":1,"open":"41234,99999"}`, "open sequence"},
		{"bad close", `{"v":1,"open":"1","close":"41234:icmp"}`, "close sequence"},
		{"bad one-time", `{"v":1,"onetime":["1","41234,0"]}`, "one-time sequence 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSecrets(tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decode = %v, want %q", err, tt.want)
			}
			for _, secret := range []string{"hunter2", "41234", "99999", "ABC", "GEZDGNBV"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error quotes %q: %v", secret, err)
				}
			}
		})
	}
}
