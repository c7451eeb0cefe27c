//go:build linux

package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"sesame/knockdconf"
	"sesame/knocker"
)

// configBackupSuffix names the copy of a config --rewrite-config changed.
const configBackupSuffix = ".sesamed-backup"

// commandKeys are the door keys (and knockd's alias) the native action
// replaces.
var commandKeys = []string{"START_COMMAND", "COMMAND", "START_COMMAND_6", "STOP_COMMAND", "STOP_COMMAND_6", "CMD_TIMEOUT"}

// rewritePrefix starts each line the rewrite comments out.
const rewritePrefix = "# sesamed install --rewrite-config: "

// rewriteDoors turns the problem doors of a config into native doors: their
// commands are commented out, and Open_Ports opens the guarded port, for
// Cmd_Timeout when the door had a stop command (as knockd's stop command
// ran then) or until closed when it had none. The close door of the
// guides' pair (its command deletes that accept) becomes the open door's
// Close_Sequence, and is commented out. Everything else stays as written.
// notes say what changed, for the plan.
func rewriteDoors(text []byte, cfg *knockdconf.Config, problems []doorProblem, port uint16, proto knocker.Proto) (out []byte, notes []string) {
	lines := strings.Split(string(text), "\n")
	sections := doorSections(lines, cfg)
	// The close door: only when it pairs unambiguously with one open door.
	var closer *knockdconf.Door
	if len(problems) == 1 {
		for _, d := range cfg.Doors {
			if d != problems[0].door && !d.HasNativeOpen() && len(d.Sequence) > 0 && !d.IsRotating() &&
				d.OneTimeSequences == "" && closes(d.StartCommand, port) && !d.Sequence.Equal(problems[0].door.Sequence) {
				if closer != nil {
					closer = nil
					break
				}
				closer = d
			}
		}
	}
	insert := map[int][]string{} // after line index
	for _, p := range problems {
		d := p.door
		sec := sections[d]
		for i := sec[0] + 1; i < sec[1]; i++ {
			// The keys written below replace any the door had.
			k := lineKey(lines[i])
			if slices.Contains(commandKeys, k) || k == "OPEN_PORTS" || k == "ACCESS_TIME" || k == "CLOSE_SEQUENCE" && closer != nil {
				lines[i] = rewritePrefix + lines[i]
			}
		}
		access := 0
		if d.StopCommand != "" || d.StopCommand6 != "" {
			access = int(d.CmdTimeout.Seconds())
			if access == 0 {
				access = int(knockdconf.DefaultAccessTime.Seconds())
			}
		}
		add := []string{
			fmt.Sprintf("\topen_ports      = %d:%s", port, proto),
			fmt.Sprintf("\taccess_time     = %d", access),
		}
		if closer != nil {
			add = append(add, "\tclose_sequence  = "+closer.Sequence.String())
		}
		insert[sec[0]] = add
		note := fmt.Sprintf("door [%s]: commands replaced by Open_Ports = %d:%s, Access_Time = %d", d.Name, port, proto, access)
		if closer != nil {
			note += fmt.Sprintf(", Close_Sequence = door [%s]'s sequence", closer.Name)
		}
		notes = append(notes, note)
	}
	if closer != nil {
		sec := sections[closer]
		for i := sec[0]; i < sec[1]; i++ {
			if strings.TrimSpace(lines[i]) != "" {
				lines[i] = rewritePrefix + lines[i]
			}
		}
		notes = append(notes, fmt.Sprintf("door [%s]: commented out; its sequence closes door [%s] natively", closer.Name, problems[0].door.Name))
	}
	var b []string
	for i, l := range lines {
		b = append(b, l)
		b = append(b, insert[i]...)
	}
	return []byte(strings.Join(b, "\n")), notes
}

// closes reports whether a command deletes an accept covering port (the
// guides' close door).
func closes(cmd string, port uint16) bool {
	undeleted := strings.NewReplacer(" -D ", " -A ", " delete ", " add ", " --delete ", " -A ").Replace(" " + cmd + " ")
	return undeleted != " "+cmd+" " && opens(strings.TrimSpace(undeleted), port)
}

// doorSections maps each door to its lines: [header, next header or end).
func doorSections(lines []string, cfg *knockdconf.Config) map[*knockdconf.Door][2]int {
	out := map[*knockdconf.Door][2]int{}
	for _, d := range cfg.Doors {
		start := d.Line - 1
		end := len(lines)
		for i := start + 1; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), "[") {
				end = i
				break
			}
		}
		out[d] = [2]int{start, end}
	}
	return out
}

// lineKey is the upper-case key of a "key = value" line, "" for others.
func lineKey(l string) string {
	t := strings.TrimSpace(l)
	if t == "" || strings.HasPrefix(t, "#") {
		return ""
	}
	k, _, ok := strings.Cut(t, "=")
	if !ok {
		return ""
	}
	return strings.ToUpper(strings.TrimSpace(k))
}

// keptConfigStep checks the doors of the config install keeps against the
// backend's baseline: nil when every door can open; the refusal, naming
// each door, why and the fix; or, with RewriteConfig, the step that
// rewrites them, keeping the original as CONFIG.sesamed-backup.
func keptConfigStep(o *Options, st *state, backend string) (*step, error) {
	path := o.path(o.ConfigPath)
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the config install keeps, %s: %w", o.ConfigPath, err)
	}
	cfg, err := knockdconf.ParseFile(path)
	if err != nil {
		return nil, fmt.Errorf("the config install keeps does not load: %w (fix it, or move it away to have install write one)", err)
	}
	// Native doors open in the config's backend: it must be the one the
	// baseline goes into.
	if cfg.Firewall != "" && cfg.Firewall != knockdconf.FirewallAuto && cfg.Firewall != backend {
		return nil, fmt.Errorf("the config %s, which install keeps, says Firewall = %s, but the baseline goes into %s: "+
			"sesamed's accepts would land where they cannot beat its drop; pass --firewall %s, or set Firewall = %s (or auto) in the config",
			o.ConfigPath, cfg.Firewall, backend, cfg.Firewall, backend)
	}
	problems := checkDoors(cfg, backend, o.Port, o.Proto)
	if len(problems) == 0 {
		return nil, nil
	}
	if !o.RewriteConfig {
		return nil, keptConfigError(o.ConfigPath, problems, o.Port, o.Proto)
	}
	backup := o.ConfigPath + configBackupSuffix
	if _, err := os.Stat(o.path(backup)); err == nil {
		return nil, fmt.Errorf("%s exists, from an earlier --rewrite-config: move it away so that it is not overwritten, then install again", backup)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", backup, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	mode := fi.Mode().Perm()
	out, notes := rewriteDoors(text, cfg, problems, o.Port, o.Proto)
	// What is written must load and open; a config too odd for the rewrite
	// is left to the admin.
	re, err := knockdconf.Parse(bytes.NewReader(out), o.ConfigPath)
	if err == nil {
		if left := checkDoors(re, backend, o.Port, o.Proto); len(left) > 0 {
			err = fmt.Errorf("%s", left[0])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w\n--rewrite-config cannot rewrite this config (%v): edit those doors by hand", keptConfigError(o.ConfigPath, problems, o.Port, o.Proto), err)
	}
	sum := sha256.Sum256(out)
	st.ConfigBackup, st.ConfigSHA256 = backup, hex.EncodeToString(sum[:])
	for _, p := range problems {
		notes = append([]string{"was: " + p.String()}, notes...)
	}
	return &step{
		title: fmt.Sprintf("rewrite %d door(s) of %s to sesamed's native Open_Ports (--rewrite-config; the original is kept as %s)", len(problems), o.ConfigPath, backup),
		lines: notes,
		do: func(context.Context) error {
			if err := writeFile(o.path(backup), text, mode); err != nil {
				return err
			}
			return writeFile(path, out, mode)
		},
		undo: func(context.Context) error {
			if err := writeFile(path, text, mode); err != nil {
				return err
			}
			return os.Remove(o.path(backup))
		},
	}, nil
}

// restoreConfig puts back the original of a config install rewrote,
// unless the rewritten one was edited since: then both stay.
func restoreConfig(o *Options, st state) error {
	b, err := os.ReadFile(o.path(st.ConfigPath))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if sum := sha256.Sum256(b); err == nil && hex.EncodeToString(sum[:]) != st.ConfigSHA256 {
		fmt.Fprintf(o.Out, "  keeping %s: it was edited since install rewrote it; the original is %s\n", st.ConfigPath, st.ConfigBackup)
		return nil
	}
	fmt.Fprintf(o.Out, "  putting back the original of %s from %s\n", st.ConfigPath, st.ConfigBackup)
	return os.Rename(o.path(st.ConfigBackup), o.path(st.ConfigPath))
}
