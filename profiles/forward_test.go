package profiles

import (
	"strings"
	"testing"
)

func TestParseForward(t *testing.T) {
	tests := []struct {
		in      string
		want    Forward
		listen  string
		wantErr string
	}{
		{in: "L 8080:localhost:80", want: Forward{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80}, listen: "localhost:8080"},
		{in: "-L 127.0.0.1:8080:db:5432", want: Forward{Kind: LocalForward, Bind: "127.0.0.1", Port: 8080, Host: "db", HostPort: 5432}, listen: "127.0.0.1:8080"},
		{in: "L [::1]:8080:[2001:db8::5]:80", want: Forward{Kind: LocalForward, Bind: "::1", Port: 8080, Host: "2001:db8::5", HostPort: 80}, listen: "[::1]:8080"},
		{in: "L *:8080:web:80", want: Forward{Kind: LocalForward, Bind: "*", Port: 8080, Host: "web", HostPort: 80}, listen: ":8080"},
		{in: "r 9000:localhost:3000", want: Forward{Kind: RemoteForward, Port: 9000, Host: "localhost", HostPort: 3000}, listen: "localhost:9000"},
		{in: "D 1080", want: Forward{Kind: DynamicForward, Port: 1080}, listen: "localhost:1080"},
		{in: "D 0.0.0.0:1080", want: Forward{Kind: DynamicForward, Bind: "0.0.0.0", Port: 1080}, listen: "0.0.0.0:1080"},
		{in: "L 8080:localhost", wantErr: "2 colon-separated part(s)"},
		{in: "L 8080:localhost:http", wantErr: `the host's port "http" is not a port`},
		{in: "L 0:localhost:80", wantErr: "listening port"},
		{in: "D 1080:x:80", wantErr: "too many parts"},
		{in: "X 1080", wantErr: "start with L, R or D"},
		{in: "L", wantErr: "write L, R or D"},
		{in: "L [::1:8080:a:80", wantErr: "not closed"},
		{in: "L 8080:a b:80", wantErr: "not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseForward(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseForward(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseForward(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if l := got.ListenAddr(); l != tt.listen {
				t.Errorf("ListenAddr = %q, want %q", l, tt.listen)
			}
			// The saved form reads back the same.
			back, err := ParseForward(got.String())
			if err != nil || back != got {
				t.Errorf("ParseForward(%q) = %+v, %v; want %+v", got.String(), back, err, got)
			}
		})
	}
}
