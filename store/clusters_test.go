package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func clusterFixture(t *testing.T) (*store.Store, []int64, []int64) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	base := time.Date(2025, 2, 1, 22, 30, 0, 0, time.UTC)
	var issues []store.Issue
	for i := 1; i <= 6; i++ {
		c := base.Add(time.Duration(i) * 5 * time.Hour)
		issues = append(issues, store.Issue{Repository: fmt.Sprintf("o/r%d", i%2), Number: i, State: "open", Title: fmt.Sprintf("t%d", i),
			HTMLURL: fmt.Sprintf("https://github.com/o/r%d/issues/%d", i%2, i), CreatedAt: c, UpdatedAt: c, ReactionsTotal: i, Raw: []byte("{}")})
	}
	if _, err := st.IssueUpsertMany(ctx, nil, issues); err != nil {
		t.Fatal(err)
	}
	var comments []store.Comment
	for i := 1; i <= 6; i++ {
		c := base.Add(time.Duration(i) * 11 * time.Hour)
		comments = append(comments, store.Comment{Repository: fmt.Sprintf("o/r%d", i%2), IssueNumber: i, SourceKey: "pos:1", Body: "x", CreatedAt: c, UpdatedAt: c, Raw: []byte("{}")})
	}
	if _, err := st.CommentUpsertMany(ctx, nil, comments); err != nil {
		t.Fatal(err)
	}
	var issueIDs []int64
	rows, err := storetest.Pool(st).Query(ctx, `SELECT id FROM issues ORDER BY number`)
	if err != nil {
		t.Fatal(err)
	}
	issueIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	var clusterIDs []int64
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		ids, err := st.ClusterCreateMany(ctx, tx, []store.ClusterNew{
			{Slug: "alpha", Title: "Alpha", Key: "code:x", Concept: "x", Signature: "alpha <num>", Fingerprint: "v1:a"},
			{Slug: "beta", Title: "Beta", Key: "fp:v1:b", Signature: "beta", Fingerprint: "v1:b", WeakCodes: []string{"http:404", "jsonrpc:-32603"}},
		})
		clusterIDs = ids
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, issueIDs, clusterIDs
}

func dailyCounts(t *testing.T, st *store.Store, ids []int64) map[int64][]store.ClusterDailyCount {
	t.Helper()
	out := map[int64][]store.ClusterDailyCount{}
	for _, id := range ids {
		d, err := st.ClusterDailyCountsGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = d
	}
	return out
}

func TestClusterCreateAndList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, issues, cl := clusterFixture(t)
	if len(cl) != 2 || cl[0] == cl[1] {
		t.Fatalf("ids %v", cl)
	}
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		if err := st.MemberSetMany(ctx, tx, []store.MemberRow{
			{IssueID: issues[0], ClusterID: cl[0], Score: 1, Reason: "code x"},
			{IssueID: issues[1], ClusterID: cl[0], Score: 1, Reason: "code x"},
			{IssueID: issues[2], ClusterID: cl[1], Score: 0.7, Reason: "similar"},
		}, nil); err != nil {
			return err
		}
		if err := st.ClusterRefresh(ctx, tx, cl); err != nil {
			return err
		}
		return st.ClusterLabelsSetMany(ctx, tx, []store.ClusterLabels{{ID: cl[0], Topic: "auth", TopicReason: "because", Category: "mcp", Tools: []string{"T"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.ClusterList(ctx, store.ClusterListParams{})
	if err != nil || len(all) != 2 || all[0].ID != cl[0] || all[0].Size != 2 || all[0].Topic != "auth" {
		t.Fatalf("list: %+v %v", all, err)
	}
	if all[0].FirstSeen == nil || all[0].FirstSeen.Location() != time.UTC {
		t.Errorf("first seen %v", all[0].FirstSeen)
	}
	for _, tc := range []struct {
		p    store.ClusterListParams
		want int
	}{
		{store.ClusterListParams{Topic: "auth"}, 1},
		{store.ClusterListParams{Category: "mcp"}, 1},
		{store.ClusterListParams{Category: "none"}, 0},
		{store.ClusterListParams{MinSize: 2}, 1},
		{store.ClusterListParams{Limit: 1}, 1},
	} {
		got, err := st.ClusterList(ctx, tc.p)
		if err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d clusters (%v), want %d", tc.p, len(got), err, tc.want)
		}
	}
	c, err := st.ClusterGet(ctx, "beta")
	if err != nil || c.ID != cl[1] || c.Size != 1 {
		t.Fatalf("get by slug: %+v %v", c, err)
	}
	if _, err := st.ClusterGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing cluster: %v", err)
	}
	for _, tc := range []struct {
		p       store.ClusterSearchParams
		want    []int64
		noWords bool
	}{
		{p: store.ClusterSearchParams{Query: "alpha"}, want: []int64{cl[0]}},
		{p: store.ClusterSearchParams{Query: "AL"}, want: []int64{cl[0]}}, // prefix, any case
		{p: store.ClusterSearchParams{Query: "be"}, want: []int64{cl[1]}},
		{p: store.ClusterSearchParams{Query: "alpha beta"}}, // every word must match
		{p: store.ClusterSearchParams{Query: "alpha", Topic: "auth", Category: "mcp", Tool: "T"}, want: []int64{cl[0]}},
		{p: store.ClusterSearchParams{Query: "alpha", Topic: "other"}},
		{p: store.ClusterSearchParams{Query: "alpha", Category: "other"}},
		{p: store.ClusterSearchParams{Query: "alpha", Tool: "U"}},
		{p: store.ClusterSearchParams{Query: "it's"}, noWords: false}, // quoted safely, no match
		{p: store.ClusterSearchParams{Query: " !? "}, noWords: true},
	} {
		got, err := st.ClusterSearch(ctx, tc.p)
		if tc.noWords {
			if !errors.Is(err, store.ErrNoSearchWords) {
				t.Errorf("%+v: %v, want ErrNoSearchWords", tc.p, err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Errorf("%+v: %v %v", tc.p, got, err)
			continue
		}
		var ids []int64
		for _, h := range got {
			ids = append(ids, h.ID)
			if h.Rank <= 0 || h.FirstSeen == nil || h.FirstSeen.Location() != time.UTC {
				t.Errorf("%+v: hit %+v", tc.p, h)
			}
		}
		if !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("%+v: ids %v, want %v", tc.p, ids, tc.want)
		}
	}
	det, err := st.ClusterDetailsGet(ctx, cl, 3)
	if err != nil || len(det[cl[0]].Members) != 2 || len(det[cl[0]].Repositories) != 2 {
		t.Fatalf("details %+v %v", det[cl[0]], err)
	}
	// slugs are unique
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		_, err := st.ClusterCreateMany(ctx, tx, []store.ClusterNew{{Slug: "alpha", Title: "again", Key: "k", Signature: "s", Fingerprint: "f"}})
		return err
	})
	if err == nil {
		t.Fatal("duplicate slug accepted")
	}
	// state round trip
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		states, err := st.ClusterStateList(ctx, tx)
		if err != nil {
			return err
		}
		if len(states) != 2 || !reflect.DeepEqual(states[1].WeakCodes, []string{"http:404", "jsonrpc:-32603"}) || states[0].Key != "code:x" {
			return fmt.Errorf("states %+v", states)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The incremental refresh must give the same aggregates and daily counts
// as the full one.
func TestClusterRefreshDeltaMatchesFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, issues, cl := clusterFixture(t)
	days := func(ids []int64) []time.Time {
		rows, err := storetest.Pool(st).Query(ctx, `
			SELECT DISTINCT d FROM (
				SELECT (created_at AT TIME ZONE 'UTC')::date::timestamp AS d FROM issues WHERE id = ANY($1)
				UNION SELECT (created_at AT TIME ZONE 'UTC')::date::timestamp FROM comments WHERE issue_id = ANY($1)) x`, ids)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	step := func(rows []store.MemberRow, remove []int64, shrunk []int64) {
		t.Helper()
		var changed []int64
		for _, r := range rows {
			changed = append(changed, r.IssueID)
		}
		changed = append(changed, remove...)
		err := st.InTx(ctx, func(tx pgx.Tx) error {
			before, err := st.MemberCurrent(ctx, tx, changed)
			if err != nil {
				return err
			}
			delta := map[int64]int{}
			for _, r := range rows {
				if old, ok := before[r.IssueID]; !ok || old != r.ClusterID {
					delta[r.ClusterID]++
					if ok {
						delta[old]--
					}
				}
			}
			for _, id := range remove {
				if old, ok := before[id]; ok {
					delta[old]--
				}
			}
			if err := st.MemberSetMany(ctx, tx, rows, remove); err != nil {
				return err
			}
			return st.ClusterRefreshDelta(ctx, tx, cl, changed, shrunk, delta, days(changed))
		})
		if err != nil {
			t.Fatal(err)
		}
		delta := dailyCounts(t, st, cl)
		deltaList, _ := st.ClusterList(ctx, store.ClusterListParams{})
		err = st.InTx(ctx, func(tx pgx.Tx) error { return st.ClusterRefresh(ctx, tx, cl) })
		if err != nil {
			t.Fatal(err)
		}
		full := dailyCounts(t, st, cl)
		fullList, _ := st.ClusterList(ctx, store.ClusterListParams{})
		if !reflect.DeepEqual(delta, full) {
			t.Fatalf("daily counts differ:\ndelta %+v\nfull  %+v", delta, full)
		}
		if !reflect.DeepEqual(deltaList, fullList) {
			for i := range deltaList {
				deltaList[i].Status, fullList[i].Status = "", ""
			}
			if !reflect.DeepEqual(deltaList, fullList) {
				t.Fatalf("aggregates differ:\ndelta %+v\nfull  %+v", deltaList, fullList)
			}
		}
	}
	step([]store.MemberRow{{IssueID: issues[0], ClusterID: cl[0], Reason: "a"}, {IssueID: issues[1], ClusterID: cl[0], Reason: "a"}}, nil, nil)
	step([]store.MemberRow{{IssueID: issues[2], ClusterID: cl[1], Reason: "b"}, {IssueID: issues[3], ClusterID: cl[1], Reason: "b"}}, nil, nil)
	// issue 2 moves from alpha to beta; issue 4 leaves beta
	step([]store.MemberRow{{IssueID: issues[1], ClusterID: cl[1], Reason: "moved"}}, []int64{issues[3]}, []int64{cl[0], cl[1]})
	// alpha gets three more; one in the middle of its dates moves to beta
	// (alpha's dates stay), then the latest leaves (they are recomputed)
	step([]store.MemberRow{{IssueID: issues[3], ClusterID: cl[0], Reason: "c"}, {IssueID: issues[4], ClusterID: cl[0], Reason: "c"},
		{IssueID: issues[5], ClusterID: cl[0], Reason: "c"}}, nil, nil)
	step([]store.MemberRow{{IssueID: issues[4], ClusterID: cl[1], Reason: "moved"}}, nil, []int64{cl[0]})
	step(nil, []int64{issues[5]}, []int64{cl[0]})
	step(nil, []int64{issues[0]}, []int64{cl[0]})
	d := dailyCounts(t, st, cl)
	total := 0
	for _, c := range d[cl[1]] {
		total += c.Reports
	}
	if total != 3 {
		t.Fatalf("beta reports %d, want 3: %+v", total, d[cl[1]])
	}
}
