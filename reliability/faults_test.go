package reliability_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// cleanDump syncs the fake once with no faults into a fresh database and
// returns the dump: the reference every faulty run must reproduce.
func cleanDump(t *testing.T, fake *githubfake.Server) string {
	t.Helper()
	st := storetest.New(t)
	sum := syncOnce(context.Background(), t, st, fake.APIURL(), "", nil)
	if sum.Status != "ok" {
		t.Fatalf("clean sync: %s: %v", sum.Status, sum.Err)
	}
	d := dumpData(t, st)
	is, cs := countRows(t, st)
	fi, fp, fc := fake.Counts(syncRepo)
	if is != fi+fp || cs != fc {
		t.Fatalf("clean sync holds %d issues and %d comments; the fake has %d and %d", is, cs, fi+fp, fc)
	}
	return d
}

// faultKinds are what the flaky GitHub answers instead of the real thing.
var faultKinds = []struct {
	name  string
	fault githubfake.Fault
}{
	{"500", githubfake.Fault{Status: http.StatusInternalServerError}},
	{"502", githubfake.Fault{Status: http.StatusBadGateway}},
	{"503 with Retry-After 0", githubfake.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 0}},
	{"504", githubfake.Fault{Status: http.StatusGatewayTimeout}},
	{"secondary limit 403", githubfake.Fault{Status: http.StatusForbidden, Secondary: true}},
	{"secondary limit 429", githubfake.Fault{Status: http.StatusTooManyRequests, Secondary: true}},
	{"dropped connection", githubfake.Fault{Drop: true}},
	{"slow (under the timeout)", githubfake.Fault{Delay: 50 * time.Millisecond}},
	{"slow (over the timeout)", githubfake.Fault{Delay: 600 * time.Millisecond}},
}

// TestSyncSurvivesFlakyGitHub: a GitHub that answers 20% of requests with
// a fault (5xx, secondary rate limits, dropped connections, slow answers)
// must give, in one run, exactly the data of a clean run.
func TestSyncSurvivesFlakyGitHub(t *testing.T) {
	t.Parallel()
	n, passes := 300, 3
	rate := 0.2
	if *long {
		n, passes = 3000, 10
	}
	// A budget no run exhausts: the primary limit is not the fault under
	// test here (the long variant makes over 12,000 requests).
	fake := githubfake.New(githubfake.Options{CoreLimit: 1 << 30})
	defer fake.Close()
	t0 := time.Now()
	seedFake(fake, n)
	t.Logf("seeded in %s", time.Since(t0))
	want := cleanDump(t, fake)
	t.Logf("clean run done at %s", time.Since(t0))
	cleanReqs := fake.Stats().Requests

	for pass := 1; pass <= passes; pass++ {
		fake.ResetStats()
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(9, uint64(pass)))
		injected := map[string]int{}
		var total atomic.Int64
		fake.OnRequest(func(r *http.Request) {
			total.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if rng.Float64() >= rate {
				return
			}
			k := faultKinds[rng.IntN(len(faultKinds))]
			f := k.fault
			f.Count = 1
			f.PathContains = r.URL.RequestURI()
			fake.Inject(f)
			injected[k.name]++
		})
		st := storetest.New(t)
		t1 := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		sum := syncOnce(ctx, t, st, fake.APIURL(), "", nil)
		cancel()
		fake.OnRequest(nil)
		if sum.Status != "ok" {
			t.Fatalf("pass %d flaky sync: %s: %v (injected %v)", pass, sum.Status, sum.Err, injected)
		}
		if got := dumpData(t, st); got != want {
			t.Fatalf("pass %d flaky sync differs from the clean run: %s", pass, diffDumps(want, got))
		}
		faults := 0
		for _, v := range injected {
			faults += v
		}
		if faults == 0 {
			t.Fatalf("no fault injected in %d requests", total.Load())
		}
		t.Logf("sync took %s", time.Since(t1))
		t.Logf("pass %d: %d requests (clean run: %d), %d faults injected: %v", pass, total.Load(), cleanReqs, faults, injected)
		recordFigure("faults.flaky_github.requests", int(total.Load()))
		recordFigure("faults.flaky_github.injected", faults)
		recordFigure("faults.flaky_github.runs_survived", 1)
		for k, v := range injected {
			recordFigure("faults.flaky_github.kind."+strings.ReplaceAll(k, " ", "_"), v)
		}
	}
}
