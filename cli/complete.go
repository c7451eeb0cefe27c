package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// profileArgs are the commands whose arguments are profile names: true
// when only the first is one, false when every one is.
var profileArgs = map[string]bool{
	"sesame connect":        true,
	"sesame proxy":          true,
	"sesame knock":          true,
	"sesame profile show":   true,
	"sesame profile edit":   true,
	"sesame profile rm":     true,
	"sesame profile rename": true,
	"sesame ssh-config":     false,
}

// addCompletion lets the shells complete profile names where a command
// takes them, read from the settings file only: completing never opens
// the keyring (no unlock prompt on Tab).
func addCompletion(root *cobra.Command, deps Deps) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if firstOnly, ok := profileArgs[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeProfiles(deps, firstOnly)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	completeJump(root, deps)
	if connect, _, err := root.Find([]string{"connect"}); err == nil {
		_ = connect.RegisterFlagCompletionFunc("option", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"User=", "Port=", "IdentityFile=", "ServerAliveInterval=", "StrictHostKeyChecking=yes", "StrictHostKeyChecking=accept-new", "StrictHostKeyChecking=ask"},
				cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		})
	}
}

// completeJump completes --jump's last hop with profile names, wherever
// the flag is (connect, proxy, profile add and edit).
func completeJump(root *cobra.Command, deps Deps) {
	names := completeProfiles(deps, false)
	complete := func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done := ""
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, toComplete = toComplete[:i+1], toComplete[i+1:]
		}
		list, dir := names(cmd, nil, toComplete)
		for i := range list {
			list[i] = done + list[i]
		}
		return list, dir
	}
	for _, path := range [][]string{{"connect"}, {"proxy"}, {"profile", "add"}, {"profile", "edit"}} {
		if c, _, err := root.Find(path); err == nil && c.Flags().Lookup("jump") != nil {
			_ = c.RegisterFlagCompletionFunc("jump", complete)
		}
	}
}

// completeProfiles completes profile names (and, for connect, USER@NAME).
func completeProfiles(deps Deps, firstOnly bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if firstOnly && len(args) > 0 {
			// After connect's NAME comes the remote command: nothing local
			// to complete.
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		_, list, err := listProfiles(deps)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		user := ""
		if i := strings.LastIndex(toComplete, "@"); i >= 0 && cmd.Name() == "connect" {
			user, toComplete = toComplete[:i+1], toComplete[i+1:]
		}
		var names []string
		for _, p := range list {
			if strings.HasPrefix(strings.ToLower(p.Name), strings.ToLower(toComplete)) {
				names = append(names, user+p.Name+"\t"+p.Host)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
