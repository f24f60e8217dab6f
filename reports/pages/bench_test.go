package pages

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// benchData fills a database with issues reports spread over clusters
// clusters (one comment per report, a third of them by a maintainer, a
// fix sentence in every tenth), generated in SQL so that a million rows
// load in well under a minute.
func benchData(b *testing.B, s *store.Store, issues, clusters int) {
	b.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO repositories (full_name) SELECT 'org' || g || '/tool' || g FROM generate_series(1, 200) g`,
		`INSERT INTO issues (repository_id, number, state, state_reason, title, body, author, author_association, html_url,
			comment_count, reactions_total, created_at, updated_at, closed_at, raw)
		SELECT r.id, g, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END, CASE WHEN g % 3 = 0 THEN 'completed' END,
			'connect ECONNREFUSED 127.0.0.1:' || (1000 + g % $2) || ' when starting tool ' || (g % $2),
			'Running tool ' || (g % $2) || ' version 1.' || (g % 7) || '.0 on Linux fails with' || chr(10) || chr(10) ||
			'` + "```" + `' || chr(10) || 'Error: connect ECONNREFUSED 127.0.0.1:' || (1000 + g % $2) || chr(10) || '` + "```" + `' || chr(10) || chr(10) ||
			'It started after the upgrade. I think it is because the server was not ready yet. Steps: start the server, run the tool, see the error.',
			'user' || g, 'NONE', 'https://github.com/org' || r.id || '/tool' || r.id || '/issues/' || g,
			1, g % 5, timestamptz '2026-01-01' + (g % 365) * interval '1 day', timestamptz '2026-01-01' + (g % 365) * interval '1 day',
			CASE WHEN g % 3 = 0 THEN timestamptz '2026-01-02' + (g % 365) * interval '1 day' END, '{}'
		FROM generate_series(1, $1) g JOIN repositories r ON r.id = 1 + g % 200`,
		`INSERT INTO comments (issue_id, source_key, author, author_association, body, html_url, created_at, updated_at, raw)
		SELECT i.id, 'pos:0', CASE WHEN i.number % 3 = 0 THEN 'maint' ELSE 'user' END,
			CASE WHEN i.number % 3 = 0 THEN 'OWNER' ELSE 'NONE' END,
			CASE WHEN i.number % 10 = 0 THEN 'This is fixed in v1.' || (i.number % 9) || '.2, please upgrade and let us know.'
				ELSE 'As a workaround you can set HOST=127.0.0.1 in the environment before starting the tool.' END,
			i.html_url || '#issuecomment-' || i.number, i.created_at + interval '1 day', i.created_at + interval '1 day', '{}'
		FROM issues i`,
		`INSERT INTO clusters (slug, title, signature, fingerprint, topic, category, tools, size)
		SELECT 'econnrefused-port-' || g, 'connect ECONNREFUSED on port ' || (1000 + g), 'connect ECONNREFUSED <ip>:<port> (' || g || ')',
			'v1:' || g, 'topic' || (g % 40), 'category' || (g % 12), ARRAY['tool' || g], 0
		FROM generate_series(0, $1 - 1) g`,
		`INSERT INTO cluster_members (issue_id, cluster_id, score, reason)
		SELECT i.id, c.id, 1, 'exact fingerprint' FROM issues i JOIN clusters c ON c.slug = 'econnrefused-port-' || (i.number % $1)`,
		`INSERT INTO issue_signatures (issue_id, rank, raw, normalized, fingerprint, source, score)
		SELECT i.id, 0, 'Error: connect ECONNREFUSED 127.0.0.1:' || (1000 + i.number % $1) || CASE WHEN i.number % 4 = 0 THEN ' (retry ' || (i.number % 3) || ')' ELSE '' END,
			'connect ECONNREFUSED <ip>:<port>', 'v1:x', 'body', 1 FROM issues i`,
		`UPDATE clusters c SET size = m.n FROM (SELECT cluster_id, count(*) n FROM cluster_members GROUP BY 1) m WHERE m.cluster_id = c.id`,
		// A database in steady state: vacuumed (hint bits set, visibility
		// map built) and checkpointed, so the timed runs do not pay for
		// the bulk load's write-back, as a scheduled run would not.
		`VACUUM ANALYZE`,
		`CHECKPOINT`,
	}
	for i, q := range stmts {
		var args []any
		switch i {
		case 1:
			args = []any{issues, clusters}
		case 3, 4, 5:
			args = []any{clusters}
		}
		if _, err := storetest.Pool(s).Exec(ctx, q, args...); err != nil {
			b.Fatalf("bench data step %d: %v", i, err)
		}
	}
	// The trend rollups are kept current by every trends and pages run;
	// building them from nothing is a one-time cost of a database, logged
	// here and left out of the timed runs.
	start := time.Now()
	if _, err := s.TrendRefresh(ctx); err != nil {
		b.Fatalf("bench data: trend rollups: %v", err)
	}
	b.Logf("trend rollups built from nothing in %s", time.Since(start).Round(time.Millisecond))
}

// cpuTime is the user and system CPU time of this process so far: with
// other work on the machine, it measures errata's own cost where wall time
// cannot. (PostgreSQL's work is in load-s.)
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkGenerate renders every page (hugo, charts on) for
// ERRATA_BENCH_CLUSTERS clusters (default 10000) over ERRATA_BENCH_ISSUES
// issues (default 100000; the target is 1000000). The first run writes
// every file; the timed runs find them unchanged, which is what a
// scheduled rerun does.
func BenchmarkGenerate(b *testing.B) {
	issues := envInt("ERRATA_BENCH_ISSUES", 100000)
	clusters := envInt("ERRATA_BENCH_CLUSTERS", 10000)
	s := storetest.New(b)
	start := time.Now()
	benchData(b, s, issues, clusters)
	b.Logf("generated %d issues in %d clusters in %s", issues, clusters, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	b.Run(fmt.Sprintf("first/issues=%d/clusters=%d", issues, clusters), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out := b.TempDir()
			cpu0 := cpuTime()
			res, err := Generate(ctx, s, Options{Out: out, Format: Hugo, MinSize: 2, Logger: benchLogger()})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
			if res.Pages != clusters {
				b.Fatalf("pages = %d, want %d", res.Pages, clusters)
			}
			b.ReportMetric(res.LoadTime.Seconds(), "load-s")
			b.ReportMetric(res.LoadWait.Seconds(), "load-wait-s")
		}
	})
	b.Run(fmt.Sprintf("first-nocharts/issues=%d/clusters=%d", issues, clusters), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out := b.TempDir()
			cpu0 := cpuTime()
			res, err := Generate(ctx, s, Options{Out: out, Format: Hugo, MinSize: 2, NoCharts: true})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
			b.ReportMetric(res.LoadTime.Seconds(), "load-s")
			b.ReportMetric(res.LoadWait.Seconds(), "load-wait-s")
		}
	})
	out := b.TempDir()
	if _, err := Generate(ctx, s, Options{Out: out, Format: Hugo, MinSize: 2}); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("rerun/issues=%d/clusters=%d", issues, clusters), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cpu0 := cpuTime()
			res, err := Generate(ctx, s, Options{Out: out, Format: Hugo, MinSize: 2, Full: true})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
			if res.Written != 0 {
				b.Fatalf("rerun wrote %d files", res.Written)
			}
			b.ReportMetric(res.LoadTime.Seconds(), "load-s")
			b.ReportMetric(res.LoadWait.Seconds(), "load-wait-s")
		}
	})
	// Incremental: before each run, ERRATA_BENCH_CHANGED clusters
	// (default 1000) change, then the run renders only the pages whose
	// inputs changed. "comments": a new comment on a report of each, dated
	// before the newest evidence: only their pages change. "reports": a new
	// report in each, seconds after the newest evidence (the same as-of
	// day), as after a sync: their report counts change, and so does every
	// page whose related list shows one of them.
	changed := min(envInt("ERRATA_BENCH_CHANGED", 1000), clusters)
	next := issues
	for _, kind := range []string{"comments", "reports"} {
		b.Run(fmt.Sprintf("incremental-%s/issues=%d/clusters=%d/changed=%d", kind, issues, clusters, changed), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if kind == "comments" {
					benchNewComments(b, s, next, changed, clusters)
				} else {
					benchNewReports(b, s, next, changed, clusters)
				}
				next += changed
				b.StartTimer()
				cpu0 := cpuTime()
				res, err := Generate(ctx, s, Options{Out: out, Format: Hugo, MinSize: 2, Logger: benchLogger()})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
				if res.Full || res.Rendered < changed {
					b.Fatalf("incremental run: full %v (%s), rendered %d of %d with %d changed", res.Full, res.FullReason, res.Rendered, clusters, changed)
				}
				b.ReportMetric(float64(res.Rendered), "rendered")
				b.ReportMetric(res.LoadTime.Seconds(), "load-s")
			}
		})
	}
}

// benchNewComments adds a comment to one report in each of n clusters
// spread over all of them by a prime stride, dated a day before the newest
// evidence.
func benchNewComments(b *testing.B, s *store.Store, first, n, clusters int) {
	b.Helper()
	_, err := storetest.Pool(s).Exec(context.Background(), `
		WITH asof AS (SELECT greatest((SELECT max(created_at) FROM issues), (SELECT max(created_at) FROM comments)) AS t),
		target AS (SELECT DISTINCT ON (c.id) cm.issue_id
			FROM generate_series(1, $2::int) g
			JOIN clusters c ON c.slug = 'econnrefused-port-' || ((($1::int + g)::bigint * 7919) % $3::int)
			JOIN cluster_members cm ON cm.cluster_id = c.id
			ORDER BY c.id, cm.issue_id)
		INSERT INTO comments (issue_id, source_key, author, author_association, body, html_url, created_at, updated_at, raw)
		SELECT t.issue_id, 'bench:' || $1::int, 'someone', 'NONE', 'Same here since the upgrade.', 'https://github.com/org1/tool1/issues/1#c' || $1::int,
			asof.t - interval '1 day', asof.t - interval '1 day', '{}'
		FROM target t, asof`, first, n, clusters)
	if err != nil {
		b.Fatalf("new comments: %v", err)
	}
}

// benchNewReports adds n reports after the newest evidence, numbered from
// first+1, one in each of n clusters spread over all of them (and so over
// the topics) by a prime stride.
func benchNewReports(b *testing.B, s *store.Store, first, n, clusters int) {
	b.Helper()
	_, err := storetest.Pool(s).Exec(context.Background(), `
		WITH asof AS (SELECT greatest((SELECT max(created_at) FROM issues), (SELECT max(created_at) FROM comments)) AS t),
		i AS (INSERT INTO issues (repository_id, number, state, title, body, author, author_association, html_url,
				comment_count, reactions_total, created_at, updated_at, raw)
			SELECT (SELECT min(id) FROM repositories), $1::int + g, 'open', 'connect ECONNREFUSED when starting tool again',
				'It fails again with connect ECONNREFUSED after the restart.', 'user' || g, 'NONE',
				'https://github.com/org1/tool1/issues/' || ($1::int + g), 0, 0, asof.t + g * interval '1 second', asof.t + g * interval '1 second', '{}'
			FROM generate_series(1, $2::int) g, asof
			RETURNING id, number),
		m AS (INSERT INTO cluster_members (issue_id, cluster_id, score, reason)
			SELECT i.id, c.id, 1, 'exact fingerprint' FROM i
			JOIN clusters c ON c.slug = 'econnrefused-port-' || (((i.number - $1::int)::bigint * 7919) % $3::int))
		INSERT INTO issue_signatures (issue_id, rank, raw, normalized, fingerprint, source, score)
		SELECT id, 0, 'Error: connect ECONNREFUSED 127.0.0.1:1000', 'connect ECONNREFUSED <ip>:<port>', 'v1:x', 'body', 1 FROM i`,
		first, n, clusters)
	if err != nil {
		b.Fatalf("new reports: %v", err)
	}
}

// BenchmarkRenderCluster renders pages from evidence already in memory:
// the CPU cost of one page without the database, the charts or the disk.
// Each cluster has 25 reports (Options.MaxSources) with one comment each,
// as in BenchmarkGenerate at a million issues.
func BenchmarkRenderCluster(b *testing.B) {
	const clusters = 400
	s := storetest.New(b)
	benchData(b, s, clusters*25, clusters)
	ctx := context.Background()
	list, err := s.PageClusterList(ctx)
	if err != nil {
		b.Fatal(err)
	}
	asOf, err := s.PageAsOf(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: ids, AsOf: asOf,
		MaxSources: 25, MaxVariants: maxVariants, MaxComments: 20, BodyBytes: 6000})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &list[i%len(list)]
		ev := evs[c.ID]
		if ev == nil {
			b.Fatalf("cluster %d has no evidence", c.ID)
		}
		pd := &pageData{c: c, ev: ev, slug: c.Slug, path: "category/" + c.Slug, asOf: asOf}
		if md := renderCluster(Hugo, pd); len(md) == 0 {
			b.Fatal("empty page")
		}
	}
}

// benchLogger logs the phases of a run to stderr when ERRATA_BENCH_LOG is
// set, nil otherwise.
func benchLogger() *slog.Logger {
	if os.Getenv("ERRATA_BENCH_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
