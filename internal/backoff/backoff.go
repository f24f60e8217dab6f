// Package backoff is the retry arithmetic errata's HTTP clients share
// (GitHub's in package ingest, the model's in package llm): exponential
// waits with jitter, and the wait a server asks for with Retry-After. The
// retry loops stay with their clients, because what is worth retrying
// differs (rate-limit kinds and a circuit breaker for GitHub, a weaker
// response format for a model server).
package backoff

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is an exponential backoff: the n-th retry (from 0) waits about
// Base·2ⁿ, at most Max, times a random factor in [Low, High).
type Policy struct {
	Base, Max time.Duration
	// Low and High bound the jitter factor: 0.5 and 1 spread the retries
	// of many clients over the lower half ("equal jitter"); 0.75 and 1.25
	// keep them within ±25% of the nominal wait.
	Low, High float64
}

// Wait is how long to wait before the n-th retry (n from 0).
func (p Policy) Wait(n int) time.Duration {
	d := p.Base << min(max(n, 0), 30)
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	lo := time.Duration(float64(d) * p.Low)
	span := time.Duration(float64(d) * (p.High - p.Low))
	if span <= 0 {
		return lo
	}
	return lo + time.Duration(rand.Int64N(int64(span))) //nolint:gosec // G404: jitter spreads retries; it guards no secret
}

// RetryAfter is the wait a server asked for: retry-after-ms (OpenAI's, in
// milliseconds), else Retry-After in seconds or as an HTTP date; 0 when
// absent, unreadable or past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
