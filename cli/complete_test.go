package cli

import (
	"strings"
	"testing"
)

// TestCompletion: the completion command is listed in help, writes each
// shell's script, and completes profile names from the settings file.
func TestCompletion(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "web.example.com", "--open", "7000")
	e.ok("", "profile", "add", "db", "--host", "db.example.com", "--open", "7001")
	if help := e.ok("", "--help"); !strings.Contains(help, "completion") {
		t.Fatalf("help does not list completion:\n%s", help)
	}
	for shell, mark := range map[string]string{"bash": "bash completion", "zsh": "#compdef sesame", "fish": "complete -c sesame", "powershell": "Register-ArgumentCompleter"} {
		if out := e.ok("", "completion", shell); !strings.Contains(out, mark) {
			t.Errorf("completion %s lacks %q", shell, mark)
		}
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"connect", ""}, []string{"db\tdb.example.com", "web\tweb.example.com"}},
		{[]string{"connect", "w"}, []string{"web\tweb.example.com"}},
		{[]string{"connect", "root@w"}, []string{"root@web\tweb.example.com"}},
		{[]string{"connect", "web", ""}, nil},
		{[]string{"knock", "d"}, []string{"db\tdb.example.com"}},
		{[]string{"profile", "show", "W"}, []string{"web\tweb.example.com"}},
		{[]string{"profile", "rename", "web", ""}, nil},
		{[]string{"connect", "--jump", "w"}, []string{"web\tweb.example.com"}},
		{[]string{"connect", "-J", "web,d"}, []string{"web,db\tdb.example.com"}},
		{[]string{"profile", "edit", "db", "--jump", ""}, []string{"db\tdb.example.com", "web\tweb.example.com"}},
		{[]string{"prof"}, []string{"profile\tKeep hosts as profiles: settings in a file, knock sequences and passwords in the OS keyring"}},
	}
	for _, tt := range tests {
		out := e.ok("", append([]string{"__complete"}, tt.args...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		got := lines[:len(lines)-1] // the last line is the directive
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("complete %q = %q, want %q", tt.args, got, tt.want)
		}
	}
	// Completing never reads the keyring: an empty keyring changes nothing.
	e.kr = nil
	if out := e.ok("", "__complete", "connect", "w"); !strings.HasPrefix(out, "web\t") {
		t.Fatalf("completion without a keyring: %q", out)
	}
}
