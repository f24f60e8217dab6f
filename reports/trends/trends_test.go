package trends_test

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The main scenario: as of 2026-10-01 with 28-day windows and 3 baseline
// windows, the current window is 2026-09-04..2026-10-01 and the baseline
// 2026-06-12..2026-09-03 (84 days).
func mainFixture(t *testing.T) *fixture {
	f := newFixture(t)
	// edge: timestamps on both sides of every window edge, one given in
	// another time zone. In: 06-12T00:00Z and 09-03T23:59:59Z (baseline),
	// 09-04T00:00Z, 09-03T22:30-05:00 (= 09-04T03:30Z) and 10-01T23:59:59Z
	// (current). Out: 06-11T23:59:59Z and 10-02T00:00Z.
	edge := f.cluster("edge", "build", "crash", "go")
	for _, at := range []string{"2026-06-11T23:59:59Z", "2026-06-12T00:00:00Z", "2026-09-03T23:59:59Z",
		"2026-09-04T00:00:00Z", "2026-09-03T22:30:00-05:00", "2026-10-01T23:59:59Z", "2026-10-02T00:00:00Z"} {
		f.issue(edge, at)
	}
	// rise: 3 before (one per baseline window), 12 now (4 a week in the
	// first three weeks of the window, none in the last).
	rise := f.cluster("rise", "network", "timeout", "curl", "go")
	for _, d := range []string{"2026-07-01", "2026-08-01", "2026-08-20"} {
		f.issue(rise, d)
	}
	for _, d := range []string{"2026-09-04", "2026-09-05", "2026-09-06", "2026-09-07",
		"2026-09-11", "2026-09-12", "2026-09-13", "2026-09-14",
		"2026-09-18", "2026-09-19", "2026-09-20", "2026-09-21"} {
		f.issue(rise, d, inRepo("acme/lib"), withComments(d, "2026-09-30"), withReactions(2))
	}
	// small: 1 -> 3 is not a surge.
	small := f.cluster("small", "network", "", "curl")
	f.issue(small, "2026-07-15")
	for _, d := range []string{"2026-09-05", "2026-09-12", "2026-09-19"} {
		f.issue(small, d)
	}
	// fresh: never seen before the window.
	fresh := f.cluster("fresh", "", "crash")
	for _, d := range []string{"2026-09-06", "2026-09-07", "2026-09-08", "2026-09-09"} {
		f.issue(fresh, d, inRepo("acme/lib"))
	}
	// back: once a year ago, nothing in the baseline, 4 now.
	back := f.cluster("back", "build", "")
	f.issue(back, "2025-10-01")
	for _, d := range []string{"2026-09-06", "2026-09-07", "2026-09-08", "2026-09-09"} {
		f.issue(back, d)
	}
	// decline: 30 in the baseline, none now.
	decline := f.cluster("decline", "build", "crash")
	for i := 0; i < 30; i++ {
		f.issue(decline, time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC).AddDate(0, 0, i*2).Format(time.RFC3339))
	}
	// esc: one a week through the baseline (12 weeks), one a week in the
	// first three weeks of the window, 9 in the last 7 days.
	esc := f.cluster("esc", "network", "timeout", "go")
	for j := 0; j < 15; j++ {
		f.issue(esc, time.Date(2026, 6, 13, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 7*j).Format(time.RFC3339))
	}
	for d := 25; d <= 30; d++ {
		f.issue(esc, time.Date(2026, 9, d, 12, 0, 0, 0, time.UTC).Format(time.RFC3339))
	}
	for _, at := range []string{"2026-10-01T01:00:00Z", "2026-10-01T02:00:00Z", "2026-10-01T03:00:00Z"} {
		f.issue(esc, at)
	}
	// regr: all closed by 08-20 10:00, the last as fixed; back on 09-10.
	regr := f.cluster("regr", "auth", "")
	f.issue(regr, "2026-07-01", closed("2026-08-01T00:00:00Z", "not_planned"))
	f.issue(regr, "2026-07-10", closed("2026-08-10T00:00:00Z", "completed"))
	f.issue(regr, "2026-07-20", closed("2026-08-20T10:00:00Z", "completed"))
	f.issue(regr, "2026-09-10")
	// wontfix: closed as not planned, then a new report: not a regression.
	wontfix := f.cluster("wontfix", "auth", "")
	f.issue(wontfix, "2026-07-01", closed("2026-07-02T00:00:00Z", "not_planned"))
	f.issue(wontfix, "2026-09-10")
	// stillopen: one fixed, one still open, then a new report.
	stillopen := f.cluster("stillopen", "auth", "")
	f.issue(stillopen, "2026-07-01", closed("2026-07-02T00:00:00Z", "completed"))
	f.issue(stillopen, "2026-07-03")
	f.issue(stillopen, "2026-09-10")
	f.refresh()
	return f
}

func compute(t *testing.T, f *fixture, q trends.Query) *trends.Report {
	t.Helper()
	rep, err := trends.Compute(context.Background(), f.s, q)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func rowsByKey(rep *trends.Report) map[string]trends.Row {
	out := map[string]trends.Row{}
	for _, r := range rep.Rows {
		out[r.Key] = r
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func asOf(d string) time.Time { return ts(d + "T00:00:00Z") }

func TestComputeMainScenario(t *testing.T) {
	t.Parallel()
	f := mainFixture(t)
	rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})

	if got, want := rep.Windows.Current, (trends.DayRange{From: day("2026-09-04"), To: day("2026-10-01")}); got != want {
		t.Errorf("current window %v, want %v", got, want)
	}
	if got, want := rep.Windows.Baseline, (trends.DayRange{From: day("2026-06-12"), To: day("2026-09-03")}); got != want {
		t.Errorf("baseline %v, want %v", got, want)
	}
	if rep.Windows.BaselineDays != 84 || rep.Windows.DataStart != day("2025-10-01") {
		t.Errorf("baseline days %d, data start %v; want 84, 2025-10-01", rep.Windows.BaselineDays, rep.Windows.DataStart)
	}
	if len(rep.Weeks) != 16 || rep.Weeks[0] != day("2026-06-12") || rep.Weeks[15] != day("2026-09-25") {
		t.Errorf("weeks %v: want 16 from 2026-06-12 to 2026-09-25", rep.Weeks)
	}
	rows := rowsByKey(rep)
	tests := []struct {
		key             string
		state           trends.State
		count, baseline int
		ratio, pUp      float64
	}{
		// edge: 3 now, 2 before: (4/28)/(3/84) = 4; P(X>=3 | 5, 1/4) = 0.103515625.
		{"edge", trends.StateStable, 3, 2, 4, 0.103515625},
		// rise: (13/28)/(4/84) = 9.75; P(X>=12 | 15, 1/4).
		{"rise", trends.StateRising, 12, 3, 9.75, 1.2364238500595093e-05},
		// small: (4/28)/(2/84) = 6; P(X>=3 | 4, 1/4) = 0.05078125.
		{"small", trends.StateStable, 3, 1, 6, 0.05078125},
		{"fresh", trends.StateNew, 4, 0, 15, 0.00390625},
		{"back", trends.StateRising, 4, 0, 15, 0.00390625},
		// decline: (1/28)/(31/84); P(X<=0 | 30, 1/4) = 0.75^30 is p_down.
		{"decline", trends.StateDeclining, 0, 30, (1.0 / 28) / (31.0 / 84), 1},
		// esc: 12 now, 12 before: (13/28)/(13/84) = 3.
		{"esc", trends.StateEscalating, 12, 12, 3, 0.007199650007855496},
		// regr: 1 now, 3 before: (2/28)/(4/84) = 1.5; P(X>=1 | 4, 1/4) = 1 - 0.75^4.
		{"regr", trends.StateRegressed, 1, 3, 1.5, 1 - math.Pow(0.75, 4)},
	}
	for _, tc := range tests {
		r, ok := rows[tc.key]
		if !ok {
			t.Errorf("%s: no row", tc.key)
			continue
		}
		if r.State != tc.state || r.Count != tc.count || r.BaselineCount != tc.baseline {
			t.Errorf("%s: %s %d/%d, want %s %d/%d (%s)", tc.key, r.State, r.Count, r.BaselineCount, tc.state, tc.count, tc.baseline, r.Reason)
		}
		if !near(r.Ratio, tc.ratio) || !near(r.PUp, tc.pUp) {
			t.Errorf("%s: ratio %g p_up %g, want %g %g", tc.key, r.Ratio, r.PUp, tc.ratio, tc.pUp)
		}
		if r.QUp < r.PUp || r.Reason == "" {
			t.Errorf("%s: q_up %g below p_up %g, or no reason %q", tc.key, r.QUp, r.PUp, r.Reason)
		}
	}
	for _, absent := range []string{"wontfix", "stillopen"} {
		if r, ok := rows[absent]; ok {
			t.Errorf("%s listed as %s (%s); want it below min-count and not regressed", absent, r.State, r.Reason)
		}
	}
	if d := rows["decline"]; !near(d.PDown, math.Pow(0.75, 30)) {
		t.Errorf("decline p_down %g, want 0.75^30", d.PDown)
	}
	if e := rows["esc"]; e.LastWeek != 9 || !near(e.Ceiling, 6) || !near(e.PWeek, 1.1763032298194776e-05) {
		// baseline weeks all 1: spike 1 + 5*1 = 6, burst 1*5 = 5.
		t.Errorf("esc last week %d ceiling %g p_week %g; want 9, 6, P(X>=9 | 21, 1/13)", e.LastWeek, e.Ceiling, e.PWeek)
	}
	if r := rows["regr"]; r.FixedAt == nil || !r.FixedAt.Equal(ts("2026-08-20T10:00:00Z")) || r.AfterFix != 1 {
		t.Errorf("regr fixed at %v after %d, want 2026-08-20T10:00Z and 1", r.FixedAt, r.AfterFix)
	}
	if b := rows["back"]; b.LastBefore != day("2025-10-01") {
		t.Errorf("back last before %v, want 2025-10-01", b.LastBefore)
	}
	// Signals: rise's 12 current issues have 2 comments each, one on
	// 09-30 (inside) and one on their own day, and 2 reactions each.
	if c := rows["rise"].Current; c != (trends.Counts{Reports: 12, Comments: 24, Reactions: 24}) {
		t.Errorf("rise current counts %+v", c)
	}
	// Weekly: esc has 1 a week, then 9 in the last week.
	var weekly []int
	for _, w := range rows["esc"].Weekly {
		weekly = append(weekly, w.Reports)
	}
	if want := []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9}; !equalInts(weekly, want) {
		t.Errorf("esc weekly %v, want %v", weekly, want)
	}
	// Sort order: Escalating, Regressed, New, Rising (by count), Stable, Declining.
	var order []string
	for _, r := range rep.Rows {
		order = append(order, r.Key)
	}
	if want := []string{"esc", "regr", "fresh", "rise", "back", "small", "edge", "decline"}; !equalStrings(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestComputeAsOfInThePast(t *testing.T) {
	t.Parallel()
	f := mainFixture(t)
	// As of 2026-08-31: current 2026-08-04..08-31, baseline 2026-05-12..08-03.
	rep := compute(t, f, trends.Query{AsOf: asOf("2026-08-31"), MinCount: 1})
	if rep.Windows.Current.From != day("2026-08-04") || rep.Windows.Baseline.From != day("2026-05-12") {
		t.Fatalf("windows %+v", rep.Windows)
	}
	rows := rowsByKey(rep)
	// esc: weekly reports on 06-13 + 7j: 08-08, 08-15, 08-22, 08-29 now;
	// 06-13 .. 08-01 (8) before. Ratio (5/28)/(9/84) = 5/3.
	e := rows["esc"]
	if e.Count != 4 || e.BaselineCount != 8 || !near(e.Ratio, 5.0/3) || e.State != trends.StateStable {
		t.Errorf("esc as of 08-31: %s %d/%d ratio %g (%s)", e.State, e.Count, e.BaselineCount, e.Ratio, e.Reason)
	}
	// regr: fixed on 08-20 but nothing after it yet.
	if r := rows["regr"]; r.State == trends.StateRegressed {
		t.Errorf("regr regressed as of 08-31: %s", r.Reason)
	}
	// fresh and the current rise do not exist yet.
	if _, ok := rows["fresh"]; ok {
		t.Errorf("fresh listed before its first report")
	}
	if r := rows["rise"]; r.Count != 1 || r.BaselineCount != 2 {
		t.Errorf("rise as of 08-31: %d/%d, want 1/2 (08-20 now; 07-01 and 08-01 before)", r.Count, r.BaselineCount)
	}
}

func TestComputeEmptyAndPartialBaselines(t *testing.T) {
	t.Parallel()
	t.Run("no data before the window", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		c := f.cluster("late", "", "")
		for _, d := range []string{"2026-09-20", "2026-09-21", "2026-09-22"} {
			f.issue(c, d)
		}
		f.refresh()
		rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})
		if rep.Windows.BaselineDays != 0 || rep.Windows.DataStart != day("2026-09-20") {
			t.Fatalf("windows %+v, want no baseline days and data from 2026-09-20", rep.Windows)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].State != trends.StateNew || rep.Rows[0].PUp != 1 {
			t.Fatalf("rows %+v", rep.Rows)
		}
		if want := "3 reports in 2026-09-04..2026-10-01; the store has no data before 2026-09-20 to compare with"; rep.Rows[0].Reason != want {
			t.Errorf("reason %q, want %q", rep.Rows[0].Reason, want)
		}
	})
	t.Run("data from inside the baseline", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		c := f.cluster("part", "", "")
		for _, d := range []string{"2026-08-06", "2026-08-20", "2026-09-10", "2026-09-11", "2026-09-12"} {
			f.issue(c, d)
		}
		f.refresh()
		rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})
		// Baseline exposure 08-06..09-03 = 29 days.
		if rep.Windows.BaselineDays != 29 {
			t.Fatalf("baseline days %d, want 29", rep.Windows.BaselineDays)
		}
		r := rep.Rows[0]
		if r.Count != 3 || r.BaselineCount != 2 || !near(r.BaselinePerWindow, 2*28.0/29) || !near(r.Ratio, (4.0/28)/(3.0/29)) {
			t.Errorf("row %+v", r)
		}
		// P(X>=3 | 5, 28/57)
		p := 28.0 / 57
		want := 10*math.Pow(p, 3)*math.Pow(1-p, 2) + 5*math.Pow(p, 4)*(1-p) + math.Pow(p, 5)
		if !near(r.PUp, want) {
			t.Errorf("p_up %g, want %g", r.PUp, want)
		}
	})
	t.Run("empty store", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})
		if len(rep.Rows) != 0 || rep.Windows.DataStart != 0 {
			t.Fatalf("report %+v", rep)
		}
		var buf bytes.Buffer
		for _, format := range []string{"table", "markdown", "json", "csv"} {
			buf.Reset()
			if err := trends.Render(&buf, rep, format); err != nil || buf.Len() == 0 {
				t.Errorf("%s: %v, %d bytes", format, err, buf.Len())
			}
		}
	})
}

func TestComputeMergedDuringWindow(t *testing.T) {
	t.Parallel()
	for _, move := range []bool{true, false} {
		name := "members kept on the merged cluster"
		if move {
			name = "members moved to the survivor"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			b := f.cluster("bbb", "net", "")
			a := f.cluster("aaa", "other", "")
			c := f.cluster("ccc", "other", "")
			f.issue(b, "2026-07-01")
			f.issue(b, "2026-09-10")
			f.issue(b, "2026-09-20")
			f.issue(a, "2026-07-02")
			f.issue(a, "2026-07-03")
			for _, d := range []string{"2026-09-11", "2026-09-12", "2026-09-13"} {
				f.issue(a, d)
			}
			f.issue(c, "2026-09-14")
			f.refresh()
			// c merged into a, then a into b: a chain.
			f.merge(c, a, move)
			f.merge(a, b, move)
			rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01"), MinCount: 1})
			if len(rep.Rows) != 1 {
				t.Fatalf("rows %+v, want only the survivor", rep.Rows)
			}
			r := rep.Rows[0]
			// b: 2 now + 1 before; a: 3 + 2; c: 1 + 0.
			if r.Key != "bbb" || r.ClusterID != b || r.Count != 6 || r.BaselineCount != 3 || r.Topic != "net" {
				t.Errorf("row %s id %d %d/%d topic %q, want bbb %d 6/3 net", r.Key, r.ClusterID, r.Count, r.BaselineCount, r.Topic, b)
			}
			if !equalInt64s(r.MergedIDs, []int64{a, c}) {
				t.Errorf("merged ids %v, want [%d %d]", r.MergedIDs, a, c)
			}
			if rep.ByClusterID(a) != &rep.Rows[0] {
				t.Errorf("ByClusterID(%d) does not find the survivor", a)
			}
			// Grouped by topic, the merged clusters' counts follow b's topic.
			topics := rowsByKey(compute(t, f, trends.Query{AsOf: asOf("2026-10-01"), MinCount: 1, By: trends.ByTopic}))
			if topics["net"].Count != 6 || topics["net"].Clusters != 1 {
				t.Errorf("topic net: %+v", topics["net"])
			}
			if _, ok := topics["other"]; ok {
				t.Errorf("topic of merged clusters still listed")
			}
		})
	}
}

func TestComputeLeavesOutDissolvedClusters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gone := f.cluster("gone", "net", "")
	kept := f.cluster("kept", "net", "")
	for _, d := range []string{"2026-09-10", "2026-09-11", "2026-09-12"} {
		f.issue(gone, d)
		f.issue(kept, d)
	}
	f.refresh()
	f.exec(`UPDATE clusters SET status = 'dissolved' WHERE id = $1`, gone)
	rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01"), By: trends.ByTopic})
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "net" || rep.Rows[0].Count != 3 || rep.Rows[0].Clusters != 1 {
		t.Errorf("rows %+v, want topic net with kept's 3 reports only", rep.Rows)
	}
}

func TestComputeGroupingsAndFilters(t *testing.T) {
	t.Parallel()
	f := mainFixture(t)
	base := trends.Query{AsOf: asOf("2026-10-01"), MinCount: 1}
	tests := []struct {
		name  string
		q     func(trends.Query) trends.Query
		want  map[string][2]int // key -> current, baseline
		clust map[string]int
	}{
		{"by topic", func(q trends.Query) trends.Query { q.By = trends.ByTopic; return q },
			// network: rise 12/3, small 3/1, esc 12/12; build: edge 3/2, back 4/0, decline 0/30;
			// auth: regr 1/3, wontfix 1/1, stillopen 1/2; none: fresh 4/0.
			map[string][2]int{"network": {27, 16}, "build": {7, 32}, "auth": {3, 6}, trends.NoneKey: {4, 0}},
			map[string]int{"network": 3, "build": 3, "auth": 3, trends.NoneKey: 1}},
		{"by category", func(q trends.Query) trends.Query { q.By = trends.ByCategory; return q },
			// crash: edge, fresh, decline; timeout: rise, esc; none: small, back, regr, wontfix, stillopen.
			map[string][2]int{"crash": {7, 32}, "timeout": {24, 15}, trends.NoneKey: {10, 7}}, nil},
		{"by tool", func(q trends.Query) trends.Query { q.By = trends.ByTool; return q },
			// go: edge, rise, esc; curl: rise, small.
			map[string][2]int{"go": {27, 17}, "curl": {15, 4}, trends.NoneKey: {11, 36}}, nil},
		{"by repo", func(q trends.Query) trends.Query { q.By = trends.ByRepo; return q },
			// acme/lib: rise's 12 current and fresh's 4.
			map[string][2]int{"acme/lib": {16, 0}, "acme/app": {25, 54}}, nil},
		{"repo filter", func(q trends.Query) trends.Query { q.Repo = "ACME/lib"; return q },
			map[string][2]int{"rise": {12, 0}, "fresh": {4, 0}}, nil},
		{"tool filter by topic", func(q trends.Query) trends.Query { q.Tool = "curl"; q.By = trends.ByTopic; return q },
			map[string][2]int{"network": {15, 4}}, nil},
		{"topic and category filter", func(q trends.Query) trends.Query { q.Topic = "build"; q.Category = "crash"; return q },
			map[string][2]int{"edge": {3, 2}, "decline": {0, 30}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := compute(t, f, tc.q(base))
			rows := rowsByKey(rep)
			if len(rows) != len(tc.want) {
				t.Errorf("%d rows, want %d: %v", len(rows), len(tc.want), keys(rows))
			}
			for k, w := range tc.want {
				r, ok := rows[k]
				if !ok || r.Count != w[0] || r.BaselineCount != w[1] {
					t.Errorf("%s: %d/%d (listed %v), want %d/%d", k, r.Count, r.BaselineCount, ok, w[0], w[1])
				}
				if n, ok := tc.clust[k]; ok && r.Clusters != n {
					t.Errorf("%s: %d clusters, want %d", k, r.Clusters, n)
				}
			}
		})
	}
	// The repo filter reads the repo rollup; a repo not in the store is an error.
	if _, err := trends.Compute(context.Background(), f.s, trends.Query{Repo: "nobody/none"}); err == nil {
		t.Errorf("unknown repo: no error")
	}
}

func TestComputeTopAndMinCount(t *testing.T) {
	t.Parallel()
	f := mainFixture(t)
	all := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})
	top := compute(t, f, trends.Query{AsOf: asOf("2026-10-01"), Top: 2})
	if len(top.Rows) != 2 || top.Groups != all.Groups || top.Rows[1].Key != all.Rows[1].Key || top.Rows[1].QUp != all.Rows[1].QUp {
		t.Errorf("top 2: %d rows of %d groups; want the first 2 of %d with the same q-values", len(top.Rows), top.Groups, all.Groups)
	}
	every := compute(t, f, trends.Query{AsOf: asOf("2026-10-01"), MinCount: -1})
	if len(every.Rows) != 10 {
		t.Errorf("min count -1: %d rows, want all 10 clusters", len(every.Rows))
	}
}

func TestRefreshIsIncremental(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.cluster("one", "", "")
	c2 := f.cluster("two", "", "")
	f.issue(c1, "2026-09-10", inRepo("x/y"))
	f.issue(c2, "2026-09-10", inRepo("x/y"))
	f.refresh()
	ctx := context.Background()
	res, err := f.s.TrendRefresh(ctx)
	if err != nil || !res.Full {
		t.Fatalf("first refresh %+v, %v; want a full rebuild", res, err)
	}
	if res, _ := f.s.TrendRefresh(ctx); res.Full || res.Clusters != 0 {
		t.Errorf("second refresh %+v, want nothing to do", res)
	}
	f.issue(c2, "2026-09-11", inRepo("x/z"))
	res, err = f.s.TrendRefresh(ctx)
	if err != nil || res.Full || res.Clusters != 1 {
		t.Errorf("after one new member: %+v, %v; want 1 cluster", res, err)
	}
	var n int
	if err := storetest.Pool(f.s).QueryRow(ctx, `SELECT sum(reports) FROM trend_repo_daily_counts WHERE cluster_id = $1`, c2).Scan(&n); err != nil || n != 2 {
		t.Errorf("cluster two has %d reports in the repo rollup (%v), want 2", n, err)
	}
	// Closing the issue as fixed marks the cluster dirty and records a fix.
	f.exec(`UPDATE issues SET state = 'closed', state_reason = 'completed', closed_at = '2026-09-12T00:00:00Z' WHERE id IN (SELECT issue_id FROM cluster_members WHERE cluster_id = $1)`, c1)
	if res, _ := f.s.TrendRefresh(ctx); res.Clusters != 1 {
		t.Errorf("after closing: %+v, want 1 cluster", res)
	}
	fixes, err := f.s.TrendFixes(ctx, ts("2027-01-01"))
	if err != nil || len(fixes) != 1 || fixes[0].ClusterID != c1 || !fixes[0].FixedAt.Equal(ts("2026-09-12T00:00:00Z")) {
		t.Errorf("fixes %+v, %v", fixes, err)
	}
	// An upsert from sync or import (INSERT ... ON CONFLICT DO UPDATE)
	// that closes an issue of cluster two marks it too.
	closedAt := ts("2026-09-13T00:00:00Z")
	if _, err := f.s.IssueUpsertMany(ctx, nil, []store.Issue{{Repository: "x/y", Number: 2, State: "closed", StateReason: "completed",
		Title: "issue 2", HTMLURL: "https://github.com/x/y/issues/2", CreatedAt: ts("2026-09-10"), UpdatedAt: ts("2026-09-20"),
		ClosedAt: &closedAt, Raw: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.s.TrendRefresh(ctx); err != nil || res.Clusters != 1 {
		t.Errorf("after an upsert closing an issue: %+v, %v; want 1 cluster", res, err)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	f := mainFixture(t)
	rep := compute(t, f, trends.Query{AsOf: asOf("2026-10-01")})
	for _, tc := range []struct{ format, file string }{
		{"table", "trends.txt"}, {"markdown", "trends.md"}, {"json", "trends.json"}, {"csv", "trends.csv"},
	} {
		var buf bytes.Buffer
		if err := trends.Render(&buf, rep, tc.format); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.file, buf.Bytes())
	}
	svg, err := trends.WeeklyChartSVG(rep.ByClusterID(rep.Rows[0].ClusterID).Weekly, "esc: reports per week")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("<text")) || !bytes.Contains(svg, []byte("<title")) {
		t.Errorf("chart has no text or title elements")
	}
	golden(t, "esc.svg", svg)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update and review the diff)\ngot:\n%s", name, got)
	}
}

func day(s string) trends.Day {
	d, err := trends.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func keys(m map[string]trends.Row) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalInt64s(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rollups returns the trend rollups as text, in key order.
func rollups(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT format('counts %s %s %s: %s %s %s', cluster_id, repository_id, day, reports, comments, reactions)
		 FROM trend_repo_daily_counts ORDER BY cluster_id, repository_id, day`,
		`SELECT format('fix %s %s %s', cluster_id, fixed_at AT TIME ZONE 'UTC', fixed_issue_id)
		 FROM trend_cluster_fixes ORDER BY cluster_id, fixed_at, fixed_issue_id`,
	} {
		rows, err := storetest.Pool(f.s).Query(f.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, lines...)
	}
	return out
}

// New members (with their comments) and new comments on members are added
// to the rollups, not recomputed: the result must be what a full rebuild
// of the same store gives, fix moments included.
func TestRefreshAdditionsMatchFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c1 := f.cluster("one", "", "")
	c2 := f.cluster("two", "", "")
	c3 := f.cluster("three", "", "")
	c4 := f.cluster("four", "", "")
	old := f.issue(c1, "2026-09-01", closed("2026-09-05T00:00:00Z", "completed"), withComments("2026-09-02"))
	f.issue(c1, "2026-09-03", closed("2026-09-12T00:00:00Z", "completed"))
	f.issue(c2, "2026-09-03", withComments("2026-09-04", "2026-09-05"), withReactions(2))
	f.issue(c3, "2026-08-01", closed("2026-08-02T00:00:00Z", "completed"))
	f.issue(c4, "2026-07-01")
	f.refresh()
	if _, err := f.s.TrendRefresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rollups(t, f); len(got) == 0 {
		t.Fatal("no rollups after the first refresh")
	}
	// Open since before cluster one's fix of 09-12: that fix ends.
	f.issue(c1, "2026-09-10", withComments("2026-09-11"))
	// Another repository, comments on two days, reactions.
	f.issue(c2, "2026-09-10", inRepo("x/z"), withComments("2026-09-10", "2026-09-20"), withReactions(3))
	// Closed as fixed with nothing else open: a new fix moment.
	f.issue(c3, "2026-08-05", closed("2026-08-06T00:00:00Z", "completed"))
	// Closed as fixed while an older report is still open: no fix.
	f.issue(c4, "2026-07-02", closed("2026-07-03T00:00:00Z", "completed"))
	// A comment on an old member, and one on a member added in the same
	// refresh (counted once, with its member).
	f.exec(`INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw) VALUES ($1, 'late', '2026-09-15T00:00:00Z', '2026-09-15T00:00:00Z', '{}')`, old)
	added := f.issue(c2, "2026-09-16")
	f.exec(`INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw) VALUES ($1, 'after', '2026-09-17T00:00:00Z', '2026-09-17T00:00:00Z', '{}')`, added)
	f.refresh()
	res, err := f.s.TrendRefresh(ctx)
	if err != nil || res.Full || res.Added != 7 || res.Clusters != 4 {
		t.Fatalf("refresh after additions: %+v, %v; want 5 members and 2 comments added to 4 clusters", res, err)
	}
	inc := rollups(t, f)
	f.exec(`INSERT INTO trend_dirty VALUES (0)`)
	if res, err := f.s.TrendRefresh(ctx); err != nil || !res.Full {
		t.Fatalf("forced rebuild: %+v, %v", res, err)
	}
	if full := rollups(t, f); !reflect.DeepEqual(inc, full) {
		t.Errorf("rollups after additions differ from a rebuild:\nadded   %q\nrebuilt %q", inc, full)
	}
	fixes, err := f.s.TrendFixes(ctx, ts("2027-01-01"))
	if err != nil || len(fixes) != 1 || fixes[0].ClusterID != c3 || !fixes[0].FixedAt.Equal(ts("2026-08-06T00:00:00Z")) {
		t.Errorf("fixes %+v, %v; want cluster three's of 08-06 only", fixes, err)
	}
}

// A statement adding more than 20,000 members or comments (a first
// classify, an import) marks their clusters for a recompute instead of
// recording each row; the result is the same as a rebuild.
func TestRefreshLargeAdditionsRecompute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c1 := f.cluster("one", "", "")
	c2 := f.cluster("two", "", "")
	f.issue(c2, "2026-09-01", withComments("2026-09-02"))
	if _, err := f.s.TrendRefresh(ctx); err != nil {
		t.Fatal(err)
	}
	repo := f.repo("acme/app")
	f.exec(`INSERT INTO issues (repository_id, number, state, title, html_url, created_at, updated_at, raw)
		SELECT $1, 1000 + g, 'open', 't', 'u' || g, TIMESTAMPTZ '2026-08-01' + g * interval '1 minute', now(), '{}'
		FROM generate_series(1, 20001) g`, repo)
	f.exec(`INSERT INTO cluster_members (issue_id, cluster_id, score, reason)
		SELECT id, $1, 1, 'test' FROM issues WHERE number > 1000`, c1)
	f.exec(`INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw)
		SELECT id, 'bulk', created_at + interval '1 hour', now(), '{}' FROM issues WHERE number > 1000`)
	res, err := f.s.TrendRefresh(ctx)
	if err != nil || res.Full || res.Added != 0 || res.Clusters != 1 {
		t.Fatalf("refresh after 20,001 members and comments: %+v, %v; want cluster one recomputed, nothing added", res, err)
	}
	inc := rollups(t, f)
	f.exec(`INSERT INTO trend_dirty VALUES (0)`)
	if _, err := f.s.TrendRefresh(ctx); err != nil {
		t.Fatal(err)
	}
	if full := rollups(t, f); !reflect.DeepEqual(inc, full) {
		t.Errorf("rollups after a large addition differ from a rebuild (%d against %d rows)", len(inc), len(full))
	}
}
