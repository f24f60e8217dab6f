package trends_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store/storetest"
)

// BenchmarkCompute measures `errata trends` (trends.Compute: rollup refresh
// check, cluster list, bucket query, tests, states) over about 1M reports
// in 5,000 clusters, generated straight into cluster_daily_counts (and the
// per-repository rollup, for --by repo) over 1,000 days, with a fix
// moment for one cluster in five. Run with
//
//	go test ./reports/trends -run '^$' -bench Compute -benchtime 20x
func BenchmarkCompute(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	setup := []string{
		`SELECT setseed(0.42)`,
		`INSERT INTO repositories (full_name) SELECT 'org' || g || '/repo' || g FROM generate_series(1, 50) g`,
		`INSERT INTO clusters (slug, title, signature, fingerprint, topic, category, tools)
		 SELECT 'cluster-' || g, 'Cluster ' || g, 's' || g, 'v1:' || g, 'topic' || (g % 40), 'cat' || (g % 12),
		        ARRAY['tool' || (g % 60), 'tool' || (g % 7)]
		 FROM generate_series(1, 5000) g`,
		// ~150 distinct days per cluster, 1-2 reports a day (avg 1.35).
		`INSERT INTO cluster_daily_counts (cluster_id, day, reports, comments, reactions)
		 SELECT c.id, d.day, 1 + (random() * 0.7)::int, (random() * 3)::int, (random() * 2)::int
		 FROM clusters c CROSS JOIN LATERAL (
		     SELECT DISTINCT DATE '2024-01-05' + (random() * 999 + c.id * 0)::int AS day FROM generate_series(1, 170)
		 ) d`,
		`INSERT INTO trend_repo_daily_counts (cluster_id, repository_id, day, reports, comments, reactions)
		 SELECT cluster_id, 1 + (cluster_id % 50), day, reports, comments, reactions FROM cluster_daily_counts`,
		`INSERT INTO trend_cluster_fixes (cluster_id, fixed_at, fixed_issue_id)
		 SELECT id, TIMESTAMPTZ '2026-06-01' + (id % 120) * interval '1 day', id FROM clusters WHERE id % 5 = 0`,
		`DELETE FROM trend_dirty`,
		`VACUUM ANALYZE cluster_daily_counts`,
		`VACUUM ANALYZE trend_repo_daily_counts`,
		`VACUUM ANALYZE trend_cluster_fixes`,
		`VACUUM ANALYZE clusters`,
	}
	for _, q := range setup {
		if _, err := storetest.Pool(s).Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	var reports, rows int
	if err := storetest.Pool(s).QueryRow(ctx, `SELECT sum(reports), count(*) FROM cluster_daily_counts`).Scan(&reports, &rows); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d reports in %d daily rows, 5000 clusters", reports, rows)
	asOf := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		q    trends.Query
	}{
		{"by=cluster", trends.Query{AsOf: asOf, Top: 20}},
		{"by=topic", trends.Query{AsOf: asOf, By: trends.ByTopic, Top: 20}},
		{"by=tool", trends.Query{AsOf: asOf, By: trends.ByTool, Top: 20}},
		{"by=repo", trends.Query{AsOf: asOf, By: trends.ByRepo, Top: 20}},
		{"by=cluster,signal=activity,window=7d", trends.Query{AsOf: asOf, Top: 20, WindowDays: 7, Signal: trends.SignalActivity}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				rep, err := trends.Compute(ctx, s, bc.q)
				if err != nil {
					b.Fatal(err)
				}
				n = rep.Groups
			}
			// The client's own CPU per run (the rest of the wall time is
			// the server's work and waiting for a core).
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "client-cpu-ms/op")
			b.ReportMetric(float64(n), "groups")
		})
	}
}

// BenchmarkRefresh measures store.TrendRefresh, the rollup upkeep each
// `errata trends` starts with, over 200,000 issues in 1,000 clusters (a
// third closed as fixed): a full rebuild, the incremental refresh after
// classify touched 10 clusters (2,000 issues), nothing to do, and 1,000
// new members with a comment each. Run with
//
//	go test ./reports/trends -run '^$' -bench Refresh -benchtime 5x
func BenchmarkRefresh(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO repositories (full_name) SELECT 'org' || g || '/repo' || g FROM generate_series(1, 50) g`,
		`INSERT INTO clusters (slug, title, signature, fingerprint) SELECT 'c' || g, 't', 's', 'v1:' || g FROM generate_series(1, 1000) g`,
		`INSERT INTO issues (repository_id, number, state, state_reason, title, html_url, created_at, updated_at, closed_at, raw)
		 SELECT 1 + g % 50, g, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END, CASE WHEN g % 3 = 0 THEN 'completed' END, 't', 'u' || g,
		        TIMESTAMPTZ '2024-01-05' + (g % 1000) * interval '1 day', now(),
		        CASE WHEN g % 3 = 0 THEN TIMESTAMPTZ '2024-01-05' + (g % 1000 + 5) * interval '1 day' END, '{}'
		 FROM generate_series(1, 200000) g`,
		`INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw)
		 SELECT id, 'pos:0', created_at + interval '1 day', now(), '{}' FROM issues WHERE id % 2 = 0`,
		`INSERT INTO cluster_members (issue_id, cluster_id, score, reason) SELECT id, 1 + id % 1000, 1, 'b' FROM issues`,
		`ANALYZE`,
	} {
		if _, err := storetest.Pool(s).Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	for _, bc := range []struct{ name, mark string }{
		{"full", `INSERT INTO trend_dirty VALUES (0) ON CONFLICT DO NOTHING`},
		{"10-clusters", `INSERT INTO trend_dirty SELECT g FROM generate_series(1, 10) g ON CONFLICT DO NOTHING`},
		{"nothing", `SELECT 1`},
		// 1,000 new issues with a comment each join existing clusters, as
		// after a sync and an incremental classify: counts are added.
		{"1000-members-added", `WITH n AS (SELECT max(number) AS m FROM issues), i AS (
			INSERT INTO issues (repository_id, number, state, title, html_url, created_at, updated_at, raw)
			SELECT 1 + g % 50, n.m + g, 'open', 't', 'u' || (n.m + g), TIMESTAMPTZ '2026-10-01' + g * interval '1 minute', now(), '{}'
			FROM n, generate_series(1, 1000) g RETURNING id, created_at
		), c AS (
			INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw)
			SELECT id, 'pos:0', created_at + interval '1 hour', now(), '{}' FROM i
		)
		INSERT INTO cluster_members (issue_id, cluster_id, score, reason) SELECT id, 1 + id % 1000, 1, 'b' FROM i`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if _, err := s.TrendRefresh(ctx); err != nil { // start clean
					b.Fatal(err)
				}
				if _, err := storetest.Pool(s).Exec(ctx, bc.mark); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := s.TrendRefresh(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWeeklyChartSVG measures one chart as the error pages draw it: 26
// weeks, the last four current, a title of typical length (pages truncate
// titles to 70 characters). Run with
//
//	go test ./reports/trends -run '^$' -bench WeeklyChartSVG -benchmem
func BenchmarkWeeklyChartSVG(b *testing.B) {
	weeks := benchWeeks()
	const title = "TypeError: Cannot read properties of undefined (reading 'map')"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := trends.WeeklyChartSVG(weeks, title); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWeeks is the weekly series of a chart as reports/pages builds it.
func benchWeeks() []trends.WeekCount {
	start, err := trends.ParseDay("2026-03-30")
	if err != nil {
		panic(err)
	}
	weeks := make([]trends.WeekCount, 26)
	for i := range weeks {
		weeks[i] = trends.WeekCount{Start: start.AddDays(7 * i), Current: i >= 22,
			Counts: trends.Counts{Reports: (i*7 + 3) % 11}}
	}
	return weeks
}
