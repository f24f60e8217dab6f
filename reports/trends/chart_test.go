package trends

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chartWeeks is an 8-week series: earlier weeks of 2 reports (mean 2), a
// current window of 1, 3, 0, 2 (y axis 0..4, ticks 0 to 4).
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
	defs   map[string]bool // glyph outline ids
	uses   []string        // glyph ids placed, in order
	groups []svgGroup      // text groups
	texts  int             // <text> elements
}

type svgGroup struct {
	transform string
	uses      int
}

// parseSVG parses svg strictly as XML, failing t on any error.
func parseSVG(t *testing.T, svg []byte) svgDoc {
	t.Helper()
	doc := svgDoc{defs: map[string]bool{}}
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	var open []*svgGroup
	root := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not valid XML: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range el.Attr {
					if a.Name.Local == name && (a.Name.Space == "" || name == "href") {
						return a.Value
					}
				}
				return ""
			}
			switch el.Name.Local {
			case "svg":
				root++
			case "text":
				doc.texts++
			case "path":
				if id := attr("id"); id != "" {
					if doc.defs[id] {
						t.Errorf("glyph %s defined twice", id)
					}
					doc.defs[id] = true
				}
			case "g":
				g := &svgGroup{transform: attr("transform")}
				open = append(open, g)
			case "use":
				var hrefs []string
				for _, a := range el.Attr {
					if a.Name.Local == "href" {
						hrefs = append(hrefs, a.Value)
					}
				}
				if len(hrefs) != 2 || hrefs[0] != hrefs[1] || !strings.HasPrefix(hrefs[0], "#") {
					t.Fatalf("use with hrefs %q, want xlink:href and href to one glyph", hrefs)
				}
				doc.uses = append(doc.uses, hrefs[0][1:])
				if len(open) == 0 {
					t.Fatal("use outside a group")
				}
				open[len(open)-1].uses++
			}
		case xml.EndElement:
			if el.Name.Local == "g" {
				if g := open[len(open)-1]; g.uses > 0 {
					doc.groups = append(doc.groups, *g)
				}
				open = open[:len(open)-1]
			}
		}
	}
	if root != 1 {
		t.Fatalf("%d svg elements", root)
	}
	for _, id := range doc.uses {
		if !doc.defs[id] {
			t.Errorf("glyph %s used but not defined", id)
		}
	}
	return doc
}

func nonSpace(ss ...string) int {
	n := 0
	for _, s := range ss {
		for _, r := range s {
			if !unicode.IsSpace(r) {
				n++
			}
		}
	}
	return n
}

// The chart draws every character of its text as a glyph: a chart that
// lost its text (or some of it) fails here.
func TestWeeklyChartSVGDrawsAllText(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	const title = "connect ECONNREFUSED 127.0.0.1:5432"
	svg, err := WeeklyChartSVG(weeks, title)
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, svg)
	if doc.texts != 0 {
		t.Errorf("%d text elements, want glyph outlines only", doc.texts)
	}
	want := nonSpace(title, "reports per week", "week starting (UTC)",
		"0", "1", "2", "3", "4", // y ticks
		weeks[3].Start.String(), weeks[7].Start.String(), // every 4th week from the last, with the year
		"earlier weeks", "current window", "earlier mean 2/week")
	if len(doc.uses) != want {
		t.Errorf("%d glyphs placed, want %d (one per non-space character)", len(doc.uses), want)
	}
	// The title is the one 11pt text (11/2048 font units per point).
	var titleGlyphs int
	for _, g := range doc.groups {
		if strings.HasPrefix(g.transform, "matrix(0.00537109375,0,0,-0.00537109375,") {
			titleGlyphs += g.uses
		}
	}
	if titleGlyphs != nonSpace(title) {
		t.Errorf("title drawn with %d glyphs, want %d", titleGlyphs, nonSpace(title))
	}
	// Glyphs are defined once each, with an outline.
	if len(doc.defs) == 0 || len(doc.defs) > len(doc.uses) {
		t.Errorf("%d glyphs defined for %d placed", len(doc.defs), len(doc.uses))
	}
	if !bytes.Contains(svg, []byte(`<path id="g20" d="M`)) { // "1" in Liberation Sans
		t.Errorf("no outline for the glyph of 1")
	}
}

// Charts drawn at the same time, with glyphs no chart has used before (so
// the caches fill concurrently), are identical to each other and to the
// chart drawn alone. Run with -race.
func TestWeeklyChartSVGConcurrentCallsAgree(t *testing.T) {
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
		parseSVG(t, svg)
	}
}

// Titles come from issue titles: whatever runes they hold, the chart is
// well-formed XML and does not contain the text itself.
func TestWeeklyChartSVGOddTitles(t *testing.T) {
	t.Parallel()
	weeks := chartWeeks(t)
	var many strings.Builder // more distinct runes than the caches hold
	for r := rune(0x4e00); r < 0x4e00+maxCachedRunes+500; r++ {
		many.WriteRune(r)
	}
	for _, title := range []string{
		`crash 😀 in 好的 module`,
		"control \x00\x01\x1b[31m\x7f chars\r\ttab",
		"format \u200b\u202e\u2028\ufeff chars", // Liberation Sans has blank glyphs for some
		`</svg><script>alert("x")</script>`,
		`"quoted" & 'single' <b>bold</b> ]]> <!-- -->`,
		"two\nlines",
		"invalid \xff\xfe UTF-8",
		"",
		"   ",
		many.String(),
	} {
		svg, err := WeeklyChartSVG(weeks, title)
		if err != nil {
			t.Fatalf("%.40q: %v", title, err)
		}
		doc := parseSVG(t, svg)
		if doc.texts != 0 {
			t.Errorf("%.40q: text elements", title)
		}
		for _, raw := range []string{"</svg><", "script", "quoted", "bold", "😀", "好", "\x1b", "\x00"} {
			if strings.Contains(title, raw) && bytes.Contains(svg, []byte(raw)) {
				t.Errorf("%.40q: the chart contains %q", title, raw)
			}
		}
		if bytes.Count(svg, []byte("</svg>")) != 1 {
			t.Errorf("%.40q: more than one </svg>", title)
		}
		// Every character but spaces and newlines is drawn, a character
		// the font lacks (and the control characters) as the .notdef box.
		if strings.HasPrefix(title, "format") {
			continue
		}
		var titleGlyphs int
		for _, g := range doc.groups {
			if strings.HasPrefix(g.transform, "matrix(0.00537109375,0,0,-0.00537109375,") {
				titleGlyphs += g.uses
			}
		}
		if want := len([]rune(title)) - strings.Count(title, " ") - strings.Count(title, "\n"); titleGlyphs != want {
			t.Errorf("%.40q: title drawn with %d glyphs, want %d", title, titleGlyphs, want)
		}
	}
	// The caches stayed within their bounds.
	fc := faceCacheOf(plot.DefaultTextHandler.Cache().Lookup(font.Font{Typeface: "Liberation", Variant: "Sans"}, 11).Face)
	fc.mu.RLock()
	defer fc.mu.RUnlock()
	if len(fc.runes) > maxCachedRunes || len(fc.glyphs) > maxCachedGlyphs || len(fc.kerns) > maxCachedKerns {
		t.Errorf("caches hold %d runes, %d glyphs, %d kerning pairs", len(fc.runes), len(fc.glyphs), len(fc.kerns))
	}
}

// outlineText measures text exactly as text.Plain does: the layout of
// the chart does not change with the cache.
func TestOutlineTextMeasuresLikePlain(t *testing.T) {
	t.Parallel()
	plain := plot.DefaultTextHandler.(text.Plain)
	ours := outlineText{fonts: plain.Fonts}
	for _, f := range []font.Font{
		{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(8)},
		{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(11)},
		{Typeface: "Liberation", Variant: "Serif", Size: vg.Points(9)},
		{Typeface: "Liberation", Variant: "Mono", Size: vg.Points(7.5)},
		{Typeface: "NoSuchFont", Variant: "Sans", Size: vg.Points(10)},
	} {
		if a, b := plain.Extents(f), ours.Extents(f); a != b {
			t.Errorf("%v: extents %v, want %v", f, b, a)
		}
		for _, s := range []string{"", " ", "AVAWAY Tj To Yo", "earlier mean 0.25/week", "Jan 2", "10",
			"Ωμέγα Ж 好 😀", "fi ffl ‘quotes’ — dash", "TypeError: Cannot read properties of undefined (reading 'map')"} {
			w0, h0, d0 := plain.Box(s, f)
			w1, h1, d1 := ours.Box(s, f)
			if w0 != w1 || h0 != h1 || d0 != d1 {
				t.Errorf("%v %q: box %v %v %v, want %v %v %v", f, s, w1, h1, d1, w0, h0, d0)
			}
		}
	}
	for _, s := range []string{"a\nb", "a\n", "\n\nx\n\n", "", "x"} {
		if a, b := plain.Lines(s), ours.Lines(s); strings.Join(a, "|") != strings.Join(b, "|") || len(a) != len(b) {
			t.Errorf("Lines(%q) = %q, want %q", s, b, a)
		}
	}
}

// Apart from text, svgCanvas writes what vgsvg writes (the chart looked
// the same before it had its own canvas).
func TestSVGCanvasWritesLikeVgsvg(t *testing.T) {
	t.Parallel()
	draw := func(c vg.Canvas) {
		var p vg.Path
		p.Move(vg.Point{X: 1, Y: 2})
		p.Line(vg.Point{X: 100.123456, Y: 2})
		p.QuadTo(vg.Point{X: 3, Y: 4}, vg.Point{X: 5.5, Y: 6})
		p.CubeTo(vg.Point{X: 7, Y: 8}, vg.Point{X: 9, Y: 10}, vg.Point{X: 0.000012345, Y: -12345.678})
		p.Arc(vg.Point{X: 50, Y: 50}, 10, 0, math.Pi/3)
		p.Arc(vg.Point{X: 50, Y: 50}, 10, 1, -4)
		p.Arc(vg.Point{X: 20, Y: 20}, 5, 0.5, 2*math.Pi)
		p.Arc(vg.Point{X: 20, Y: 20}, 5, 0.5, -7)
		p.Close()
		for _, clr := range []color.Color{nil, color.Black, color.White, colorCurrent,
			color.RGBA{R: 0x80, A: 0x80}, color.NRGBA{G: 0xff, B: 0x10, A: 0x33}, color.Gray16{Y: 0x1234}} {
			c.SetColor(clr)
			c.Fill(p)
			for _, w := range []vg.Length{0, 1, 0.5, 2.25} {
				c.SetLineWidth(w)
				c.SetLineDash(nil, 0)
				c.Stroke(p)
				c.SetLineDash([]vg.Length{4, 3}, 1.5)
				c.Stroke(p)
			}
		}
		c.Push()
		c.Translate(vg.Point{X: 10.5, Y: -3})
		c.Rotate(math.Pi / 2)
		c.Push()
		c.Scale(2, 0.5)
		c.Fill(p)
		c.Pop()
		c.Rotate(-0.25)
		c.Stroke(p)
		c.Pop()
		c.Translate(vg.Point{X: 1, Y: 1}) // left open: closed when written
		c.Fill(p)
		img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
		img.Set(1, 0, colorCurrent)
		c.DrawImage(vg.Rectangle{Min: vg.Point{X: 3, Y: 4}, Max: vg.Point{X: 13.5, Y: 9}}, img)
	}
	want := vgsvg.New(chartWidth, chartHeight)
	draw(want)
	var buf bytes.Buffer
	if _, err := want.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	c := newSVGCanvas(chartWidth, chartHeight)
	defer c.release()
	draw(c)
	got := c.bytes()
	strip := func(b []byte) string { // the generator comment
		lines := strings.Split(string(b), "\n")
		return strings.Join(append(lines[:1:1], lines[2:]...), "\n")
	}
	if strip(got) != strip(buf.Bytes()) {
		t.Errorf("svgCanvas wrote\n%s\nvgsvg wrote\n%s", got, buf.Bytes())
	}
}
