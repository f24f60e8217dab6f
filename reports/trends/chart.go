package trends

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// WeeklyChartSVG draws the weekly report counts of one group (a Row's
// Weekly) as an SVG bar chart titled title: earlier weeks in grey, the
// weeks of the current window in orange, a dashed line at the mean of the
// earlier weeks, the first day of every fourth week (counted back from the
// last) on the x axis, and a legend at the top left with room kept above
// the bars for it.
//
// Text is SVG <text> in the reader's system sans-serif font (chartFonts),
// so the file is small and quick to write; the same input gives the same
// bytes (fit for golden tests and stable pages). Title and text are
// escaped as XML; characters XML cannot hold become U+FFFD. The chart
// carries <title> and <desc> for screen readers, and each bar a <title>
// with its week and count.
func WeeklyChartSVG(weeks []WeekCount, title string) ([]byte, error) {
	l, err := layoutWeekly(weeks)
	if err != nil {
		return nil, err
	}
	return l.svg(weeks, title), nil
}

// Chart geometry, in SVG user units (px).
const (
	chartWidth, chartHeight          = 600.0, 236.0
	plotLeft, plotRight              = 52.0, 568.0 // data area, x
	plotTop, plotBottom              = 30.0, 196.0 // data area, y
	legendX, legendY, legendRow      = plotLeft + 10, plotTop + 6, 13.0
	legendHeadroom                   = 1.45 // y axis top ≥ tallest bar × this
	colorBaseline, colorCurrent      = "#9aa5b1", "#d9480f"
	colorMean, colorAxis, colorGrid  = "#334155", "#333333", "#e5e7eb"
	chartFonts                       = `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`
	legendEntries, legendEntriesMean = 2, 3
)

// weeklyLayout is where the chart's parts go: computed apart from the
// writing so that tests can check the layout.
type weeklyLayout struct {
	yMax    float64 // value at the top of the data area
	ticks   []int   // y tick values
	slot    float64 // x distance between bar centres
	mean    float64 // mean of the earlier weeks, if hasMean
	hasMean bool
}

func layoutWeekly(weeks []WeekCount) (weeklyLayout, error) {
	if len(weeks) == 0 {
		return weeklyLayout{}, errors.New("weekly chart: no weeks")
	}
	l := weeklyLayout{slot: (plotRight - plotLeft) / float64(len(weeks))}
	maxV, sum, n := 0, 0, 0
	for _, w := range weeks {
		maxV = max(maxV, w.Reports)
		if !w.Current {
			sum += w.Reports
			n++
		}
	}
	if n > 0 {
		l.mean, l.hasMean = float64(sum)/float64(n), true
	}
	// Head room above the tallest bar for the legend, then up to a whole
	// tick step so the top gridline carries a label.
	top := math.Max(4, float64(maxV)*legendHeadroom)
	step := tickStep(top)
	l.yMax = math.Ceil(top/float64(step)) * float64(step)
	for v := 0; float64(v) <= l.yMax; v += step {
		l.ticks = append(l.ticks, v)
	}
	return l, nil
}

// tickStep is a step of 1, 2 or 5 times a power of ten giving at most 6
// steps up to top: counts have no fractions.
func tickStep(top float64) int {
	step := 1
	for top/float64(step) > 6 {
		switch {
		case step < 2:
			step = 2
		case step < 5:
			step = 5
		case strconv.Itoa(step)[0] == '1':
			step *= 2
		case strconv.Itoa(step)[0] == '2':
			step = step / 2 * 5
		default:
			step *= 2
		}
	}
	return step
}

// y is the SVG y of value v.
func (l weeklyLayout) y(v float64) float64 {
	return plotBottom - v/l.yMax*(plotBottom-plotTop)
}

// barX is the left edge and width of bar i.
func (l weeklyLayout) barX(i int) (x, w float64) {
	w = l.slot * 0.75
	return plotLeft + (float64(i)+0.5)*l.slot - w/2, w
}

// legendBottom is the y of the legend's lower edge.
func (l weeklyLayout) legendBottom() float64 {
	n := legendEntries
	if l.hasMean {
		n = legendEntriesMean
	}
	return legendY + float64(n)*legendRow
}

func (l weeklyLayout) svg(weeks []WeekCount, title string) []byte {
	var b bytes.Buffer
	b.Grow(4096)
	p := func(parts ...any) {
		for _, s := range parts {
			switch s := s.(type) {
			case string:
				b.WriteString(s)
			case float64:
				b.Write(strconv.AppendFloat(b.AvailableBuffer(), math.Round(s*10)/10, 'f', -1, 64))
			case int:
				b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(s), 10))
			}
		}
	}
	esc := func(s string) { _ = xml.EscapeText(&b, []byte(s)) }
	w, h := chartWidth, chartHeight
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="`, w, `" height="`, h, `" viewBox="0 0 `, w, ` `, h,
		`" role="img" aria-labelledby="chart-title chart-desc" font-family="`, chartFonts, `" font-size="11" fill="`, colorAxis, "\">\n")
	p(`<title id="chart-title">`)
	esc(title)
	p("</title>\n", `<desc id="chart-desc">Reports per week for the `, len(weeks), ` weeks from `, weeks[0].Start.String(),
		` to `, weeks[len(weeks)-1].Start.String(), ` (UTC)`)
	if l.hasMean {
		p(`; earlier weeks average `, fmtF(l.mean), ` a week`)
	}
	p(`: `)
	for i, wk := range weeks {
		if i > 0 {
			p(`, `)
		}
		p(wk.Reports)
	}
	p(".</desc>\n")
	p(`<rect width="`, w, `" height="`, h, "\" fill=\"#ffffff\"/>\n")
	p(`<text x="`, w/2, `" y="18" text-anchor="middle" font-size="13">`)
	esc(title)
	p("</text>\n")
	// Gridlines and y tick labels.
	for _, v := range l.ticks {
		y := l.y(float64(v))
		if v > 0 {
			p(`<path d="M`, plotLeft, ` `, y, `H`, plotRight, `" stroke="`, colorGrid, "\"/>\n")
		}
		p(`<text x="`, plotLeft-6, `" y="`, y+4, `" text-anchor="end" font-size="10">`, v, "</text>\n")
	}
	p(`<text transform="translate(14 `, (plotTop+plotBottom)/2, `) rotate(-90)" text-anchor="middle">reports per week</text>`, "\n")
	// Bars, each with its week and count for screen readers and tooltips.
	for i, wk := range weeks {
		if wk.Reports == 0 {
			continue
		}
		x, bw := l.barX(i)
		y := math.Round(l.y(float64(wk.Reports))*10) / 10 // so that y+height is the axis
		fill := colorBaseline
		if wk.Current {
			fill = colorCurrent
		}
		p(`<rect class="bar" x="`, x, `" y="`, y, `" width="`, bw, `" height="`, plotBottom-y, `" fill="`, fill,
			`"><title>`, wk.Start.String(), `: `, wk.Reports, `</title></rect>`, "\n")
	}
	if l.hasMean {
		p(`<path d="M`, plotLeft, ` `, l.y(l.mean), `H`, plotRight, `" stroke="`, colorMean, "\" stroke-dasharray=\"4 3\"/>\n")
	}
	// Axes and week labels.
	p(`<path d="M`, plotLeft, ` `, plotTop, `V`, plotBottom, `H`, plotRight, `" fill="none" stroke="`, colorAxis, "\"/>\n")
	for i, wk := range weeks {
		if (len(weeks)-1-i)%4 != 0 {
			continue
		}
		x := plotLeft + (float64(i)+0.5)*l.slot
		p(`<text x="`, x, `" y="`, plotBottom+14, `" text-anchor="middle" font-size="10">`, wk.Start.String(), "</text>\n")
	}
	p(`<text x="`, (plotLeft+plotRight)/2, `" y="`, h-8, "\" text-anchor=\"middle\">week starting (UTC)</text>\n")
	// Legend, clear of the y axis, in the head room above the bars.
	entry := func(row int, label string) {
		y := legendY + float64(row)*legendRow
		p(`<text x="`, legendX+22, `" y="`, y+9.5, `" font-size="10">`, label, "</text>\n")
	}
	p(`<rect x="`, legendX, `" y="`, legendY+1, `" width="16" height="9" fill="`, colorBaseline, "\"/>\n")
	entry(0, "earlier weeks")
	p(`<rect x="`, legendX, `" y="`, legendY+legendRow+1, `" width="16" height="9" fill="`, colorCurrent, "\"/>\n")
	entry(1, "current window")
	if l.hasMean {
		y := legendY + 2*legendRow + 5.5
		p(`<path d="M`, legendX, ` `, y, `h16" stroke="`, colorMean, "\" stroke-dasharray=\"4 3\"/>\n")
		entry(2, fmt.Sprintf("earlier mean %s/week", fmtF(l.mean)))
	}
	p("</svg>\n")
	return b.Bytes()
}
