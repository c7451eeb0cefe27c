package cli

import (
	"encoding/json"
	"io"
	"time"

	"sesame/knock"
)

// knockReport is `sesame knock --json`. Its field names are documented in
// the command's help and the README, and stay stable.
type knockReport struct {
	Host    string `json:"host"`
	Address string `json:"address"`
	// Profile and Sequence ("open" or "close") are set for a profile.
	Profile  string `json:"profile,omitempty"`
	Sequence string `json:"sequence,omitempty"`
	// Knocks are what was sent, for HOST PORT... only: a profile's ports
	// are a secret.
	Knocks []sentKnock `json:"knocks,omitempty"`
	Sent   int         `json:"sent"`
	// DoorChecked says whether a port was probed after the knock, and
	// DoorOpen (null when not checked) what it showed.
	DoorChecked bool  `json:"door_checked"`
	DoorOpen    *bool `json:"door_open"`
	// OneTimeLeft is the one-time sequences a profile has left.
	OneTimeLeft *int `json:"one_time_left,omitempty"`
}

type sentKnock struct {
	Port  int       `json:"port"`
	Proto string    `json:"proto"`
	At    time.Time `json:"at"`
}

// track counts the knocks sent (and with ports, records them), then
// passes the event on to next.
func (r *knockReport) track(next func(knock.Event), ports bool) func(knock.Event) {
	return func(ev knock.Event) {
		if ev.Kind == knock.Sent {
			r.Sent++
			r.Address = ev.Addr.String()
			if ports {
				r.Knocks = append(r.Knocks, sentKnock{Port: int(ev.Knock.Port), Proto: ev.Knock.Proto.String(), At: ev.At.UTC()})
			}
		}
		if next != nil {
			next(ev)
		}
	}
}

func (r *knockReport) checked(open bool) {
	r.DoorChecked, r.DoorOpen = true, &open
}

// report prints the report when --json asked for it.
func (o *knockOptions) report(r *knockReport) error {
	if !o.JSON {
		return nil
	}
	return writeJSON(o.Deps.IO.Out, r)
}

// progressOut is where -v goes: stdout, or stderr when stdout carries JSON.
func (o *knockOptions) progressOut() io.Writer {
	if o.JSON {
		return o.Deps.IO.ErrOut
	}
	return o.Deps.IO.Out
}

// writeJSON writes v indented, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
