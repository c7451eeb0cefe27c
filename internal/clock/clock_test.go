package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"waits", context.Background(), 10 * time.Millisecond, nil},
		{"no wait", context.Background(), 0, nil},
		// An hour's sleep that returns at once: ctx is done.
		{"cancelled", cancelled, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		start := time.Now()
		err := System{}.Sleep(tt.ctx, tt.d)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Sleep = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == nil && time.Since(start) < tt.d {
			t.Errorf("%s: Sleep returned after %s, before %s", tt.name, time.Since(start), tt.d)
		}
	}
}
