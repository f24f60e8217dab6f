package mcpserver_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/store"
)

// TestBriefsAgreeWithGuides: match answers (pages.Briefs, counted by
// PostgreSQL) say the same as the full guides (pages.Guides, the page
// renderer's evidence) about every cluster: counts, repositories, dates,
// page place and mined fixes and causes.
func TestBriefsAgreeWithGuides(t *testing.T) {
	t.Parallel()
	st := setup(t)
	ctx := context.Background()
	list, err := st.ClusterList(ctx, store.ClusterListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 3 {
		t.Fatalf("fixture has %d clusters, want at least 3", len(list))
	}
	var ids []int64
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	briefs, err := pages.Briefs(ctx, st, ids, 25)
	if err != nil {
		t.Fatal(err)
	}
	guides, err := pages.Guides(ctx, st, pages.GuideParams{ClusterIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		b, g := briefs[id], guides[id]
		if b == nil || g == nil {
			t.Fatalf("cluster %d: brief %v guide %v", id, b != nil, g != nil)
		}
		be, ge := b.Evidence, g.Evidence
		if be.Reports != ge.Reports || be.Open != ge.Open || b.Repositories != g.Repositories || !be.FirstSeen.Equal(ge.FirstSeen) {
			t.Errorf("cluster %d: brief reports %d open %d repos %d first %s; guide %d %d %d %s", id,
				be.Reports, be.Open, b.Repositories, be.FirstSeen, ge.Reports, ge.Open, g.Repositories, ge.FirstSeen)
		}
		if want := ge.Repos[:min(5, len(ge.Repos))]; !reflect.DeepEqual(be.Repos, want) {
			t.Errorf("cluster %d: top repositories %v, want %v", id, be.Repos, want)
		}
		if b.Slug != g.Slug || b.Path != g.Path || b.Title != g.Title {
			t.Errorf("cluster %d: page %s %s %q, want %s %s %q", id, b.Slug, b.Path, b.Title, g.Slug, g.Path, g.Title)
		}
		if !reflect.DeepEqual(b.Fixes, g.Fixes) || !reflect.DeepEqual(b.Causes, g.Causes) {
			t.Errorf("cluster %d: findings differ:\nbrief %+v %+v\nguide %+v %+v", id, b.Fixes, b.Causes, g.Fixes, g.Causes)
		}
	}
}
