package profiles

import (
	"strings"
	"testing"
)

func TestValidateAlias(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		suggest string
	}{
		{"web", true, "web"},
		{"web-1.example", true, "web-1.example"},
		{"Café_東京", true, "Café_東京"},
		{"my web", false, "my-web"},
		{"a  b\tc", false, "a-b-c"},
		{"dc/rack4", false, "dc-rack4"},
		{"root@web", false, "root-web"},
		{"web*", false, "web"},
		{"!web", false, "web"},
		{"a,b", false, "a-b"},
		{`"q"`, false, "q"},
		{"a\u200bb", false, "a-b"}, // zero-width space: not printable
		{"7000", false, "host-7000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAlias(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateAlias(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
			got := SuggestName(tt.name)
			if got != tt.suggest {
				t.Fatalf("SuggestName(%q) = %q, want %q", tt.name, got, tt.suggest)
			}
			if err := ValidateAlias(got); err != nil {
				t.Fatalf("the suggestion %q is not valid: %v", got, err)
			}
			if err != nil && !strings.Contains(err.Error(), `"`+tt.suggest+`"`) && tt.name != "7000" {
				t.Fatalf("error %q does not name the suggestion %q", err, tt.suggest)
			}
		})
	}
}
