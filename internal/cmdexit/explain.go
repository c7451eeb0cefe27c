package cmdexit

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// whyAnnotation prefixes the annotation that holds why a group of flags
// cannot be used together (Exclusive).
const whyAnnotation = "cmdexit.exclusive:"

// Exclusive marks flags that cannot be given together, as cobra's
// MarkFlagsMutuallyExclusive (which still enforces it, and tells
// completion), with why: the error then says which flags conflict and why.
func Exclusive(cmd *cobra.Command, why string, flags ...string) {
	cmd.MarkFlagsMutuallyExclusive(flags...)
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[whyAnnotation+strings.Join(flags, " ")] = why
}

// cobra's own messages, which are written for programmers: explain
// rewrites them for the person at the command line.
var (
	reExclusive    = regexp.MustCompile(`^if any flags in the group \[([^\]]*)\] are set none of the others can be; \[([^\]]*)\] were all set`)
	reTogether     = regexp.MustCompile(`^if any flags in the group \[([^\]]*)\] are set they must all be set; missing \[([^\]]*)\]`)
	reOneRequired  = regexp.MustCompile(`^at least one of the flags in the group \[([^\]]*)\] is required`)
	reRequired     = regexp.MustCompile(`^required flag\(s\) (.*) not set`)
	reUnknownFlag  = regexp.MustCompile(`^unknown flag: (--\S+)`)
	reUnknownShort = regexp.MustCompile(`^unknown shorthand flag: '(.)' in (\S+)`)
	reNeedsValue   = regexp.MustCompile(`^flag needs an argument: (?:'(.)' in -\S+|(--\S+))`)
	reBadValue     = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-., )?--([^"]+)" flag: `)
	reBadSyntax    = regexp.MustCompile(`^bad flag syntax: (\S+)`)
	reUnknownCmd   = regexp.MustCompile(`^unknown command "([^"]*)" for "([^"]*)"(?:\s+Did you mean this\?\s+(\S+))?`)
	reArgCount     = regexp.MustCompile(`^(?:accepts (\d+) arg\(s\), received (\d+)|accepts at most (\d+) arg\(s\), received (\d+)|requires at least (\d+) arg\(s\), only received (\d+)|accepts between (\d+) and (\d+) arg\(s\), received (\d+))`)
)

// explain turns an error cobra made into one that says what is wrong and
// what to do; any other error is returned as it is.
func explain(cmd *cobra.Command, err error) error {
	if cmd == nil {
		return err
	}
	msg := err.Error()
	help := fmt.Sprintf("see %s --help", cmd.CommandPath())
	flagNames := func(list string) []string {
		var out []string
		for _, f := range strings.Fields(list) {
			out = append(out, dashed(cmd, f))
		}
		return out
	}
	if m := reExclusive.FindStringSubmatch(msg); m != nil {
		set := flagNames(m[2])
		e := fmt.Sprintf("%s cannot be used together", joinAnd(set))
		if why := cmd.Annotations[whyAnnotation+m[1]]; why != "" {
			e += ": " + why
		} else {
			e += ": give one"
		}
		return wrap(err, e)
	}
	if m := reTogether.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("%s go together: add %s", joinAnd(flagNames(m[1])), joinAnd(flagNames(m[2]))))
	}
	if m := reOneRequired.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("give one of %s (%s)", strings.Join(flagNames(m[1]), ", "), help))
	}
	if m := reRequired.FindStringSubmatch(msg); m != nil {
		var names []string
		for _, f := range strings.Fields(m[1]) {
			names = append(names, dashed(cmd, strings.Trim(f, `"`)))
		}
		return wrap(err, fmt.Sprintf("%s is required (%s)", joinAnd(names), help))
	}
	if m := reUnknownFlag.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("unknown flag %s: %s for the flags it takes", m[1], help))
	}
	if m := reBadSyntax.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("%s is not a flag: write -x or --name (%s)", m[1], help))
	}
	if m := reUnknownShort.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("unknown flag -%s: %s for the flags it takes", m[1], help))
	}
	if m := reNeedsValue.FindStringSubmatch(msg); m != nil {
		name := m[2]
		if m[1] != "" {
			name = "-" + m[1]
			if f := cmd.Flags().ShorthandLookup(m[1]); f != nil {
				name = dashed(cmd, f.Name)
			}
		}
		return wrap(err, fmt.Sprintf("%s needs a value (%s)", name, help))
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		return wrap(err, fmt.Sprintf("%s %q: %s", dashed(cmd, m[2]), m[1], want(cmd.Flags().Lookup(m[2]))))
	}
	if m := reUnknownCmd.FindStringSubmatch(msg); m != nil {
		e := fmt.Sprintf("unknown command %q", m[1])
		if m[3] != "" {
			e += fmt.Sprintf(": did you mean %s %s?", m[2], m[3])
		}
		return wrap(err, e+fmt.Sprintf(" (%s --help lists the commands)", m[2]))
	}
	if m := reArgCount.FindStringSubmatch(msg); m != nil {
		got := firstSet(m[2], m[4], m[6], m[9])
		return wrap(err, fmt.Sprintf("wrong number of arguments (%s given): usage: %s", got, cmd.UseLine()))
	}
	return err
}

// dashed names a flag as the user would type it: "-p/--port".
func dashed(cmd *cobra.Command, name string) string {
	f := cmd.Flags().Lookup(name)
	if f == nil || f.Shorthand == "" {
		return "--" + name
	}
	return "-" + f.Shorthand + "/--" + name
}

// want says what a flag's value must look like.
func want(f *pflag.Flag) string {
	if f == nil {
		return "not a valid value"
	}
	switch f.Value.Type() {
	case "int", "int64", "int32", "uint", "uint16", "uint32", "uint64":
		return "want a whole number"
	case "duration":
		return "want a duration such as 500ms, 15s or 2m"
	case "bool":
		return "want true or false"
	}
	return "not a valid " + f.Value.Type()
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func firstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return "?"
}

// cobraError is cobra's error, explained; errors.Is/As still find it.
type cobraError struct {
	msg string
	err error
}

func (e *cobraError) Error() string { return e.msg }
func (e *cobraError) Unwrap() error { return e.err }

func wrap(err error, msg string) error { return &cobraError{msg: msg, err: err} }

// isExplained reports an error explain rewrote: all of them are usage
// errors.
func isExplained(err error) bool {
	var ce *cobraError
	return errors.As(err, &ce)
}
