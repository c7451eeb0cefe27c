package profiles

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"sesame/spa"
)

// testRC is a ~/.fwknoprc as people write them: [default] with what every
// server shares, a stanza per server.
var testRC = `# fwknop client settings
[default]
ALLOW_IP                    source
SPA_SERVER_PROTO            udp

[web]
SPA_SERVER                  192.0.2.1
ACCESS                      tcp/2222
KEY_BASE64                  ` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("K", 32))) + `
HMAC_KEY_BASE64             ` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("H", 64))) + `

[vault]
SPA_SERVER                  vault.example.com
SPA_SERVER_PORT             40001
SPA_SERVER_PROTO            tcp
ACCESS                      tcp/22,udp/53
ALLOW_IP                    192.0.2.9
FW_TIMEOUT                  30
SPOOF_USER                  ops
KEY                         a passphrase
HMAC_KEY_BASE64             ` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("h", 64))) + `
HMAC_DIGEST_TYPE            SHA512

[gpg]
SPA_SERVER                  192.0.2.3
USE_GPG                     Y
GPG_RECIPIENT               1234ABCD

[nohmac]
SPA_SERVER                  192.0.2.4
KEY_BASE64                  ` + base64.StdEncoding.EncodeToString([]byte("k")) + `

[nat]
SPA_SERVER                  192.0.2.5
NAT_ACCESS                  192.168.1.2,22
KEY_BASE64                  ` + base64.StdEncoding.EncodeToString([]byte("k")) + `
HMAC_KEY_BASE64             ` + base64.StdEncoding.EncodeToString([]byte("h")) + `

[noserver]
KEY_BASE64                  ` + base64.StdEncoding.EncodeToString([]byte("k")) + `
HMAC_KEY_BASE64             ` + base64.StdEncoding.EncodeToString([]byte("h")) + `
`

func TestImportFwknoprc(t *testing.T) {
	if !IsFwknoprc([]byte(testRC)) || IsExport([]byte(testRC)) {
		t.Fatal("a ~/.fwknoprc is not detected as one")
	}
	im, err := ReadImport([]byte(testRC), "fwknoprc")
	if err != nil || im.RC == nil || im.Knockd != nil {
		t.Fatalf("ReadImport = %+v, %v", im, err)
	}
	offered, skipped := im.Offer("", nil)
	byName := map[string]*Profile{}
	for _, o := range offered {
		byName[o.Profile.Name] = o.Profile
		if !strings.Contains(o.From, "stanza ["+o.Profile.Name+"] of fwknoprc") {
			t.Errorf("From = %q", o.From)
		}
	}
	want := map[string]*Profile{
		"web": {Name: "web", Host: "192.0.2.1", Port: 2222, SPA: &SPA{AllowIP: AllowSource},
			Secrets: Secrets{SPA: &SPAKeys{Key: []byte(strings.Repeat("K", 32)), HMACKey: []byte(strings.Repeat("H", 64))}}},
		"vault": {Name: "vault", Host: "vault.example.com",
			SPA:     &SPA{Port: 40001, Proto: "tcp", Access: "tcp/22,udp/53", AllowIP: "192.0.2.9", Timeout: 30, User: "ops"},
			Secrets: Secrets{SPA: &SPAKeys{Key: []byte("a"), HMACKey: []byte(strings.Repeat("h", 64)), HMAC: spa.SHA512}}},
	}
	// KEY's value is the passphrase up to the first space, as fwknop reads it.
	if !reflect.DeepEqual(byName, want) {
		for n, p := range byName {
			t.Errorf("offered %s: %+v %+v %+v", n, p, p.SPA, p.Secrets.SPA)
		}
		t.FailNow()
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Name] = s.Reason
	}
	for name, why := range map[string]string{"gpg": "GPG", "nohmac": "no HMAC key", "nat": "NAT_ACCESS", "noserver": "no SPA_SERVER"} {
		if !strings.Contains(reasons[name], why) {
			t.Errorf("stanza %s skipped for %q, want %q", name, reasons[name], why)
		}
	}
	for _, r := range reasons {
		if strings.Contains(r, "S0tL") || strings.Contains(r, "passphrase") {
			t.Errorf("a reason quotes a key: %s", r)
		}
	}
	// A host given stands in for a missing SPA_SERVER.
	offered, _ = im.Offer("192.0.2.8", nil)
	found := false
	for _, o := range offered {
		found = found || (o.Profile.Name == "noserver" && o.Profile.Host == "192.0.2.8")
	}
	if !found {
		t.Error("the host given does not stand in for a missing SPA_SERVER")
	}
}

func TestIsFwknoprcNotKnockd(t *testing.T) {
	knockd := "[options]\n\tUseSyslog\n\n[openSSH]\n\tsequence    = 7000,8000,9000\n\tseq_timeout = 5\n\tcommand     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT\n\ttcpflags    = syn\n"
	if IsFwknoprc([]byte(knockd)) {
		t.Fatal("a knockd.conf reads as a ~/.fwknoprc")
	}
	if _, err := ReadImport([]byte("[web]\nSPA_SERVER h\nKEY_BASE64 x\nBOGUS 1\n"), "rc"); err == nil || !strings.Contains(err.Error(), "rc:4:") {
		t.Fatalf("a bad ~/.fwknoprc: %v, want its file:line", err)
	}
}
