package trends

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// These tests cover the pure phases of Compute (grouping, scoring,
// listing, ranking) without a database.

func pureComputation(t *testing.T, q Query) *computation {
	t.Helper()
	q, err := q.Normalize(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	c := &computation{q: q, win: WindowsFor(q), nWeeks: weekCount(q)}
	c.asOf = c.win.Current.To
	return c
}

func pureAcc(c *computation, cluster, repo int64, current, baseline int) *acc {
	a := newAccumulator(c.nWeeks, c.q).get(cluster, repo)
	a.windows[0].Reports = current
	a.windows[1].Reports = baseline
	a.weeks[0].Reports = current
	return a
}

func TestComputeGroupsBySurvivorAndFilters(t *testing.T) {
	t.Parallel()
	merged := int64(1)
	clusters := []store.TrendCluster{
		{ID: 1, Slug: "a", Title: "A", Topic: "net", Status: "active"},
		{ID: 2, Slug: "b", Title: "B", Topic: "net", Status: "merged", MergedInto: &merged},
		{ID: 3, Slug: "c", Title: "C", Topic: "disk", Status: "active", Tools: []string{"x", "y"}},
		{ID: 4, Slug: "d", Title: "D", Topic: "net", Status: "dissolved"},
		{ID: 5, Slug: "e", Title: "E", Topic: "net", Status: "active"},
	}
	tests := []struct {
		name string
		q    Query
		want map[string][]int64 // group key -> raw members
	}{
		{"cluster", Query{}, map[string][]int64{"a": {1, 2}, "c": {3}}},
		{"topic", Query{By: ByTopic}, map[string][]int64{"net": {1, 2}, "disk": {3}}},
		{"tool", Query{By: ByTool}, map[string][]int64{NoneKey: {1, 2}, "x": {3}, "y": {3}}},
		{"topic filter", Query{Topic: "disk"}, map[string][]int64{"c": {3}}},
		// Charts list every cluster, counts or not; merged ones join
		// their survivor.
		{"chart", Query{MinCount: -1}, map[string][]int64{"a": {1, 2}, "c": {3}, "e": {5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := pureComputation(t, tt.q)
			c.clusters = slices.Clone(clusters)
			c.index()
			c.group([]*acc{pureAcc(c, 1, 0, 2, 1), pureAcc(c, 2, 0, 1, 0), pureAcc(c, 3, 0, 4, 4), pureAcc(c, 4, 0, 9, 0)})
			got := map[string][]int64{}
			for k, g := range c.groups {
				got[k] = sortedSet(g.raws)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("groups %v, want %v", got, tt.want)
			}
			for k, w := range tt.want {
				if !slices.Equal(got[k], w) {
					t.Errorf("group %q members %v, want %v", k, got[k], w)
				}
			}
			if g := c.groups["net"]; g != nil && g.windows[0].Reports != 3 {
				t.Errorf("topic net current reports %d, want 3 (merged cluster counted once)", g.windows[0].Reports)
			}
		})
	}
}

func TestComputeScore(t *testing.T) {
	t.Parallel()
	c := pureComputation(t, Query{Baselines: 1})
	c.clusters = []store.TrendCluster{{ID: 7, Slug: "s", Title: "S", Status: "active"}}
	c.index()
	c.group([]*acc{pureAcc(c, 7, 0, 12, 4)})
	c.weekLayout()
	rows := c.score()
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if r.Key != "s" || r.Label != "S" || r.ClusterID != 7 || r.Count != 12 || r.BaselineCount != 4 || r.LastWeek != 12 {
		t.Fatalf("row %+v", r)
	}
	// Equal windows: the change is 12/4-1 and the smoothed ratio 13/5.
	if r.Change == nil || *r.Change != 2 {
		t.Errorf("change %v, want 2", r.Change)
	}
	if math.Abs(r.Ratio-13.0/5) > 1e-12 {
		t.Errorf("ratio %v, want 2.6", r.Ratio)
	}
	if r.BaselinePerWindow != 4 {
		t.Errorf("baseline per window %v, want 4", r.BaselinePerWindow)
	}
	if !(r.PUp < 0.05 && r.PDown > 0.95) {
		t.Errorf("p up %v, p down %v: want a significant rise", r.PUp, r.PDown)
	}
}

func TestComputeListKeepsRegressionsAndEnoughCounts(t *testing.T) {
	t.Parallel()
	c := pureComputation(t, Query{MinCount: 3})
	c.groups = map[string]*group{
		"low":      {survivors: []int64{1}},
		"enough":   {survivors: []int64{2}},
		"before":   {survivors: []int64{3}},
		"regained": {survivors: []int64{4}},
	}
	rows := []Row{
		{Key: "low", Count: 2, BaselinePerWindow: 1},
		{Key: "enough", Count: 3},
		{Key: "before", Count: 0, BaselinePerWindow: 3},
		{Key: "regained", Count: 1},
	}
	got := c.list(rows, map[int64]regression{4: {clusterID: 4}})
	var keys []string
	for _, r := range got {
		keys = append(keys, r.Key)
	}
	if want := []string{"enough", "before", "regained"}; !slices.Equal(keys, want) {
		t.Fatalf("listed %v, want %v", keys, want)
	}
}

func TestSortRows(t *testing.T) {
	t.Parallel()
	rows := []Row{
		{Key: "stable", State: StateStable, Count: 50},
		{Key: "rising-b", State: StateRising, Count: 5, Ratio: 2},
		{Key: "rising-a", State: StateRising, Count: 5, Ratio: 2},
		{Key: "rising-hi", State: StateRising, Count: 5, Ratio: 3},
		{Key: "rising-more", State: StateRising, Count: 9, Ratio: 1.6},
		{Key: "new", State: StateNew, Count: 3},
		{Key: "esc", State: StateEscalating, Count: 1},
		{Key: "down", State: StateDeclining, Count: 100},
		{Key: "reg", State: StateRegressed, Count: 1},
	}
	var got []string
	for _, r := range sortRows(rows) {
		got = append(got, r.Key)
	}
	want := []string{"esc", "reg", "new", "rising-more", "rising-hi", "rising-a", "rising-b", "stable", "down"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestAdjustQ(t *testing.T) {
	t.Parallel()
	rows := []Row{{PUp: 0.01, PDown: 0.5, PWeek: 0.02}, {PUp: 0.04, PDown: 0.5, PWeek: 0.5}}
	adjustQ(rows)
	if rows[0].QUp != 0.02 || rows[1].QUp != 0.04 || rows[0].QDown != 0.5 || rows[0].QWeek != 0.04 {
		t.Fatalf("q-values %+v", rows)
	}
}
