// Package trends answers "which error areas are growing?": it compares the
// reports of a recent window with the preceding baseline windows for each
// cluster, topic, category, tool or repository, labels each group New,
// Regressed, Escalating, Rising, Stable or Declining with the reason in
// words, and renders the result as a terminal table, Markdown, JSON, CSV and
// SVG charts of weekly counts.
//
// Counts come from pre-aggregated daily counts (cluster_daily_counts kept by
// classify, and trend_repo_daily_counts kept by store.TrendRefresh for
// repository grouping and filters), never from a scan of issues.
//
// # Windows
//
// Days are UTC days. The current window is the Window days ending with the
// as-of day, inclusive: as of 2026-10-01 with a 28-day window it is
// 2026-09-04..2026-10-01. The baseline is the Baselines windows of the same
// length just before it (by default 3: 2026-06-12..2026-09-03). When the
// store has no data before some baseline day (the earliest day in
// cluster_daily_counts), the baseline exposure is shortened to the days that
// have data, so a freshly imported store does not make everything look new.
//
// # Statistics
//
// For each group with x reports in the current window (t1 days) and y in the
// baseline (t0 days):
//
//   - ratio is the smoothed rate ratio ((x+1)/t1) / ((y+1)/t0): a pseudo-count
//     of one report on both sides avoids dividing by zero and damps tiny
//     counts (1 -> 3 over equal windows is 2.0, not 3.0);
//   - p_up is the exact one-sided conditional test for Poisson rates: given
//     n = x+y, x is Binomial(n, t1/(t1+t0)) when the rate did not change, and
//     p_up = P(X >= x); p_down = P(X <= x);
//   - q_up and q_down are Benjamini-Hochberg adjusted p-values over all
//     listed groups (after filters and --min-count, before --top), so testing
//     5,000 clusters does not produce 250 false surges at alpha 0.05.
//
// # States
//
// Decided in this order; the first that applies wins:
//
//   - New: no report of the group before the current window (ever), and at
//     least MinCount reports in it.
//   - Regressed (clusters, and topic/category/tool groups through their
//     clusters): every earlier report of the cluster was closed, the last one
//     closed as fixed (state_reason completed, or no reason as GitHub
//     recorded before 2022), and a new report arrived afterwards, the first
//     of them inside the current window. Judged on the whole cluster, before
//     the --repo filter; by repository there is no Regressed state.
//   - Escalating: the last 7 days exceed a Sentry-style ceiling, the larger
//     of a spike limit (mean + clamp((mean+5sd)/mean, 5, 8) * mean) and a
//     burst limit (max * clamp(5 e^(-0.65 cv), 2, 5)) of the baseline weeks,
//     with at least MinCount reports and a significant exact test of that week
//     against the baseline (BH-adjusted q < Alpha).
//   - Rising: q_up < Alpha, ratio >= 1.5 and at least MinCount reports.
//   - Declining: q_down < Alpha and ratio <= 1/1.5.
//   - Stable: anything else, including changes too small to be sure of.
//
// # Merged clusters
//
// A cluster merged into another (clusters.merged_into, or a "merge" row of
// cluster_redirects) counts toward the cluster it finally merged into, for
// every day, so a merge inside the window never looks like a surge of the
// survivor or a collapse of the merged cluster. Dissolved clusters are left
// out.
package trends

import (
	"time"
)

// Grouping says what one row of a report is.
type Grouping string

// Groupings.
const (
	ByCluster  Grouping = "cluster"
	ByTopic    Grouping = "topic"
	ByCategory Grouping = "category"
	ByTool     Grouping = "tool"
	ByRepo     Grouping = "repo"
)

// Signal is the count the states are computed on.
type Signal string

// Signals. Reports are new issues; comments are new comments on the group's
// issues (the "same here" replies), by the comment's day; reactions are the
// reactions on the group's issues, dated by the day (GitHub gives
// no date per reaction, and classify does not count comment reactions);
// activity is the sum of all three.
const (
	SignalReports   Signal = "reports"
	SignalComments  Signal = "comments"
	SignalReactions Signal = "reactions"
	SignalActivity  Signal = "activity"
)

// State is a group's trend label.
type State string

// States, see the package documentation for their rules.
const (
	StateNew        State = "New"
	StateRegressed  State = "Regressed"
	StateEscalating State = "Escalating"
	StateRising     State = "Rising"
	StateStable     State = "Stable"
	StateDeclining  State = "Declining"
)

// Defaults for Query fields left zero.
const (
	DefaultWindowDays = 28
	DefaultBaselines  = 3
	DefaultMinCount   = 3
	DefaultAlpha      = 0.05
	// RisingRatio is the smallest smoothed ratio called Rising (and its
	// inverse the largest called Declining).
	RisingRatio = 1.5
)

// Query says what to compute. The zero value of every field but AsOf means
// its default; a zero AsOf means now.
type Query struct {
	// AsOf: the last day of the current window (its UTC date is used).
	AsOf time.Time `json:"as_of"`
	// WindowDays is the length of the current window and of each baseline
	// window, in days (default 28).
	WindowDays int `json:"window_days"`
	// Baselines is the number of windows before the current one that form
	// the baseline (default 3).
	Baselines int      `json:"baselines"`
	By        Grouping `json:"by"`
	Signal    Signal   `json:"signal"`
	// Top keeps the first Top rows after sorting; 0 keeps all.
	Top int `json:"top"`
	// MinCount: a group is listed when it has at least MinCount of the
	// signal in the current window or on average per baseline window, and
	// New, Rising, Escalating need at least MinCount in the current window
	// (default 3; -1 lists everything, for chart callers).
	MinCount int `json:"min_count"`
	// Alpha is the false discovery rate for the BH-adjusted tests (default
	// 0.05).
	Alpha float64 `json:"alpha"`
	// Filters; empty means all. Topic, Category and Tool match the
	// cluster's labels exactly; Repo matches "owner/name" case-insensitively.
	Topic    string `json:"topic,omitempty"`
	Category string `json:"category,omitempty"`
	Repo     string `json:"repo,omitempty"`
	Tool     string `json:"tool,omitempty"`
}

// Report is the result of Compute: the normalized query, the windows it
// covered and one row per group, sorted (see Compute).
type Report struct {
	Query   Query   `json:"query"`
	Windows Windows `json:"windows"`
	// Groups is the number of groups considered (after filters and
	// min-count) before Top cut the list.
	Groups int   `json:"groups"`
	Rows   []Row `json:"rows"`
	// Weeks are the start days of the weekly buckets, oldest first, the
	// same for every row.
	Weeks []Day `json:"weeks"`
}

// Windows are the day ranges a report compares, all inclusive UTC days.
type Windows struct {
	Current  DayRange `json:"current"`
	Baseline DayRange `json:"baseline"`
	// BaselineDays is the baseline exposure in days: the baseline's length,
	// shortened when the store has no data for its first days.
	BaselineDays int `json:"baseline_days"`
	// DataStart is the earliest day with any count in the store (zero when
	// the store is empty).
	DataStart Day `json:"data_start"`
}

// DayRange is an inclusive range of UTC days.
type DayRange struct {
	From Day `json:"from"`
	To   Day `json:"to"`
}

// Days returns the number of days in r.
func (r DayRange) Days() int { return r.To.Sub(r.From) + 1 }

// Row is one group of a report.
type Row struct {
	// Key identifies the group: the cluster slug, the topic, category, tool
	// or repository name.
	Key string `json:"key"`
	// Label is the human title (cluster title; the key for other groups).
	Label string `json:"label"`
	// ClusterID is set for cluster rows (the surviving cluster's id);
	// MergedIDs lists clusters merged into it whose counts are included.
	ClusterID int64   `json:"cluster_id,omitempty"`
	MergedIDs []int64 `json:"merged_ids,omitempty"`
	Topic     string  `json:"topic,omitempty"`
	Category  string  `json:"category,omitempty"`
	// Clusters is the number of (surviving) clusters in the group.
	Clusters int `json:"clusters"`

	State  State  `json:"state"`
	Reason string `json:"reason"`

	// Current and Baseline count every signal in the two windows.
	Current  Counts `json:"current"`
	Baseline Counts `json:"baseline"`
	// Count and BaselineCount are the chosen signal; BaselinePerWindow is
	// BaselineCount scaled to one window of WindowDays.
	Count             int     `json:"count"`
	BaselineCount     int     `json:"baseline_count"`
	BaselinePerWindow float64 `json:"baseline_per_window"`
	// Change is the raw rate change (x/t1)/(y/t0) - 1, nil when the baseline
	// is zero.
	Change *float64 `json:"change"`
	Ratio  float64  `json:"ratio"`
	PUp    float64  `json:"p_up"`
	QUp    float64  `json:"q_up"`
	PDown  float64  `json:"p_down"`
	QDown  float64  `json:"q_down"`

	// LastWeek is the signal in the last 7 days; Ceiling the escalation
	// ceiling from the baseline weeks (0 when no full baseline week);
	// PWeek/QWeek the test of the last week against the baseline.
	LastWeek int     `json:"last_week"`
	Ceiling  float64 `json:"ceiling"`
	PWeek    float64 `json:"p_week"`
	QWeek    float64 `json:"q_week"`

	// FirstSeen is the first day with a report when it falls inside the
	// current window or baseline; LastBefore the last day with a report
	// before the current window (zero when none).
	LastBefore Day `json:"last_before,omitempty"`
	// FixedAt is the moment every earlier report was closed, the last as
	// fixed, for Regressed rows; AfterFix the reports since, in the window.
	FixedAt  *time.Time `json:"fixed_at,omitempty"`
	AfterFix int        `json:"after_fix,omitempty"`

	// Weekly holds the counts per week, aligned with Report.Weeks.
	Weekly []WeekCount `json:"weekly"`
}

// Counts are the three signals over some days.
type Counts struct {
	Reports   int `json:"reports"`
	Comments  int `json:"comments"`
	Reactions int `json:"reactions"`
}

// Of returns the value of one signal.
func (c Counts) Of(s Signal) int {
	switch s {
	case SignalComments:
		return c.Comments
	case SignalReactions:
		return c.Reactions
	case SignalActivity:
		return c.Reports + c.Comments + c.Reactions
	default:
		return c.Reports
	}
}

func (c *Counts) add(o Counts) {
	c.Reports += o.Reports
	c.Comments += o.Comments
	c.Reactions += o.Reactions
}

// WeekCount is one week of counts: the 7 UTC days starting at Start. Days
// before the store's data start are still listed (with zero counts);
// Current marks weeks that lie inside the current window.
type WeekCount struct {
	Start   Day  `json:"start"`
	Current bool `json:"current"`
	Counts
}

// ByClusterID returns the row of the surviving cluster id, or of the
// cluster merged into it, or nil.
func (r *Report) ByClusterID(id int64) *Row {
	for i := range r.Rows {
		if r.Rows[i].ClusterID == id {
			return &r.Rows[i]
		}
		for _, m := range r.Rows[i].MergedIDs {
			if m == id {
				return &r.Rows[i]
			}
		}
	}
	return nil
}
