package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/internal/version"
	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spaknock"
)

// ExitKnock is `sesame knock`'s status for any failure, as knock(1)'s.
const ExitKnock = 1

// knockOptions are the flags and arguments of `sesame knock`, named after
// knock(1)'s.
type knockOptions struct {
	Resolver *net.Resolver
	Deps     Deps

	UDP     bool
	Delay   string
	IPv4    bool
	IPv6    bool
	Verbose bool
	JSON    bool
	Version bool
	Close   bool
	// ProbePort is the port that shows a one-time knock opened the door;
	// -1 is the profile's SSH port, 0 turns the check off.
	ProbePort int

	Host  string
	Ports []string
	// Profile is set instead of Host and Ports for `sesame knock NAME`.
	Profile string
	// Changed reports which flags were given.
	Changed func(string) bool
}

func newCmdKnock(deps Deps) *cobra.Command {
	opts := &knockOptions{Resolver: deps.Resolver, Deps: deps}
	cmd := &cobra.Command{
		Use:   "knock [-u] [-d MS] [-4|-6] [-v] HOST PORT[:tcp|udp][@GAP] ... | knock [--close] [-4|-6] [-v] PROFILE",
		Short: "Send a knock sequence (a drop-in for knock(1)), or a profile's",
		Long: `Send a port-knock sequence to HOST, one packet per knock: a single TCP SYN
or a single UDP datagram. The host is resolved once and every knock goes to
that one address.

Flags may come before or after the host, as with knock(1). A port may carry
its protocol (7000:udp) and a gap to wait before it that overrides -d
(8000@500ms, or @500 for milliseconds). Ports may also be given as one
comma-separated list (7000,8000:udp,9000).

With a single argument that is not a port, sesame knock sends the open
sequence of that profile (see sesame profile), or with --close its close
sequence. A profile with one-time sequences uses the next unused one, and
then checks that the door opened: its SSH port (or --probe-port) answers
within 3s. The sequence is counted used only when it did, or when you say
so at the prompt (on a terminal); otherwise the next knock sends it again.
For any other profile, --probe-port PORT checks the same way, and a door
that did not open is a failure.

--json prints one JSON object on stdout: host, address, profile and
sequence ("open" or "close") for a profile, knocks (port, proto, at) for
HOST PORT... (a profile's ports are secret and never shown), sent (how
many went out), door_checked and door_open (null when not checked), and
one_time_left.
With -v, a profile's knocks are counted, not printed: its ports are a
secret.

Exit status, as knock(1)'s: 0 when every knock was sent, 1 for any
failure (bad input, an unknown host, a knock that could not be sent).`,
		Example: `  sesame knock -v myserver.example.com 7000 8000 9000
  sesame knock -d 200 -6 myserver.example.com 123:tcp 456:udp 789:tcp
  sesame knock myserver.example.com 7000,8000:udp@1s,9000
  sesame knock web
  sesame knock --close web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Version {
				fmt.Fprintf(opts.Deps.IO.Out, "sesame knock %s\n", version.Version)
				return nil
			}
			opts.Changed = cmd.Flags().Changed
			if len(args) == 1 && !looksLikePorts(args[0]) {
				opts.Profile = args[0]
				return runKnockProfile(cmd.Context(), opts)
			}
			if opts.Close {
				return usageErrorf("--close needs a profile name: sesame knock --close NAME")
			}
			if opts.Changed("probe-port") {
				return usageErrorf("--probe-port is for a profile: sesame knock --probe-port PORT NAME")
			}
			if len(args) < 2 {
				return usageErrorf("need a host and at least one port (e.g. sesame knock myserver 7000 8000 9000), or a profile name")
			}
			opts.Host, opts.Ports = args[0], args[1:]
			return runKnock(cmd.Context(), opts)
		},
	}
	// knock(1) exits 1 for every failure, bad usage included.
	cmdexit.FailWith(cmd, ExitKnock)
	f := cmd.Flags()
	f.BoolVarP(&opts.UDP, "udp", "u", false, "make every knock UDP (default is TCP)")
	f.StringVarP(&opts.Delay, "delay", "d", "0", "wait `MS` milliseconds between knocks (or a duration: 250ms, 1.5s)")
	f.BoolVarP(&opts.IPv4, "ipv4", "4", false, "use IPv4 only")
	f.BoolVarP(&opts.IPv6, "ipv6", "6", false, "use IPv6 only")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "print each knock as it is sent")
	f.BoolVarP(&opts.Version, "version", "V", false, "print the version and exit")
	f.BoolVar(&opts.Close, "close", false, "with a profile: send its close sequence")
	f.BoolVar(&opts.JSON, "json", false, "print what was sent as JSON (a profile's ports are never shown; -v then goes to stderr)")
	f.IntVar(&opts.ProbePort, "probe-port", -1, "with a profile: check that `PORT` answers after the knock, i.e. the door opened (one-time profiles check their SSH port by default; 0: do not check, count the sequence used)")
	return cmd
}

// looksLikePorts reports whether a lone argument is a port list rather
// than a profile name, so that `sesame knock 7000` still says a host is
// missing.
func looksLikePorts(arg string) bool {
	_, err := knocker.ParseArgs([]string{arg})
	return err == nil
}

// knockRequest is a fully validated `sesame knock`: nothing is sent until
// every token has been read.
type knockRequest struct {
	host string
	seq  knocker.Sequence
	opt  knock.Options
	// spa, when set, is an SPA profile: its packet is sent instead of seq.
	spa *profiles.Profile
}

func (o *knockOptions) request() (*knockRequest, error) {
	delay, err := knocker.ParseDelay(o.Delay)
	if err != nil {
		return nil, usageErrorf("-d: %v", err)
	}
	if delay > knocker.MaxGap {
		return nil, usageErrorf("-d: delay %s is too long: at most 1h", delay)
	}
	ports := o.Ports
	if len(ports) == 1 && ports[0] == "-" {
		// The sequence on standard input, out of argv and ps: how a
		// sesame on the other side of a jump host is given a door's knock.
		if o.Verbose || o.JSON {
			return nil, usageErrorf("-v and --json would show the ports read from standard input, which are a secret: drop them")
		}
		if ports, err = readSequenceLine(o.Deps.IO.In); err != nil {
			return nil, err
		}
	}
	seq, err := knocker.ParseArgs(ports)
	if err != nil {
		if len(o.Ports) == 1 && o.Ports[0] == "-" {
			return nil, usageErrorf("the sequence on standard input is not one (write it as 7000,8000:udp,9000)")
		}
		return nil, &UsageError{Err: err}
	}
	if o.UDP {
		seq = seq.WithProto(knocker.UDP)
	}
	fam, err := o.family(knock.FamilyAuto)
	if err != nil {
		return nil, err
	}
	return &knockRequest{host: o.Host, seq: seq, opt: knock.Options{Family: fam, Delay: delay, Resolver: o.Resolver}}, nil
}

// readSequenceLine reads one line of ports from r, for `knock HOST -`.
func readSequenceLine(r io.Reader) ([]string, error) {
	if r == nil {
		return nil, usageErrorf("knock HOST -: no standard input to read the sequence from")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the sequence from standard input: %w", err)
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil, usageErrorf("knock HOST -: standard input has no sequence (write it as 7000,8000:udp,9000)")
	}
	return fields, nil
}

// family is the address family -4 or -6 ask for, else def.
func (o *knockOptions) family(def knock.Family) (knock.Family, error) {
	switch {
	case o.IPv4 && o.IPv6:
		return 0, usageErrorf("-4 and -6 cannot be used together")
	case o.IPv4:
		return knock.Family4, nil
	case o.IPv6:
		return knock.Family6, nil
	}
	return def, nil
}

func runKnock(ctx context.Context, o *knockOptions) error {
	req, err := o.request()
	if err != nil {
		return err
	}
	if o.Verbose {
		req.opt.Progress = verboseHits(o.progressOut())
	}
	rep := &knockReport{Host: o.Host}
	req.opt.Progress = rep.track(req.opt.Progress, true)
	if _, err = send(ctx, req); err != nil {
		return err
	}
	return o.report(rep)
}

// send resolves the host, then knocks, and returns the address knocked.
// Resolving comes first so that an unknown host is a usage error and no
// packet leaves.
func send(ctx context.Context, req *knockRequest) (netip.Addr, error) {
	addr, err := knock.Resolve(ctx, req.host, req.opt.Family, req.opt.Resolver)
	if err != nil {
		var re *knock.ResolveError
		if errors.As(err, &re) && ctx.Err() == nil {
			return addr, &UsageError{Err: err}
		}
		return addr, err
	}
	if req.spa != nil {
		return addr, spaknock.Send(ctx, addr, req.spa, spaknock.Options{Progress: req.opt.Progress})
	}
	return addr, knock.SendTo(ctx, addr, req.seq, req.opt)
}

// verboseHits prints each knock as knock(1) -v does: "hitting tcp 192.0.2.1:7000".
func verboseHits(w io.Writer) func(knock.Event) {
	return func(ev knock.Event) {
		if ev.Kind == knock.Sent {
			fmt.Fprintf(w, "hitting %s %s:%d\n", ev.Knock.Proto, ev.Addr, ev.Knock.Port)
		}
	}
}
