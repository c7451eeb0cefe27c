package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
	// edit only
	ForgetPassword, ForgetPassphrase bool

	// NewSeed is set by apply when --seed new made one, for the command
	// to print once the profile is saved.
	NewSeed bool
}

// rotatingFlags are the flags of a rotating sequence's parameters.
var rotatingFlags = []string{"rotating-length", "rotating-ports", "rotating-protocols", "rotating-window"}

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
	fs.StringVar(&f.Delay, "delay", "", "wait between knocks: milliseconds (100) or a duration (100ms, 1.5s)")
	fs.StringVar(&f.Wait, "wait", "", "wait after the last knock before connecting: milliseconds or a duration")
	fs.StringVar(&f.Keepalive, "keepalive", "", "ask the server whether it is there this often (default 15s; a duration)")
	fs.IntVar(&f.KeepaliveMax, "keepalive-max", 0, "end the session after this many unanswered keepalives (default 3)")
	fs.BoolVar(&f.AutoReconnect, "auto-reconnect", false, "in the app, knock and connect again in the same tab when the connection is lost")
	fs.StringVar(&f.User, "user", "", "SSH user")
	fs.IntVar(&f.Port, "port", 0, "SSH port (default 22)")
	fs.StringVar(&f.Identity, "identity", "", "SSH private key `FILE` to try first")
	fs.StringVar(&f.Family, "family", "", "address family: auto, 4 or 6")
	fs.StringVar(&f.Note, "note", "", "free text for you")
	fs.BoolVar(&f.PasswordStdin, "password-stdin", false, "read the SSH password to remember from standard input (a terminal prompts without echo)")
	fs.BoolVar(&f.PassphraseStdin, "passphrase-stdin", false, "read the identity file's passphrase to remember from standard input")
	if edit {
		fs.BoolVar(&f.ForgetPassword, "forget-password", false, "forget the remembered SSH password")
		fs.BoolVar(&f.ForgetPassphrase, "forget-passphrase", false, "forget the remembered key passphrase")
	}
	fs.SortFlags = false
}

// apply sets on p the flags that were given (changed reports which). Secrets
// to read from standard input are read in a fixed order: open, close,
// password, passphrase, one line each. Errors name the flag and never quote
// a secret.
func (f *profileFlags) apply(p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	var err error
	if changed("host") {
		p.Host = f.Host
	}
	if changed("user") {
		p.User = f.User
	}
	if changed("port") {
		p.Port = f.Port
	}
	if changed("identity") {
		if f.Identity != "" {
			home, _ := os.UserHomeDir()
			if err := profiles.CheckIdentityFile(f.Identity, home); err != nil {
				return usageErrorf("--identity %s: %v", f.Identity, err)
			}
		}
		p.IdentityFile = f.Identity
	}
	if changed("note") {
		p.Note = f.Note
	}
	if changed("family") {
		if p.Family, err = knock.ParseFamily(f.Family); err != nil {
			return usageErrorf("--family: %v", err)
		}
	}
	if changed("delay") {
		if p.Delay, err = knocker.ParseDelay(f.Delay); err != nil {
			return usageErrorf("--delay: %v", err)
		}
	}
	if changed("wait") {
		if p.Wait, err = knocker.ParseDelay(f.Wait); err != nil {
			return usageErrorf("--wait: %v", err)
		}
	}
	if changed("keepalive") {
		p.Keepalive = 0
		if f.Keepalive != "" {
			if p.Keepalive, err = time.ParseDuration(f.Keepalive); err != nil {
				return usageErrorf("--keepalive: bad duration %q: use e.g. 15s", f.Keepalive)
			}
		}
	}
	if changed("keepalive-max") {
		p.KeepaliveMax = f.KeepaliveMax
	}
	if changed("auto-reconnect") {
		p.AutoReconnect = f.AutoReconnect
	}
	if changed("open") {
		if p.Secrets.Open, err = in.sequence("open", f.Open); err != nil {
			return err
		}
		// A fixed open sequence replaces imported one-time sequences
		// and a seed.
		p.Secrets.OneTime, p.Secrets.OneTimeUsed = nil, 0
		p.Secrets.Rotation = nil
	}
	if err := f.applyRotation(p, changed, in); err != nil {
		return err
	}
	if changed("close") {
		p.Secrets.Close = nil
		if f.Close != "" {
			if p.Secrets.Close, err = in.sequence("close", f.Close); err != nil {
				return err
			}
		}
	}
	if f.ForgetPassword {
		p.Secrets.Password = ""
	}
	if f.ForgetPassphrase {
		p.Secrets.Passphrase = ""
	}
	if f.PasswordStdin {
		if p.Secrets.Password, err = in.line("SSH password for "+p.Name, true); err != nil {
			return err
		}
	}
	if f.PassphraseStdin {
		if p.Secrets.Passphrase, err = in.line("key passphrase for "+p.Name, true); err != nil {
			return err
		}
	}
	return nil
}

// applyRotation sets the seed and the rotating parameters that were given.
func (f *profileFlags) applyRotation(p *profiles.Profile, changed func(string) bool, in *secretInput) error {
	if changed("seed") {
		r := defaultRotation()
		if old := p.Secrets.Rotation; old != nil {
			r.Params = old.Params
		}
		var err error
		switch f.Seed {
		case "new":
			if r.Seed, err = rotate.NewSeed(); err != nil {
				return err
			}
			f.NewSeed = true
		default:
			text := f.Seed
			if text == "-" {
				if text, err = in.line("seed", true); err != nil {
					return err
				}
			}
			if rotate.IsURI(text) {
				// Another device's seed URI: the seed and the door's
				// parameters in one.
				if r.Seed, r.Params, err = rotate.ParseURI(text); err != nil {
					return usageErrorf("--seed: %v", err)
				}
			} else if r.Seed, err = rotate.ParseSeed(text); err != nil {
				return usageErrorf("--seed: %v (or give new to make one)", err)
			}
		}
		// A seed replaces a fixed open sequence and one-time sequences.
		p.Secrets.Rotation = r
		p.Secrets.Open, p.Secrets.OneTime, p.Secrets.OneTimeUsed = nil, nil, 0
	}
	given := false
	for _, name := range rotatingFlags {
		given = given || changed(name)
	}
	if !given {
		return nil
	}
	r := p.Secrets.Rotation
	if r == nil {
		return usageErrorf("--rotating-length, --rotating-ports, --rotating-protocols and --rotating-window are for a rotating sequence: give --seed new (or the door's seed) too")
	}
	var err error
	if changed("rotating-length") {
		r.Params.Length = f.RotatingLength
	}
	if changed("rotating-ports") {
		if r.Params.PortMin, r.Params.PortMax, err = rotate.ParsePortRange(f.RotatingPorts); err != nil {
			return usageErrorf("--rotating-ports: %v", err)
		}
	}
	if changed("rotating-protocols") {
		if r.Params.Protocols, err = rotate.ParseProtocols(f.RotatingProtocols); err != nil {
			return usageErrorf("--rotating-protocols: %v", err)
		}
	}
	if changed("rotating-window") {
		if r.Params.Window, err = rotate.ParseWindow(f.RotatingWindow); err != nil {
			return usageErrorf("--rotating-window: %v", err)
		}
	}
	if err := r.Params.Validate(); err != nil {
		return usageErrorf("rotating sequence: %v", err)
	}
	// Windows are counted anew with new parameters.
	r.LastWindow = 0
	return nil
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
		return "", usageErrorf("read the %s from standard input: %v (give one line per secret: open or seed, close, password, passphrase, in that order)", what, errOrEOF(err))
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
