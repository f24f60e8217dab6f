package classify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

var t0 = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

func issue(repo string, n int, title, body string, created time.Time) store.Issue {
	return store.Issue{
		Repository: repo, Number: n, State: "open", Title: title, Body: body,
		HTMLURL:   fmt.Sprintf("https://github.com/%s/issues/%d", repo, n),
		CreatedAt: created, UpdatedAt: created, Raw: []byte(fmt.Sprintf(`{"n":%d,"t":%q}`, n, title)),
	}
}

func upsert(t *testing.T, st *store.Store, issues ...store.Issue) {
	t.Helper()
	if _, err := st.IssueUpsertMany(context.Background(), nil, issues); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, st *store.Store, rebuild bool) classify.RunSummary {
	t.Helper()
	sum, err := classify.Run(context.Background(), st, classify.RunOptions{Rebuild: rebuild, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// clusterOf returns the active cluster holding the issue's URL.
func clusterOf(t *testing.T, st *store.Store, url string) *store.ClusterInfo {
	t.Helper()
	ctx := context.Background()
	cs, err := st.ClusterList(ctx, store.ClusterListParams{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	det, err := st.ClusterDetailsGet(ctx, ids, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		for _, m := range det[c.ID].Members {
			if m == url {
				return &cs[i]
			}
		}
	}
	return nil
}

func TestRunIncrementalStableIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	upsert(t, st,
		issue("acme/cli", 1, "Refresh fails with invalid_grant", "The token endpoint answers `invalid_grant` every morning.", t0),
		issue("beta/app", 2, "Session expires", "```\n{\"error\":\"invalid_grant\",\"error_description\":\"refresh token revoked\"}\n```", t0.Add(26*time.Hour)),
		issue("acme/cli", 3, "Feature: export to CSV", "Would be nice to export the table.", t0.Add(50*time.Hour)),
		issue("gamma/srv", 4, "Dev server: listen EADDRINUSE", "Error: listen EADDRINUSE: address already in use :::8080", t0.Add(2*time.Hour)),
	)
	if _, err := st.CommentUpsertMany(ctx, nil, []store.Comment{
		{Repository: "beta/app", IssueNumber: 2, SourceKey: "pos:1", Body: "same here", CreatedAt: t0.Add(49 * time.Hour), UpdatedAt: t0.Add(49 * time.Hour)},
		{Repository: "beta/app", IssueNumber: 2, SourceKey: "pos:2", Body: "+1", CreatedAt: t0.Add(50 * time.Hour), UpdatedAt: t0.Add(50 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	sum := run(t, st, false)
	if sum.Classified != 4 || sum.Clustered != 3 || sum.Unclustered != 1 || sum.NewClusters != 2 {
		t.Fatalf("first run: %+v", sum)
	}
	grant := clusterOf(t, st, "https://github.com/acme/cli/issues/1")
	if grant == nil || grant.Size != 2 || grant.Topic != "auth" || !strings.Contains(grant.TopicReason, "oauth:invalid_grant") {
		t.Fatalf("grant cluster: %+v", grant)
	}
	if clusterOf(t, st, "https://github.com/acme/cli/issues/3") != nil {
		t.Fatal("feature request was clustered")
	}
	if grant.Slug == "" || grant.Slug != classify.Slugify(grant.Slug) {
		t.Errorf("slug %q", grant.Slug)
	}
	days, err := st.ClusterDailyCountsGet(ctx, grant.ID)
	if err != nil {
		t.Fatal(err)
	}
	// reports on 06-01 and 06-02; comments on 06-03 (two)
	want := map[string][2]int{"2025-06-01": {1, 0}, "2025-06-02": {1, 0}, "2025-06-03": {0, 2}}
	if len(days) != len(want) {
		t.Fatalf("daily counts %+v", days)
	}
	for _, d := range days {
		w := want[d.Day.Format("2006-01-02")]
		if d.Reports != w[0] || d.Comments != w[1] {
			t.Errorf("day %s: %+v, want %v", d.Day.Format("2006-01-02"), d, w)
		}
	}

	// Nothing changed: nothing is reclassified.
	sum = run(t, st, false)
	if sum.Considered != 0 || sum.Classified != 0 {
		t.Fatalf("second run: %+v", sum)
	}

	// A new report joins the existing cluster; ids and slugs stay.
	upsert(t, st, issue("delta/tool", 5, "OAuth: invalid_grant after password change", "Got invalid_grant from the provider.", t0.Add(72*time.Hour)))
	sum = run(t, st, false)
	if sum.Classified != 1 || sum.NewClusters != 0 || sum.Touched != 1 {
		t.Fatalf("third run: %+v", sum)
	}
	again := clusterOf(t, st, "https://github.com/delta/tool/issues/5")
	if again == nil || again.ID != grant.ID || again.Slug != grant.Slug || again.Size != 3 {
		t.Fatalf("new report: %+v, want cluster %d", again, grant.ID)
	}

	// A rebuild recomputes everything and keeps ids and slugs.
	sum = run(t, st, true)
	if sum.Classified != 5 || sum.NewClusters != 0 || sum.Merged+sum.Split+sum.Dissolved != 0 {
		t.Fatalf("rebuild: %+v", sum)
	}
	rebuilt := clusterOf(t, st, "https://github.com/acme/cli/issues/1")
	if rebuilt == nil || rebuilt.ID != grant.ID || rebuilt.Slug != grant.Slug || rebuilt.Size != 3 {
		t.Fatalf("rebuilt: %+v want id %d", rebuilt, grant.ID)
	}
}

func TestRunMergeAndSplitRedirects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	upsert(t, st,
		issue("a/one", 1, "Error: widget registry could not load plugin manifest", "Happens at start.", t0),
		issue("a/two", 2, "Error: widget registry could not load plugin manifest for theme", "Same.", t0.Add(time.Hour)),
		issue("b/one", 3, "Port busy: EADDRINUSE", "listen EADDRINUSE: address already in use :::3000", t0.Add(2*time.Hour)),
		issue("c/one", 4, "Token refresh: invalid_grant", "invalid_grant from the token endpoint", t0.Add(3*time.Hour)),
	)
	run(t, st, false)
	widget := clusterOf(t, st, "https://github.com/a/one/issues/1")
	port := clusterOf(t, st, "https://github.com/b/one/issues/3")
	if widget == nil || widget.Size != 2 || port == nil {
		t.Fatalf("setup: %+v %+v", widget, port)
	}
	// Both widget reports turn out to be port clashes: the widget cluster
	// empties into the port cluster: a merge.
	later := t0.Add(48 * time.Hour)
	w1 := issue("a/one", 1, "Error: widget registry could not load plugin manifest", "Root cause: listen EADDRINUSE: address already in use :::9000", t0)
	w2 := issue("a/two", 2, "Error: widget registry could not load plugin manifest for theme", "Log: EADDRINUSE address already in use", t0.Add(time.Hour))
	w1.Title, w2.Title = "Port clash EADDRINUSE at start", "EADDRINUSE again"
	w1.UpdatedAt, w2.UpdatedAt = later, later
	w1.Raw, w2.Raw = []byte(`{"v":2}`), []byte(`{"v":3}`)
	upsert(t, st, w1, w2)
	sum := run(t, st, false)
	if sum.Merged != 1 {
		t.Fatalf("merge run: %+v", sum)
	}
	got, err := st.ClusterGet(ctx, widget.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "merged" || got.MergedInto == nil || *got.MergedInto != port.ID {
		t.Fatalf("widget cluster after merge: %+v", got)
	}
	reds, err := st.ClusterRedirectsList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reds) != 1 || reds[0] != (store.ClusterRedirect{OldID: widget.ID, NewID: port.ID, Kind: "merge"}) {
		t.Fatalf("redirects %+v", reds)
	}
	merged := clusterOf(t, st, "https://github.com/b/one/issues/3")
	if merged.Size != 3 {
		t.Errorf("port cluster size %d, want 3", merged.Size)
	}
	days, err := st.ClusterDailyCountsGet(ctx, widget.ID)
	if err != nil || len(days) != 0 {
		t.Errorf("merged cluster keeps daily counts: %+v %v", days, err)
	}
	days, err = st.ClusterDailyCountsGet(ctx, port.ID)
	if err != nil || len(days) != 1 || days[0].Reports != 3 {
		t.Errorf("surviving cluster counts: %+v %v", days, err)
	}

	// Split: the port cluster's reports go two ways.
	later = later.Add(24 * time.Hour)
	var ups []store.Issue
	for i, u := range []struct{ repo, title, body string }{
		{"a/one", "Token refresh: invalid_grant", "invalid_grant"},
		{"a/two", "Token refresh: invalid_grant", "invalid_grant"},
		{"b/one", "MCP error -32001: Request timed out", "The tool call never returns."},
	} {
		n := i + 1
		if u.repo == "b/one" {
			n = 3
		}
		is := issue(u.repo, n, u.title, u.body, t0.Add(time.Duration(n-1)*time.Hour))
		is.UpdatedAt, is.Raw = later, []byte(fmt.Sprintf(`{"split":%d}`, n))
		ups = append(ups, is)
	}
	upsert(t, st, ups...)
	sum = run(t, st, false)
	if sum.Split != 1 || sum.NewClusters != 1 {
		t.Fatalf("split run: %+v", sum)
	}
	got, err = st.ClusterGet(ctx, fmt.Sprint(port.ID))
	if err != nil || got.Status != "dissolved" {
		t.Fatalf("port cluster after split: %+v %v", got, err)
	}
	reds, _ = st.ClusterRedirectsList(ctx)
	kinds := map[string]int{}
	for _, r := range reds {
		if r.OldID == port.ID {
			kinds[r.Kind]++
		}
	}
	if kinds["split"] != 2 {
		t.Fatalf("split redirects %+v", reds)
	}
}

// A run times the steps before its first batch (the lock, selecting the
// issues, loading word frequencies and clusters) as it does the others,
// and logs every phase at debug level.
func TestRunPhases(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	upsert(t, st, issue("acme/cli", 1, "Refresh fails with invalid_grant", "The token endpoint answers `invalid_grant`.", t0))
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, name := range []string{"first run", "incremental run"} {
		buf.Reset()
		sum, err := classify.Run(context.Background(), st, classify.RunOptions{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"lock", "select", "load:weights", "load:clusters", "finish:refresh"} {
			if _, ok := sum.Phases[p]; !ok {
				t.Errorf("%s: no phase %q in %v", name, p, sum.Phases)
			}
			if !strings.Contains(buf.String(), " "+p+"=") {
				t.Errorf("%s: phase %q not logged:\n%s", name, p, buf.String())
			}
		}
		for _, msg := range []string{`msg="classify step" step=select`, `msg="classify phases"`} {
			if !strings.Contains(buf.String(), msg) {
				t.Errorf("%s: no %s in the log:\n%s", name, msg, buf.String())
			}
		}
		upsert(t, st, issue("acme/cli", 2, "Refresh fails again with invalid_grant", "invalid_grant from the token endpoint.", t0.Add(time.Hour)))
	}
}
