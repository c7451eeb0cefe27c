package profiles

import (
	"strings"
	"testing"
	"time"
)

func TestKeepaliveSettings(t *testing.T) {
	tests := []struct {
		every   time.Duration
		max     int
		want    time.Duration
		wantMax int
		bad     string
	}{
		{0, 0, DefaultKeepalive, DefaultKeepaliveMax, ""},
		{2 * time.Second, 5, 2 * time.Second, 5, ""},
		{500 * time.Millisecond, 0, 0, 0, "keepalive"},
		{time.Hour, 0, 0, 0, "keepalive"},
		{0, -1, 0, 0, "keepalive-max"},
		{0, 101, 0, 0, "keepalive-max"},
	}
	for _, tt := range tests {
		p := &Profile{Name: "web", Host: "web.example.com", Keepalive: tt.every, KeepaliveMax: tt.max,
			Secrets: Secrets{Open: seq(t, "7000")}}
		err := p.Validate()
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad+":") {
				t.Errorf("Validate(%s, %d) = %v, want a %s error", tt.every, tt.max, err, tt.bad)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Validate(%s, %d): %v", tt.every, tt.max, err)
		}
		if d, n := p.KeepaliveSettings(); d != tt.want || n != tt.wantMax {
			t.Errorf("KeepaliveSettings(%s, %d) = %s, %d; want %s, %d", tt.every, tt.max, d, n, tt.want, tt.wantMax)
		}
	}
}
