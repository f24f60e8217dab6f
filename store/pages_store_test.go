package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func TestPageAsOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		store func(*testing.T) *store.Store
		want  time.Time
	}{
		{"empty store", func(t *testing.T) *store.Store { return storetest.New(t) }, time.Time{}},
		// The fixture's newest comment (issue 6, base + 66h) is newer
		// than its newest issue (base + 30h).
		{"newest comment", func(t *testing.T) *store.Store { st, _, _ := clusterFixture(t); return st },
			time.Date(2025, 2, 1, 22, 30, 0, 0, time.UTC).Add(66 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.store(t).PageAsOf(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("PageAsOf = %v, want %v (UTC)", got, tc.want)
			}
		})
	}
}

func TestPageSlugSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	steps := []struct {
		name    string
		save    []store.PageSlug
		list    []store.PageSlug // PageSlugList after the save
		members map[string][]int64
	}{
		{"first publish",
			[]store.PageSlug{
				{Slug: "a", ClusterID: 7, State: "live", Path: "cat/a", Members: []int64{3, 1}},
				{Slug: "b", State: "tombstone", Path: "cat/b", Members: []int64{5}},
			},
			[]store.PageSlug{
				{Slug: "a", ClusterID: 7, State: "live", Path: "cat/a", OldPaths: []string{}},
				{Slug: "b", State: "tombstone", Path: "cat/b", Members: []int64{5}, OldPaths: []string{}},
			},
			map[string][]int64{"a": {3, 1}, "b": {5}}},
		{"moved, nil members kept, empty members cleared",
			[]store.PageSlug{
				{Slug: "a", ClusterID: 7, State: "live", Path: "zoo/a"},
				{Slug: "b", State: "redirect", TargetSlug: "a", Path: "cat/b", Members: []int64{}},
			},
			[]store.PageSlug{
				{Slug: "a", ClusterID: 7, State: "live", Path: "zoo/a", OldPaths: []string{"cat/a"}},
				{Slug: "b", State: "redirect", TargetSlug: "a", Path: "cat/b", Members: []int64{}, OldPaths: []string{}},
			},
			map[string][]int64{"a": {3, 1}, "b": {}}},
		{"moved back: the old path is the page's again",
			[]store.PageSlug{{Slug: "a", ClusterID: 7, State: "live", Path: "cat/a"}},
			[]store.PageSlug{
				{Slug: "a", ClusterID: 7, State: "live", Path: "cat/a", OldPaths: []string{"zoo/a"}},
				{Slug: "b", State: "redirect", TargetSlug: "a", Path: "cat/b", Members: []int64{}, OldPaths: []string{}},
			},
			map[string][]int64{"a": {3, 1}, "b": {}}},
	}
	for _, s := range steps {
		if err := st.PageSlugSave(ctx, s.save); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		list, err := st.PageSlugList(ctx)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(list, s.list) {
			t.Errorf("%s: PageSlugList =\n%+v\nwant\n%+v", s.name, list, s.list)
		}
		members, err := st.PageSlugMembers(ctx, []string{"a", "b", "missing"})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(members, s.members) {
			t.Errorf("%s: PageSlugMembers = %v, want %v", s.name, members, s.members)
		}
	}
}

func TestClusterBriefThread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, issues, cl := clusterFixture(t)
	// Issue 1 gets three more comments; with the fixture's one (base +
	// 11h) it has four, and a brief keeps its oldest two.
	base := time.Date(2025, 2, 1, 22, 30, 0, 0, time.UTC)
	var more []store.Comment
	for i, body := range []string{"third comment", "second comment", "fourth comment"} {
		at := base.Add(time.Duration(12+i) * time.Hour)
		if i == 1 {
			at = base.Add(11*time.Hour + time.Minute)
		}
		more = append(more, store.Comment{Repository: "o/r1", IssueNumber: 1, SourceKey: "pos:" + string(rune('2'+i)),
			Body: body, CreatedAt: at, UpdatedAt: at, Raw: []byte("{}")})
	}
	if _, err := st.CommentUpsertMany(ctx, nil, more); err != nil {
		t.Fatal(err)
	}
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		rows := []store.MemberRow{{IssueID: issues[0], ClusterID: cl[0]}, {IssueID: issues[1], ClusterID: cl[0]}}
		if err := st.MemberSetMany(ctx, tx, rows, nil); err != nil {
			return err
		}
		return st.ClusterRefresh(ctx, tx, cl)
	})
	if err != nil {
		t.Fatal(err)
	}
	briefs, err := st.ClusterBriefGet(ctx, store.ClusterBriefParams{ClusterIDs: cl, MaxComments: 2, BodyBytes: 6})
	if err != nil {
		t.Fatal(err)
	}
	b := briefs[cl[0]]
	if b == nil || len(briefs) != 1 {
		t.Fatalf("briefs = %v, want only cluster %d", briefs, cl[0])
	}
	type comment struct {
		issue int64
		body  string
		at    time.Time
	}
	var got []comment
	for _, c := range b.Evidence.Thread {
		if c.CreatedAt.Location() != time.UTC {
			t.Errorf("comment time %v not in UTC", c.CreatedAt)
		}
		got = append(got, comment{c.IssueID, c.Body, c.CreatedAt})
	}
	want := []comment{
		{issues[0], "x", base.Add(11 * time.Hour)},
		{issues[0], "second", base.Add(11*time.Hour + time.Minute)},
		{issues[1], "x", base.Add(22 * time.Hour)},
	}
	if len(got) != len(want) {
		t.Fatalf("thread = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].issue != want[i].issue || got[i].body != want[i].body || !got[i].at.Equal(want[i].at) {
			t.Errorf("thread[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}
