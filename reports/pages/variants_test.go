package pages

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// The signature variants a page shows come from page_variant_counts, kept
// by PageVariantRefresh; after every kind of change, refreshed or not yet,
// the evidence must show what counting the members gives.
func TestVariantCountsFollowChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	var all []int64
	for _, id := range ids {
		all = append(all, id)
	}
	pool := storetest.Pool(s)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const max = 2
	// counted returns the variants counted from the members, as a page
	// shows them: most reports first, then by the signature's bytes.
	counted := func() map[int64][]store.PageCount {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT cm.cluster_id, s.raw, count(*)::int FROM cluster_members cm
			JOIN issue_signatures s ON s.issue_id = cm.issue_id AND s.rank = 0 GROUP BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64][]store.PageCount{}
		for rows.Next() {
			var id int64
			var c store.PageCount
			if err := rows.Scan(&id, &c.Name, &c.Count); err != nil {
				t.Fatal(err)
			}
			out[id] = append(out[id], c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for id, vs := range out {
			sort.Slice(vs, func(i, j int) bool {
				if vs[i].Count != vs[j].Count {
					return vs[i].Count > vs[j].Count
				}
				return vs[i].Name < vs[j].Name
			})
			out[id] = vs[:min(max, len(vs))]
		}
		return out
	}
	check := func(step string) {
		t.Helper()
		evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: all, AsOf: day0(60), MaxVariants: max})
		if err != nil {
			t.Fatal(err)
		}
		want := counted()
		for _, id := range all {
			var got []store.PageCount
			if e := evs[id]; e != nil {
				got = e.Variants
			}
			if !reflect.DeepEqual(got, want[id]) {
				t.Errorf("%s: cluster %d shows %v, its members count %v", step, id, got, want[id])
			}
		}
	}
	refreshed := func(step string) {
		t.Helper()
		if err := s.PageVariantRefresh(ctx); err != nil {
			t.Fatal(err)
		}
		var pending int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM page_variant_dirty) + (SELECT count(*) FROM page_variant_added)`).Scan(&pending); err != nil || pending != 0 {
			t.Fatalf("%s: %d changes left after a refresh (%v)", step, pending, err)
		}
		check(step + ", refreshed")
	}
	c1, c2 := ids[1], ids[2]
	check("fixture, never counted")
	refreshed("fixture")

	// A new report with the signature of an existing one, written before
	// its membership (as classify does): added.
	var issue int64
	if err := pool.QueryRow(ctx, `INSERT INTO issues (repository_id, number, state, title, html_url, created_at, updated_at, raw)
		SELECT id, 999, 'open', 't', 'u', now(), now(), '{}' FROM repositories ORDER BY id LIMIT 1 RETURNING id`).Scan(&issue); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO issue_signatures (issue_id, rank, raw, normalized, fingerprint, source, score)
		SELECT $1, 0, s.raw, s.normalized, 'v1:x', 'body', 1 FROM issue_signatures s
		JOIN cluster_members m ON m.issue_id = s.issue_id AND m.cluster_id = $2 WHERE s.rank = 0 ORDER BY s.issue_id DESC LIMIT 1`, issue, c1)
	exec(`INSERT INTO cluster_members (issue_id, cluster_id, score, reason) VALUES ($1, $2, 1, 'test')`, issue, c1)
	check("new member")
	refreshed("new member")

	// A member moves to another cluster.
	exec(`UPDATE cluster_members SET cluster_id = $2 WHERE issue_id = (SELECT min(issue_id) FROM cluster_members WHERE cluster_id = $1)`, c1, c2)
	check("moved member")
	refreshed("moved member")

	// A member's primary signature changes.
	exec(`UPDATE issue_signatures SET raw = 'a different signature' WHERE rank = 0 AND issue_id = (SELECT min(issue_id) FROM cluster_members WHERE cluster_id = $1)`, c2)
	check("changed signature")
	refreshed("changed signature")

	// A member leaves.
	exec(`DELETE FROM cluster_members WHERE issue_id = $1`, issue)
	check("removed member")
	refreshed("removed member")
}
