package classify_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store/storetest"
)

// BenchmarkClassifyExisting classifies an existing store from scratch: the
// store named by ERRATA_BENCH_DATABASE_URL (for example the scale store of
// runner/testdata/scale.sql, see docs/benchmarks.md, production) has its
// classification cleared and is classified as on its first run. Use it
// with -cpuprofile to see where a large store's first classify goes:
//
//	ERRATA_BENCH_DATABASE_URL=postgres://... go test ./classify/ -run '^$' \
//	  -bench BenchmarkClassifyExisting -benchtime 1x -cpuprofile /tmp/cpu.out
//
// Without the variable it is skipped (it never fills a store itself).
func BenchmarkClassifyExisting(b *testing.B) {
	u := os.Getenv("ERRATA_BENCH_DATABASE_URL")
	if u == "" {
		b.Skip("ERRATA_BENCH_DATABASE_URL names the store to classify")
	}
	ctx := context.Background()
	st := storetest.Open(b, u)
	var log *slog.Logger
	if os.Getenv("ERRATA_BENCH_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := storetest.Pool(st).Exec(ctx, `TRUNCATE issue_signatures, issue_classification, cluster_members,
			cluster_redirects, cluster_daily_counts, cluster_fingerprints, clusters, classify_token_df CASCADE`); err != nil {
			b.Fatal(err)
		}
		if _, err := storetest.Pool(st).Exec(ctx, `VACUUM ANALYZE issues`); err != nil {
			b.Fatal(err)
		}
		resetPeakRSS()
		cpu := cpuSeconds()
		b.StartTimer()
		sum, err := classify.Run(ctx, st, classify.RunOptions{Logger: log})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(cpuSeconds()-cpu, "go-cpu-s")
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
		b.ReportMetric(float64(sum.Classified), "issues")
		b.ReportMetric(float64(sum.NewClusters), "clusters")
		logPhases(b, sum)
	}
}
