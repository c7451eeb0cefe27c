package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"sesame/knock"
	"sesame/sshlaunch"
)

// termUI is the command line's side of the SSH flow: prompts on the
// terminal, as ssh asks them, and progress on stderr with -v.
type termUI struct {
	in      io.Reader
	inFd    int // -1 when the input is not a terminal
	errOut  io.Writer
	verbose bool
	// acceptNew saves an unknown host key without asking — what
	// --accept-new asks for, and the only way without a terminal.
	acceptNew bool
	// strict refuses an unknown host key without asking, as ssh's
	// StrictHostKeyChecking=yes.
	strict bool
	// canRemember offers to keep passwords and passphrases in the keyring.
	canRemember bool
	name        string

	mu     sync.Mutex
	reader *bufio.Reader
}

func newTermUI(streams IOStreams, name string, verbose, acceptNew, canRemember bool) *termUI {
	fd := -1
	if f, ok := streams.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd = int(f.Fd())
	}
	return &termUI{in: streams.In, inFd: fd, errOut: streams.ErrOut, verbose: verbose,
		acceptNew: acceptNew, canRemember: canRemember, name: name}
}

func (u *termUI) interactive() bool { return u.inFd >= 0 }

func (u *termUI) Progress(e sshlaunch.Event) {
	if e.Stage == sshlaunch.StageNotice && e.Err != nil {
		// Said whether or not -v: the user must know the knock proved
		// nothing.
		fmt.Fprintf(u.errOut, "sesame: warning: %v. %s\n", e.Err, sshlaunch.Advice(e.Err))
		return
	}
	if !u.verbose {
		if e.Stage == sshlaunch.StageClosed && e.Err != nil {
			fmt.Fprintf(u.errOut, "sesame: the close knock failed: %v\n", e.Err)
		}
		return
	}
	switch e.Stage {
	case sshlaunch.StageResolved:
		fmt.Fprintf(u.errOut, "sesame: %s: using %s\n", u.name, e.Addr)
	case sshlaunch.StageKnock, sshlaunch.StageClosing:
		// The ports are secret: count the knocks, as `knock -v NAME` does.
		if e.Knock != nil && e.Knock.Kind == knock.Sent {
			what := "open"
			if e.Stage == sshlaunch.StageClosing {
				what = "close"
			}
			fmt.Fprintf(u.errOut, "sesame: %s knock %d/%d sent\n", what, e.Knock.Step, e.Knock.Total)
		} else if e.Knock == nil {
			fmt.Fprintf(u.errOut, "sesame: closing the door\n")
		}
	case sshlaunch.StageWait:
		fmt.Fprintf(u.errOut, "sesame: waiting %s before connecting\n", time.Until(e.Until).Round(time.Millisecond))
	case sshlaunch.StageDial:
		if e.Attempt == 1 {
			fmt.Fprintf(u.errOut, "sesame: connecting to %s\n", e.Addr)
		}
	case sshlaunch.StageAuth:
		fmt.Fprintf(u.errOut, "sesame: authenticating\n")
	case sshlaunch.StageClosed:
		switch {
		case e.Err != nil:
			fmt.Fprintf(u.errOut, "sesame: the close knock failed: %v\n", e.Err)
		case e.SelfClose != "":
			fmt.Fprintf(u.errOut, "sesame: %s: %s\n", u.name, e.SelfClose)
		default:
			// Named: behind a jump host there is one door per hop.
			fmt.Fprintf(u.errOut, "sesame: %s: door closed\n", u.name)
		}
	}
}

// readLine reads one line of the (non-secret) answer.
func (u *termUI) readLine(ctx context.Context) (string, error) {
	u.mu.Lock()
	if u.reader == nil {
		u.reader = bufio.NewReader(u.in)
	}
	r := u.reader
	u.mu.Unlock()
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := r.ReadString('\n')
		ch <- res{strings.TrimSpace(s), err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.err != nil && r.s == "" {
			return "", sshlaunch.ErrCancelled
		}
		return r.s, nil
	}
}

func (u *termUI) readSecret(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(u.errOut, prompt)
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := term.ReadPassword(u.inFd)
		ch <- res{b, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(u.errOut)
		return "", ctx.Err()
	case r := <-ch:
		fmt.Fprintln(u.errOut)
		if r.err != nil {
			return "", sshlaunch.ErrCancelled
		}
		return string(r.b), nil
	}
}

func (u *termUI) UnknownHostKey(ctx context.Context, info sshlaunch.HostKeyInfo) (sshlaunch.HostKeyDecision, error) {
	if u.acceptNew {
		fmt.Fprintf(u.errOut, "sesame: adding %s key %s of %s to %s (--accept-new)\n", info.Key.Type(), info.Fingerprint, info.Host, info.KnownHosts)
		return sshlaunch.AcceptAndSaveHostKey, nil
	}
	if u.strict {
		fmt.Fprintf(u.errOut, "sesame: host %s is not in %s (%s key %s) and StrictHostKeyChecking is yes: it is refused\n",
			info.Host, info.KnownHosts, info.Key.Type(), info.Fingerprint)
		return sshlaunch.RejectHostKey, nil
	}
	if !u.interactive() {
		fmt.Fprintf(u.errOut, "sesame: host %s is not in %s (%s key %s); without a terminal to ask on, it is refused: "+
			"check the fingerprint and run again with --accept-new\n", info.Host, info.KnownHosts, info.Key.Type(), info.Fingerprint)
		return sshlaunch.RejectHostKey, nil
	}
	fmt.Fprintf(u.errOut, "The authenticity of host '%s (%s)' can't be established.\n%s key fingerprint is %s.\n",
		info.Host, info.Addr.Addr(), keyTypeName(info.Key.Type()), info.Fingerprint)
	for {
		fmt.Fprint(u.errOut, "Are you sure you want to continue connecting (yes/no/[fingerprint])? ")
		ans, err := u.readLine(ctx)
		if err != nil {
			return sshlaunch.RejectHostKey, err
		}
		switch {
		case strings.EqualFold(ans, "yes"), ans == info.Fingerprint:
			return sshlaunch.AcceptAndSaveHostKey, nil
		case strings.EqualFold(ans, "no"):
			return sshlaunch.RejectHostKey, nil
		case strings.HasPrefix(ans, "SHA256:"):
			fmt.Fprintln(u.errOut, "That is not the fingerprint of this key.")
			return sshlaunch.RejectHostKey, nil
		}
		fmt.Fprintln(u.errOut, "Please type 'yes', 'no' or the fingerprint: ")
	}
}

func keyTypeName(t string) string {
	switch {
	case strings.Contains(t, "ed25519"):
		return "ED25519"
	case strings.Contains(t, "ecdsa"):
		return "ECDSA"
	case strings.Contains(t, "rsa"):
		return "RSA"
	}
	return strings.ToUpper(t)
}

func (u *termUI) ChangedHostKey(_ context.Context, info sshlaunch.HostKeyInfo) {
	bar := strings.Repeat("@", 59)
	fmt.Fprintf(u.errOut, "%s\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n%s\n", bar, bar)
	fmt.Fprintf(u.errOut, "The %s key of %s is now %s; %s records another.\n",
		keyTypeName(info.Key.Type()), info.Host, info.Fingerprint, strings.Join(info.Known, ", "))
	fmt.Fprintln(u.errOut, "Someone could be eavesdropping on you right now, or the host key has just been changed.")
}

func (u *termUI) remember(ctx context.Context, what string) bool {
	if !u.canRemember {
		return false
	}
	fmt.Fprintf(u.errOut, "Remember the %s in the keyring for %s? [y/N] ", what, u.name)
	ans, err := u.readLine(ctx)
	return err == nil && strings.HasPrefix(strings.ToLower(ans), "y")
}

func (u *termUI) Password(ctx context.Context, user, host string) (sshlaunch.Secret, error) {
	if !u.interactive() {
		return sshlaunch.Secret{}, noTerminal("a password is needed and there is no terminal to ask on (run it in a terminal, or remember the password: sesame profile edit " + u.name + " --password-stdin)")
	}
	pw, err := u.readSecret(ctx, fmt.Sprintf("%s@%s's password: ", user, host))
	if err != nil {
		return sshlaunch.Secret{}, err
	}
	return sshlaunch.Secret{Value: pw, Remember: u.remember(ctx, "password")}, nil
}

func (u *termUI) Passphrase(ctx context.Context, keyFile string) (sshlaunch.Secret, error) {
	if !u.interactive() {
		return sshlaunch.Secret{}, noTerminal("the key is protected by a passphrase and there is no terminal to ask for it (run it in a terminal, load the key into ssh-agent, or remember the passphrase: sesame profile edit " + u.name + " --passphrase-stdin)")
	}
	pp, err := u.readSecret(ctx, fmt.Sprintf("Enter passphrase for key '%s': ", keyFile))
	if err != nil {
		return sshlaunch.Secret{}, err
	}
	return sshlaunch.Secret{Value: pp, Remember: u.remember(ctx, "passphrase")}, nil
}

func (u *termUI) KeyboardInteractive(ctx context.Context, name, instruction string, questions []string, echo []bool) ([]string, error) {
	if !u.interactive() {
		return nil, noTerminal("the server asks questions and there is no terminal to ask on (run it in a terminal)")
	}
	if name != "" {
		fmt.Fprintln(u.errOut, name)
	}
	if instruction != "" {
		fmt.Fprintln(u.errOut, instruction)
	}
	answers := make([]string, len(questions))
	for i, q := range questions {
		var err error
		if i < len(echo) && echo[i] {
			fmt.Fprint(u.errOut, q)
			answers[i], err = u.readLine(ctx)
		} else {
			answers[i], err = u.readSecret(ctx, q)
		}
		if err != nil {
			return nil, err
		}
	}
	return answers, nil
}

// stdin is the input for the session: what the prompts may have buffered
// comes first.
func (u *termUI) stdin() io.Reader {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.reader != nil {
		return u.reader
	}
	return u.in
}

// noTerminalError is a prompt that could not be shown: it counts as
// cancelled (nothing was answered) but says why, not "cancelled by the
// user", since no user was asked.
type noTerminalError string

func noTerminal(msg string) error              { return noTerminalError(msg) }
func (e noTerminalError) Error() string        { return string(e) }
func (e noTerminalError) Is(target error) bool { return target == sshlaunch.ErrCancelled }
