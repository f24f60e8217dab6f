package ingest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// benchSize is the number of issues (each with four comments) the sync
// benchmark serves; ERRATA_BENCH_ISSUES overrides the default 50,000.
func benchSize() int {
	if v, err := strconv.Atoi(os.Getenv("ERRATA_BENCH_ISSUES")); err == nil && v > 0 {
		return v
	}
	return 50000
}

func seedBench(fake *githubfake.Server, repo string, n int) {
	for i := 0; i < n; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{
			Title:  fmt.Sprintf("build fails with error E%04d after upgrading", i%997),
			Body:   "Steps to reproduce:\n1. upgrade\n2. run the build\n\n```\nerror: something went wrong in module " + strconv.Itoa(i) + "\n```\n",
			Labels: []string{"bug", "needs-triage"}, Closed: i%3 == 0})
		for j := 0; j < 4; j++ {
			fake.Advance(time.Second)
			fake.AddComment(repo, is.Number, "", fmt.Sprintf("Same here on version 1.%d; workaround: pin the old release.", j), time.Time{})
		}
		fake.Advance(5 * time.Second)
	}
}

// BenchmarkSync syncs benchSize() issues with four comments each from the
// local fake into a fresh database, then re-syncs with nothing changed.
// Reported: issues/s over the whole sync, errata-issues/s over errata's
// own time (wall time minus the fake server's handler time), the requests
// of the first sync, and the requests and 304s of the no-change re-sync.
func BenchmarkSync(b *testing.B) {
	n := benchSize()
	fake := githubfake.New(githubfake.Options{CoreLimit: 1 << 30})
	defer fake.Close()
	seedBench(fake, "bench/big", n)
	ctx := context.Background()
	src := []Source{{Kind: "repo", Key: "bench/big"}}
	var wall, own time.Duration
	var reqs, resyncReqs, resync304 int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.New(b)
		c, err := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		fake.ResetStats()
		b.StartTimer()
		start := time.Now()
		sums := NewSyncer(c, st, Options{}).Run(ctx, src)
		el := time.Since(start)
		b.StopTimer()
		if sums[0].Status != "ok" || sums[0].Issues.Inserted != n || sums[0].Comments.Inserted != 4*n {
			b.Fatalf("sync: %s %s: issues %+v comments %+v", sums[0].Status, sums[0].Message, sums[0].Issues, sums[0].Comments)
		}
		wall += el
		own += el - fake.Stats().ServeTime
		reqs += sums[0].Requests
		c2, _ := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "bench"})
		sums = NewSyncer(c2, st, Options{}).Run(ctx, src)
		resyncReqs += sums[0].Requests
		resync304 += sums[0].NotModified
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/wall.Seconds(), "issues/s")
	b.ReportMetric(float64(n)*float64(b.N)/own.Seconds(), "errata-issues/s")
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/sync")
	b.ReportMetric(float64(resyncReqs)/float64(b.N), "requests/resync")
	b.ReportMetric(float64(resync304)/float64(b.N), "304s/resync")
}
