package sshlaunch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
)

// Proxy knocks, connects to the target's SSH port (or host:port when
// given), and pipes in and out through the connection — the ProxyCommand
// of ssh, scp, sftp, rsync and git. The close knock goes out when the
// connection ends from either side or ctx is cancelled (OpenSSH sends its
// ProxyCommand SIGHUP when it exits).
func Proxy(ctx context.Context, cfg Config, host string, port int, in io.Reader, out io.Writer) error {
	return withDoor(ctx, &cfg, host, port, func(ctx context.Context, ap netip.AddrPort, _ Target) error {
		conn, err := dialDoor(ctx, &cfg, ap)
		if err != nil {
			return err
		}
		defer conn.Close()
		cfg.UI.Progress(Event{Stage: StageSession, Addr: ap})
		return pipe(ctx, conn, in, out)
	})
}

// pipe copies in→conn and conn→out until the server closes, the client's
// side fails, or ctx ends.
func pipe(ctx context.Context, conn net.Conn, in io.Reader, out io.Writer) error {
	fromServer := make(chan error, 1)
	toServer := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, conn)
		fromServer <- err
	}()
	go func() {
		_, err := io.Copy(conn, in)
		// Our input ended: tell the server, and let it finish.
		if tc, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		}
		toServer <- err
	}()
	for {
		select {
		case err := <-fromServer:
			if errors.Is(err, net.ErrClosed) {
				err = nil
			}
			return err
		case err := <-toServer:
			toServer = nil
			if err != nil && !errors.Is(err, net.ErrClosed) {
				conn.Close()
				<-fromServer
				return err
			}
		case <-ctx.Done():
			conn.Close()
			<-fromServer
			return nil
		}
	}
}
