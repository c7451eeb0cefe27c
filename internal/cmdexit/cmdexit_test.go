package cmdexit

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

var errUsage = errors.New("bad token")

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"success", nil, OK, ""},
		{"failure", errors.New("it broke"), Error, "tool sub: it broke\n"},
		{"joined errors on one line", errors.Join(errors.New("a"), errors.New("b")), Error, "tool sub: a; b\n"},
		{"usage", errUsage, Usage, "tool sub: bad token\n"},
		{"status", &Status{Code: 3}, 3, ""},
		{"coded", &Coded{Code: 255, Err: errors.New("door shut")}, 255, "tool sub: door shut\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
			root.AddCommand(&cobra.Command{Use: "sub", RunE: func(*cobra.Command, []string) error { return tt.err }})
			var out bytes.Buffer
			code := Run(context.Background(), root, []string{"sub"}, &out, func(err error) bool { return errors.Is(err, errUsage) })
			if code != tt.code || out.String() != tt.out {
				t.Fatalf("Run = %d, %q; want %d, %q", code, out.String(), tt.code, tt.out)
			}
		})
	}
	root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true, RunE: func(*cobra.Command, []string) error { return nil }}
	var out bytes.Buffer
	if code := Run(context.Background(), root, []string{"--nope"}, &out, func(error) bool { return false }); code != Usage {
		t.Fatalf("an unknown flag exits %d, want %d (%s)", code, Usage, out.String())
	}
}

func TestFailWith(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  error
		code int
	}{
		{"failure", []string{"sub"}, errors.New("it broke"), 255},
		{"own usage error", []string{"sub"}, errUsage, 255},
		{"unknown flag", []string{"sub", "--nope"}, nil, 255},
		{"status passes through", []string{"sub"}, &Status{Code: 3}, 3},
		{"success", []string{"sub"}, nil, OK},
		{"another command keeps the usual codes", []string{"other"}, errUsage, Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
			sub := &cobra.Command{Use: "sub", RunE: func(*cobra.Command, []string) error { return tt.err }}
			FailWith(sub, 255)
			root.AddCommand(sub, &cobra.Command{Use: "other", RunE: func(*cobra.Command, []string) error { return tt.err }})
			var out bytes.Buffer
			if code := Run(context.Background(), root, tt.args, &out, func(err error) bool { return errors.Is(err, errUsage) }); code != tt.code {
				t.Fatalf("Run = %d (%s), want %d", code, out.String(), tt.code)
			}
		})
	}
}
