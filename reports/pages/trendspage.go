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

func trendsPage(ctx context.Context, s *store.Store, f Format, asOf time.Time, live map[int64]string, paths map[string]string, titles map[int64]string) (string, error) {
	q, err := trends.Query{AsOf: asOf, By: trends.ByCluster, Top: trendsRows}.Normalize(asOf)
	if err != nil {
		return "", err
	}
	rep, err := trends.Compute(ctx, s, q)
	if err != nil {
		return "", fmt.Errorf("trends page: %w", err)
	}
	from := "trends"
	var b strings.Builder
	b.WriteString(frontMatter(f, "Trends", "Which errors are reported more, or less, than before."))
	fmt.Fprintf(&b, "Reports from %s to %s compared with the %d windows of %d days before (%s to %s). ",
		rep.Windows.Current.From, rep.Windows.Current.To, q.Baselines, q.WindowDays, rep.Windows.Baseline.From, rep.Windows.Baseline.To)
	b.WriteString("States and reasons come from an exact Poisson rate test per cluster.\n\n")
	if len(rep.Rows) == 0 {
		b.WriteString("No cluster has enough reports in these windows for a trend.\n")
		return b.String(), nil
	}
	b.WriteString("| Error | State | Now | Before (per window) | Why |\n| --- | --- | ---: | ---: | --- |\n")
	for _, r := range rep.Rows {
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
	return b.String(), nil
}
