package backoff

import (
	"net/http"
	"testing"
	"time"
)

func TestWaitDoublesWithinJitterAndCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Policy
	}{
		{"equal jitter", Policy{Base: 100 * time.Millisecond, Max: time.Second, Low: 0.5, High: 1}},
		{"plus or minus 25%", Policy{Base: 100 * time.Millisecond, Max: time.Second, Low: 0.75, High: 1.25}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for n := 0; n < 40; n++ {
				nominal := min(tc.p.Base<<min(n, 30), tc.p.Max)
				if n > 30 {
					nominal = tc.p.Max
				}
				lo := time.Duration(float64(nominal) * tc.p.Low)
				hi := time.Duration(float64(nominal) * tc.p.High)
				for range 50 {
					if w := tc.p.Wait(n); w < lo || w >= hi {
						t.Fatalf("Wait(%d) = %v, want in [%v, %v)", n, w, lo, hi)
					}
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    map[string]string
		want time.Duration
	}{
		{nil, 0},
		{map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"Retry-After-Ms": "250", "Retry-After": "1"}, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.h {
			h.Set(k, v)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
