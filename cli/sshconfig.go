package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"sesame/internal/atomicfile"
	"sesame/internal/cmdexit"
	"sesame/profiles"
)

// The lines that mark the block `ssh-config --install` manages in
// ~/.ssh/config: everything between them (inclusive) is Sesame's, and the
// rest of the file is never touched.
const (
	blockBegin = "# BEGIN sesame ssh-config: written by `sesame ssh-config --install`; edit the profiles, not this block"
	blockEnd   = "# END sesame ssh-config"
)

type sshConfigOptions struct {
	Deps      Deps
	Names     []string
	Install   bool
	Uninstall bool
	// File is the ssh config to install into (default ~/.ssh/config).
	File string
	// Command is the sesame program ProxyCommand runs (default this one).
	Command string
}

func newCmdSSHConfig(deps Deps) *cobra.Command {
	opts := &sshConfigOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "ssh-config [NAME...] [--install | --uninstall]",
		Short: "Print ~/.ssh/config Host blocks that knock through sesame proxy, or install them",
		Long: `Print a Host block for each profile (or the NAMEs given) whose
ProxyCommand is sesame proxy %n, with the profile's HostName, User, Port
and IdentityFile, so that ssh, scp, sftp, rsync, git and editors' remote
modes all knock first and shut the door after them: ssh NAME just works.

--install writes the blocks into ~/.ssh/config (or --file) inside a marked
block, at the top of the file so that they win over later Host * entries;
running it again updates that block, and --uninstall removes it. The rest
of the file is kept byte for byte, the file is replaced atomically, and a
symbolic link to it is followed. The block ends with "Host *", so that
options after it still apply to every host.

A profile whose name cannot be an ssh Host alias is left out with a note
(rename it: sesame profile rename).`,
		Example: `  sesame ssh-config web >> ~/.ssh/config
  sesame ssh-config --install
  ssh web; scp file web:; rsync -a dir/ web:dir/
  sesame ssh-config --uninstall`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runSSHConfig(opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Install, "install", false, "write the blocks into the ssh config, replacing the ones installed before")
	f.BoolVar(&opts.Uninstall, "uninstall", false, "remove the installed blocks from the ssh config")
	f.StringVar(&opts.File, "file", "", "the ssh config `FILE` to install into (default ~/.ssh/config)")
	f.StringVar(&opts.Command, "command", "", "the sesame `PROGRAM` ProxyCommand runs (default this one, by its full path)")
	cmdexit.Exclusive(cmd, "one writes the blocks, the other removes them", "install", "uninstall")
	return cmd
}

func runSSHConfig(o *sshConfigOptions) error {
	if o.Uninstall && len(o.Names) > 0 {
		return usageErrorf("--uninstall removes the whole installed block: give no names")
	}
	path, err := o.configFile()
	if err != nil {
		return err
	}
	if o.Uninstall {
		return o.uninstall(path)
	}
	block, err := o.block()
	if err != nil {
		return err
	}
	if !o.Install {
		_, err := o.Deps.IO.Out.Write(block)
		return err
	}
	old, mode, err := readConfig(path)
	if err != nil {
		return err
	}
	updated, replaced := withBlock(old, block)
	if err := writeConfig(path, updated, mode); err != nil {
		return err
	}
	verb := "added"
	if replaced {
		verb = "updated"
	}
	fmt.Fprintf(o.Deps.IO.Out, "%s sesame's Host blocks in %s\n", verb, path)
	return nil
}

// block renders the Host blocks of the profiles asked for, between the
// markers.
func (o *sshConfigOptions) block() ([]byte, error) {
	_, list, err := listProfiles(o.Deps)
	if err != nil {
		return nil, err
	}
	chosen := list
	if len(o.Names) > 0 {
		chosen = nil
		for _, name := range o.Names {
			p := findProfile(list, name)
			if p == nil {
				return nil, &UsageError{Err: fmt.Errorf("no profile named %q: %w (sesame profile list shows them)", name, profiles.ErrNotFound)}
			}
			if err := profiles.ValidateAlias(p.Name); err != nil {
				return nil, usageErrorf("%v; rename it: sesame profile rename %s %s", err, shellQuote(p.Name), shellQuote(profiles.SuggestName(p.Name)))
			}
			chosen = append(chosen, p)
		}
	}
	program, err := o.program()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintln(&b, blockBegin)
	for _, p := range chosen {
		if !profiles.IsAlias(p.Name) {
			fmt.Fprintf(o.Deps.IO.ErrOut, "sesame ssh-config: left out %q: it cannot be an ssh Host alias; rename it: sesame profile rename %s %s\n",
				p.Name, shellQuote(p.Name), shellQuote(profiles.SuggestName(p.Name)))
			continue
		}
		if why := unsafeForConfig(p); why != "" {
			fmt.Fprintf(o.Deps.IO.ErrOut, "sesame ssh-config: left out %q: its %s; fix it with sesame profile edit %s\n", p.Name, why, shellQuote(p.Name))
			continue
		}
		writeHost(&b, p, program)
	}
	// Options after the block apply to every host again.
	fmt.Fprintln(&b, "Host *")
	fmt.Fprintln(&b, blockEnd)
	return b.Bytes(), nil
}

// writeHost writes one profile's Host block.
func writeHost(b *bytes.Buffer, p *profiles.Profile, program string) {
	fmt.Fprintf(b, "Host %s\n", p.Name)
	fmt.Fprintf(b, "    HostName %s\n", p.Host)
	if p.User != "" {
		fmt.Fprintf(b, "    User %s\n", p.User)
	}
	if p.Port != 0 {
		fmt.Fprintf(b, "    Port %d\n", p.Port)
	}
	if p.IdentityFile != "" {
		fmt.Fprintf(b, "    IdentityFile %s\n", configQuote(p.IdentityFile))
	}
	// ssh makes the forwards itself; the jump hosts are sesame proxy's
	// (no ProxyJump: each hop's door is knocked from the one before).
	for _, f := range p.Forwards {
		fmt.Fprintf(b, "    %s\n", f.SSHConfigLine())
	}
	// %n is the name as typed on ssh's command line: the profile's.
	fmt.Fprintf(b, "    ProxyCommand %s proxy %%n\n", configQuote(program))
}

// unsafeForConfig says why a profile's values cannot go in an ssh_config
// as they are, or "": a line break or other control character would start
// a line of its own (a ProxyCommand of the file's choosing, from an
// imported profile), and ssh_config has no escape for a double quote.
func unsafeForConfig(p *profiles.Profile) string {
	for _, v := range []struct{ what, value string }{{"host", p.Host}, {"user", p.User}, {"identity file", p.IdentityFile}} {
		if strings.ContainsFunc(v.value, unicode.IsControl) {
			return v.what + " has a control character (a line break?)"
		}
		if strings.ContainsRune(v.value, '"') {
			return v.what + " has a double quote"
		}
	}
	return ""
}

// configQuote quotes a value with spaces as ssh_config reads it.
func configQuote(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"` // unsafeForConfig keeps quotes out
	}
	return s
}

func findProfile(list []*profiles.Profile, name string) *profiles.Profile {
	for _, p := range list {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// program is the sesame ProxyCommand runs: by its full path, since ssh
// runs it with the PATH of whatever started ssh (an editor, cron).
func (o *sshConfigOptions) program() (string, error) {
	if o.Command != "" {
		return o.Command, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this program's path for ProxyCommand: %w (give it with --command)", err)
	}
	return exe, nil
}

func (o *sshConfigOptions) configFile() (string, error) {
	if o.File != "" {
		return o.File, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find ~/.ssh/config: %w (give the file with --file)", err)
	}
	return filepath.Join(home, ".ssh", "config"), nil
}

func (o *sshConfigOptions) uninstall(path string) error {
	old, mode, err := readConfig(path)
	if err != nil {
		return err
	}
	updated, found := withoutBlock(old)
	if !found {
		fmt.Fprintf(o.Deps.IO.Out, "no sesame Host blocks in %s: nothing to remove\n", path)
		return nil
	}
	if err := writeConfig(path, updated, mode); err != nil {
		return err
	}
	fmt.Fprintf(o.Deps.IO.Out, "removed sesame's Host blocks from %s\n", path)
	return nil
}

// readConfig reads the ssh config (empty when there is none), with its
// mode to keep.
func readConfig(path string) ([]byte, fs.FileMode, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o600, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the ssh config: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read the ssh config: %w", err)
	}
	return data, fi.Mode().Perm(), nil
}

// writeConfig replaces the file atomically, through a symbolic link (a
// dotfile manager's) rather than over it.
func writeConfig(path string, data []byte, mode fs.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("make the ssh config's directory: %w", err)
	}
	return atomicfile.Write(path, data, mode)
}

// findBlock returns where the installed block starts and ends in config
// (end just past its end marker's line), if it is there.
func findBlock(config []byte) (start, end int, ok bool) {
	start = lineIndex(config, blockBegin)
	if start < 0 {
		return 0, 0, false
	}
	e := lineIndex(config[start:], blockEnd)
	if e < 0 {
		return 0, 0, false
	}
	end = start + e + len(blockEnd)
	// The marker's line ending goes with the block: "\n", or "\r\n" in a
	// file edited on Windows.
	if end+1 < len(config) && config[end] == '\r' && config[end+1] == '\n' {
		end += 2
	} else if end < len(config) && config[end] == '\n' {
		end++
	}
	return start, end, true
}

// lineIndex finds line as a whole line of data.
func lineIndex(data []byte, line string) int {
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], []byte(line))
		if i < 0 {
			return -1
		}
		at := off + i
		after := at + len(line)
		if (at == 0 || data[at-1] == '\n') && (after == len(data) || data[after] == '\n' || data[after] == '\r') {
			return at
		}
		off = after
	}
	return -1
}

// withBlock puts block in config: in place of the installed one, else at
// the top, so that its Host entries come before any others.
func withBlock(config, block []byte) (out []byte, replaced bool) {
	if start, end, ok := findBlock(config); ok {
		out = append(append(append(out, config[:start]...), block...), config[end:]...)
		return out, true
	}
	out = append(out, block...)
	if len(config) > 0 {
		out = append(out, '\n')
	}
	return append(out, config...), false
}

// withoutBlock removes the installed block (and the blank line install
// put after it), leaving every other byte as it was.
func withoutBlock(config []byte) (out []byte, found bool) {
	start, end, ok := findBlock(config)
	if !ok {
		return config, false
	}
	if start == 0 && end < len(config) && config[end] == '\n' {
		end++
	}
	return append(append(out, config[:start]...), config[end:]...), true
}
