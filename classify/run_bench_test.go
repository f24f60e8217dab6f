package classify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// benchIssues is the store size for BenchmarkClassifyStore:
// ERRATA_BENCH_ISSUES (default 10000; docs/benchmarks.md uses 100000).
func benchIssues() int {
	if n, err := strconv.Atoi(os.Getenv("ERRATA_BENCH_ISSUES")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// populate writes synthetic issues [from, to) with their comments.
func populate(b *testing.B, st *store.Store, from, to int) {
	b.Helper()
	ctx := context.Background()
	const batch = 2000
	for start := from; start < to; start += batch {
		var issues []store.Issue
		var comments []store.Comment
		for i := start; i < min(start+batch, to); i++ {
			g := classify.GenIssue(i)
			raw, _ := json.Marshal(map[string]any{"number": g.Number})
			is := store.Issue{Repository: g.Repository, Number: g.Number, State: "open", Title: g.Title, Body: g.Body,
				HTMLURL: fmt.Sprintf("https://github.com/%s/issues/%d", g.Repository, g.Number), CreatedAt: g.CreatedAt,
				UpdatedAt: g.CreatedAt, Raw: raw, CommentCount: len(g.Comments)}
			issues = append(issues, is)
			for k, c := range g.Comments {
				comments = append(comments, store.Comment{Repository: g.Repository, IssueNumber: g.Number, SourceKey: "pos:" + strconv.Itoa(k+1),
					Body: c.Body, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt, Raw: []byte("{}")})
			}
		}
		if _, err := st.IssueUpsertMany(ctx, nil, issues); err != nil {
			b.Fatal(err)
		}
		if _, err := st.CommentUpsertMany(ctx, nil, comments); err != nil {
			b.Fatal(err)
		}
	}
}

// resetPeakRSS clears the kernel's peak-RSS mark (Linux), so peakRSS
// measures what follows.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns VmHWM in MB, or -1.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return -1
}

// BenchmarkClassifyStore classifies a store of synthetic issues (3 KB
// bodies with logs, traces, JSON errors and config blocks) end to end:
// read from PostgreSQL, extract, cluster, write signatures, clusters,
// members, fingerprints, daily counts and labels. "full" is the first
// classification of the whole store; "incremental-1k" adds 1000 new
// issues to the classified store and classifies them.
//
// ERRATA_BENCH_DATABASE_URL names a database to keep between runs (large
// stores take minutes to fill): it is migrated, filled up to the size
// when it holds fewer issues, and its classification (with any unfinished
// run record) is reset before the full run. Without it the benchmark uses a fresh test database.
func BenchmarkClassifyStore(b *testing.B) {
	n := benchIssues()
	ctx := context.Background()
	var st *store.Store
	have := 0
	if u := os.Getenv("ERRATA_BENCH_DATABASE_URL"); u != "" {
		st = storetest.Open(b, u)
		if _, err := storetest.Pool(st).Exec(ctx, `DELETE FROM issues WHERE number > $1`, n); err != nil {
			b.Fatal(err)
		}
		// The run records and word frequencies go too: a run record left
		// by a killed benchmark would be resumed, its batches assigned from
		// results extracted by the code of that time.
		if _, err := storetest.Pool(st).Exec(ctx, `TRUNCATE issue_signatures, issue_classification, cluster_members,
			cluster_redirects, cluster_daily_counts, cluster_fingerprints, clusters, classify_batches, classify_runs,
			classify_token_df CASCADE`); err != nil {
			b.Fatal(err)
		}
		if err := storetest.Pool(st).QueryRow(ctx, `SELECT count(*) FROM issues`).Scan(&have); err != nil {
			b.Fatal(err)
		}
	} else {
		st = storetest.New(b)
	}
	start := time.Now()
	populate(b, st, have, n)
	b.Logf("populated %d issues in %s", n-have, time.Since(start).Round(time.Millisecond))
	if _, err := storetest.Pool(st).Exec(ctx, `VACUUM ANALYZE issues`); err != nil {
		b.Fatal(err)
	}
	next := n
	b.Run(fmt.Sprintf("full-%d", n), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			resetPeakRSS()
			cpu := cpuSeconds()
			b.StartTimer()
			sum, err := classify.Run(ctx, st, classify.RunOptions{Rebuild: i > 0})
			b.StopTimer()
			b.ReportMetric(cpuSeconds()-cpu, "go-cpu-s")
			if err != nil {
				b.Fatal(err)
			}
			if sum.Classified != n {
				b.Fatalf("classified %d of %d", sum.Classified, n)
			}
			b.ReportMetric(peakRSS(), "peak-RSS-MB")
			logPhases(b, sum)
			b.ReportMetric(float64(sum.NewClusters), "clusters")
		}
	})
	// spread: a rebuild whose batches are all extracted through
	// ExtractBatch (as workers do) before the run assigns them: the CPU of
	// extraction per batch (what workers share) and of the one writer.
	b.Run(fmt.Sprintf("spread-%d", n), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var extractCPU float64
			batches := 0
			cpu := cpuSeconds()
			b.StartTimer()
			sum, err := classify.Run(ctx, st, classify.RunOptions{Rebuild: true, Spread: func(ctx context.Context, runID int64, bs []int) error {
				c := cpuSeconds()
				defer func() { extractCPU += cpuSeconds() - c }()
				for _, k := range bs {
					if _, err := classify.ExtractBatch(ctx, st, nil, runID, k, 0); err != nil {
						return err
					}
					batches++
				}
				return nil
			}})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			total := cpuSeconds() - cpu
			b.ReportMetric(total, "go-cpu-s")
			b.ReportMetric(extractCPU/float64(batches), "extract-cpu-s/batch")
			b.ReportMetric((total-extractCPU)/float64(batches), "assign-cpu-s/batch")
			b.ReportMetric(float64(batches), "batches")
			logPhases(b, sum)
		}
	})
	b.Run("incremental-1k", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			populate(b, st, next, next+1000)
			next += 1000
			resetPeakRSS()
			cpu := cpuSeconds()
			b.StartTimer()
			sum, err := classify.Run(ctx, st, classify.RunOptions{})
			b.StopTimer()
			b.ReportMetric(cpuSeconds()-cpu, "go-cpu-s")
			if err != nil {
				b.Fatal(err)
			}
			if sum.Classified != 1000 {
				b.Fatalf("classified %d, want 1000", sum.Classified)
			}
			b.ReportMetric(peakRSS(), "peak-RSS-MB")
			logPhases(b, sum)
		}
	})
}

func logPhases(b *testing.B, sum classify.RunSummary) {
	b.Helper()
	var parts []string
	for k, v := range sum.Phases {
		parts = append(parts, fmt.Sprintf("%s=%s", k, v.Round(time.Millisecond)))
	}
	b.Logf("phases: %s", strings.Join(parts, " "))
}

// cpuSeconds is the user+system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
