package pages

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

// Charts: each page with at least chartMinReports reports shows its
// reports per week over the chartWeeks weeks up to the newest evidence in
// the store, drawn by the trends package (trends.WeeklyChartSVG), with the
// last four weeks (the trends report's default window) highlighted. Smaller
// clusters get no chart: two bars say nothing a sentence does not.
const (
	chartMinReports = 5
	chartWeeks      = 26
	chartCurrent    = 4
)

// WeeklyChart is the default Options.Chart. The SVG depends only on its
// input, so pages stay byte-identical.
func WeeklyChart(title string, weeks []store.PageCount, asOf time.Time) []byte {
	if asOf.IsZero() {
		return nil
	}
	counts := map[trends.Day]int{}
	for _, w := range weeks {
		d, err := trends.ParseDay(w.Name)
		if err != nil {
			continue
		}
		counts[d] += w.Count
	}
	last := chartMonday(asOf)
	series := make([]trends.WeekCount, chartWeeks)
	total := 0
	for i := 0; i < chartWeeks; i++ {
		d := last.AddDays(-7 * (chartWeeks - 1 - i))
		series[i] = trends.WeekCount{Start: d, Current: i >= chartWeeks-chartCurrent, Counts: trends.Counts{Reports: counts[d]}}
		total += counts[d]
	}
	if total < chartMinReports {
		return nil // a chart of a few bars in half a year says nothing
	}
	svg, err := trends.WeeklyChartSVG(series, truncate(oneLine(title), 70))
	if err != nil {
		return nil
	}
	return svg
}

// chartKey is a short hash of a chart's input, used in its file name. Its
// version prefix changes when the drawing does, so charts published by an
// older errata are redrawn: v3 draws a plain SVG with <text> in the
// system font (v2 drew glyph outlines with gonum/plot). v4 hashes the
// Monday of the as-of week, all the drawing uses of the as-of time, so a
// later as-of time in the same week keeps the chart (and the page).
func chartKey(title string, weeks []store.PageCount, asOf time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "v4\x00%s\x00%d\x00%d\x00%d\x00%s", title, chartWeeks, chartCurrent, chartMinReports, chartMonday(asOf))
	for _, w := range weeks {
		fmt.Fprintf(h, "\x00%s=%d", w.Name, w.Count)
	}
	return hex.EncodeToString(h.Sum(nil)[:5])
}

// chartMonday is the Monday of asOf's ISO week, the last bar of a chart.
func chartMonday(asOf time.Time) trends.Day {
	last := trends.DayOf(asOf)
	wd := int(last.Time().Weekday()+6) % 7
	return last.AddDays(-wd)
}
