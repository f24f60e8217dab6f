package pages

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

// The trends page lists the clusters whose reports changed most, computed
// by the trends package (trends.Compute, default windows: 28 days against
// the three windows before) as of the newest evidence in the store, never
// the clock, so it is as reproducible as the other pages. Each row links to
// the cluster's page.

const trendsRows = 30

// TrendsReport computes the report the trends page shows: by cluster,
// default windows, every row, as of asOf (store.PageAsOf, the newest
// evidence). A caller that publishes both the pages and a trends file
// computes it once and hands it to Generate (Options.Trends).
func TrendsReport(ctx context.Context, s *store.Store, asOf time.Time) (*trends.Report, error) {
	q, err := trends.Query{AsOf: asOf, By: trends.ByCluster}.Normalize(asOf)
	if err != nil {
		return nil, err
	}
	rep, err := trends.Compute(ctx, s, q)
	if err != nil {
		return nil, fmt.Errorf("trends page: %w", err)
	}
	return rep, nil
}

// usableTrends reports whether rep is the report TrendsReport computes as
// of asOf: by cluster, default windows, every row, the same day.
func usableTrends(rep *trends.Report, asOf time.Time) bool {
	if rep == nil {
		return false
	}
	want, err := trends.Query{AsOf: asOf, By: trends.ByCluster}.Normalize(asOf)
	if err != nil {
		return false
	}
	q := rep.Query
	return trends.DayOf(q.AsOf) == trends.DayOf(want.AsOf) && q.By == want.By && q.Signal == want.Signal &&
		q.WindowDays == want.WindowDays && q.Baselines == want.Baselines && q.MinCount == want.MinCount &&
		q.Alpha == want.Alpha && q.Top == 0 && q.Topic == "" && q.Category == "" && q.Repo == "" && q.Tool == ""
}

// trendsPage renders the trends page from rep (TrendsReport), listing its
// first trendsRows rows.
func trendsPage(f Format, rep *trends.Report, live map[int64]string, paths map[string]string, titles map[int64]string) string {
	q := rep.Query
	rows := rep.Rows
	if len(rows) > trendsRows {
		rows = rows[:trendsRows]
	}
	from := "trends"
	var b strings.Builder
	b.WriteString(frontMatter(f, "Trends", "Which errors are reported more, or less, than before."))
	fmt.Fprintf(&b, "Reports from %s to %s compared with the %d windows of %d days before (%s to %s). ",
		rep.Windows.Current.From, rep.Windows.Current.To, q.Baselines, q.WindowDays, rep.Windows.Baseline.From, rep.Windows.Baseline.To)
	b.WriteString("States and reasons come from an exact Poisson rate test per cluster.\n\n")
	if len(rep.Rows) == 0 {
		b.WriteString("No cluster has enough reports in these windows for a trend.\n")
		return b.String()
	}
	b.WriteString("| Error | State | Now | Before (per window) | Why |\n| --- | --- | ---: | ---: | --- |\n")
	for _, r := range rows {
		title := titles[r.ClusterID]
		if title == "" {
			title = r.Label
		}
		name := cell(title, 100)
		if slug, ok := live[r.ClusterID]; ok {
			name = ilink(truncate(oneLine(title), 100), relURL(f, from, paths[slug]))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %s |\n", name, cell(string(r.State), 20), r.Count, r.BaselinePerWindow, cell(r.Reason, 200))
	}
	return b.String()
}
