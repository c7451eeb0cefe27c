// Package cmdexit runs a cobra command tree and turns its outcome into an
// exit status, the same way for sesame and sesamed: 0 on success, 2 for a
// bad command line, 1 for any other failure, printed as one line
// "command: error". A command may have one status for every failure
// (FailWith).
package cmdexit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	OK    = 0
	Error = 1
	Usage = 2
)

// Status ends a command with a given status after it has already said what
// it had to say: Run prints nothing for it.
type Status struct{ Code int }

func (e *Status) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Coded is an error that Run prints as usual but that exits with Code, as
// `sesame connect` exits 255 for its own failures (like ssh) so that
// scripts can tell them from the remote command's status.
type Coded struct {
	Code int
	Err  error
}

func (e *Coded) Error() string { return e.Err.Error() }
func (e *Coded) Unwrap() error { return e.Err }

// failureAnnotation holds the status FailWith gives a command.
const failureAnnotation = "cmdexit.failure"

// FailWith makes every failure of cmd, bad usage included, exit with code:
// `sesame connect` exits 255 for all of its own as ssh does, so that any
// other status is the remote command's; `sesame knock` exits 1 as
// knock(1) does.
func FailWith(cmd *cobra.Command, code int) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[failureAnnotation] = strconv.Itoa(code)
}

func failureStatus(cmd *cobra.Command) (int, bool) {
	if cmd == nil {
		return 0, false
	}
	code, err := strconv.Atoi(cmd.Annotations[failureAnnotation])
	return code, err == nil
}

// Run executes root with args. isUsage tells the caller's own usage errors
// apart; cobra's (unknown flags and commands, wrong argument counts) are
// recognised here.
func Run(ctx context.Context, root *cobra.Command, args []string, errOut io.Writer, isUsage func(error) bool) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return OK
	}
	var st *Status
	if errors.As(err, &st) {
		return st.Code
	}
	name := root.Name()
	if cmd != nil {
		name = cmd.CommandPath()
	}
	err = explain(cmd, err)
	// One line, always: joined errors (a profile's field errors) are
	// separated by "; ".
	fmt.Fprintf(errOut, "%s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	if code, ok := failureStatus(cmd); ok {
		return code
	}
	if isUsage(err) || isExplained(err) || isCobraUsage(err) {
		return Usage
	}
	var coded *Coded
	if errors.As(err, &coded) {
		return coded.Code
	}
	return Error
}

// isCobraUsage spots the errors cobra makes itself for unknown commands and
// wrong argument counts, which do not go through the flag error hook.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// VersionCmd is the `version` subcommand both binaries have; it prints
// line, the same line as their --version.
func VersionCmd(line string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and exit (as --version)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), line)
			return err
		},
	}
}
