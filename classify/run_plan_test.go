package classify

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// Tests of the pure phases of a run: no database.

func TestSplitBatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, size int
		want    []int
	}{
		{0, 3, []int{}},
		{1, 3, []int{1}},
		{3, 3, []int{3}},
		{7, 3, []int{3, 3, 1}},
		{4, 0, []int{1, 1, 1, 1}},
	} {
		ids := make([]int64, tc.n)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		got := splitBatches(ids, tc.size)
		sizes := []int{}
		var joined []int64
		for _, b := range got {
			sizes = append(sizes, len(b))
			joined = append(joined, b...)
		}
		if !reflect.DeepEqual(sizes, tc.want) {
			t.Errorf("splitBatches(%d, %d) sizes = %v, want %v", tc.n, tc.size, sizes, tc.want)
		}
		if tc.n > 0 && !reflect.DeepEqual(joined, ids) {
			t.Errorf("splitBatches(%d, %d) lost order: %v", tc.n, tc.size, joined)
		}
	}
}

func cl(id int64) *Cluster { return &Cluster{ID: id} }

func TestPlanMembers(t *testing.T) {
	t.Parallel()
	c10, c20, c30 := cl(10), cl(20), cl(30)
	for _, tc := range []struct {
		name        string
		results     []assigned
		unclustered []int64
		before      map[int64]int64
		rebuild     bool
		oldActive   []int64
		remove      []int64
		touched     []int64
		moves       map[int64]map[int64]int
	}{
		{
			name:    "new issues join",
			results: []assigned{{1, c10, 1, "x"}, {2, c10, 1, "x"}},
			before:  map[int64]int64{}, touched: []int64{10}, moves: map[int64]map[int64]int{},
		},
		{
			name:    "a report moves and one loses its error text",
			results: []assigned{{1, c20, 1, "x"}, {2, c10, 1, "x"}}, unclustered: []int64{3},
			before: map[int64]int64{1: 10, 2: 10, 3: 30}, remove: []int64{3},
			touched: []int64{10, 20, 30}, moves: map[int64]map[int64]int{10: {20: 1}},
		},
		{
			name:    "a rebuild drops issues no longer selected and touches every old cluster",
			results: []assigned{{1, c10, 1, "x"}}, before: map[int64]int64{1: 10, 9: 30},
			rebuild: true, oldActive: []int64{10, 30, 40}, remove: []int64{9},
			touched: []int64{10, 30, 40}, moves: map[int64]map[int64]int{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planMembers(tc.results, tc.unclustered, tc.before, tc.rebuild, tc.oldActive)
			if len(p.rows) != len(tc.results) {
				t.Fatalf("rows = %d, want %d", len(p.rows), len(tc.results))
			}
			for i, r := range tc.results {
				if p.rows[i].IssueID != r.issueID || p.rows[i].ClusterID != r.cl.ID {
					t.Errorf("row %d = %+v", i, p.rows[i])
				}
			}
			if !reflect.DeepEqual(p.remove, tc.remove) {
				t.Errorf("remove = %v, want %v", p.remove, tc.remove)
			}
			if got := sortedIDs(p.touched); !reflect.DeepEqual(got, tc.touched) {
				t.Errorf("touched = %v, want %v", got, tc.touched)
			}
			if !reflect.DeepEqual(p.moves, tc.moves) {
				t.Errorf("moves = %v, want %v", p.moves, tc.moves)
			}
		})
	}
	_ = c30
}

func TestSizeDeltasAndShrunk(t *testing.T) {
	t.Parallel()
	results := []assigned{{1, cl(20), 1, ""}, {2, cl(10), 1, ""}, {4, cl(20), 1, ""}}
	before := map[int64]int64{1: 10, 2: 10, 3: 30}
	got := sizeDeltas(results, []int64{3}, before)
	want := map[int64]int{10: -1, 20: 2, 30: -1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sizeDeltas = %v, want %v", got, want)
	}
	if s := shrunkClusters([]int64{1, 2, 4, 3}, before); !reflect.DeepEqual(s, []int64{10, 30}) {
		t.Errorf("shrunkClusters = %v", s)
	}
}

func TestFullRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rebuild        bool
		merges, issues int
		want           bool
	}{
		{false, 0, 10, false},
		{true, 0, 10, true},
		{false, 1, 10, true},
		{false, 0, deltaRefreshLimit, false},
		{false, 0, deltaRefreshLimit + 1, true},
	} {
		if got := fullRefresh(tc.rebuild, tc.merges, tc.issues); got != tc.want {
			t.Errorf("fullRefresh(%v, %d, %d) = %v, want %v", tc.rebuild, tc.merges, tc.issues, got, tc.want)
		}
	}
}

func TestPlanRedirects(t *testing.T) {
	t.Parallel()
	stored := []store.ClusterRedirect{{OldID: 5, NewID: 6, Kind: "merge"}}
	moves := map[int64]map[int64]int{
		10: {20: 3},        // emptied into one: merge
		11: {20: 1, 21: 2}, // emptied into two: split, larger first
		12: {30: 1, 20: 4}, // survives; 30 is new: split to 30 only
		5:  {6: 1},         // merged by consolidation: no second redirect
	}
	sizes := map[int64]int{10: 0, 11: 0, 12: 5, 20: 9, 21: 2, 30: 1, 40: 0, 5: 0, 6: 3}
	p := planRedirects(stored, moves, sizes, map[int64]bool{30: true}, map[int64]bool{5: true}, []int64{5, 6, 10, 11, 12, 20, 21, 30, 40})
	want := []store.ClusterRedirect{
		{OldID: 5, NewID: 6, Kind: "merge"},
		{OldID: 10, NewID: 20, Kind: "merge"},
		{OldID: 11, NewID: 21, Kind: "split"},
		{OldID: 11, NewID: 20, Kind: "split"},
		{OldID: 12, NewID: 30, Kind: "split"},
	}
	if !reflect.DeepEqual(p.redirects, want) {
		t.Errorf("redirects = %+v\nwant %+v", p.redirects, want)
	}
	if p.merged != 2 || p.split != 1 || p.dissolved != 1 {
		t.Errorf("merged %d split %d dissolved %d, want 2 1 1 (40 dissolved)", p.merged, p.split, p.dissolved)
	}
}

func TestStoredMerges(t *testing.T) {
	t.Parallel()
	a, b, c := cl(1), cl(2), cl(3)
	b.mergedInto = c
	fresh := &Cluster{}
	got := storedMerges([]Merge{{From: a, Into: b}, {From: fresh, Into: c}})
	if !reflect.DeepEqual(got, [][2]int64{{1, 3}}) {
		t.Errorf("storedMerges = %v, want [[1 3]] (into the root, fresh clusters left out)", got)
	}
}

// TestAssignerBatches: the assigner groups a batch by itself (no stored
// clusters), counts unchanged issues, and writes signatures only of the
// classified ones. Messages written for the test.
func TestAssignerBatches(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	mk := func(id int64, title, body string, skip bool) extracted {
		is := Issue{ID: id, Title: title, Body: body}
		it := extracted{ID: id, Hash: ContentHash(&is), Skip: skip, Days: []time.Time{day}}
		if !skip {
			it.Analysis = Analyze(&is)
		}
		return it
	}
	b := batchResult{items: []extracted{
		mk(1, "Crash on start", "```\nError: listen EADDRINUSE: address already in use :::4100\n```", false),
		mk(2, "Server will not start", "```\nError: listen EADDRINUSE: address already in use :::4200\n```", false),
		mk(3, "Please add dark mode", "It would be nice to have a dark theme.", false),
		mk(4, "Old report", "", true),
	}}
	a := newAssigner(true, "v", nil, nil, 0)
	var sum RunSummary
	if fps := a.unknownFingerprints(&b); fps != nil {
		t.Errorf("a rebuild looks up no stored fingerprints, got %v", fps)
	}
	a.observe(&b)
	w := a.assign(&b, &sum)
	a.consolidate()
	if sum.Classified != 3 || sum.Unchanged != 1 || sum.Clustered != 2 || sum.Unclustered != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	if len(a.results) != 2 || a.results[0].cl != a.results[1].cl {
		t.Fatalf("issues 1 and 2 should share a cluster: %+v", a.results)
	}
	if !reflect.DeepEqual(a.unclustered, []int64{3}) || !reflect.DeepEqual(w.touch, []int64{4}) {
		t.Errorf("unclustered %v touch %v", a.unclustered, w.touch)
	}
	var marked []int64
	for _, m := range w.marks {
		marked = append(marked, m.IssueID)
	}
	sort.Slice(marked, func(i, j int) bool { return marked[i] < marked[j] })
	if !reflect.DeepEqual(marked, []int64{1, 2, 3}) {
		t.Errorf("marks = %v", marked)
	}
	for _, s := range w.sigs {
		if s.IssueID == 4 {
			t.Errorf("signature written for an unchanged issue: %+v", s)
		}
	}
	if a.nAdd != 2 || len(a.dfAdd) == 0 {
		t.Errorf("word counts: n %d, df %d words", a.nAdd, len(a.dfAdd))
	}
	if d := a.dayList(); len(d) != 1 || !d[0].Equal(day) {
		t.Errorf("days = %v", d)
	}
}

func TestIssueDays(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2025, 1, 2, 23, 0, 0, 0, time.UTC)
	is := store.ClassifyIssue{CreatedAt: t1, Comments: []store.ClassifyComment{
		{CreatedAt: t1.Add(30 * time.Minute)}, {CreatedAt: t1.Add(2 * time.Hour)}, {CreatedAt: t1.Add(3 * time.Hour)},
	}}
	got := issueDays(&is)
	want := []time.Time{dayOf(t1), dayOf(t1.Add(2 * time.Hour))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("issueDays = %v, want %v", got, want)
	}
}

// TestBatchEncoding: a stored batch reads back as it was extracted, so a
// resumed or spread run assigns what an uninterrupted one does. Messages
// written for the test.
func TestBatchEncoding(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	issues := []Issue{
		{ID: 1, Title: "Crash on start", Body: "```\nError: listen EADDRINUSE: address already in use :::4100\n```",
			Comments: []Comment{{Body: "same: `Error: connect ECONNREFUSED 127.0.0.1:5432`"}}},
		{ID: 2, Title: "Token refresh fails with invalid_grant", Body: "HTTP 400 {\"error\":\"invalid_grant\"}"},
		{ID: 3, Title: "Please add dark mode", Body: "It would be nice."},
		{ID: 4, Title: "TypeError: Cannot read properties of undefined (reading 'map')", Body: "at render (app.js:10:5)"},
	}
	var b batchResult
	for i := range issues {
		b.items = append(b.items, extracted{ID: issues[i].ID, Hash: ContentHash(&issues[i]), Days: []time.Time{day}, Analysis: Analyze(&issues[i])})
	}
	b.items = append(b.items, extracted{ID: 5, Hash: "h", Skip: true, Days: []time.Time{day, day.AddDate(0, 0, 1)}})
	data, err := encodeBatch(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.items) != len(b.items) {
		t.Fatalf("decoded %d items, want %d", len(got.items), len(b.items))
	}
	for i := range b.items {
		w, g := b.items[i], got.items[i]
		for j := range w.Analysis.Candidates {
			w.Analysis.Candidates[j] = Candidate{Raw: w.Analysis.Candidates[j].Raw, Normalized: w.Analysis.Candidates[j].Normalized,
				Fingerprint: w.Analysis.Candidates[j].Fingerprint, Source: w.Analysis.Candidates[j].Source,
				Score: w.Analysis.Candidates[j].Score, Codes: w.Analysis.Candidates[j].Codes}
		}
		if !reflect.DeepEqual(normEmpty(w), normEmpty(g)) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if empty, err := decodeBatch(nil); err != nil || len(empty.items) != 0 {
		t.Errorf("decodeBatch(nil) = %+v, %v", empty, err)
	}
}

// normEmpty makes empty slices nil (gob does not tell them apart, and
// nothing downstream does either).
func normEmpty(x extracted) extracted {
	a := &x.Analysis
	if len(a.Candidates) == 0 {
		a.Candidates = nil
	}
	if len(a.Tokens) == 0 {
		a.Tokens = nil
	}
	if len(a.WeakCodes) == 0 {
		a.WeakCodes = nil
	}
	if len(a.Probes) == 0 {
		a.Probes = nil
	}
	for i := range a.Probes {
		p := &a.Probes[i]
		if len(p.Tokens) == 0 {
			p.Tokens = nil
		}
		if len(p.Seq) == 0 {
			p.Seq = nil
		}
		if len(p.WeakCodes) == 0 {
			p.WeakCodes = nil
		}
	}
	for i := range a.Candidates {
		if len(a.Candidates[i].Codes) == 0 {
			a.Candidates[i].Codes = nil
		}
	}
	return x
}
