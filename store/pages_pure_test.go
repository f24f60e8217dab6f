package store

import (
	"reflect"
	"testing"
	"time"
)

// These tests cover the pure phases of PageEvidenceGet: no database.

func TestSummarizeMembers(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	closed := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	ms := []pageMember{
		{id: 3, repo: 1, state: "open", comments: 2, created: asOf.Add(-24 * time.Hour)},                                              // recent
		{id: 1, repo: 2, state: "closed", reason: "completed", comments: 1, created: asOf.Add(-40 * 24 * time.Hour), closed: &closed}, // previous
		{id: 2, repo: 1, state: "closed", reason: "not_planned", created: asOf.Add(-90 * 24 * time.Hour)},                             // neither
		{id: 4, repo: 1, state: "open", created: asOf.Add(24 * time.Hour)},                                                            // after asOf
	}
	e := summarizeMembers(7, ms, asOf, map[int64]string{1: "a/one", 2: "b/two"})
	want := PageEvidence{ClusterID: 7, Reports: 4, Open: 2, Closed: 2, NotPlanned: 1, Completed: 1, Comments: 3,
		Recent: 1, Previous: 1, FirstSeen: asOf.Add(-90 * 24 * time.Hour), LastEvidence: asOf.Add(24 * time.Hour),
		Members: []int64{1, 2, 3, 4}, Repos: []PageCount{{Name: "a/one", Count: 3}, {Name: "b/two", Count: 1}}}
	got := *e
	got.Weekly = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summarizeMembers:\n got %+v\nwant %+v", got, want)
	}
	total := 0
	for i, w := range e.Weekly {
		total += w.Count
		if d, err := time.Parse(time.DateOnly, w.Name); err != nil || d.Weekday() != time.Monday {
			t.Errorf("week %q is not a Monday", w.Name)
		}
		if i > 0 && e.Weekly[i-1].Name >= w.Name {
			t.Errorf("weeks not ascending: %v", e.Weekly)
		}
	}
	if total != 4 {
		t.Errorf("weekly counts sum to %d, want 4", total)
	}
}

func TestRankMembers(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		ms   []pageMember
		max  int
		want []int64
	}{
		{"most discussed first", []pageMember{{id: 1, comments: 1}, {id: 2, comments: 5}, {id: 3, reactions: 3}}, 10, []int64{2, 3, 1}},
		{"newest first on a tie", []pageMember{{id: 1, comments: 1, created: day(1)}, {id: 2, comments: 1, created: day(3)}}, 10, []int64{2, 1}},
		{"then by id", []pageMember{{id: 9, created: day(1)}, {id: 4, created: day(1)}}, 10, []int64{4, 9}},
		{"cut at max", []pageMember{{id: 1, comments: 3}, {id: 2, comments: 2}, {id: 3, comments: 1}}, 2, []int64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			for _, m := range rankMembers(tc.ms, tc.max) {
				got = append(got, m.id)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rankMembers = %v, want %v", got, tc.want)
			}
		})
	}
}
