package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestBreakerResetTriesAgain: once the breaker has given up on a host, a
// client sends it nothing; after Reset (a worker's next job) the next
// request is sent again.
func TestBreakerResetTriesAgain(t *testing.T) {
	t.Parallel()
	lim := fastLimits()
	lim.Retries = 1
	br := NewBreaker(2)
	c, err := NewClient(ClientOptions{APIURL: "http://" + closedPort(t) + "/", Limits: lim, Breaker: br})
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	var open *CircuitOpenError
	if _, err := c.get(context.Background(), "repos/o/r/issues", "", &raws, false); !errors.As(err, &open) {
		t.Fatalf("err = %v, want the circuit to open after two refused connections", err)
	}
	sent := c.Count.Requests.Load()
	if _, err := c.get(context.Background(), "repos/o/r/issues", "", &raws, false); !errors.As(err, &open) || c.Count.Requests.Load() != sent {
		t.Fatalf("open circuit: err %v after %d more requests, want a *CircuitOpenError and none", err, c.Count.Requests.Load()-sent)
	}
	br.Reset()
	if c.Unreachable() != nil {
		t.Fatal("still unreachable after Reset")
	}
	_, _ = c.get(context.Background(), "repos/o/r/issues", "", &raws, false)
	if c.Count.Requests.Load() == sent {
		t.Error("no request sent after Reset")
	}
}
