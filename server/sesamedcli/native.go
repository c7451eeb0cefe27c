package sesamedcli

import (
	"context"
	"errors"

	"sesame/server/daemon"
	"sesame/server/knockdconf"
)

// newNative starts the firewall backend of the native open action.
func newNative(ctx context.Context, cfg *knockdconf.Config) (daemon.Native, error) {
	return nil, errors.New("the native open action (Open_Ports) is not available in this build yet: use Start_Command and Stop_Command")
}
