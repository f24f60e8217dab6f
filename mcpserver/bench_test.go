package mcpserver_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/mcpserver"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// Benchmark data: synthetic issues written for this benchmark, from
// benchFamilies error families (a few coded errors and many made-up
// component/action/object messages with variable parts), Zipf-like in
// size, each with a short body and a fenced log, and up to three comments
// stating fixes, workarounds or causes.

const benchFamilies = 2000

var benchCoded = []string{
	"Error: connect ECONNREFUSED 10.0.%d.1:5432",
	"Error: getaddrinfo ENOTFOUND registry-%d.internal",
	"HTTP 503 Service Unavailable from upstream pool %d",
	"panic: assignment to entry in nil map (goroutine %d)",
	"OSError: [Errno 24] Too many open files: '/var/run/app/%d.sock'",
	"fatal error: concurrent map writes at worker %d",
}

func benchTemplate(n int) string {
	if n < len(benchCoded) {
		return benchCoded[n]
	}
	comps := []string{"indexer", "uploader", "scheduler", "bridge", "renderer", "vault client", "sync agent", "plugin loader",
		"cache warmer", "gateway", "notifier", "compactor", "tokenizer", "archiver", "mirror", "linker"}
	acts := []string{"could not open", "gave up reading", "failed to decode", "timed out flushing", "refused to mount",
		"lost the lease on", "cannot checksum", "failed to rotate", "could not reserve", "aborted while copying"}
	objs := []string{"segment file", "build cache", "credential store", "message queue", "state snapshot", "module graph",
		"audit log", "thumbnail set", "search shard", "profile bundle", "patch series", "upload chunk", "lock table"}
	c := comps[n%len(comps)]
	a := acts[(n/len(comps))%len(acts)]
	o := objs[(n/(len(comps)*len(acts)))%len(objs)]
	name := strings.ReplaceAll(strings.ToUpper(c[:1])+c[1:], " ", "")
	return fmt.Sprintf("%sFault: %s %s %s (attempt %%d)", name, c, a, o)
}

var benchFixes = []string{
	"Upgrading to 3.%d.0 fixed it for me.",
	"As a workaround, set APP_RETRIES=%d in the config file and restart.",
	"This happens because the lock file is left behind after a crash on run %d.",
	"Fixed in v4.%d.2, please update.",
	"Same here, any update on this? (%d)",
}

func benchIssue(i int) (store.Issue, []store.Comment) {
	r := rand.New(rand.NewSource(int64(i)*104729 + 7))
	fam := r.Intn(benchFamilies)
	if r.Intn(2) == 0 {
		fam = r.Intn(50)
	}
	msg := fmt.Sprintf(benchTemplate(fam), r.Intn(90000))
	repo := fmt.Sprintf("org%d/project%d", r.Intn(400), r.Intn(4))
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 6 * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "After updating to %d.%d the job stopped working on %s.\n\n", r.Intn(5), r.Intn(20), []string{"Linux", "macOS", "Windows"}[r.Intn(3)])
	b.WriteString("```\n")
	for k := 0; k < 4; k++ {
		fmt.Fprintf(&b, "2025-06-%02d 10:%02d:%02d INFO step %d done in %dms\n", 1+r.Intn(28), r.Intn(60), r.Intn(60), k, r.Intn(900))
	}
	fmt.Fprintf(&b, "2025-06-11 10:22:31 ERROR %s\n```\n\nSteps: run the job twice in a row.\n", msg)
	title := msg
	if len(title) > 90 {
		title = title[:90]
	}
	if r.Intn(2) == 0 {
		title = fmt.Sprintf("Job %d fails after the update", r.Intn(1000))
	}
	is := store.Issue{Repository: repo, Number: i + 1, State: "open", Title: title, Body: b.String(),
		Author: "user" + strconv.Itoa(r.Intn(5000)), AuthorAssociation: "NONE",
		HTMLURL:   fmt.Sprintf("https://github.com/%s/issues/%d", repo, i+1),
		CreatedAt: created, UpdatedAt: created, Raw: []byte(`{}`)}
	var cs []store.Comment
	for k := r.Intn(4); k > 0; k-- {
		assoc := "NONE"
		if r.Intn(3) == 0 {
			assoc = "MEMBER"
		}
		at := created.Add(time.Duration(k) * 3 * time.Hour)
		cs = append(cs, store.Comment{Repository: repo, IssueNumber: i + 1, SourceKey: "pos:" + strconv.Itoa(k),
			Author: "helper" + strconv.Itoa(r.Intn(300)), AuthorAssociation: assoc, Body: fmt.Sprintf(benchFixes[r.Intn(len(benchFixes))], r.Intn(30)),
			HTMLURL: fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", repo, i+1, k), CreatedAt: at, UpdatedAt: at, Raw: []byte(`{}`)})
	}
	is.CommentCount = len(cs)
	return is, cs
}

func benchPopulate(b *testing.B, st *store.Store, from, to int) {
	b.Helper()
	ctx := context.Background()
	for start := from; start < to; start += 2000 {
		var issues []store.Issue
		var comments []store.Comment
		for i := start; i < min(start+2000, to); i++ {
			is, cs := benchIssue(i)
			issues = append(issues, is)
			comments = append(comments, cs...)
		}
		if _, err := st.IssueUpsertMany(ctx, nil, issues); err != nil {
			b.Fatal(err)
		}
		if _, err := st.CommentUpsertMany(ctx, nil, comments); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchError measures match_error end to end (the SDK's client
// over an in-memory transport, JSON in and out, schema validation) on a
// store of ERRATA_BENCH_ISSUES issues (default 10000; docs/benchmarks.md
// uses 100000), pasting texts of known and unknown errors in turn. It
// reports the p50, p95 and p99 latency of one call.
//
// ERRATA_BENCH_DATABASE_URL names a database to keep between runs: it is
// filled and classified when it holds fewer issues than asked for.
func BenchmarkMatchError(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ERRATA_BENCH_ISSUES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	var st *store.Store
	have := 0
	if u := os.Getenv("ERRATA_BENCH_DATABASE_URL"); u != "" {
		st = storetest.Open(b, u)
		if err := storetest.Pool(st).QueryRow(ctx, `SELECT count(*) FROM issues`).Scan(&have); err != nil {
			b.Fatal(err)
		}
	} else {
		st = storetest.New(b)
	}
	if have < n {
		t0 := time.Now()
		benchPopulate(b, st, have, n)
		b.Logf("populated %d issues in %s", n-have, time.Since(t0).Round(time.Millisecond))
		t0 = time.Now()
		sum, err := classify.Run(ctx, st, classify.RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("classified %d issues into %d new clusters in %s", sum.Classified, sum.NewClusters, time.Since(t0).Round(time.Millisecond))
		if _, err := storetest.Pool(st).Exec(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		if _, err := st.TrendRefresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var clusters int
	if err := storetest.Pool(st).QueryRow(ctx, `SELECT count(*) FROM clusters WHERE status = 'active'`).Scan(&clusters); err != nil {
		b.Fatal(err)
	}
	b.Logf("store: %d issues, %d active clusters", n, clusters)

	srv := mcpserver.New(mcpserver.Options{Store: st})
	ct, stt := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, stt, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()

	// Pasted texts: known families with fresh variable parts, wrapped in
	// a few lines of context, and some errors errata has never seen.
	r := rand.New(rand.NewSource(1))
	var texts []string
	for k := 0; k < 200; k++ {
		msg := fmt.Sprintf(benchTemplate(r.Intn(benchFamilies)), r.Intn(90000))
		if k%5 == 4 {
			msg = fmt.Sprintf("UnheardOfError%d: the flux %d inverter stalled", k, r.Intn(100))
		}
		texts = append(texts, "$ job run --all\n"+msg+"\n    at runner.step (runner.js:12:5)\nexit status 1")
	}
	call := func(i int) time.Duration {
		t0 := time.Now()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "match_error", Arguments: map[string]any{"text": texts[i%len(texts)]}})
		d := time.Since(t0)
		if err != nil || res.IsError {
			b.Fatalf("match_error: %v %+v", err, res)
		}
		return d
	}
	// Sub-benchmarks, so the store above is built once however often the
	// timed parts run. "warm": as errata mcp runs, after its background
	// warm-up of the cluster cache (timed here once). "uncached": the
	// cache dropped before every call, so each call loads its clusters'
	// counts and fixes from the database.
	t0 := time.Now()
	if err := srv.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("warm-up of the cluster cache: %s", time.Since(t0).Round(time.Millisecond))
	call(0) // and the trend states
	measure := func(name string, before func()) {
		b.Run(fmt.Sprintf("%s/issues-%d", name, n), func(b *testing.B) {
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				before()
				lat = append(lat, call(i))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
	measure("warm", func() {})
	measure("uncached", srv.DropCache)
}
