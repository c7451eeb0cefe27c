//go:build linux

package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sesame/server/firewall"
)

// Uninstall undoes Install: it stops and disables the service, removes the
// unit, the daemon's firewall rules (left behind if it crashed) and the
// baseline, then compares the ruleset with the backup taken at install. If
// they match, the backup is deleted; if not (someone changed the firewall
// since), the backup is kept and the differences printed, since restoring
// it would undo those changes too — RestoreBackup restores it anyway. The
// config goes only if install wrote it and it is unchanged.
func Uninstall(ctx context.Context, opt Options) error {
	if err := opt.setDefaults(); err != nil {
		return err
	}
	statePath := filepath.Join(opt.StateDir, stateFile)
	st, err := opt.installed(ctx, statePath)
	if err != nil {
		return err
	}
	fw := fwTools{choice: firewall.Choice{Name: st.Backend, Variant: st.Variant}, run: opt.Run}
	removal, err := fw.removal(ctx)
	if err != nil {
		return err
	}
	// Nothing uninstall removes is put back when a later step fails: the
	// steps have no undo, and the ones that may fail harmlessly go on.
	keepBackup := false // the ruleset changed since install
	steps := []*step{
		lenientSystemctlStep(&opt, "disable", "--now", UnitName),
		removeUnitStep(&opt, st),
		lenientSystemctlStep(&opt, "daemon-reload"),
		removeBaselineStep(st, fw, removal),
		{title: "remove the daemon's own rules, if a crash left any (" + daemonWhere(st.Backend) + ")", do: fw.flushDaemon},
		compareBackupStep(&opt, st, fw, &keepBackup),
		{title: "remove " + st.ConfigPath + " if install wrote it and it is unchanged",
			do: func(context.Context) error { return removeConfig(&opt, st) }},
		removeBinaryStep(&opt, st),
		removeRecordStep(&opt, st, statePath, &keepBackup),
	}
	return run(ctx, &opt, "uninstall", steps)
}

// installed reads the record of the install; with Force and no record,
// it makes do with what can be found.
func (o *Options) installed(ctx context.Context, statePath string) (state, error) {
	st, err := readState(o.path(statePath))
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, fs.ErrNotExist) && !o.Force:
		return st, fmt.Errorf("sesamed is not installed here (no %s): nothing to undo; --force removes what it can find anyway", statePath)
	case errors.Is(err, fs.ErrNotExist):
		c, err := firewall.Choose(ctx, firewall.Options{Prefer: o.Firewall})
		if err != nil {
			return st, err
		}
		fmt.Fprintf(o.Out, "no record of an install (%s): removing what can be found (--force)\n", statePath)
		return state{Backend: c.Name, Variant: c.Variant, UnitPath: o.UnitPath, ConfigPath: o.ConfigPath}, nil
	default:
		return st, fmt.Errorf("read %s: %w (fix or delete it, then run uninstall again)", statePath, err)
	}
}

// lenientSystemctlStep runs systemctl, and only warns when it fails:
// systemd may be gone or not running; the rest must still be undone.
func lenientSystemctlStep(o *Options, args ...string) *step {
	s := systemctlStep(o, args...)
	do := s.do
	s.do = func(ctx context.Context) error {
		if err := do(ctx); err != nil {
			fmt.Fprintf(o.Out, "  warning: %v; going on\n", err)
		}
		return nil
	}
	return s
}

// removeUnitStep removes the unit, if it is there.
func removeUnitStep(o *Options, st state) *step {
	return &step{title: "remove " + st.UnitPath, do: func(context.Context) error {
		if err := os.Remove(o.path(st.UnitPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}}
}

// removeBaselineStep removes the baseline. The guard lives in sesamed's
// chain; an older install put its rules in INPUT, found by their comment
// (removal).
func removeBaselineStep(st state, fw fwTools, removal []command) *step {
	rm := &step{title: "remove the baseline firewall rules",
		lines: []string{fmt.Sprintf("the rules commented %s in %s", firewall.GuardTag, guardWhere(st.Backend))},
		do: func(ctx context.Context) error {
			if err := fw.apply(ctx, removal); err != nil {
				return err
			}
			return fw.unguard(ctx)
		}}
	for _, c := range removal {
		rm.lines = append(rm.lines, c.String())
	}
	return rm
}

// compareBackupStep compares the ruleset with the backup taken at install:
// the same, the backup goes; changed, it stays (keepBackup) unless
// RestoreBackup restores it.
func compareBackupStep(o *Options, st state, fw fwTools, keepBackup *bool) *step {
	check := &step{title: "compare the ruleset with the backup taken at install"}
	for _, f := range st.Backups {
		check.lines = append(check.lines, filepath.Join(o.StateDir, f))
	}
	check.do = func(ctx context.Context) error {
		diff, err := compareBackup(ctx, o, fw, st.Backups)
		if err != nil {
			return err
		}
		switch {
		case diff == "":
			fmt.Fprintln(o.Out, "  the ruleset is as it was before install")
		case o.RestoreBackup:
			fmt.Fprintf(o.Out, "  the ruleset changed since install:\n%s  restoring the backup (--restore-backup)\n", diff)
			return restoreBackup(ctx, o, fw, st.Backups)
		default:
			*keepBackup = true
			fmt.Fprintf(o.Out, "  the ruleset changed since install, so the backup is not restored (that would undo those changes too):\n%s"+
				"  the backup stays in %s; --restore-backup restores it\n", diff, o.StateDir)
		}
		return nil
	}
	return check
}

// removeBinaryStep removes the program install copied; nil when it copied
// none.
func removeBinaryStep(o *Options, st state) *step {
	if st.BinaryPath == "" {
		return nil
	}
	return &step{title: "remove " + st.BinaryPath + " if install copied it there and it is unchanged",
		do: func(context.Context) error { return removeBinary(o, st) }}
}

// removeRecordStep removes the record, and the backups unless keepBackup.
func removeRecordStep(o *Options, st state, statePath string, keepBackup *bool) *step {
	return &step{title: "remove the record and backups in " + o.StateDir,
		do: func(context.Context) error {
			if *keepBackup {
				fmt.Fprintf(o.Out, "  keeping the backups in %s\n", o.StateDir)
				return os.Remove(o.path(statePath))
			}
			return removeState(o, st.Backups)
		}}
}

func guardWhere(backend string) string {
	if backend == "nftables" {
		return "inet " + firewall.NFTDefaultTable + " " + firewall.NFTDefaultChain
	}
	return "chain " + firewall.IPTablesChain + " of iptables and ip6tables"
}

func daemonWhere(backend string) string {
	if backend == "nftables" {
		return "sets " + firewall.Tag + "_allow4/6 in table inet " + firewall.NFTDefaultTable
	}
	return "chain " + firewall.IPTablesChain
}

func readState(path string) (state, error) {
	var st state
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, err
	}
	if st.Backend != "iptables" && st.Backend != "nftables" {
		return st, fmt.Errorf("unknown firewall backend %q", st.Backend)
	}
	return st, nil
}

// compareBackup returns the lines that differ between the ruleset now and
// the backup, "" when they are the same.
func compareBackup(ctx context.Context, o *Options, fw fwTools, backups []string) (string, error) {
	var diff strings.Builder
	for _, d := range fw.dumps() {
		if !slices.Contains(backups, d.file) {
			continue
		}
		old, err := os.ReadFile(o.path(filepath.Join(o.StateDir, d.file)))
		if err != nil {
			return "", err
		}
		now, err := fw.save(ctx, d)
		if err != nil {
			return "", err
		}
		diff.WriteString(lineDiff(normalize(string(old)), normalize(now)))
	}
	return diff.String(), nil
}

// lineDiff lists the lines only in a ("-") or only in b ("+"), in order,
// at most 20.
func lineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	only := func(from, in []string, mark string) []string {
		left := map[string]int{}
		for _, l := range in {
			left[l]++
		}
		var out []string
		for _, l := range from {
			if left[l] > 0 {
				left[l]--
			} else {
				out = append(out, "    "+mark+" "+l)
			}
		}
		return out
	}
	out := append(only(la, lb, "-"), only(lb, la, "+")...)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("    ... and %d more", len(out)-20))
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

func restoreBackup(ctx context.Context, o *Options, fw fwTools, backups []string) error {
	for _, d := range fw.dumps() {
		if !slices.Contains(backups, d.file) {
			continue
		}
		b, err := os.ReadFile(o.path(filepath.Join(o.StateDir, d.file)))
		if err != nil {
			return err
		}
		if fw.nft() {
			b = append([]byte("flush ruleset\n"), b...)
		}
		if out, err := o.Run(ctx, b, d.restore.name, d.restore.args...); err != nil {
			return fmt.Errorf("%s: %w: %s", d.restore, err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// removeConfig removes the config install wrote, unless it was edited
// since: then it is the admin's, and stays.
func removeConfig(o *Options, st state) error {
	if st.ConfigBackup != "" {
		return restoreConfig(o, st)
	}
	if !st.ConfigCreated {
		fmt.Fprintf(o.Out, "  keeping %s: it was there before install\n", st.ConfigPath)
		return nil
	}
	b, err := os.ReadFile(o.path(st.ConfigPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != st.ConfigSHA256 {
		fmt.Fprintf(o.Out, "  keeping %s: it was edited since install\n", st.ConfigPath)
		return nil
	}
	return os.Remove(o.path(st.ConfigPath))
}
