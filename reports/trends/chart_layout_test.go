package trends

import (
	"regexp"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TestWeeklyChartLayout checks what a reader of the chart sees: the week
// labels carry the year (16 weeks often span New Year), the legend keeps
// clear of the y axis, and no bar reaches into the legend, whatever the
// bars' heights.
func TestWeeklyChartLayout(t *testing.T) {
	t.Parallel()
	start := DayOf(time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name    string
		reports func(i int) int
	}{
		{"tall first weeks", func(i int) int { return max(1, 9-i) }},
		{"even", func(i int) int { return 5 }},
		{"one spike", func(i int) int { return map[bool]int{true: 40, false: 1}[i == 1] }},
		{"small counts", func(i int) int { return i % 2 }},
	}
	dateRe := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			weeks := make([]WeekCount, 16)
			for i := range weeks {
				weeks[i] = WeekCount{Start: start + Day(7*i), Current: i >= 12, Counts: Counts{Reports: tc.reports(i)}}
			}
			p, err := weeklyPlot(weeks, "an error title")
			if err != nil {
				t.Fatal(err)
			}
			labels := 0
			for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
				if tk.Label == "" {
					continue
				}
				labels++
				if !dateRe.MatchString(tk.Label) {
					t.Errorf("week label %q has no year (want YYYY-MM-DD)", tk.Label)
				}
			}
			if labels < 3 {
				t.Fatalf("%d week labels, want at least 3", labels)
			}

			svg := newSVGCanvas(chartWidth, chartHeight)
			defer svg.release()
			dc := p.DataCanvas(draw.New(svg))
			lr := p.Legend.Rectangle(dc)
			if lr.Min.X < dc.Min.X+vg.Points(4) {
				t.Errorf("legend starts at x=%.1f, on the y axis at x=%.1f", lr.Min.X, dc.Min.X)
			}
			trX, trY := p.Transforms(&dc)
			for i, w := range weeks {
				x, top := trX(float64(i)), trY(float64(w.Reports))
				if x+vg.Points(15) >= lr.Min.X && x-vg.Points(15) <= lr.Max.X && top > lr.Min.Y-vg.Points(2) {
					t.Errorf("bar %d (%d reports) reaches y=%.1f, into the legend (bottom y=%.1f)", i, w.Reports, top, lr.Min.Y)
				}
			}
		})
	}
}
