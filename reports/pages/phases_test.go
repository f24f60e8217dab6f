package pages

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// These tests cover the pure phases of Generate and renderCluster: no
// database.

// testSite builds a site from a plan input, as loadSite does after its
// queries.
func testSite(in planInput) *site {
	st := &site{byID: in.clusters, in: in, pl: makePlan(in)}
	st.index(nil)
	return st
}

func TestPlanRedirects(t *testing.T) {
	t.Parallel()
	clusters := map[int64]*store.PageCluster{
		1: {ID: 1, Slug: "alpha", Title: "Alpha error", Category: "net", Topic: "t", Status: "active", Size: 5},
		2: {ID: 2, Slug: "beta", Title: "Beta error", Category: "net", Topic: "t", Status: "merged", MergedInto: 1},
		3: {ID: 3, Slug: "gamma", Title: "Gamma error", Category: "net", Topic: "t", Status: "dissolved"},
		4: {ID: 4, Slug: "delta", Title: "Delta error", Category: "auth", Topic: "t", Status: "active", Size: 3},
	}
	in := planInput{
		clusters: clusters,
		publish:  []int64{1, 4},
		active:   map[int64]bool{1: true, 4: true},
		published: []store.PageSlug{
			{Slug: "alpha", ClusterID: 1, State: "live", Path: "net/alpha", OldPaths: []string{"old/alpha"}},
			{Slug: "beta", ClusterID: 2, State: "live", Path: "net/beta", Members: []int64{20, 21}},
			{Slug: "gamma", ClusterID: 3, State: "live", Path: "net/gamma", Members: []int64{30, 31, 32, 33}},
			{Slug: "delta", ClusterID: 4, State: "live", Path: "auth/delta"},
		},
		now: map[int64]int64{20: 1, 21: 1, 30: 1, 31: 1, 32: 4, 33: 4},
	}
	rp := planRedirects(testSite(in))
	if rp.redirects != 1 {
		t.Errorf("redirects = %d, want 1 (beta into alpha)", rp.redirects)
	}
	wantForwards := [][2]string{{"net/beta", "net/alpha"}, {"old/alpha", "net/alpha"}}
	if !reflect.DeepEqual(rp.forwards, wantForwards) {
		t.Errorf("forwards = %v, want %v", rp.forwards, wantForwards)
	}
	if len(rp.tombstones) != 1 {
		t.Fatalf("tombstones = %+v, want one (gamma, split evenly over two pages)", rp.tombstones)
	}
	tb := rp.tombstones[0]
	if tb.title != "Gamma error" || !reflect.DeepEqual(tb.paths, []string{"net/gamma"}) {
		t.Errorf("tombstone = %+v, want Gamma error at net/gamma", tb)
	}
	var dests []string
	for _, d := range tb.dests {
		dests = append(dests, d.path)
	}
	if want := []string{"net/alpha", "auth/delta"}; !reflect.DeepEqual(dests, want) {
		t.Errorf("tombstone destinations = %v, want %v (a tie of counts, by cluster id)", dests, want)
	}
}

func TestSiteIndexAndRelated(t *testing.T) {
	t.Parallel()
	clusters := map[int64]*store.PageCluster{}
	in := planInput{clusters: clusters, active: map[int64]bool{}}
	for i := int64(1); i <= 12; i++ {
		clusters[i] = &store.PageCluster{ID: i, Slug: "c" + string(rune('a'+i)), Title: "Error " + string(rune('a'+i)), Category: "x", Topic: "same", Status: "active", Size: int(i)}
		in.publish = append(in.publish, i)
		in.active[i] = true
	}
	st := testSite(in)
	if len(st.liveIDs) != 12 || st.liveIDs[0] != 1 || st.liveIDs[11] != 12 {
		t.Fatalf("liveIDs = %v, want 1..12 ascending", st.liveIDs)
	}
	rel := st.related(12)
	if len(rel) != maxRelated {
		t.Fatalf("related = %d pages, want %d", len(rel), maxRelated)
	}
	// Sizes 1..11 fall in bands 10 (10, 11), 5 (5..9) and 2 (2..4):
	// highest band first, then by path.
	var bands []int
	for _, r := range rel {
		bands = append(bands, r.reports)
	}
	if want := []int{10, 10, 5, 5, 5, 5, 5, 2}; fmt.Sprint(bands) != fmt.Sprint(want) {
		t.Errorf("related bands = %v, want %v (biggest first)", bands, want)
	}
	for i := 1; i < len(rel); i++ {
		if rel[i].reports == rel[i-1].reports && rel[i].path < rel[i-1].path {
			t.Errorf("related = %+v: not by path within a band", rel)
		}
	}
	for _, r := range rel {
		if r.path == st.entries[12].path {
			t.Errorf("a page lists itself as related")
		}
	}
}

func TestSourceRows(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	var many []store.PageIssue
	for i := 0; i < maxSourceRows+5; i++ {
		many = append(many, store.PageIssue{Repository: "o/r", Number: i + 1, CreatedAt: day(1 + i%28)})
	}
	tests := []struct {
		name string
		in   []store.PageIssue
		want []int // numbers
	}{
		{"newest first", []store.PageIssue{{Repository: "o/r", Number: 1, CreatedAt: day(1)}, {Repository: "o/r", Number: 2, CreatedAt: day(5)}}, []int{2, 1}},
		{"then repository, then number", []store.PageIssue{{Repository: "o/b", Number: 1, CreatedAt: day(2)}, {Repository: "o/a", Number: 9, CreatedAt: day(2)}, {Repository: "o/a", Number: 3, CreatedAt: day(2)}}, []int{3, 9, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, s := range sourceRows(tc.in) {
				got = append(got, s.Number)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sourceRows = %v, want %v", got, tc.want)
			}
		})
	}
	if got := sourceRows(many); len(got) != maxSourceRows {
		t.Errorf("sourceRows kept %d rows, want %d", len(got), maxSourceRows)
	}
	if many[0].Number != 1 {
		t.Errorf("sourceRows reordered its input")
	}
}

// The sections of a cluster page, assembled from in-memory evidence.
func TestSectionAssembly(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	fix := Finding{Kind: KindFix, Text: "Upgrade to `2.1.0`, which fixes the handshake.", Version: "2.1.0", Confirm: ConfirmReleased,
		Repository: "o/r", Number: 7, URL: "https://github.com/o/r/issues/7#c1", At: at}
	tests := []struct {
		name    string
		adv     advice
		repos   []store.PageCount
		want    []string
		notWant []string
	}{
		{"no fix", advice{}, nil, []string{"## Quick fixes and workarounds", "No fix has been found in these threads yet.", "When you report it, include"}, []string{"## How to prevent it", "Stay on"}},
		{"released fix", advice{fixes: []Finding{fix}}, nil, []string{"Upgrade to `2.1.0`", "Check your installed version against `2.1.0`", "## How to prevent it", "Stay on `2.1.0` or later"}, []string{"No fix has been found"}},
		// A version is one project's: a page over several names it.
		{"released fix, several repositories", advice{fixes: []Finding{fix}}, []store.PageCount{{Name: "a/b", Count: 1}, {Name: "c/d", Count: 1}},
			[]string{"stay on `2.1.0` or later, the release named as fixing this error there"}, []string{"Stay on `2.1.0` or later, the release named as fixing this error."}},
		// A maintainer's answer is some support: the page does not say
		// "no fix is confirmed" above it, nor in the FAQ.
		{"maintainer's answer", advice{fixes: []Finding{{Kind: KindFix, Text: "Set `retries: 3` in the client config.", Confirm: ConfirmMaintainer,
			Repository: "o/r", Number: 8, URL: "https://github.com/o/r/issues/8#c2", At: at}}}, nil,
			[]string{"Nobody in these threads has reported back that a fix below worked", "the best backed is a maintainer's answer in [o/r\\#8]"},
			[]string{"No fix in these threads is confirmed yet", "hold no confirmed fix"}},
		{"closed after an unconfirmed fix", advice{fixes: []Finding{{Kind: KindFix, Text: "Set `retries: 3` in the client config.", Confirm: ConfirmClosed,
			Repository: "o/r", Number: 9, URL: "https://github.com/o/r/issues/9#c2", At: at}}}, nil,
			[]string{"Nobody in these threads has reported back", "after which the issue was closed as completed"},
			[]string{"No fix in these threads is confirmed yet", "hold no confirmed fix"}},
		{"suggestion only", advice{fixes: []Finding{{Kind: KindFix, Text: "Set `retries: 3` in the client config.",
			Repository: "o/r", Number: 10, URL: "https://github.com/o/r/issues/10#c2", At: at}}}, nil,
			[]string{"No fix in these threads is confirmed yet", "The threads hold no confirmed fix yet"}, []string{"Nobody in these threads"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoc()
			ev := &store.PageEvidence{Reports: 2, Open: 1}
			pd := &pageData{c: &store.PageCluster{ID: 1, Title: "x"}, ev: ev}
			fixedIn := fixesSection(d, pd, tc.adv, "general")
			stepsSection(d, ev, fixedIn, nil, nil, "general")
			preventSection(d, tc.adv, fixedIn, tc.repos)
			d.h2("FAQ")
			faq(d, pd.c, ev, fixedIn, tc.adv.fixes)
			got := d.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("page lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("page has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestSizeBand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, want int }{
		{0, 0}, {1, 1}, {2, 2}, {4, 2}, {5, 5}, {9, 5}, {10, 10}, {19, 10}, {20, 20},
		{49, 20}, {50, 50}, {99, 50}, {100, 100}, {4999, 2000}, {5000, 5000}, {123456, 100000},
	} {
		if got := sizeBand(tc.n); got != tc.want {
			t.Errorf("sizeBand(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}
