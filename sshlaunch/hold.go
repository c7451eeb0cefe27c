package sshlaunch

import "context"

// Hold keeps the connection, with no session on it, until ctx ends (it
// returns nil) or the server goes away: it closes the connection, or
// KeepaliveMax keepalives in a row go unanswered (a *ConnectionLostError).
// It is ssh -N: the door stays open for as long as Hold runs.
func (c *Conn) Hold(ctx context.Context) error {
	gone := make(chan error, 1)
	go func() { gone <- c.Client.Wait() }()
	kctx, stop := context.WithCancel(ctx)
	defer stop()
	lost := c.keepalive(kctx)
	select {
	case <-ctx.Done():
		return nil
	case reason := <-lost:
		c.Client.Close()
		return &ConnectionLostError{Reason: reason}
	case <-gone:
		return &ConnectionLostError{Reason: "the server closed the connection"}
	}
}
