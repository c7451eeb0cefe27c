package sshlaunch

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// The flow's failures are typed, so the CLI and the app can tell them
// apart with errors.As. Error says what happened; Advice, where there is
// one, says the one thing to try, and is shown once beside the error.

// Adviser is an error that knows what to try next.
type Adviser interface {
	error
	Advice() string
}

// Advice is the advice of the first error in err's chain that has one, or
// "".
func Advice(err error) string {
	var a Adviser
	if errors.As(err, &a) {
		return a.Advice()
	}
	return ""
}

// UnreachableError says the host cannot be reached at all: no route to
// it, an ICMP unreachable, or a TCP reset from the SSH port — the network
// or the host answered "no", which a closed door never does (it is
// silent).
type UnreachableError struct {
	Addr netip.AddrPort
	// Knock is true when the knock itself could not be sent.
	Knock bool
	Err   error
}

func (e *UnreachableError) Error() string {
	what := "the SSH port"
	if e.Knock {
		what = "the knock"
	}
	return fmt.Sprintf("host unreachable: %s to %s was refused or had no route (%v)", what, e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Advice implements Adviser.
func (e *UnreachableError) Advice() string {
	if errors.Is(e.Err, syscall.ECONNREFUSED) {
		return "The host answered with a reset: check the profile's SSH port and that sshd runs there."
	}
	return "Check the host's address in the profile and that this computer's network reaches it (a VPN, Wi-Fi, a firewall on the way)."
}

// DoorError says the door did not open: the knock went out, but the SSH
// port stayed silent — what a closed door does.
type DoorError struct {
	Addr    netip.AddrPort
	Elapsed time.Duration
	Err     error
}

func (e *DoorError) Error() string {
	return fmt.Sprintf("the door did not open: no SSH answer from %s within %s after the knock (%v)",
		e.Addr, e.Elapsed.Round(time.Millisecond), e.Err)
}

func (e *DoorError) Unwrap() error { return e.Err }

// Advice implements Adviser.
func (e *DoorError) Advice() string {
	return "Check the profile's knock sequence and protocols against the server's, that the knock server listens on the interface this address reaches, " +
		"and raise the profile's wait if the server opens the door slowly."
}

// AlreadyOpenError says the SSH port answered before the knock: the door
// was already open (another session holds it, or nothing guards it), so
// the knock proved nothing. The flow reports it with StageNotice and goes
// on.
type AlreadyOpenError struct {
	Addr netip.AddrPort
}

func (e *AlreadyOpenError) Error() string {
	return fmt.Sprintf("the door was already open: %s answered before the knock, so the knock proves nothing", e.Addr)
}

// Advice implements Adviser.
func (e *AlreadyOpenError) Advice() string {
	return "Another session from this address may hold the door open, and the close knock shuts it for that session too; " +
		"to test the profile's knock, connect when no other session is open."
}

// AuthError says the server refused every way of logging in that was
// tried.
type AuthError struct {
	User, Host string
	// Tried lists the methods tried ("publickey, password").
	Tried string
	Err   error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%s@%s: authentication failed (tried %s): %v", e.User, e.Host, e.Tried, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Advice implements Adviser.
func (e *AuthError) Advice() string {
	return "Check the user name and the identity file in the profile, or the password; the server's log (journalctl -u ssh) says which methods it accepts."
}

// unreachable reports whether err is the network or host saying no: a
// reset, an ICMP unreachable, or no route.
func unreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH)
}

// noRoute reports whether err says there is no route at all: no later
// attempt can do better.
func noRoute(err error) bool { return errors.Is(err, syscall.ENETUNREACH) }

// OpenKnockError says the open knock could not be sent for a reason other
// than an unreachable network (a cancelled context, a socket error): the
// sequence did not complete, so nothing was opened and nothing is closed.
type OpenKnockError struct{ Err error }

func (e *OpenKnockError) Error() string { return "open knock: " + e.Err.Error() }
func (e *OpenKnockError) Unwrap() error { return e.Err }

// Advice says what to check.
func (e *OpenKnockError) Advice() string {
	return "Check that this computer's network reaches the host."
}

// NotOpened reports whether err says the door did not open with the knock
// just made: the knock did not all go out, or the guarded port stayed
// silent after it. A one-time sequence used for that knock was not spent
// on the server, and can be put back.
func NotOpened(err error) bool {
	var (
		door    *DoorError
		knock   *OpenKnockError
		unreach *UnreachableError
		udp     *UDPThroughJumpError
	)
	return errors.As(err, &door) || errors.As(err, &knock) || (errors.As(err, &unreach) && unreach.Knock) || errors.As(err, &udp)
}

// MaybeOpenedError says the open knock was cut short (Ctrl-C, a jump
// host's connection lost) after its last knock had gone out, or after
// the jump host's sesame had started sending it: the door may be open.
// The flow sends the close knock all the same, and, unlike
// OpenKnockError, it does not count as NotOpened: a one-time sequence
// that may have been spent is not put back.
type MaybeOpenedError struct{ Err error }

func (e *MaybeOpenedError) Error() string {
	return "the open knock was cut short after it may have gone out, so the door may have opened and the close knock was sent: " + e.Err.Error()
}

func (e *MaybeOpenedError) Unwrap() error { return e.Err }
