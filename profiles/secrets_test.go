package profiles

import (
	"reflect"
	"strings"
	"testing"

	"sesame/knocker"
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

func TestSecretsDocumentErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `hunter2`, "not a Sesame secrets document"},
		{"no version", `{"open":"41234"}`, "no format version"},
		{"newer version", `{"v":2,"open":"41234","seed":"ABC"}`, "newer Sesame"},
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
			for _, secret := range []string{"hunter2", "41234", "99999", "ABC"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error quotes %q: %v", secret, err)
				}
			}
		})
	}
}
