package profiles

import (
	"bytes"
	"os"
	"strings"

	"sesame/knockdconf"
	"sesame/spa"
)

// Import is a file to import profiles from, its kind detected and its
// content parsed: a Sesame export, a knockd.conf or a ~/.fwknoprc. The CLI
// and the app both read files through it, so that both offer the same
// profiles.
type Import struct {
	// File names the file in errors and in Imported.From.
	File string
	// Knockd is the parsed knockd.conf, or nil when the file is a Sesame
	// export (whose profiles carry their hosts) or a ~/.fwknoprc.
	Knockd *knockdconf.Config
	// RC are the stanzas of a ~/.fwknoprc, or nil for another file.
	RC []spa.RCStanza
	// SSH is the parsed ssh_config, or nil. Its hosts update existing
	// profiles (PlanSSHImport); the others need a knock first.
	SSH      *SSHConfig
	exported []*Profile
}

// ReadImport detects whether data is a Sesame export (JSON, IsExport), a
// ~/.fwknoprc (IsFwknoprc), an ssh_config (IsSSHConfig) or a knockd.conf,
// and parses it.
func ReadImport(data []byte, file string) (*Import, error) {
	if IsExport(data) {
		ps, err := ReadExport(data, file)
		if err != nil {
			return nil, err
		}
		return &Import{File: file, exported: ps}, nil
	}
	if IsFwknoprc(data) {
		rc, err := spa.ParseRC(bytes.NewReader(data), file)
		if err != nil {
			return nil, err
		}
		if rc == nil {
			rc = []spa.RCStanza{}
		}
		return &Import{File: file, RC: rc}, nil
	}
	if IsSSHConfig(data) {
		home, _ := os.UserHomeDir()
		cfg, err := ReadSSHConfig(data, file, home)
		if err != nil {
			return nil, err
		}
		return &Import{File: file, SSH: cfg}, nil
	}
	cfg, err := knockdconf.Parse(bytes.NewReader(data), file)
	if err != nil {
		return nil, err
	}
	return &Import{File: file, Knockd: cfg}, nil
}

// noSecretsReason is why an export's profile saved without its secrets is
// skipped: it cannot knock. Skipped.NoSecrets marks it, so that a face can
// name its own way to export with secrets.
const noSecretsReason = "exported without its secrets: export it again with secrets, or add it by hand"

// Offer returns the profiles the file offers, and those it leaves out with
// why. host is the server of a knockd.conf's doors (an export's profiles
// have theirs; a ~/.fwknoprc's stanzas have SPA_SERVER, and host only
// stands in where one has none); readOneTime reads the doors' one-time
// sequence files.
func (im *Import) Offer(host string, readOneTime OneTimeReader) (offered []Imported, skipped []Skipped) {
	if im.Knockd != nil {
		return FromKnockd(im.Knockd, host, readOneTime)
	}
	if im.RC != nil {
		return FromFwknoprc(im.RC, im.File, host)
	}
	if im.SSH != nil {
		// An ssh_config has no knocks: its hosts update profiles (see
		// PlanSSHImport), or wait for one.
		for _, h := range im.SSH.Hosts {
			skipped = append(skipped, Skipped{Name: h.Alias, Reason: "needs a knock sequence: " + h.NeedsKnockCommand(SuggestName(h.Alias))})
		}
		return nil, skipped
	}
	for _, p := range im.exported {
		if p.Secrets.IsZero() {
			skipped = append(skipped, Skipped{Name: p.Name, Reason: noSecretsReason, NoSecrets: true})
			continue
		}
		if err := p.Validate(); err != nil {
			skipped = append(skipped, Skipped{Name: p.Name, Reason: strings.ReplaceAll(err.Error(), "\n", "; ")})
			continue
		}
		offered = append(offered, Imported{Profile: p, From: im.File})
	}
	return offered, skipped
}
