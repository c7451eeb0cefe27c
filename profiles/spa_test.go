package profiles

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"sesame/knocker"
	"sesame/spa"
)

// testSPAKeys are keys with recognisable bytes, to look for leaks.
func testSPAKeys() *SPAKeys {
	return &SPAKeys{Key: bytes.Repeat([]byte("K"), 32), HMACKey: bytes.Repeat([]byte("H"), 64)}
}

func spaProfile(name string) *Profile {
	return &Profile{Name: name, Host: "vault.example.com", Port: 2222,
		SPA:     &SPA{Port: 62202, Proto: "tcp", Access: "tcp/2222,udp/53", AllowIP: AllowSource, Timeout: 45, User: "ops"},
		Secrets: Secrets{SPA: testSPAKeys(), Password: "pw"}}
}

func TestKind(t *testing.T) {
	rot, one, spa := validProfile(), validProfile(), *spaProfile("s")
	rot.Secrets.Open, rot.Secrets.Rotation = nil, testRotation()
	one.Secrets.Open, one.Secrets.OneTimeUsed = nil, 1
	for _, tt := range []struct {
		p    Profile
		want Kind
	}{{validProfile(), KindSequence}, {rot, KindRotating}, {one, KindOneTime}, {spa, KindSPA}} {
		if got := tt.p.Kind(); got != tt.want {
			t.Errorf("Kind() = %v, want %v", got, tt.want)
		}
		if k, err := ParseKind(tt.want.String()); err != nil || k != tt.want {
			t.Errorf("ParseKind(%q) = %v, %v", tt.want, k, err)
		}
	}
	if _, err := ParseKind("knock"); err == nil {
		t.Error("ParseKind(knock) = nil error")
	}
}

func TestValidateSPA(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(p *Profile)
		fields []string
	}{
		{"valid", func(p *Profile) {}, nil},
		{"defaults", func(p *Profile) { p.SPA = &SPA{} }, nil},
		{"a fixed allow IP", func(p *Profile) { p.SPA.AllowIP = "192.0.2.7" }, nil},
		{"an IPv6 allow IP", func(p *Profile) { p.SPA.AllowIP = "2001:db8::7" }, []string{"spa-allow-ip"}},
		{"no keys", func(p *Profile) { p.Secrets.SPA = nil }, []string{"spa-keys"}},
		{"keys without settings", func(p *Profile) { p.SPA = nil }, []string{"spa"}},
		{"no HMAC key", func(p *Profile) { p.Secrets.SPA.HMACKey = nil }, []string{"spa-keys"}},
		{"a long key", func(p *Profile) { p.Secrets.SPA.Key = make([]byte, MaxSPAKeyBytes+1) }, []string{"spa-keys"}},
		{"a sequence too", func(p *Profile) { p.Secrets.Open = seq(t, "1,2") }, []string{"spa"}},
		{"a close sequence", func(p *Profile) { p.Secrets.Close = seq(t, "1,2") }, []string{"close"}},
		{"bad port", func(p *Profile) { p.SPA.Port = 70000 }, []string{"spa-port"}},
		{"bad proto", func(p *Profile) { p.SPA.Proto = "icmp" }, []string{"spa-proto"}},
		{"bad access", func(p *Profile) { p.SPA.Access = "tcp/22,sctp/9" }, []string{"spa-access"}},
		{"access port 0", func(p *Profile) { p.SPA.Access = "tcp/0" }, []string{"spa-access"}},
		{"bad allow IP", func(p *Profile) { p.SPA.AllowIP = "here" }, []string{"spa-allow-ip"}},
		{"0.0.0.0 allow IP", func(p *Profile) { p.SPA.AllowIP = "0.0.0.0" }, []string{"spa-allow-ip"}},
		{"negative timeout", func(p *Profile) { p.SPA.Timeout = -1 }, []string{"spa-timeout"}},
		{"user with a comma", func(p *Profile) { p.SPA.User = "a,b" }, []string{"spa-user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spaProfile("vault")
			tt.edit(p)
			wantFieldErrors(t, p.Validate(), tt.fields)
		})
	}
}

func TestSPADefaults(t *testing.T) {
	s := &SPA{}
	if port, proto := s.ServerPort(); port != 62201 || proto != "udp" {
		t.Errorf("ServerPort() = %d/%s, want 62201/udp", port, proto)
	}
	if got := s.AccessFor(2222); got != "tcp/2222" {
		t.Errorf("AccessFor(2222) = %q, want tcp/2222", got)
	}
	s.Access = "udp/53"
	if got := s.AccessFor(2222); got != "udp/53" {
		t.Errorf("AccessFor with access set = %q", got)
	}
}

// TestEditSPA: SPA keys replace every sequence, and a sequence or a seed
// replaces the keys and the SPA settings.
func TestEditSPA(t *testing.T) {
	keys, other := testSPAKeys(), &SPAKeys{Key: []byte("k2"), HMACKey: []byte("h2")}
	fixed := func() Profile {
		p := validProfile()
		p.Secrets.Close, p.Secrets.Password = seq(t, "9000"), "kept"
		return p
	}
	spa := func(s SPA, k *SPAKeys) Profile {
		p := validProfile()
		p.Secrets.Open, p.Secrets.Password = nil, "kept"
		p.SPA, p.Secrets.SPA = &s, k
		return p
	}
	tests := []struct {
		name        string
		start       Profile
		edit        Edit
		want        Profile
		err         error
		wantNothing bool
	}{
		{"keys replace the open and close sequences", fixed(), Edit{SPAKeys: keys}, spa(SPA{}, keys), nil, false},
		{"keys and settings", fixed(), Edit{SPAKeys: keys, SPA: &SPA{Timeout: 30}}, spa(SPA{Timeout: 30}, keys), nil, false},
		{"settings keep the keys", spa(SPA{Timeout: 30}, keys), Edit{SPA: &SPA{Port: 1000}}, spa(SPA{Port: 1000}, keys), nil, false},
		{"keys keep the settings", spa(SPA{Timeout: 30}, keys), Edit{SPAKeys: other}, spa(SPA{Timeout: 30}, other), nil, false},
		{"settings without keys", fixed(), Edit{SPA: &SPA{}}, fixed(), ErrNoSPAKeys, true},
		{"an open sequence replaces the keys", spa(SPA{Timeout: 30}, keys), Edit{Open: seq(t, "5,6")},
			func() Profile {
				p := validProfile()
				p.Secrets.Open, p.Secrets.Password = seq(t, "5,6"), "kept"
				return p
			}(), nil, false},
		{"a seed replaces the keys", spa(SPA{}, keys), Edit{Seed: testRotation().Seed},
			func() Profile {
				p := validProfile()
				p.Secrets.Open, p.Secrets.Password, p.Secrets.Rotation = nil, "kept", testRotation()
				return p
			}(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.start
			err := tt.edit.Apply(&got)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Apply = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Apply made\n%+v %+v\nwant\n%+v %+v", got, got.SPA, tt.want, tt.want.SPA)
			}
			if err == nil {
				if verr := got.Validate(); verr != nil {
					t.Fatalf("the edited profile does not validate: %v", verr)
				}
			}
		})
	}
}

func TestParseSPAKeys(t *testing.T) {
	k, h := base64.StdEncoding.EncodeToString(testSPAKeys().Key), base64.StdEncoding.EncodeToString(testSPAKeys().HMACKey)
	good := []string{
		"KEY_BASE64: " + k + "\nHMAC_KEY_BASE64: " + h + "\n",                   // fwknop --key-gen
		"[web]\nSPA_SERVER web\nKEY_BASE64    " + k + "\nHMAC_KEY_BASE64\t" + h, // ~/.fwknoprc
		testSPAKeys().String(),
		testSPAKeys().AccessLines(),
		testSPAKeys().QRText(), // fwknop's mobile clients' QR codes
		"KEY_BASE64:" + strings.TrimRight(k, "=") + " HMAC_KEY_BASE64:" + strings.TrimRight(h, "="),
	}
	for _, text := range good {
		got, err := ParseSPAKeys(text)
		if err != nil || !reflect.DeepEqual(got, testSPAKeys()) {
			t.Errorf("ParseSPAKeys(%q) = %+v, %v", text, got, err)
		}
	}
	bad := []struct{ text, want string }{
		{"KEY_BASE64: " + k, "no KEY_BASE64 and HMAC_KEY_BASE64"},
		{"KEY_BASE64: " + k + "\nHMAC_KEY_BASE64: not*base64" + h, "line 2: HMAC_KEY_BASE64 is not base64"},
		{"KEY_BASE64: " + k + "\nKEY_BASE64: " + k, "line 2: KEY_BASE64 is given twice"},
		{"KEY_BASE64: " + base64.StdEncoding.EncodeToString(make([]byte, 200)) + "\nHMAC_KEY_BASE64: " + h, "at most 32"},
	}
	for _, tt := range bad {
		_, err := ParseSPAKeys(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSPAKeys(%q) = %v, want %q", tt.text, err, tt.want)
		} else if strings.Contains(err.Error(), k[:10]) || strings.Contains(err.Error(), h[:10]) {
			t.Errorf("the error quotes a key: %v", err)
		}
	}
}

func TestNewSPAKeys(t *testing.T) {
	k, err := NewSPAKeys(nil)
	if err != nil || len(k.Key) != SPAKeyBytes || len(k.HMACKey) != SPAHMACKeyBytes {
		t.Fatalf("NewSPAKeys = %+v, %v", k, err)
	}
	if back, err := ParseSPAKeys(k.String()); err != nil || !reflect.DeepEqual(back, k) {
		t.Fatalf("the keys do not read back from their text: %v", err)
	}
	if got := k.QRText(); strings.Contains(got, "\n") || !strings.HasPrefix(got, "KEY_BASE64:"+base64.StdEncoding.EncodeToString(k.Key)+" HMAC_KEY_BASE64:") {
		t.Fatalf("QRText = %q, want one line as fwknop's mobile clients read it", got)
	}
}

// TestSPASecretsDocument: SPA keys make the keyring document version 3,
// which an older Sesame refuses rather than rewriting it without them.
func TestSPASecretsDocument(t *testing.T) {
	s := Secrets{SPA: testSPAKeys(), Password: "pw"}
	doc, err := encodeSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":3,"password":"pw","spa":{"key":"` + base64.StdEncoding.EncodeToString(s.SPA.Key) + `","hmac":"` + base64.StdEncoding.EncodeToString(s.SPA.HMACKey) + `"}}`
	if doc != want {
		t.Fatalf("document\n got %s\nwant %s", doc, want)
	}
	back, err := decodeSecrets(doc)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("decode = %+v, %v", back, err)
	}
	if _, err := decodeSecrets(`{"v":3,"spa":{"key":"***","hmac":""}}`); err == nil || strings.Contains(err.Error(), "***") {
		t.Fatalf("a bad key decodes: %v", err)
	}
	// A door's other digest and mode are kept, by name.
	s.SPA.HMAC, s.SPA.Mode = spa.SHA512, spa.Legacy
	doc, err = encodeSecrets(s)
	if err != nil || !strings.Contains(doc, `"hd":"SHA512","mode":"legacy"`) {
		t.Fatalf("document %s, %v", doc, err)
	}
	if back, err := decodeSecrets(doc); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("decode = %+v, %v", back, err)
	}
}

// TestSPAExport: the export carries the kind and the SPA settings; the keys
// only with secrets.
func TestSPAExport(t *testing.T) {
	p := spaProfile("vault")
	seqP := validProfile()
	for _, withSecrets := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Export(&buf, []*Profile{p, &seqP}, withSecrets); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`"kind": "spa"`, `"kind": "sequence"`, `"allow_ip": "source"`, `"version": 2`} {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("with secrets %v: the export has no %s:\n%s", withSecrets, s, buf.String())
			}
		}
		key := base64.StdEncoding.EncodeToString(p.Secrets.SPA.HMACKey)
		if got := strings.Contains(buf.String(), key); got != withSecrets {
			t.Errorf("with secrets %v: the export holds the HMAC key: %v", withSecrets, got)
		}
		got, err := ReadExport(buf.Bytes(), "x.json")
		if err != nil {
			t.Fatal(err)
		}
		want := *p
		if !withSecrets {
			want.Secrets = Secrets{}
		}
		if !reflect.DeepEqual(got[0], &want) || got[0].Kind() != KindSPA {
			t.Errorf("with secrets %v: read back\n%+v\nwant\n%+v", withSecrets, got[0], &want)
		}
	}
	// A kind that disagrees with the profile is refused.
	var buf bytes.Buffer
	if err := Export(&buf, []*Profile{&seqP}, true); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(buf.String(), `"kind": "sequence"`, `"kind": "rotating"`, 1)
	if _, err := ReadExport([]byte(edited), "x.json"); err == nil || !strings.Contains(err.Error(), "kind is rotating") {
		t.Fatalf("ReadExport of a wrong kind = %v", err)
	}
}

// TestStoreSPA: an SPA profile's settings are in the settings file
// (version 2) and its keys only in the keyring.
func TestStoreSPA(t *testing.T) {
	s := newTestStore(t)
	want := spaProfile("vault")
	if err := s.Create(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("vault")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v\nwant %+v", got, err, want)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Kind() != KindSPA || !reflect.DeepEqual(list[0].SPA, want.SPA) {
		t.Fatalf("List = %+v, %v: want the SPA profile, its kind known without secrets", list, err)
	}
	data, err := os.ReadFile(s.SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{base64.StdEncoding.EncodeToString(want.Secrets.SPA.Key)[:12], "KKKK", "HHHH"} {
		if strings.Contains(string(data), leak) {
			t.Fatalf("the settings file holds a key:\n%s", data)
		}
	}
	for _, w := range []string{"version: 2", "allow_ip: source", "timeout: 45"} {
		if !strings.Contains(string(data), w) {
			t.Fatalf("the settings file has no %q:\n%s", w, data)
		}
	}
	p, seq, err := s.TakeOpen("vault")
	if err != nil || seq != nil || p.Kind() != KindSPA {
		t.Fatalf("TakeOpen = %v, %v, %v: want the SPA profile and no sequence", p, seq, err)
	}
	// Back to a sequence: the file goes back to version 1.
	if _, err := s.Update("vault", func(p *Profile) error {
		return (&Edit{Open: knocker.Sequence{{Port: 7000, Proto: knocker.TCP}}}).Apply(p)
	}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(s.SettingsFile()); !strings.Contains(string(data), "version: 1") || strings.Contains(string(data), "spa") {
		t.Fatalf("the settings file without SPA profiles:\n%s", data)
	}
}

// TestStoreSPASecretsMissing: an SPA profile whose keyring entry is gone
// says to set its keys again with --spa.
func TestStoreSPASecretsMissing(t *testing.T) {
	kr := NewMemKeyring()
	s := NewStore(t.TempDir(), kr)
	if err := s.Create(spaProfile("vault")); err != nil {
		t.Fatal(err)
	}
	st, err := readSettings(s.SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Delete(Service, st.entries[0].Key); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get("vault")
	if !errors.Is(err, ErrSecretsMissing) || !strings.Contains(err.Error(), "sesame profile edit vault --spa FILE") {
		t.Fatalf("Get = %v", err)
	}
}
