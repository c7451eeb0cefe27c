package cmdexit

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCobraMessagesExplained: none of cobra's own messages reaches the
// user; each says what is wrong, which flags, why, and what to do.
func TestCobraMessagesExplained(t *testing.T) {
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
		sub := &cobra.Command{Use: "show NAME", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
		f := sub.Flags()
		f.Bool("reveal", false, "")
		f.Bool("current", false, "")
		f.Bool("quiet", false, "")
		f.Bool("loud", false, "")
		f.IntP("port", "p", 0, "")
		f.Duration("wait", 0, "")
		f.String("a", "", "")
		f.String("b", "", "")
		Exclusive(sub, "--current prints one window, --reveal every secret", "reveal", "current")
		sub.MarkFlagsMutuallyExclusive("quiet", "loud")
		sub.MarkFlagsRequiredTogether("a", "b")
		root.AddCommand(sub)
		return root
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"show", "x", "--reveal", "--current"}, "tool show: --current and --reveal cannot be used together: --current prints one window, --reveal every secret\n"},
		{[]string{"show", "x", "--quiet", "--loud"}, "tool show: --loud and --quiet cannot be used together: give one\n"},
		{[]string{"show", "x", "--a", "1"}, "tool show: --a and --b go together: add --b\n"},
		{[]string{"show", "x", "-p", "x"}, `tool show: -p/--port "x": want a whole number` + "\n"},
		{[]string{"show", "x", "--wait", "soon"}, `tool show: --wait "soon": want a duration such as 500ms, 15s or 2m` + "\n"},
		{[]string{"show", "x", "-p"}, "tool show: -p/--port needs a value (see tool show --help)\n"},
		{[]string{"show", "x", "--nope"}, "tool show: unknown flag --nope: see tool show --help for the flags it takes\n"},
		{[]string{"show", "x", "-z"}, "tool show: unknown flag -z: see tool show --help for the flags it takes\n"},
		{[]string{"show", "x", "---p"}, "tool show: ---p is not a flag: write -x or --name (see tool show --help)\n"},
		{[]string{"show"}, "tool show: wrong number of arguments (0 given): usage: tool show NAME [flags]\n"},
		{[]string{"shwo"}, `tool: unknown command "shwo": did you mean tool show? (tool --help lists the commands)` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			code := Run(context.Background(), newRoot(), tt.args, &out, func(error) bool { return false })
			if code != Usage || out.String() != tt.want {
				t.Fatalf("Run = %d, %q\nwant %d, %q", code, out.String(), Usage, tt.want)
			}
		})
	}
}
