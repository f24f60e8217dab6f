package trends

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// chartWeeks is an 8-week series: earlier weeks of 2 reports (mean 2), a
// current window of 1, 3, 0, 2 (y axis 0..5 with room for the legend).
func chartWeeks(t testing.TB) []WeekCount {
	t.Helper()
	start, err := ParseDay("2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	weeks := make([]WeekCount, 8)
	for i, n := range []int{2, 2, 2, 2, 1, 3, 0, 2} {
		weeks[i] = WeekCount{Start: start.AddDays(7 * i), Current: i >= 4, Counts: Counts{Reports: n}}
	}
	return weeks
}

// svgDoc is what the tests read of a chart.
type svgDoc struct {
	title string   // the document's <title>
	desc  string   // its <desc>
	texts []string // <text> contents, in order
	bars  []svgBar // rect.bar elements, in order
	other []string // names of elements not expected in a chart
}

type svgBar struct {
	x, y, width, height float64
	fill, title         string
}

// parseSVG parses svg strictly as XML, failing t on any error.
func parseSVG(t *testing.T, svg []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	var stack []string
	var text strings.Builder
	root := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not valid XML: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			text.Reset()
			attr := func(name string) string {
				for _, a := range el.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			num := func(name string) float64 {
				v, err := strconv.ParseFloat(attr(name), 64)
				if err != nil {
					t.Fatalf("%s %s: %v", el.Name.Local, name, err)
				}
				return v
			}
			switch el.Name.Local {
			case "svg":
				root++
			case "rect":
				if attr("class") == "bar" {
					doc.bars = append(doc.bars, svgBar{x: num("x"), y: num("y"), width: num("width"), height: num("height"), fill: attr("fill")})
				}
			case "text", "title", "desc", "path":
			default:
				doc.other = append(doc.other, el.Name.Local)
			}
		case xml.CharData:
			text.Write(el)
		case xml.EndElement:
			parent := ""
			if len(stack) > 1 {
				parent = stack[len(stack)-2]
			}
			switch {
			case el.Name.Local == "text":
				doc.texts = append(doc.texts, text.String())
			case el.Name.Local == "title" && parent == "svg":
				doc.title = text.String()
			case el.Name.Local == "title" && parent == "rect":
				doc.bars[len(doc.bars)-1].title = text.String()
			case el.Name.Local == "desc":
				doc.desc = text.String()
			}
			stack = stack[:len(stack)-1]
		}
	}
	if root != 1 {
		t.Fatalf("%d svg elements", root)
	}
	return doc
}

func chart(t *testing.T, weeks []WeekCount, title string) svgDoc {
	t.Helper()
	svg, err := WeeklyChartSVG(weeks, title)
	if err != nil {
		t.Fatal(err)
	}
	return parseSVG(t, svg)
}

// The chart writes its title, axis labels, y ticks, week labels (with the
// year: the weeks often span New Year) and legend as text, and has an
// accessible title and description.
func TestWeeklyChartSVGText(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	const title = "connect ECONNREFUSED 127.0.0.1:5432"
	doc := chart(t, weeks, title)
	want := []string{title,
		"0", "1", "2", "3", "4", "5", // y ticks
		"reports per week",
		weeks[3].Start.String(), weeks[7].Start.String(), // every 4th week from the last
		"week starting (UTC)",
		"earlier weeks", "current window", "earlier mean 2/week"}
	if strings.Join(doc.texts, "|") != strings.Join(want, "|") {
		t.Errorf("texts %q\nwant  %q", doc.texts, want)
	}
	if doc.title != title {
		t.Errorf("<title> %q, want %q", doc.title, title)
	}
	if !strings.Contains(doc.desc, "2026-03-02 to 2026-04-20") || !strings.HasSuffix(doc.desc, ": 2, 2, 2, 2, 1, 3, 0, 2.") {
		t.Errorf("<desc> %q does not give the weeks and counts", doc.desc)
	}
	if len(doc.other) != 0 {
		t.Errorf("unexpected elements %q", doc.other)
	}
}

// Bars are as tall as their counts, in proportion; weeks of no reports
// draw no bar; earlier and current weeks differ in colour.
func TestWeeklyChartSVGBars(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	doc := chart(t, weeks, "bars")
	var nonZero []WeekCount
	for _, w := range weeks {
		if w.Reports > 0 {
			nonZero = append(nonZero, w)
		}
	}
	if len(doc.bars) != len(nonZero) {
		t.Fatalf("%d bars, want %d (one per week with reports)", len(doc.bars), len(nonZero))
	}
	perReport := doc.bars[0].height / float64(nonZero[0].Reports)
	for i, b := range doc.bars {
		w := nonZero[i]
		if math.Abs(b.height-perReport*float64(w.Reports)) > 0.11 {
			t.Errorf("bar %d: height %v for %d reports, want %v", i, b.height, w.Reports, perReport*float64(w.Reports))
		}
		if want := w.Start.String() + ": " + strconv.Itoa(w.Reports); b.title != want {
			t.Errorf("bar %d: title %q, want %q", i, b.title, want)
		}
		if (b.fill == colorCurrent) != w.Current || (b.fill == colorBaseline) == w.Current {
			t.Errorf("bar %d (current %v): fill %s", i, w.Current, b.fill)
		}
		if i > 0 && b.x <= doc.bars[i-1].x+doc.bars[i-1].width {
			t.Errorf("bar %d overlaps bar %d", i, i-1)
		}
	}
	// All weeks empty: a chart with axes and no bars.
	empty := make([]WeekCount, len(weeks))
	for i, w := range weeks {
		empty[i] = WeekCount{Start: w.Start, Current: w.Current}
	}
	doc = chart(t, empty, "none")
	if len(doc.bars) != 0 || !strings.Contains(strings.Join(doc.texts, "|"), "|0|1|2|3|4|") {
		t.Errorf("empty weeks: %d bars, texts %q", len(doc.bars), doc.texts)
	}
	if _, err := WeeklyChartSVG(nil, "x"); err == nil {
		t.Error("no error for no weeks")
	}
}

// TestWeeklyChartLayout checks what a reader of the chart sees: the y
// ticks are whole, evenly spaced and reach above the tallest bar, the week
// labels carry the year, the legend keeps clear of the y axis, and no bar
// reaches into the legend, whatever the bars' heights.
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
		{"large counts", func(i int) int { return 1000 + 37*i }},
	}
	dateRe := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			weeks := make([]WeekCount, 26)
			maxV := 0
			for i := range weeks {
				weeks[i] = WeekCount{Start: start + Day(7*i), Current: i >= 22, Counts: Counts{Reports: tc.reports(i)}}
				maxV = max(maxV, weeks[i].Reports)
			}
			l, err := layoutWeekly(weeks)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(l.ticks); n < 3 || n > 7 || l.ticks[0] != 0 || float64(l.ticks[n-1]) != l.yMax || l.ticks[n-1] <= maxV {
				t.Errorf("ticks %v (axis top %v) for a tallest bar of %d", l.ticks, l.yMax, maxV)
			}
			for i := 2; i < len(l.ticks); i++ {
				if l.ticks[i]-l.ticks[i-1] != l.ticks[1]-l.ticks[0] {
					t.Errorf("ticks %v unevenly spaced", l.ticks)
				}
			}
			if step := strconv.Itoa(l.ticks[1]); strings.Trim(step[1:], "0") != "" || !strings.Contains("125", step[:1]) {
				t.Errorf("tick step %s is not 1, 2 or 5 times a power of ten", step)
			}
			doc := chart(t, weeks, "an error title")
			labels := 0
			for _, s := range doc.texts {
				if dateRe.MatchString(s) {
					labels++
				}
			}
			if labels != 7 { // weeks 25, 21, ..., 1
				t.Errorf("%d week labels YYYY-MM-DD, want 7", labels)
			}
			if legendX < plotLeft+4 {
				t.Errorf("legend starts at x=%v, on the y axis at x=%v", legendX, plotLeft)
			}
			for i, b := range doc.bars {
				if b.y < l.legendBottom()+2 {
					t.Errorf("bar %d reaches y=%v, into the legend (bottom y=%v)", i, b.y, l.legendBottom())
				}
				if b.y < plotTop || b.y+b.height > plotBottom+0.01 {
					t.Errorf("bar %d (y %v, height %v) outside the data area", i, b.y, b.height)
				}
			}
		})
	}
}

// Charts drawn at the same time are identical to each other and to the
// chart drawn alone. Run with -race.
func TestWeeklyChartSVGIsDeterministic(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	titles := []string{"Ошибка подключения: ЖЁЩЪ", "Σφάλμα σύνδεσης ΞΨΩ", "¿Qué pasó? Ñandú ÆØÅ"}
	const n = 8
	got := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svg, err := WeeklyChartSVG(weeks, titles[i%len(titles)])
			if err != nil {
				t.Error(err)
			}
			got[i] = svg
		}()
	}
	wg.Wait()
	for i, svg := range got {
		again, err := WeeklyChartSVG(weeks, titles[i%len(titles)])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(svg, again) {
			t.Fatalf("chart %d (%q) differs between calls", i, titles[i%len(titles)])
		}
		if i >= len(titles) && !bytes.Equal(svg, got[i%len(titles)]) {
			t.Fatalf("concurrent charts of %q differ", titles[i%len(titles)])
		}
		if doc := parseSVG(t, svg); doc.title != titles[i%len(titles)] {
			t.Errorf("title %q, want %q", doc.title, titles[i%len(titles)])
		}
	}
}

// Titles come from issue titles: whatever they hold, the chart is
// well-formed XML, shows the title as text (characters XML cannot hold
// as U+FFFD), and adds no elements.
func TestWeeklyChartSVGOddTitles(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	for _, tc := range []struct{ title, want string }{
		{`crash 😀 in 好的 module`, `crash 😀 in 好的 module`},
		{"control \x00\x01\x1b[31m\x7f chars\r\ttab", "control \ufffd\ufffd\ufffd[31m\x7f chars\r\ttab"},
		{"format \u200b\u202e\u2028\ufeff chars", "format \u200b\u202e\u2028\ufeff chars"},
		{`</svg><script>alert("x")</script>`, `</svg><script>alert("x")</script>`},
		{`"quoted" & 'single' <b>bold</b> ]]> <!-- -->`, `"quoted" & 'single' <b>bold</b> ]]> <!-- -->`},
		{"two\nlines", "two\nlines"},
		{"invalid \xff\xfe UTF-8", "invalid \ufffd\ufffd UTF-8"},
		{"", ""},
		{"   ", "   "},
	} {
		svg, err := WeeklyChartSVG(weeks, tc.title)
		if err != nil {
			t.Fatalf("%.40q: %v", tc.title, err)
		}
		doc := parseSVG(t, svg)
		if doc.title != tc.want || doc.texts[0] != tc.want {
			t.Errorf("%.40q: title %q, text %q; want %q", tc.title, doc.title, doc.texts[0], tc.want)
		}
		if len(doc.other) != 0 {
			t.Errorf("%.40q: unexpected elements %q", tc.title, doc.other)
		}
		if bytes.Count(svg, []byte("</svg>")) != 1 {
			t.Errorf("%.40q: more than one </svg>", tc.title)
		}
	}
}

// FuzzWeeklyChartSVG: whatever the title and counts, the chart is valid
// XML with one bar per week with reports, and its <title> is the title
// (invalid characters aside).
func FuzzWeeklyChartSVG(f *testing.F) {
	f.Add(`"quoted" & <b>bold</b> ]]>`, 3, 0, 40)
	f.Add("control \x00\x1b invalid \xff", 0, 0, 0)
	f.Fuzz(func(t *testing.T, title string, a, b, c int) {
		weeks := chartWeeks(t)
		for i, n := range []int{a, b, c} {
			weeks[i].Reports = max(0, n%100000)
		}
		svg, err := WeeklyChartSVG(weeks, title)
		if err != nil {
			t.Fatal(err)
		}
		doc := parseSVG(t, svg)
		bars := 0
		for _, w := range weeks {
			if w.Reports > 0 {
				bars++
			}
		}
		if len(doc.bars) != bars {
			t.Errorf("%d bars, want %d", len(doc.bars), bars)
		}
		if utf8.ValidString(title) && !strings.ContainsFunc(title, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff
		}) && doc.title != title {
			t.Errorf("title %q, want %q", doc.title, title)
		}
	})
}
