package ingest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// closedPort returns a local address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentServer accepts connections and never answers, until the test ends.
func silentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func manySources(n int) []Source {
	var out []Source
	for i := 0; i < n; i++ {
		out = append(out, Source{Kind: "repo", Key: fmt.Sprintf("acme/r%d", i)})
	}
	return out
}

// TestDeadEndpointFailsFast: against a closed port and against a server
// that accepts and never answers, a sync of many sources sends a few
// attempts in all (the circuit breaker opens after BreakerThreshold
// connection failures in a row), never asks for smaller pages, and reports
// the other sources skipped with the reason.
func TestDeadEndpointFailsFast(t *testing.T) {
	t.Parallel()
	untrusted := httptest.NewTLSServer(http.NotFoundHandler()) // its certificate is not trusted
	t.Cleanup(untrusted.Close)                                 // the parallel subtests run after this function returns
	for _, tc := range []struct {
		name, url, reason string
	}{
		{"closed port", "http://" + closedPort(t) + "/", "connection refused"},
		{"never answers", "http://" + silentServer(t) + "/", "no answer"},
		{"untrusted certificate", untrusted.URL + "/", "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.New(t)
			lim := fastLimits()
			lim.RequestTimeout = 400 * time.Millisecond // no answer after 200 ms
			c, err := NewClient(ClientOptions{APIURL: tc.url, Limits: lim})
			if err != nil {
				t.Fatal(err)
			}
			threshold := lim.withDefaults().BreakerThreshold
			sums := NewSyncer(c, st, Options{}).runAll(context.Background(), manySources(20))
			if n := c.Count.Requests.Load(); n > int64(threshold) {
				t.Errorf("%d attempts for 20 sources; want at most the breaker threshold %d", n, threshold)
			}
			skipped := 0
			for _, s := range sums {
				switch {
				case s.Status == "skipped" && strings.Contains(s.Message, "unreachable") && strings.Contains(s.Message, tc.reason):
					skipped++
				case s.Status == "failed" && strings.Contains(s.Message, tc.reason):
				default:
					t.Errorf("%s: %s %q; want failed or skipped, naming %q", s.Source, s.Status, s.Message, tc.reason)
				}
			}
			if skipped < 20-threshold {
				t.Errorf("%d sources skipped; want all but the %d that met the failures", skipped, threshold)
			}
		})
	}
}

// TestSlowBigPageStillGetsSmaller: an answer that begins at once but
// whose body takes longer than RequestTimeout (a slow big page) is still
// retried with smaller pages, and does not trip the breaker.
func TestSlowBigPageStillGetsSmaller(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 120)
	target, _ := url.Parse(fake.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "direction=asc&per_page=100") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("["))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer slow.Close()
	st := storetest.New(t)
	lim := fastLimits()
	lim.RequestTimeout = 300 * time.Millisecond
	lim.Retries = 1
	c, err := NewClient(ClientOptions{APIURL: slow.URL + "/", Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	sums := NewSyncer(c, st, Options{}).runAll(context.Background(), []Source{{Kind: "repo", Key: "o/r"}})
	mustOK(t, sums)
	diffSnap(t, "smaller pages after slow bodies", takeSnapshot(t, st), expected(fake, "o/r", false))
}
