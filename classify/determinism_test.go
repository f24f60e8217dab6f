package classify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// genStore fills st with synthetic issues [0, n) (GenIssue is seeded by
// the issue index, so every call writes the same data).
func genStore(t *testing.T, st *store.Store, n int) {
	t.Helper()
	var issues []store.Issue
	var comments []store.Comment
	for i := 0; i < n; i++ {
		g := classify.GenIssue(i)
		raw, _ := json.Marshal(map[string]any{"number": g.Number})
		issues = append(issues, store.Issue{Repository: g.Repository, Number: g.Number, State: "open", Title: g.Title, Body: g.Body,
			HTMLURL: fmt.Sprintf("https://github.com/%s/issues/%d", g.Repository, g.Number), CreatedAt: g.CreatedAt,
			UpdatedAt: g.CreatedAt, Raw: raw, CommentCount: len(g.Comments)})
		for k, c := range g.Comments {
			comments = append(comments, store.Comment{Repository: g.Repository, IssueNumber: g.Number, SourceKey: "pos:" + strconv.Itoa(k+1),
				Body: c.Body, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt, Raw: []byte("{}")})
		}
	}
	ctx := context.Background()
	if _, err := st.IssueUpsertMany(ctx, nil, issues); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CommentUpsertMany(ctx, nil, comments); err != nil {
		t.Fatal(err)
	}
}

// grouping is a store's classification as text: one line per active
// cluster (slug, signature, fingerprint, size, sorted member URLs), the
// lines sorted, so two stores compare line by line.
func grouping(t *testing.T, st *store.Store) []string {
	t.Helper()
	s := snapshot(t, st)
	byslug := map[string][]string{}
	for url, slug := range s.Members {
		byslug[slug] = append(byslug[slug], url)
	}
	var lines []string
	for slug, c := range s.Clusters {
		if c.Status != "active" && c.Status != "" {
			continue
		}
		m := byslug[slug]
		sort.Strings(m)
		lines = append(lines, fmt.Sprintf("%s sig=%q fp=%s size=%d members=%s", slug, c.Signature, c.Fingerprint, c.Size, strings.Join(m, ",")))
	}
	sort.Strings(lines)
	return lines
}

func diffGroupings(t *testing.T, what string, a, b []string) {
	t.Helper()
	if strings.Join(a, "\n") == strings.Join(b, "\n") {
		return
	}
	in := map[string]bool{}
	for _, l := range b {
		in[l] = true
	}
	shown := 0
	for _, l := range a {
		if !in[l] && shown < 5 {
			t.Logf("only in first: %.300s", l)
			shown++
		}
	}
	t.Errorf("%s: %d clusters vs %d, groupings differ", what, len(a), len(b))
}

// TestRunDeterministic classifies the same synthetic issues from scratch
// in two fresh databases (four extraction workers, one), rebuilds the first, and spreads a rebuild of the
// second over ExtractBatch calls done out of order: every run must end
// with the same clusters (slugs, signatures, members).
func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("ERRATA_DET_ISSUES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	a, b := storetest.New(t), storetest.New(t)
	genStore(t, a, n)
	genStore(t, b, n)
	opts := classify.RunOptions{BatchSize: 500}
	// The second store extracts on one worker, the first on four.
	for _, r := range []struct {
		st      *store.Store
		workers int
	}{{a, 4}, {b, 1}} {
		o := opts
		o.Workers = r.workers
		if _, err := classify.Run(ctx, r.st, o); err != nil {
			t.Fatal(err)
		}
	}
	ga, gb := grouping(t, a), grouping(t, b)
	diffGroupings(t, "two fresh runs", ga, gb)

	opts.Rebuild = true
	if _, err := classify.Run(ctx, a, opts); err != nil {
		t.Fatal(err)
	}
	diffGroupings(t, "rebuild", ga, grouping(t, a))

	spread := opts
	spread.Spread = func(ctx context.Context, runID int64, bs []int) error {
		for i := len(bs) - 1; i >= 0; i-- { // the workers finish in reverse order
			if _, err := classify.ExtractBatch(ctx, b, nil, runID, bs[i], 0); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := classify.Run(ctx, b, spread); err != nil {
		t.Fatal(err)
	}
	diffGroupings(t, "spread rebuild", gb, grouping(t, b))
}
