package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sesame/knock"
	"sesame/spa"
)

// fwknopOptions are the flags of `sesame fwknop`, named after fwknop(1)'s.
type fwknopOptions struct {
	Deps Deps

	Access      string
	AllowIP     string
	SourceIP    bool
	Destination string
	Port        int
	Proto       string
	Named       string
	RCFile      string
	NoRCFile    bool
	Key         string
	HMACKey     string
	UseHMAC     bool
	FwTimeout   int
	OffsetPlus  string
	OffsetMinus string
	Test        bool
	SavePacket  string
	SaveAppend  bool
	Verbose     bool
	IPv4        bool
	KeyGen      bool
	User        string
	Digest      string
	HMACDigest  string
	Mode        string

	// Changed reports which flags were given (they override the rc file).
	Changed func(string) bool
	// Home is where ~/.fwknoprc is looked for; "" means the user's home.
	Home string
	// LoginName is the user name sent without -U; "" means the login's.
	LoginName string
}

func newCmdFwknop(deps Deps) *cobra.Command {
	opts := &fwknopOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "fwknop -A PROTO/PORT (-a IP | -s) -D HOST [--key-base64-rijndael KEY --key-base64-hmac KEY | -n STANZA] ...",
		Short: "Send an fwknop Single Packet Authorization packet (a drop-in for fwknop(1))",
		Long: `Send one fwknop SPA packet: an encrypted, HMAC-authenticated UDP datagram
that asks fwknopd (or sesamed with Fwknop_Access) to open PROTO/PORT for an
address. The packet is byte-compatible with fwknop 2.6.

The keys come from a ~/.fwknoprc stanza (-n NAME, with [default] under it,
as fwknop reads them) or from --key-base64-rijndael and --key-base64-hmac.
Prefer the stanza: arguments are visible to other users of the machine.
Sesame never prints a key, not with -v either; --key-gen prints new ones.

There is no close packet: the server closes the door after its timeout
(FW_ACCESS_TIMEOUT, or -f).`,
		Example: `  sesame fwknop -A tcp/22 -a 192.0.2.7 -D server.example.com --key-base64-rijndael K --key-base64-hmac H
  sesame fwknop -n server.example.com
  sesame fwknop -n web -A tcp/443 -s -f 60 --test -v
  sesame fwknop --key-gen`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Changed = cmd.Flags().Changed
			if opts.KeyGen {
				return runFwknopKeyGen(opts.Deps.IO.Out)
			}
			return runFwknop(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Access, "access", "A", "", "the `PROTO/PORT` list to open, e.g. tcp/22 or tcp/22,udp/53")
	f.StringVarP(&opts.AllowIP, "allow-ip", "a", "", "the IPv4 `ADDRESS` the server opens the door for")
	f.BoolVarP(&opts.SourceIP, "source-ip", "s", false, "let the server open for the packet's source address (sends 0.0.0.0)")
	f.StringVarP(&opts.Destination, "destination", "D", "", "the `HOST` running fwknopd")
	f.IntVarP(&opts.Port, "server-port", "p", spa.DefaultPort, "the server's SPA `PORT`")
	f.StringVarP(&opts.Proto, "server-proto", "P", "udp", "send over udp or tcp")
	f.StringVarP(&opts.Named, "named-config", "n", "", "use the `STANZA` of the rc file (over its [default])")
	f.StringVar(&opts.RCFile, "rc-file", "", "the rc `FILE` (default ~/.fwknoprc)")
	f.BoolVar(&opts.NoRCFile, "no-rc-file", false, "do not read an rc file")
	f.StringVar(&opts.Key, "key-base64-rijndael", "", "the encryption key, base64 (KEY_BASE64)")
	f.StringVar(&opts.HMACKey, "key-base64-hmac", "", "the HMAC key, base64 (HMAC_KEY_BASE64)")
	f.BoolVar(&opts.UseHMAC, "use-hmac", false, "add an HMAC (implied by an HMAC key)")
	f.IntVarP(&opts.FwTimeout, "fw-timeout", "f", 0, "ask the server to keep the door open `SECONDS`")
	f.StringVar(&opts.OffsetPlus, "time-offset-plus", "", "add `TIME` to the packet's timestamp (60, 90s, 10m, 2h, 1d)")
	f.StringVar(&opts.OffsetMinus, "time-offset-minus", "", "subtract `TIME` from the packet's timestamp")
	f.BoolVar(&opts.Test, "test", false, "build and show the packet, do not send it")
	f.StringVarP(&opts.SavePacket, "save-packet", "B", "", "write the packet to `FILE` (mode 0600)")
	f.BoolVarP(&opts.SaveAppend, "save-packet-append", "b", false, "append to the --save-packet file instead of replacing it")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "show the packet's fields (never the keys)")
	f.BoolVarP(&opts.IPv4, "ipv4", "4", false, "resolve the destination to IPv4 only")
	f.BoolVarP(&opts.KeyGen, "key-gen", "k", false, "print a new KEY_BASE64 and HMAC_KEY_BASE64 and exit")
	f.StringVarP(&opts.User, "spoof-user", "U", "", "the user `NAME` in the packet (default: your login name)")
	f.StringVarP(&opts.Digest, "digest-type", "m", "", "the packet's digest: md5, sha1, sha256 (default), sha384, sha512, sha3_256, sha3_512")
	f.StringVar(&opts.HMACDigest, "hmac-digest-type", "", "the HMAC's digest (default sha256)")
	f.StringVarP(&opts.Mode, "encryption-mode", "M", "", "cbc (default) or legacy")
	return cmd
}

// runFwknopKeyGen prints new keys as fwknop --key-gen does. This is the
// one place keys are printed: the user asked for them.
func runFwknopKeyGen(w io.Writer) error {
	k, err := spa.GenerateKeys(rand.Reader)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, k.KeyGenText())
	return err
}

// spaRequest is a fully validated `sesame fwknop`: nothing is sent until
// every flag and rc variable has been read and the packet built.
type spaRequest struct {
	host   string
	port   int
	proto  string
	family knock.Family
	msg    spa.Message // its Time is the clock's, with the offset
	keys   spa.Keys
	offset time.Duration
}

// request merges the rc stanza and the flags (flags win) into a request.
// Every error is a UsageError that names the flag or the rc line, never a
// key.
func (o *fwknopOptions) request() (*spaRequest, error) {
	if o.Changed == nil {
		o.Changed = func(string) bool { return false }
	}
	if o.SaveAppend && o.SavePacket == "" {
		return nil, usageErrorf("--save-packet-append needs --save-packet FILE")
	}
	st, err := o.stanza()
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	for _, name := range []string{"USE_GPG", "NAT_LOCAL", "RESOLVE_IP_HTTP", "RESOLVE_IP_HTTPS"} {
		if v, ok := st.Get(name); ok && strings.HasPrefix(strings.ToLower(v), "y") {
			return nil, usageErrorf("rc file: %s is not supported by sesame fwknop (it sends Rijndael+HMAC access packets); remove it or use fwknop", name)
		}
	}
	for _, name := range []string{"NAT_ACCESS", "SPOOF_SOURCE_IP", "KEY_FILE", "HMAC_KEY_FILE", "GPG_RECIPIENT"} {
		if _, ok := st.Get(name); ok {
			return nil, usageErrorf("rc file: %s is not supported by sesame fwknop; remove it or use fwknop", name)
		}
	}

	req := &spaRequest{}
	if err := o.destination(st, req); err != nil {
		return nil, err
	}
	if req.msg, req.offset, err = o.message(st); err != nil {
		return nil, err
	}
	if req.keys, err = o.keys(st); err != nil {
		return nil, err
	}
	now := time.Now
	if o.Deps.Clock != nil {
		now = o.Deps.Clock.Now
	}
	req.msg.Time = now().Add(req.offset)
	if _, err := spa.Encode(req.msg, req.keys, zeroReader{}); err != nil {
		// Anything Encode refuses is the user's input (a user name, say).
		return nil, &UsageError{Err: err}
	}
	return req, nil
}

// destination reads where the packet goes: -D, -p, -P, -4 over the
// stanza's SPA_SERVER, SPA_SERVER_PORT and SPA_SERVER_PROTO.
func (o *fwknopOptions) destination(st spa.RCStanza, req *spaRequest) error {
	changed := o.Changed
	get := func(name string) string { v, _ := st.Get(name); return v }
	req.port, req.proto, req.family = spa.DefaultPort, "udp", knock.FamilyAuto
	if o.IPv4 {
		req.family = knock.Family4
	}
	req.host = get("SPA_SERVER")
	if changed("destination") {
		req.host = o.Destination
	}
	if req.host == "" {
		return usageErrorf("no destination: give -D HOST (or SPA_SERVER in the rc stanza)")
	}
	if v := get("SPA_SERVER_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return usageErrorf("rc file: SPA_SERVER_PORT %q: use a port from 1 to 65535", v)
		}
		req.port = n
	}
	if changed("server-port") {
		req.port = o.Port
	}
	if req.port < 1 || req.port > 65535 {
		return usageErrorf("-p: port %d: use a port from 1 to 65535 (fwknopd's default is %d)", req.port, spa.DefaultPort)
	}
	if v := get("SPA_SERVER_PROTO"); v != "" {
		req.proto = strings.ToLower(v)
	}
	if changed("server-proto") {
		req.proto = strings.ToLower(o.Proto)
	}
	if req.proto != "udp" && req.proto != "tcp" {
		return usageErrorf("-P: protocol %q: sesame fwknop sends over udp (the default) or tcp", req.proto)
	}
	return nil
}

// message reads what the packet asks for: -A, -a or -s, -U, -f, -m and
// the time offsets, over the stanza's ACCESS, ALLOW_IP, SPOOF_USER,
// FW_TIMEOUT, DIGEST_TYPE and TIME_OFFSET. Its Time is left to request.
func (o *fwknopOptions) message(st spa.RCStanza) (spa.Message, time.Duration, error) {
	changed := o.Changed
	get := func(name string) string { v, _ := st.Get(name); return v }
	access := get("ACCESS")
	if changed("access") {
		access = o.Access
	}
	if access == "" {
		return spa.Message{}, 0, usageErrorf("no ports: give -A PROTO/PORT, e.g. -A tcp/22 (or ACCESS in the rc stanza)")
	}
	ports, err := spa.ParsePorts(access)
	if err != nil {
		return spa.Message{}, 0, usageErrorf("-A: %v", err)
	}
	allow := get("ALLOW_IP")
	switch {
	case o.SourceIP && changed("allow-ip"):
		return spa.Message{}, 0, usageErrorf("-a and -s cannot be used together: -a names the address, -s lets the server use the packet's source")
	case o.SourceIP:
		allow = "source"
	case changed("allow-ip"):
		allow = o.AllowIP
	}
	var ip netip.Addr
	switch strings.ToLower(allow) {
	case "":
		return spa.Message{}, 0, usageErrorf("no address to open for: give -a IP, or -s for the packet's source address")
	case "source":
		ip = netip.IPv4Unspecified()
	case "resolve":
		return spa.Message{}, 0, usageErrorf("ALLOW_IP resolve (-R) is not supported by sesame fwknop: give -a IP or -s")
	default:
		ip, err = netip.ParseAddr(allow)
		if err != nil || !ip.Is4() {
			return spa.Message{}, 0, usageErrorf("-a: %q is not an IPv4 address (fwknop 2.6 opens for IPv4 only)", allow)
		}
	}

	user := o.LoginName
	if v := get("SPOOF_USER"); v != "" {
		user = v
	}
	if changed("spoof-user") {
		user = o.User
	}
	if user == "" {
		user = loginName()
	}
	timeout := 0
	if v := get("FW_TIMEOUT"); v != "" {
		if timeout, err = strconv.Atoi(v); err != nil {
			return spa.Message{}, 0, usageErrorf("rc file: FW_TIMEOUT %q: use a number of seconds", v)
		}
	}
	if changed("fw-timeout") {
		timeout = o.FwTimeout
	}
	if timeout < 0 || timeout > 1<<16 {
		return spa.Message{}, 0, usageErrorf("-f: timeout %d: use 1 to 65536 seconds (or leave it to the server)", timeout)
	}
	m := spa.Message{User: user, Access: spa.FormatAccess(ip, ports...), ClientTimeout: timeout}
	if v := get("DIGEST_TYPE"); v != "" || changed("digest-type") {
		if changed("digest-type") {
			v = o.Digest
		}
		if m.Digest, err = spa.ParseHash(v); err != nil {
			return spa.Message{}, 0, usageErrorf("-m: %v", err)
		}
	}
	offset, err := o.timeOffset(get("TIME_OFFSET"))
	if err != nil {
		return spa.Message{}, 0, err
	}
	return m, offset, nil
}

// zeroReader feeds request's trial Encode: it checks the message, not the
// randomness.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// stanza is the rc file's [default] and -n stanza; empty without an rc
// file. fwknop creates ~/.fwknoprc when it is missing; Sesame only reads.
func (o *fwknopOptions) stanza() (spa.RCStanza, error) {
	if o.NoRCFile {
		if o.Named != "" {
			return spa.RCStanza{}, fmt.Errorf("-n and --no-rc-file cannot be used together")
		}
		return spa.RCStanza{}, nil
	}
	path := o.RCFile
	explicit := path != ""
	if !explicit {
		home := o.Home
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				if o.Named != "" {
					return spa.RCStanza{}, fmt.Errorf("-n %s: no home directory to find ~/.fwknoprc in: give --rc-file FILE", o.Named)
				}
				return spa.RCStanza{}, nil
			}
			home = h
		}
		path = filepath.Join(home, ".fwknoprc")
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit && o.Named == "" {
			return spa.RCStanza{}, nil
		}
		return spa.RCStanza{}, fmt.Errorf("rc file: %w", err)
	}
	defer f.Close()
	// The file holds keys; fwknop warns about this too.
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		fmt.Fprintf(o.Deps.IO.ErrOut, "sesame fwknop: warning: %s holds keys and others can read it (mode %04o): chmod 600 %s\n", path, fi.Mode().Perm(), path)
	}
	stanzas, err := spa.ParseRC(f, path)
	if err != nil {
		return spa.RCStanza{}, err
	}
	st, err := spa.Stanza(stanzas, o.Named)
	if err != nil {
		return spa.RCStanza{}, fmt.Errorf("-n: %s: %w", path, err)
	}
	return st, nil
}

// keys reads the keys from the flags, else the rc stanza.
func (o *fwknopOptions) keys(st spa.RCStanza) (spa.Keys, error) {
	changed := o.Changed
	if changed("key-base64-rijndael") || changed("key-base64-hmac") {
		// Flags override the stanza's keys.
		for _, name := range []string{"KEY_BASE64", "KEY", "HMAC_KEY_BASE64", "HMAC_KEY"} {
			st.Vars = dropVar(st.Vars, name)
		}
		if !changed("key-base64-rijndael") {
			return spa.Keys{}, usageErrorf("--key-base64-hmac needs --key-base64-rijndael too")
		}
		st.Vars = append(st.Vars, spa.RCVar{Name: "KEY_BASE64", Value: o.Key})
		if changed("key-base64-hmac") {
			st.Vars = append(st.Vars, spa.RCVar{Name: "HMAC_KEY_BASE64", Value: o.HMACKey})
		}
	}
	if _, ok := st.Get("KEY_BASE64"); !ok {
		if _, ok := st.Get("KEY"); !ok {
			return spa.Keys{}, usageErrorf("no key: give --key-base64-rijndael and --key-base64-hmac, or -n STANZA of an rc file that has KEY_BASE64 (sesame fwknop --key-gen makes keys)")
		}
	}
	if st.Name == "" {
		st.Name = "command line"
	}
	k, err := st.Keys()
	if err != nil {
		if st.Name == "command line" {
			return spa.Keys{}, usageErrorf("--key-base64-rijndael/--key-base64-hmac: %v", err)
		}
		return spa.Keys{}, &UsageError{Err: err}
	}
	if o.UseHMAC && len(k.HMACKey) == 0 {
		return spa.Keys{}, usageErrorf("--use-hmac needs an HMAC key: give --key-base64-hmac (or HMAC_KEY_BASE64 in the rc stanza)")
	}
	if changed("hmac-digest-type") {
		if k.HMAC, err = spa.ParseHash(o.HMACDigest); err != nil {
			return spa.Keys{}, usageErrorf("--hmac-digest-type: %v", err)
		}
	}
	if changed("encryption-mode") {
		if k.Mode, err = spa.ParseEncryptionMode(o.Mode); err != nil {
			return spa.Keys{}, usageErrorf("-M: %v", err)
		}
	}
	if k.Mode == spa.Legacy && len(k.HMACKey) > 0 {
		return spa.Keys{}, usageErrorf("-M legacy cannot be used with an HMAC (fwknop refuses the pair too)")
	}
	return k, nil
}

func dropVar(vars []spa.RCVar, name string) []spa.RCVar {
	out := vars[:0:0]
	for _, v := range vars {
		if v.Name != name {
			out = append(out, v)
		}
	}
	return out
}

// timeOffset is --time-offset-plus minus --time-offset-minus (or the rc
// file's TIME_OFFSET when neither flag is given).
func (o *fwknopOptions) timeOffset(rc string) (time.Duration, error) {
	var d time.Duration
	if rc != "" && !o.Changed("time-offset-plus") && !o.Changed("time-offset-minus") {
		v, err := parseTimeOffset(strings.TrimPrefix(rc, "+"))
		if err != nil {
			return 0, usageErrorf("rc file: TIME_OFFSET: %v", err)
		}
		d = v
	}
	if o.Changed("time-offset-plus") {
		v, err := parseTimeOffset(o.OffsetPlus)
		if err != nil {
			return 0, usageErrorf("--time-offset-plus: %v", err)
		}
		d += v
	}
	if o.Changed("time-offset-minus") {
		v, err := parseTimeOffset(o.OffsetMinus)
		if err != nil {
			return 0, usageErrorf("--time-offset-minus: %v", err)
		}
		d -= v
	}
	return d, nil
}

// parseTimeOffset reads fwknop's offsets: seconds, or a number with s, m,
// h or d.
func parseTimeOffset(s string) (time.Duration, error) {
	unit := time.Second
	num := s
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 's', 'S':
			num = s[:n-1]
		case 'm', 'M':
			unit, num = time.Minute, s[:n-1]
		case 'h', 'H':
			unit, num = time.Hour, s[:n-1]
		case 'd', 'D':
			unit, num = 24*time.Hour, s[:n-1]
		}
	}
	v, err := strconv.Atoi(num)
	if err != nil || v < 0 || v > 366*24*3600 {
		return 0, fmt.Errorf("%q: give seconds or a number with s, m, h or d (e.g. 90, 10m)", s)
	}
	return time.Duration(v) * unit, nil
}

func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		// Windows names are DOMAIN\user; fwknop refuses the backslash.
		if i := strings.LastIndexByte(u.Username, '\\'); i >= 0 {
			return u.Username[i+1:]
		}
		return u.Username
	}
	for _, v := range []string{"USER", "LOGNAME", "USERNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return "sesame"
}

func runFwknop(ctx context.Context, o *fwknopOptions) (err error) {
	defer func() {
		// fwknop(1) takes keys so and scripts use it; argv is no place
		// for secrets, so say so after each run that worked (an error
		// stays the one line it is).
		if err == nil && (o.Key != "" || o.HMACKey != "") {
			fmt.Fprintln(o.Deps.IO.ErrOut, "sesame fwknop: warning: keys on the command line can be read by other users of this computer (ps) and stay in your shell's history: put them in a stanza of ~/.fwknoprc (-n NAME), or make an SPA profile (sesame profile add NAME --spa FILE)")
		}
	}()
	req, err := o.request()
	if err != nil {
		return err
	}
	packet, err := spa.Encode(req.msg, req.keys, rand.Reader)
	if err != nil {
		return err
	}
	out := o.Deps.IO.Out
	if o.Verbose || o.Test {
		if err := printSPAFields(out, packet, req); err != nil {
			return err
		}
	}
	if o.SavePacket != "" {
		if err := savePacket(o.SavePacket, packet, o.SaveAppend); err != nil {
			return err
		}
	}
	if o.Test {
		fmt.Fprintln(out, "test mode enabled, SPA packet not actually sent.")
		return nil
	}
	addr, err := knock.Resolve(ctx, req.host, req.family, o.Deps.Resolver)
	if err != nil {
		var re *knock.ResolveError
		if errors.As(err, &re) && ctx.Err() == nil {
			return &UsageError{Err: err}
		}
		return err
	}
	to := netip.AddrPortFrom(addr, uint16(req.port))
	if err := spa.Send(ctx, req.proto, to, packet); err != nil {
		return err
	}
	if o.Verbose {
		fmt.Fprintf(out, "sent the SPA packet to %s over %s (%d bytes)\n", to, req.proto, len(packet))
	}
	return nil
}

// printSPAFields shows what the packet carries, in fwknop -v's layout,
// without the keys (fwknop never shows them either).
func printSPAFields(w io.Writer, packet string, req *spaRequest) error {
	m, err := spa.Decode([]byte(packet), req.keys)
	if err != nil {
		return fmt.Errorf("reading back the packet just built: %w", err)
	}
	hmacType := "0 (None)"
	if len(req.keys.HMACKey) > 0 {
		h := req.keys.HMAC
		if h == spa.HashDefault {
			h = spa.SHA256
		}
		hmacType = fmt.Sprintf("%d (%v)", int(h), h)
	}
	digest := m.Digest
	_, err = fmt.Fprintf(w, `SPA Field Values:
=================
   Random Value: %s
       Username: %s
      Timestamp: %d
    FKO Version: %s
   Message Type: %d (%s)
 Message String: %s
 Client Timeout: %d
    Digest Type: %d (%v)
      HMAC Type: %s
Encryption Mode: %v
 Final SPA Data: %s

Destination: %s port %d/%s
`, m.Rand, m.User, m.Time.Unix(), m.Version, int(m.Type), m.Type, m.Access, m.ClientTimeout,
		int(digest), digest, hmacType, req.keys.Mode, packet, req.host, req.port, req.proto)
	return err
}

// savePacket writes the packet and a newline to path, readable by the
// user only, as fwknop -B (replacing) or -b (appending) does.
func savePacket(path, packet string, appendTo bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return fmt.Errorf("--save-packet: %w", err)
	}
	if _, err := io.WriteString(f, packet+"\n"); err != nil {
		f.Close()
		return fmt.Errorf("--save-packet: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--save-packet: %w", err)
	}
	return nil
}
