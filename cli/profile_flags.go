package cli

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/rotate"
)

// profileFlags are the settings flags of `profile add` and `profile edit`.
// Only flags given on the command line change a profile.
type profileFlags struct {
	Host, Open, Close, Delay, Wait string
	Keepalive                      string
	KeepaliveMax                   int
	AutoReconnect                  bool
	User, Identity, Family, Note   string
	Port                           int
	PasswordStdin, PassphraseStdin bool
	// A rotating sequence: the seed ("new", base32 or "-") and the
	// door's parameters, named after its Rotating_ keys.
	Seed                                             string
	RotatingLength                                   int
	RotatingPorts, RotatingProtocols, RotatingWindow string
	// An SPA profile: the keys ("new", a FILE, or "-") and the settings.
	SPAKeys                                  string
	SPAPort, SPATimeout                      int
	SPAProto, SPAAccess, SPAAllowIP, SPAUser string
	// Forwards are "L 8080:localhost:80"-style; Jump is PROFILE[,PROFILE].
	Forwards []string
	Jump     string
	// edit only
	ForgetPassword, ForgetPassphrase bool

	// NewSeed is set by apply when --seed new made one, for the command
	// to print once the profile is saved; NewSPAKeys likewise for --spa new.
	NewSeed    bool
	NewSPAKeys bool
	// names are the flags register added: edit needs one of them.
	names []string
}

// rotatingFlags are the flags of a rotating sequence's parameters.
var rotatingFlags = []string{"rotating-length", "rotating-ports", "rotating-protocols", "rotating-window"}

// spaFlags are the flags of an SPA profile's settings.
var spaFlags = []string{"spa-port", "spa-proto", "spa-access", "spa-allow-ip", "spa-timeout", "spa-user"}

func (f *profileFlags) register(fs *pflag.FlagSet, edit bool) {
	fs.StringVar(&f.Host, "host", "", "host name or address to knock and connect to")
	fs.StringVar(&f.Open, "open", "", "the knock `SEQ`uence that opens the door, e.g. 7000,8000:udp,9000 (- reads it from standard input)")
	closeHelp := "the knock `SEQ`uence that closes the door (- reads it from standard input)"
	if edit {
		closeHelp += `; "" removes it`
	}
	fs.StringVar(&f.Close, "close", "", closeHelp)
	fs.StringVar(&f.Seed, "seed", "", `a rotating sequence's seed, shared with a sesamed door: "new" makes one (printed once, with the door's lines), or the door's BASE32 seed, or a sesame://rotating URI (seed and settings, from show --reveal), or - to read either from standard input; replaces --open`)
	fs.IntVar(&f.RotatingLength, "rotating-length", rotate.DefaultLength, "knocks per rotating sequence (the door's Rotating_Length)")
	fs.StringVar(&f.RotatingPorts, "rotating-ports", fmt.Sprintf("%d-%d", rotate.DefaultPortMin, rotate.DefaultPortMax), "the `LOW-HIGH` range rotating knocks use (the door's Rotating_Ports)")
	fs.StringVar(&f.RotatingProtocols, "rotating-protocols", "tcp", "tcp, udp or mixed (the door's Rotating_Protocols)")
	fs.StringVar(&f.RotatingWindow, "rotating-window", "30", "how long each rotating sequence lasts: seconds or a duration (the door's Rotating_Window)")
	fs.StringVar(&f.SPAKeys, "spa", "", `open the door with one fwknop SPA packet instead of a knock sequence, with these keys: "new" makes them (printed once, with the lines for the server's access.conf), or a FILE holding KEY_BASE64 and HMAC_KEY_BASE64 as fwknop --key-gen prints them, or - to read them from standard input (a terminal prompts without echo); replaces --open, --close and --seed`)
	fs.IntVar(&f.SPAPort, "spa-port", profiles.DefaultSPAPort, "the port the SPA server (fwknopd) listens on")
	fs.StringVar(&f.SPAProto, "spa-proto", profiles.DefaultSPAProto, "udp or tcp: how the SPA packet is sent")
	fs.StringVar(&f.SPAAccess, "spa-access", "", "the ports the SPA packet opens, as fwknop -A: tcp/22,udp/53 (default tcp/ and the SSH port)")
	fs.StringVar(&f.SPAAllowIP, "spa-allow-ip", "", `the address the server opens the ports for: an IP (fwknop -a), or "source" for the address the server sees the packet from (fwknop -s, for NAT); default this computer's address`)
	fs.IntVar(&f.SPATimeout, "spa-timeout", 0, "ask the server to keep the door open this many `SECONDS` (fwknop -f; default the server's FW_ACCESS_TIMEOUT)")
	fs.StringVar(&f.SPAUser, "spa-user", "", "the user name in the SPA packet (fwknop -U; default your user name)")
	fs.StringVar(&f.Delay, "delay", "", "wait between knocks: milliseconds (100) or a duration (100ms, 1.5s)")
	fs.StringVar(&f.Wait, "wait", "", "wait after the last knock before connecting: milliseconds or a duration")
	fs.StringVar(&f.Keepalive, "keepalive", "", "ask the server whether it is there this often (default 15s; a duration)")
	fs.IntVar(&f.KeepaliveMax, "keepalive-max", 0, "end the session after this many unanswered keepalives (default 3)")
	fs.BoolVar(&f.AutoReconnect, "auto-reconnect", false, "in the app, knock and connect again in the same tab when the connection is lost")
	fs.StringVar(&f.User, "user", "", "SSH user")
	fs.IntVar(&f.Port, "port", 0, "SSH port (default 22)")
	fs.StringVar(&f.Identity, "identity", "", "SSH private key `FILE` to try first")
	fs.StringVar(&f.Family, "family", "", "address family: auto, 4 or 6")
	fwHelp := `a port forward every connect makes: "L [BIND:]PORT:HOST:HOSTPORT", "R [BIND:]PORT:HOST:HOSTPORT" or "D [BIND:]PORT", as ssh's -L, -R, -D (repeat for more)`
	jumpHelp := "connect through these profiles' hosts, first hop first, each knocked on its own door (as ssh's ProxyJump)"
	if edit {
		fwHelp += `; replaces the profile's forwards, "" removes them`
		jumpHelp += `; "" removes them`
	}
	fs.StringArrayVar(&f.Forwards, "forward", nil, fwHelp)
	fs.StringVar(&f.Jump, "jump", "", jumpHelp+" (`PROFILE[,PROFILE]`)")
	fs.StringVar(&f.Note, "note", "", "free text for you")
	fs.BoolVar(&f.PasswordStdin, "password-stdin", false, "read the SSH password to remember from standard input (a terminal prompts without echo)")
	fs.BoolVar(&f.PassphraseStdin, "passphrase-stdin", false, "read the identity file's passphrase to remember from standard input")
	if edit {
		fs.BoolVar(&f.ForgetPassword, "forget-password", false, "forget the remembered SSH password")
		fs.BoolVar(&f.ForgetPassphrase, "forget-passphrase", false, "forget the remembered key passphrase")
	}
	if edit {
		hideDefaults(fs)
	}
	fs.SortFlags = false
	f.names = nil
	fs.VisitAll(func(fl *pflag.Flag) { f.names = append(f.names, fl.Name) })
}

// defaultText is a default named in a flag's usage.
var defaultText = regexp.MustCompile(`\s*\(default [^);]*\)|default [^;)]*; `)

// hideDefaults keeps edit's help from showing defaults: edit changes only
// the flags given, so add's defaults never apply there.
func hideDefaults(fs *pflag.FlagSet) {
	fs.VisitAll(func(fl *pflag.Flag) {
		fl.Usage = defaultText.ReplaceAllString(fl.Usage, "")
		switch fl.Value.Type() {
		case "string":
			fl.DefValue = ""
		case "bool":
			fl.DefValue = "false"
		case "stringArray":
			fl.DefValue = "[]"
		default:
			fl.DefValue = "0"
		}
	})
}

// openSeedOrSPA is why --open, --seed and --spa cannot be given together.
const openSeedOrSPA = "--open sets a fixed sequence, --seed a rotating one derived from a seed, --spa fwknop SPA keys: a profile has one kind of knock, give one"

// apply sets on p the flags that were given (changed reports which),
// through profiles.Edit: the rules of what replaces what are the app's
// too. Secrets to read from standard input are read in a fixed order:
// open or seed, close, password, passphrase, one line each. Errors name
// the flag and never quote a secret.
func (f *profileFlags) apply(p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	e, err := f.edit(p, changed, in)
	if err != nil {
		return err
	}
	if err := e.Apply(p); err != nil {
		if errors.Is(err, profiles.ErrNoSPAKeys) {
			return usageErrorf("--spa-port, --spa-proto, --spa-access, --spa-allow-ip, --spa-timeout and --spa-user are for an SPA profile: give --spa new (or --spa FILE with the door's keys) too")
		}
		if errors.Is(err, profiles.ErrNoSeed) {
			return usageErrorf("--rotating-length, --rotating-ports, --rotating-protocols and --rotating-window are for a rotating sequence: give --seed new (or the door's seed) too")
		}
		return usageErrorf("%v", err)
	}
	return nil
}

// edit reads the flags that were given into an edit of p: the settings
// here, the secrets in editSecrets.
func (f *profileFlags) edit(p *profiles.Profile, changed func(string) bool, in *secretInput) (*profiles.Edit, error) {
	e := &profiles.Edit{}
	given := func(name string, v *string) *string {
		if changed(name) {
			return v
		}
		return nil
	}
	e.Host, e.User, e.Note = given("host", &f.Host), given("user", &f.User), given("note", &f.Note)
	if changed("port") {
		e.Port = &f.Port
	}
	if changed("identity") {
		if f.Identity != "" {
			home, _ := os.UserHomeDir()
			if err := profiles.CheckIdentityFile(f.Identity, home); err != nil {
				return nil, usageErrorf("--identity %s: %v", f.Identity, err)
			}
		}
		e.IdentityFile = &f.Identity
	}
	if err := cmp.Or(
		parsed(changed, "family", f.Family, knock.ParseFamily, &e.Family),
		parsed(changed, "delay", f.Delay, profiles.ParseDelay, &e.Delay),
		parsed(changed, "wait", f.Wait, profiles.ParseWait, &e.Wait),
		parsed(changed, "keepalive", f.Keepalive, profiles.ParseKeepalive, &e.Keepalive),
	); err != nil {
		return nil, err
	}
	if changed("keepalive-max") {
		e.KeepaliveMax = &f.KeepaliveMax
	}
	if changed("auto-reconnect") {
		e.AutoReconnect = &f.AutoReconnect
	}
	if changed("forward") {
		fws := []profiles.Forward{}
		for _, t := range f.Forwards {
			if strings.TrimSpace(t) == "" {
				continue
			}
			fw, err := profiles.ParseForward(t)
			if err != nil {
				return nil, usageErrorf("--forward: %v", err)
			}
			fws = append(fws, fw)
		}
		e.Forwards = &fws
	}
	if changed("jump") {
		jump := splitList(f.Jump)
		e.Jump = &jump
	}
	if err := f.editSecrets(e, p, changed, in); err != nil {
		return nil, err
	}
	return e, nil
}

// checkJump refuses a --jump that names no profile, when it is given:
// the hop's door and login come from its profile, which must be there.
func (f *profileFlags) checkJump(store *profiles.Store, changed func(string) bool) error {
	if !changed("jump") {
		return nil
	}
	list, err := store.List()
	if err != nil {
		return profileError(err)
	}
	for _, n := range splitList(f.Jump) {
		found := false
		for _, p := range list {
			found = found || strings.EqualFold(p.Name, n)
		}
		if !found {
			return usageErrorf("--jump %s: there is no profile %s: add the jump host as a profile first (sesame profile add %s --host HOST --open SEQ), or check sesame profile list", f.Jump, n, n)
		}
	}
	return nil
}

// splitList reads a comma-separated list, dropping empty items.
func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parsed sets *dst to the named flag's text read by parse, when the flag
// was given; the error names the flag.
func parsed[T any](changed func(string) bool, name, text string, parse func(string) (T, error), dst **T) error {
	if !changed(name) {
		return nil
	}
	v, err := parse(text)
	if err != nil {
		return usageErrorf("--%s: %v", name, err)
	}
	*dst = &v
	return nil
}

// editSecrets reads the secrets' flags that were given, in the order of
// standard input's lines.
func (f *profileFlags) editSecrets(e *profiles.Edit, p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	var err error
	if changed("open") {
		if e.Open, err = in.sequence("open", f.Open); err != nil {
			return err
		}
	}
	if err := f.editRotation(e, p, changed, in); err != nil {
		return err
	}
	if err := f.editSPA(e, p, changed, in); err != nil {
		return err
	}
	if changed("close") {
		e.Close = &knocker.Sequence{}
		if f.Close != "" {
			if *e.Close, err = in.sequence("close", f.Close); err != nil {
				return err
			}
		}
	}
	forget := ""
	if f.ForgetPassword {
		e.Password = &forget
	}
	if f.ForgetPassphrase {
		e.Passphrase = &forget
	}
	if f.PasswordStdin {
		e.Password = new(string)
		if *e.Password, err = in.line("SSH password for "+p.Name, true); err != nil {
			return err
		}
	}
	if f.PassphraseStdin {
		e.Passphrase = new(string)
		if *e.Passphrase, err = in.line("key passphrase for "+p.Name, true); err != nil {
			return err
		}
	}
	return nil
}

// editRotation reads the seed and the rotating settings that were given:
// the settings start from the seed URI's, else the profile's own.
func (f *profileFlags) editRotation(e *profiles.Edit, p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	given := changed("seed")
	for _, name := range rotatingFlags {
		given = given || changed(name)
	}
	if !given {
		return nil
	}
	params := p.Secrets.RotatingParams()
	var err error
	if changed("seed") {
		if e.Seed, err = f.seed(in, &params); err != nil {
			return err
		}
	}
	if changed("rotating-length") {
		params.Length = f.RotatingLength
	}
	if changed("rotating-ports") {
		if params.PortMin, params.PortMax, err = rotate.ParsePortRange(f.RotatingPorts); err != nil {
			return usageErrorf("--rotating-ports: %v", err)
		}
	}
	if changed("rotating-protocols") {
		if params.Protocols, err = rotate.ParseProtocols(f.RotatingProtocols); err != nil {
			return usageErrorf("--rotating-protocols: %v", err)
		}
	}
	if changed("rotating-window") {
		if params.Window, err = rotate.ParseWindow(f.RotatingWindow); err != nil {
			return usageErrorf("--rotating-window: %v", err)
		}
	}
	e.Params = &params
	return nil
}

// editSPA reads the SPA keys and the settings that were given: the
// settings start from the profile's own.
func (f *profileFlags) editSPA(e *profiles.Edit, p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	given := changed("spa")
	for _, name := range spaFlags {
		given = given || changed(name)
	}
	if !given {
		return nil
	}
	var err error
	if changed("spa") {
		if e.SPAKeys, err = f.spaKeys(in); err != nil {
			return err
		}
	}
	spa := profiles.SPA{}
	if p.SPA != nil {
		spa = *p.SPA
	}
	if changed("spa-port") {
		spa.Port = f.SPAPort
	}
	if changed("spa-proto") {
		spa.Proto = f.SPAProto
	}
	if changed("spa-access") {
		spa.Access = f.SPAAccess
	}
	if changed("spa-allow-ip") {
		spa.AllowIP = f.SPAAllowIP
	}
	if changed("spa-timeout") {
		spa.Timeout = f.SPATimeout
	}
	if changed("spa-user") {
		spa.User = f.SPAUser
	}
	e.SPA = &spa
	return nil
}

// spaKeys reads --spa: "new" makes keys, "-" reads them from standard
// input, anything else names a file. Errors never quote a key.
func (f *profileFlags) spaKeys(in *secretInput) (*profiles.SPAKeys, error) {
	switch f.SPAKeys {
	case "new":
		k, err := profiles.NewSPAKeys(nil)
		if err != nil {
			return nil, fmt.Errorf("--spa new: %w", err)
		}
		f.NewSPAKeys = true
		return k, nil
	case "-":
		var lines []string
		for _, name := range []string{"KEY_BASE64", "HMAC_KEY_BASE64"} {
			l, err := in.line(name, true)
			if err != nil {
				return nil, err
			}
			// A bare value is the key the prompt asked for.
			if n := keyName(l); n != "KEY_BASE64" && n != "HMAC_KEY_BASE64" {
				l = name + " " + l
			}
			lines = append(lines, l)
		}
		k, err := profiles.ParseSPAKeys(strings.Join(lines, "\n"))
		if err != nil {
			return nil, usageErrorf("--spa -: %v", err)
		}
		return k, nil
	case "":
		return nil, usageErrorf(`--spa needs the keys: new, a FILE in fwknop --key-gen's form, or - to read them from standard input`)
	}
	data, err := os.ReadFile(f.SPAKeys)
	if err != nil {
		return nil, usageErrorf("--spa %s: %v (give new, a FILE with KEY_BASE64 and HMAC_KEY_BASE64, or -; keys are never taken as arguments)", f.SPAKeys, err)
	}
	k, err := profiles.ParseSPAKeys(string(data))
	if err != nil {
		return nil, usageErrorf("--spa %s: %v (for a ~/.fwknoprc with several stanzas, use sesame profile import)", f.SPAKeys, err)
	}
	return k, nil
}

// keyName is the name a key line starts with: "KEY_BASE64" of
// "KEY_BASE64: …".
func keyName(line string) string {
	line = strings.TrimSpace(line)
	if i := strings.IndexAny(line, ": \t="); i >= 0 {
		return line[:i]
	}
	return line
}

// seed reads --seed: "new" makes one; a seed URI sets params too.
func (f *profileFlags) seed(in *secretInput, params *rotate.Params) (rotate.Seed, error) {
	if f.Seed == "new" {
		seed, err := rotate.NewSeed()
		if err != nil {
			return nil, fmt.Errorf("--seed new: %w", err)
		}
		f.NewSeed = true
		return seed, nil
	}
	text := f.Seed
	if text == "-" {
		var err error
		if text, err = in.line("seed", true); err != nil {
			return nil, err
		}
	}
	seed, uri, err := rotate.ParseSeedOrURI(text)
	if err != nil {
		return nil, usageErrorf("--seed: %v (or give new to make one)", err)
	}
	if uri != nil {
		*params = *uri
	}
	return seed, nil
}

// secretInput reads secrets from standard input, a line at a time, so that
// they never appear on a command line (shell history, ps). On a terminal it
// prompts on stderr and does not echo.
type secretInput struct {
	in     io.Reader
	prompt io.Writer
	r      *bufio.Reader
}

func newSecretInput(streams IOStreams) *secretInput {
	return &secretInput{in: streams.In, prompt: streams.ErrOut}
}

// sequence reads a sequence flag's value: the value itself, or a line of
// standard input for "-".
func (s *secretInput) sequence(flag, value string) (knocker.Sequence, error) {
	if value == "-" {
		line, err := s.line(flag+" sequence", false)
		if err != nil {
			return nil, err
		}
		value = line
	}
	seq, err := knocker.ParseSequence(value)
	if err != nil {
		var te *knocker.TokenError
		if errors.As(err, &te) {
			// Say what is wrong without quoting the secret.
			return nil, usageErrorf("--%s: a knock is wrong: %s", flag, te.Reason)
		}
		return nil, usageErrorf("--%s: %v", flag, err)
	}
	return seq, nil
}

// line reads one line (without its end); what names it in the prompt and in
// errors.
func (s *secretInput) line(what string, hidden bool) (string, error) {
	if f, ok := s.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(s.prompt, "%s: ", what)
		var b []byte
		var err error
		if hidden {
			b, err = term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(s.prompt)
		} else {
			var l string
			l, err = s.reader().ReadString('\n')
			b = []byte(l)
		}
		if err != nil && len(b) == 0 {
			return "", fmt.Errorf("read the %s: %w", what, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	l, err := s.reader().ReadString('\n')
	if err != nil && (err != io.EOF || l == "") {
		return "", usageErrorf("read the %s from standard input: %v (give one line per secret: open or seed (or the two SPA keys), close, password, passphrase, in that order)", what, errOrEOF(err))
	}
	l = strings.TrimRight(l, "\r\n")
	if l == "" {
		return "", usageErrorf("the %s read from standard input is empty", what)
	}
	return l, nil
}

func (s *secretInput) reader() *bufio.Reader {
	if s.r == nil {
		s.r = bufio.NewReader(s.in)
	}
	return s.r
}

func errOrEOF(err error) error {
	if err == io.EOF {
		return errors.New("no more input")
	}
	return err
}
