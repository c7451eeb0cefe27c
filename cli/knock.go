package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/spf13/cobra"

	"sesame/internal/version"
	"sesame/knocker"
)

// knockOptions are the flags and arguments of `sesame knock`, named after
// knock(1)'s.
type knockOptions struct {
	IO       IOStreams
	Resolver *net.Resolver

	UDP     bool
	Delay   string
	IPv4    bool
	IPv6    bool
	Verbose bool
	Version bool

	Host  string
	Ports []string
}

func newCmdKnock(deps Deps) *cobra.Command {
	opts := &knockOptions{IO: deps.IO, Resolver: deps.Resolver}
	cmd := &cobra.Command{
		Use:   "knock [-u] [-d MS] [-4|-6] [-v] HOST PORT[:tcp|udp][@GAP] ...",
		Short: "Send a knock sequence (a drop-in for knock(1))",
		Long: `Send a port-knock sequence to HOST, one packet per knock: a single TCP SYN
or a single UDP datagram. The host is resolved once and every knock goes to
that one address.

Flags may come before or after the host, as with knock(1). A port may carry
its protocol (7000:udp) and a gap to wait before it that overrides -d
(8000@500ms, or @500 for milliseconds). Ports may also be given as one
comma-separated list (7000,8000:udp,9000).`,
		Example: `  sesame knock -v myserver.example.com 7000 8000 9000
  sesame knock -d 200 -6 myserver.example.com 123:tcp 456:udp 789:tcp
  sesame knock myserver.example.com 7000,8000:udp@1s,9000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Version {
				fmt.Fprintf(opts.IO.Out, "sesame knock %s\n", version.Version)
				return nil
			}
			if len(args) < 2 {
				return usageErrorf("need a host and at least one port, e.g. sesame knock myserver 7000 8000 9000")
			}
			opts.Host, opts.Ports = args[0], args[1:]
			return runKnock(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.UDP, "udp", "u", false, "make every knock UDP (default is TCP)")
	f.StringVarP(&opts.Delay, "delay", "d", "0", "wait `MS` milliseconds between knocks (or a duration: 250ms, 1.5s)")
	f.BoolVarP(&opts.IPv4, "ipv4", "4", false, "use IPv4 only")
	f.BoolVarP(&opts.IPv6, "ipv6", "6", false, "use IPv6 only")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "print each knock as it is sent")
	f.BoolVarP(&opts.Version, "version", "V", false, "print the version and exit")
	return cmd
}

// knockRequest is a fully validated `sesame knock`: nothing is sent until
// every token has been read.
type knockRequest struct {
	host string
	seq  knocker.Sequence
	opt  knocker.Options
}

func (o *knockOptions) request() (*knockRequest, error) {
	delay, err := knocker.ParseDelay(o.Delay)
	if err != nil {
		return nil, usageErrorf("-d: %v", err)
	}
	if delay > knocker.MaxGap {
		return nil, usageErrorf("-d: delay %s is too long: at most 1h", delay)
	}
	seq, err := knocker.ParseArgs(o.Ports)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if o.UDP {
		seq = seq.WithProto(knocker.UDP)
	}
	fam := knocker.FamilyAuto
	switch {
	case o.IPv4 && o.IPv6:
		return nil, usageErrorf("-4 and -6 cannot be used together")
	case o.IPv4:
		fam = knocker.Family4
	case o.IPv6:
		fam = knocker.Family6
	}
	return &knockRequest{host: o.Host, seq: seq, opt: knocker.Options{Family: fam, Delay: delay, Resolver: o.Resolver}}, nil
}

func runKnock(ctx context.Context, o *knockOptions) error {
	req, err := o.request()
	if err != nil {
		return err
	}
	// Resolve before the first knock so that an unknown host is a usage
	// error and no packet leaves.
	addr, err := knocker.Resolve(ctx, req.host, req.opt.Family, req.opt.Resolver)
	if err != nil {
		var re *knocker.ResolveError
		if errors.As(err, &re) && ctx.Err() == nil {
			return &UsageError{Err: err}
		}
		return err
	}
	if o.Verbose {
		req.opt.Progress = verboseHits(o.IO.Out)
	}
	return knocker.SendTo(ctx, addr, req.seq, req.opt)
}

// verboseHits prints each knock as knock(1) -v does: "hitting tcp 192.0.2.1:7000".
func verboseHits(w io.Writer) func(knocker.Event) {
	return func(ev knocker.Event) {
		if ev.Kind == knocker.Sent {
			fmt.Fprintf(w, "hitting %s %s:%d\n", ev.Knock.Proto, ev.Addr, ev.Knock.Port)
		}
	}
}
