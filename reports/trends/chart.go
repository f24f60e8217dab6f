package trends

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart colours: earlier weeks in grey, the current window in orange.
var (
	colorBaseline = color.RGBA{R: 0x9a, G: 0xa5, B: 0xb1, A: 0xff}
	colorCurrent  = color.RGBA{R: 0xd9, G: 0x48, B: 0x0f, A: 0xff}
)

// WeeklyChartSVG draws the weekly report counts of one group (a Row's
// Weekly) as an SVG bar chart titled title: earlier weeks in grey, the
// weeks of the current window in orange, a dashed line at the mean of the
// earlier weeks, the first day of every fourth week on the x axis.
//
// Text is drawn as the glyph outlines of the Liberation Sans font compiled
// into errata (gonum.org/v1/plot's default), as SVG paths: the file needs
// no font and looks the same in every browser and viewer, and the same
// input gives the same bytes (fit for golden tests and stable pages). Each
// glyph used is defined once (<defs>) and placed with <use> (see
// svgCanvas); glyph outlines and metrics are cached process-wide (see
// faceCache), as the pages draw one chart per error page.
func WeeklyChartSVG(weeks []WeekCount, title string) ([]byte, error) {
	p, err := weeklyPlot(weeks, title)
	if err != nil {
		return nil, err
	}
	c := newSVGCanvas(chartWidth, chartHeight)
	defer c.release()
	p.Draw(draw.New(c))
	return c.bytes(), nil
}

const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 2.4 * vg.Inch

	legendHeadroom = 1.45
	legendXOffs    = 8 * vg.Millimeter / 2
)

func weeklyPlot(weeks []WeekCount, title string) (*plot.Plot, error) {
	if len(weeks) == 0 {
		return nil, errors.New("weekly chart: no weeks")
	}
	p := plot.New()
	// Text is measured with the glyph metrics cache (outlineText) and
	// drawn by svgCanvas.FillString as glyph outlines.
	hdlr := outlineText{fonts: plot.DefaultTextHandler.Cache()}
	p.TextHandler = hdlr
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Handler = hdlr
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.Text = "reports per week"
	p.Y.Label.TextStyle.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Min = 0

	bars := &weekBars{
		vals:  make([]float64, len(weeks)),
		cur:   make([]bool, len(weeks)),
		width: vg.Points(float64(360) / float64(len(weeks)) * 0.75),
	}
	names := make([]string, len(weeks))
	maxV := 0.0
	for i, w := range weeks {
		v := float64(w.Reports)
		bars.vals[i], bars.cur[i] = v, w.Current
		maxV = math.Max(maxV, v)
		if (len(weeks)-1-i)%4 == 0 {
			// With the year: the 16 weeks often span New Year.
			names[i] = w.Start.String()
		}
	}
	// Head room above the tallest bar for the legend (three entries, about
	// a quarter of the data area's height).
	p.Y.Max = math.Max(4, maxV*legendHeadroom)
	p.Y.Tick.Marker = intTicks{}
	p.Add(bars)
	p.Legend.Add("earlier weeks", barThumb{colorBaseline})
	p.Legend.Add("current window", barThumb{colorCurrent})
	// The mean of the earlier weeks, dashed, as the level to compare with.
	var sum float64
	var n int
	for _, w := range weeks {
		if !w.Current {
			sum += float64(w.Reports)
			n++
		}
	}
	if n > 0 {
		mean := sum / float64(n)
		ln, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: mean}, {X: float64(len(weeks)) - 0.5, Y: mean}})
		if err != nil {
			return nil, fmt.Errorf("weekly chart: %w", err)
		}
		ln.Color = color.RGBA{R: 0x33, G: 0x41, B: 0x55, A: 0xff}
		ln.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		ln.Width = vg.Points(1)
		p.Add(ln)
		p.Legend.Add(fmt.Sprintf("earlier mean %s/week", fmtF(mean)), ln)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	// Off the y axis, which runs along the data area's left edge.
	p.Legend.XOffs = legendXOffs
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.X.Label.Text = "week starting (UTC)"
	p.X.Label.TextStyle.Font.Size = vg.Points(9)
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Typeface, f.Variant = "Liberation", "Sans"
	}
	return p, nil
}

// weekBars draws the weekly bars, earlier weeks in colorBaseline and the
// current window in colorCurrent: what two plotter.BarCharts (one per
// colour, zero for the other weeks) without outlines draw, at a fraction
// of the cost. Bars are not clipped (the y range holds every bar), and bars
// of height zero (invisible) are not drawn.
type weekBars struct {
	vals  []float64
	cur   []bool
	width vg.Length
}

func (b *weekBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	path := make(vg.Path, 0, 5)
	for _, current := range []bool{false, true} {
		c.SetColor(colorBaseline)
		if current {
			c.SetColor(colorCurrent)
		}
		for i, v := range b.vals {
			if v == 0 || b.cur[i] != current {
				continue
			}
			x := trX(float64(i))
			if !c.ContainsX(x) {
				continue
			}
			x0, y0 := x-b.width/2, trY(0)
			x1, y1 := x0+b.width, trY(v)
			path = path[:0]
			path.Move(vg.Point{X: x0, Y: y0})
			path.Line(vg.Point{X: x0, Y: y1})
			path.Line(vg.Point{X: x1, Y: y1})
			path.Line(vg.Point{X: x1, Y: y0})
			path.Close()
			c.Fill(path)
		}
	}
}

// DataRange implements plot.DataRanger as plotter.BarChart does.
func (b *weekBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, v := range b.vals {
		ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
	}
	return 0, float64(len(b.vals) - 1), ymin, ymax
}

// GlyphBoxes implements plot.GlyphBoxer as plotter.BarChart does, so
// that the bars at the ends are not cut.
func (b *weekBars) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	boxes := make([]plot.GlyphBox, len(b.vals))
	for i := range boxes {
		boxes[i].X = plt.X.Norm(float64(i))
		boxes[i].Rectangle = vg.Rectangle{Min: vg.Point{X: -b.width / 2}, Max: vg.Point{X: b.width / 2}}
	}
	return boxes
}

// barThumb is the legend thumbnail of bars in a colour.
type barThumb struct{ color color.Color }

func (t barThumb) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(t.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
	})
}

// intTicks puts ticks on whole numbers only (counts have no fractions).
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for (max-min)/step > 6 {
		switch {
		case step < 2:
			step = 2
		case step < 5:
			step = 5
		default:
			step *= 2
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
}

// svgCanvas is the vg.Canvas the charts are drawn on. It writes SVG as
// gonum.org/v1/plot/vg/vgsvg does (same elements, styles and number
// precision, the y axis flipped by a top-level group), with strconv
// instead of fmt, except for text: FillString draws a string as one <use>
// per glyph, referring to the glyph's outline (in font units, defined once
// per document in <defs>), in a group that scales font units to points at
// the string's position. Nothing depends on installed fonts.
//
// It replaces vgsvg, which offers no way to add <defs> and formats every
// number with fmt: drawing text as outlines through it cost 1.8 ms a
// chart, 70 µs this way (docs/benchmarks.md, pages). A test checks that
// both write the same bytes for the same shapes.
//
// A canvas is used by one goroutine; canvases are pooled.
type svgCanvas struct {
	w, h  vg.Length
	body  []byte // everything inside the y-flipping group
	stack []svgContext

	faces []*sfnt.Font // faces drawn with, in first-use order (their index is part of the glyph ids)
	used  map[glyphKey]struct{}
	defs  []glyphDef // glyphs placed, in first-use order
}

type svgContext struct {
	color      color.Color
	dashArray  []vg.Length
	dashOffset vg.Length
	lineWidth  vg.Length
	gEnds      int // groups opened since the Push
}

type glyphKey struct {
	face int
	idx  sfnt.GlyphIndex
}

type glyphDef struct {
	face int
	g    *glyph
}

var canvasPool = sync.Pool{New: func() any {
	return &svgCanvas{used: make(map[glyphKey]struct{})}
}}

func newSVGCanvas(w, h vg.Length) *svgCanvas {
	c := canvasPool.Get().(*svgCanvas)
	c.w, c.h = w, h
	c.stack = append(c.stack, svgContext{})
	vg.Initialize(c)
	return c
}

// release returns c to the pool; c must not be used afterwards.
func (c *svgCanvas) release() {
	if cap(c.body) > 1<<20 {
		return // an unusually large chart: let it go
	}
	c.body = c.body[:0]
	clear(c.stack)
	c.stack = c.stack[:0]
	clear(c.faces)
	c.faces = c.faces[:0]
	clear(c.used)
	clear(c.defs)
	c.defs = c.defs[:0]
	canvasPool.Put(c)
}

// bytes returns the SVG document.
func (c *svgCanvas) bytes() []byte {
	n := 512 + len(c.body)
	for _, d := range c.defs {
		n += 32 + len(d.g.d)
	}
	b := make([]byte, 0, n)
	b = append(b, "<?xml version=\"1.0\"?>\n<!-- Generated by errata with gonum.org/v1/plot -->\n<svg width=\""...)
	b = appendG5(b, c.w.Points())
	b = append(b, `pt" height="`...)
	b = appendG5(b, c.h.Points())
	b = append(b, `pt" viewBox="0 0 `...)
	b = appendG5(b, c.w.Points())
	b = append(b, ' ')
	b = appendG5(b, c.h.Points())
	b = append(b, "\"\n\txmlns=\"http://www.w3.org/2000/svg\"\n\txmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"...)
	if len(c.defs) > 0 {
		b = append(b, "<defs>\n"...)
		for _, d := range c.defs {
			b = append(b, `<path id="`...)
			b = appendGlyphID(b, d.face, d.g.idx)
			b = append(b, `" d="`...)
			b = append(b, d.g.d...)
			b = append(b, "\"/>\n"...)
		}
		b = append(b, "</defs>\n"...)
	}
	// The origin at the bottom left, as vg wants it.
	b = append(b, `<g transform="scale(1, -1) translate(0, -`...)
	b = appendG5(b, c.h.Points())
	b = append(b, ")\">\n"...)
	b = append(b, c.body...)
	ends := 1
	for _, ctx := range c.stack {
		ends += ctx.gEnds
	}
	for range ends {
		b = append(b, "</g>\n"...)
	}
	return append(b, "</svg>\n"...)
}

func (c *svgCanvas) Size() (w, h vg.Length) { return c.w, c.h }

func (c *svgCanvas) context() *svgContext { return &c.stack[len(c.stack)-1] }

func (c *svgCanvas) SetLineWidth(w vg.Length) { c.context().lineWidth = w }

func (c *svgCanvas) SetLineDash(dashes []vg.Length, offs vg.Length) {
	c.context().dashArray = dashes
	c.context().dashOffset = offs
}

func (c *svgCanvas) SetColor(clr color.Color) { c.context().color = clr }

func (c *svgCanvas) Rotate(rad float64) {
	c.body = append(c.body, `<g transform="rotate(`...)
	c.body = strconv.AppendFloat(c.body, rad*180/math.Pi, 'g', -1, 64)
	c.body = append(c.body, ")\">\n"...)
	c.context().gEnds++
}

func (c *svgCanvas) Translate(pt vg.Point) {
	c.body = append(c.body, `<g transform="translate(`...)
	c.body = appendG5(c.body, pt.X.Points())
	c.body = append(c.body, ", "...)
	c.body = appendG5(c.body, pt.Y.Points())
	c.body = append(c.body, ")\">\n"...)
	c.context().gEnds++
}

func (c *svgCanvas) Scale(x, y float64) {
	c.body = append(c.body, `<g transform="scale(`...)
	c.body = strconv.AppendFloat(c.body, x, 'g', -1, 64)
	c.body = append(c.body, ',')
	c.body = strconv.AppendFloat(c.body, y, 'g', -1, 64)
	c.body = append(c.body, ")\">\n"...)
	c.context().gEnds++
}

func (c *svgCanvas) Push() {
	top := *c.context()
	top.gEnds = 0
	c.stack = append(c.stack, top)
}

func (c *svgCanvas) Pop() {
	for range c.context().gEnds {
		c.body = append(c.body, "</g>\n"...)
	}
	c.stack = c.stack[:len(c.stack)-1]
}

func (c *svgCanvas) Stroke(path vg.Path) {
	ctx := c.context()
	if ctx.lineWidth.Points() <= 0 {
		return
	}
	b := append(c.body, `<path d="`...)
	b = appendPathData(b, path)
	b = append(b, `" style="fill:none;stroke:`...)
	b = appendColor(b, ctx.color)
	b = appendStyleG5(b, ";stroke-opacity:", "1", opacity(ctx.color))
	b = appendStyleG5(b, ";stroke-width:", "1", ctx.lineWidth.Points())
	if len(ctx.dashArray) > 0 {
		b = append(b, ";stroke-dasharray:"...)
		for i, d := range ctx.dashArray {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendG5(b, d.Points())
		}
	}
	b = appendStyleG5(b, ";stroke-dashoffset:", "0", ctx.dashOffset.Points())
	c.body = append(b, "\" />\n"...)
}

func (c *svgCanvas) Fill(path vg.Path) {
	b := append(c.body, `<path d="`...)
	b = appendPathData(b, path)
	b = append(b, '"')
	n := len(b)
	b = appendFillStyle(b, c.context().color)
	if len(b) == n {
		b = append(b, ' ') // vgsvg writes no style as a space
	}
	c.body = append(b, " />\n"...)
}

// FillString draws str as glyph outlines, its baseline starting at pt.
// The glyphs are placed in font units, from the face's advances and
// kerning: exactly where text.Plain and font.Face.Width put them.
func (c *svgCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Face == nil {
		return
	}
	fc := faceCacheOf(f.Face)
	fi := c.faceIndex(f.Face)
	scale := f.Font.Size.Points() / float64(fc.upem)
	b := c.body
	start := len(b)
	// Glyph outlines are in font units with y down; the canvas has y up.
	b = append(b, `<g transform="matrix(`...)
	b = strconv.AppendFloat(b, scale, 'g', -1, 64)
	b = append(b, ",0,0,"...)
	b = strconv.AppendFloat(b, -scale, 'g', -1, 64)
	b = append(b, ',')
	b = appendFixed3(b, pt.X.Points())
	b = append(b, ',')
	b = appendFixed3(b, pt.Y.Points())
	b = append(b, ")\""...)
	b = appendFillStyle(b, c.context().color)
	b = append(b, '>')
	var (
		x      int // pen position, font units
		prev   *glyph
		prevR  rune
		placed bool
	)
	for _, r := range str {
		g := fc.glyph(r)
		if prev != nil {
			x += fc.kern(prev, g, prevR, r)
		}
		if g.d != nil {
			k := glyphKey{fi, g.idx}
			if _, ok := c.used[k]; !ok {
				c.used[k] = struct{}{}
				c.defs = append(c.defs, glyphDef{fi, g})
			}
			b = append(b, `<use xlink:href="#`...)
			b = appendGlyphID(b, fi, g.idx)
			b = append(b, `" href="#`...)
			b = appendGlyphID(b, fi, g.idx)
			if x != 0 {
				b = append(b, `" x="`...)
				b = strconv.AppendInt(b, int64(x), 10)
			}
			b = append(b, `"/>`...)
			placed = true
		}
		x += g.adv
		prev, prevR = g, r
	}
	if !placed { // blank
		c.body = b[:start]
		return
	}
	c.body = append(b, "</g>\n"...)
}

// faceIndex returns the index of face among the faces of this document.
func (c *svgCanvas) faceIndex(face *sfnt.Font) int {
	for i, f := range c.faces {
		if f == face {
			return i
		}
	}
	c.faces = append(c.faces, face)
	return len(c.faces) - 1
}

// appendGlyphID appends the element id of glyph idx of the document's
// face number face: g36 for the first face, g1-36 for the second.
func appendGlyphID(b []byte, face int, idx sfnt.GlyphIndex) []byte {
	b = append(b, 'g')
	if face > 0 {
		b = strconv.AppendInt(b, int64(face), 10)
		b = append(b, '-')
	}
	return strconv.AppendUint(b, uint64(idx), 10)
}

// DrawImage draws img as vgsvg does: a PNG data URL (the charts draw no
// images).
func (c *svgCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(fmt.Errorf("weekly chart: encoding an image to PNG: %w", err))
	}
	size := rect.Size()
	c.body = fmt.Appendf(c.body, `<image x="%v" y="%v" width="%v" height="%v" xlink:href="%s" %s />`+"\n",
		rect.Min.X.Points(), -rect.Min.Y.Points()-size.Y.Points(), size.X.Points(), size.Y.Points(),
		"data:image/jpg;base64,"+base64.StdEncoding.EncodeToString(buf.Bytes()), `transform="scale(1, -1)"`)
}

// appendPathData appends the path data of path in points, as vgsvg writes
// it.
func appendPathData(b []byte, path vg.Path) []byte {
	var x, y float64
	for _, comp := range path {
		switch comp.Type {
		case vg.MoveComp:
			b = append(b, 'M')
			b = appendPoint(b, comp.Pos.X.Points(), comp.Pos.Y.Points())
			x, y = comp.Pos.X.Points(), comp.Pos.Y.Points()
		case vg.LineComp:
			b = append(b, 'L')
			b = appendPoint(b, comp.Pos.X.Points(), comp.Pos.Y.Points())
			x, y = comp.Pos.X.Points(), comp.Pos.Y.Points()
		case vg.ArcComp:
			r := comp.Radius.Points()
			sin, cos := math.Sincos(comp.Start)
			x0 := comp.Pos.X.Points() + r*cos
			y0 := comp.Pos.Y.Points() + r*sin
			if x0 != x || y0 != y {
				b = append(b, 'L')
				b = appendPoint(b, x0, y0)
			}
			if math.Abs(comp.Angle) >= 2*math.Pi {
				// A full circle is two arcs: SVG cannot draw an arc
				// ending where it starts.
				angle := 2 * math.Pi
				if comp.Angle < 0 {
					angle = -2 * math.Pi
				}
				angle += (comp.Angle/(2*math.Pi) - math.Trunc(comp.Angle/(2*math.Pi))) * 2 * math.Pi
				s0, c0 := math.Sincos(comp.Start + 0.5*angle)
				s1, c1 := math.Sincos(comp.Start + angle)
				b = appendArc(b, r, angle/2, comp.Pos.X.Points()+r*c0, comp.Pos.Y.Points()+r*s0)
				x, y = comp.Pos.X.Points()+r*c1, comp.Pos.Y.Points()+r*s1
				b = appendArc(b, r, angle/2, x, y)
			} else {
				sin, cos := math.Sincos(comp.Start + comp.Angle)
				x, y = comp.Pos.X.Points()+r*cos, comp.Pos.Y.Points()+r*sin
				b = appendArc(b, r, comp.Angle, x, y)
			}
		case vg.CurveComp:
			switch len(comp.Control) {
			case 1:
				b = append(b, 'Q')
				b = appendPoint(b, comp.Control[0].X.Points(), comp.Control[0].Y.Points())
			case 2:
				b = append(b, 'C')
				b = appendPoint(b, comp.Control[0].X.Points(), comp.Control[0].Y.Points())
				b = append(b, ',')
				b = appendPoint(b, comp.Control[1].X.Points(), comp.Control[1].Y.Points())
			default:
				panic("weekly chart: invalid number of control points")
			}
			b = append(b, ',')
			b = appendPoint(b, comp.Pos.X.Points(), comp.Pos.Y.Points())
			x, y = comp.Pos.X.Points(), comp.Pos.Y.Points()
		case vg.CloseComp:
			b = append(b, 'Z')
		default:
			panic(fmt.Sprintf("weekly chart: unknown path component type %d", comp.Type))
		}
	}
	return b
}

// appendArc appends an arc of radius r and angle (radians) to (x, y).
func appendArc(b []byte, r, angle, x, y float64) []byte {
	b = append(b, 'A')
	b = appendPoint(b, r, r)
	b = append(b, " 0 "...)
	if math.Abs(angle) >= math.Pi {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	if angle < 0 {
		b = append(b, " 0 "...)
	} else {
		b = append(b, " 1 "...)
	}
	return appendPoint(b, x, y)
}

func appendPoint(b []byte, x, y float64) []byte {
	b = appendG5(b, x)
	b = append(b, ',')
	return appendG5(b, y)
}

// appendG5 appends v as vgsvg does (fmt's %.5g).
func appendG5(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', 5, 64) }

// appendFixed3 appends v with at most three decimals, without trailing
// zeros.
func appendFixed3(b []byte, v float64) []byte {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendStyleG5 appends key and v (%.5g) unless v is def, the default.
func appendStyleG5(b []byte, key, def string, v float64) []byte {
	n := len(b)
	b = append(b, key...)
	m := len(b)
	b = appendG5(b, v)
	if string(b[m:]) == def {
		return b[:n]
	}
	return b
}

// appendFillStyle appends the style attribute of a fill in clr, with a
// leading space, or nothing for opaque black (SVG's default), as vgsvg
// writes it.
func appendFillStyle(b []byte, clr color.Color) []byte {
	n := len(b)
	b = append(b, ` style="`...)
	m := len(b)
	b = append(b, "fill:"...)
	b = appendColor(b, clr)
	if string(b[m:]) == "fill:#000000" {
		b = b[:m]
	}
	k := len(b)
	if k > m {
		b = append(b, ';')
	}
	b = append(b, "fill-opacity:"...)
	v := len(b)
	b = appendG5(b, opacity(clr))
	if string(b[v:]) == "1" {
		b = b[:k]
	}
	if len(b) == m {
		return b[:n]
	}
	return append(b, '"')
}

// appendColor appends clr as #RRGGBB (not premultiplied), as vgsvg does.
func appendColor(b []byte, clr color.Color) []byte {
	if clr == nil {
		clr = color.Black
	}
	r, g, bl, a := clr.RGBA()
	f := 255.0 / float64(a)
	b = append(b, '#')
	for _, v := range [3]uint32{r, g, bl} {
		n := int(float64(v) * f)
		if n < 0 || n > 0xff {
			b = fmt.Appendf(b, "%02X", n)
			continue
		}
		const hex = "0123456789ABCDEF"
		b = append(b, hex[n>>4], hex[n&0xf])
	}
	return b
}

func opacity(clr color.Color) float64 {
	if clr == nil {
		clr = color.Black
	}
	_, _, _, a := clr.RGBA()
	return float64(a) / math.MaxUint16
}

// outlineText is text.Plain measuring with the glyph cache (faceCache)
// instead of reading the font for every string, which the plot does many
// times per chart. The results are the same to the bit.
type outlineText struct {
	fonts *font.Cache
}

var _ text.Handler = outlineText{}

func (h outlineText) Cache() *font.Cache { return h.fonts }

func (h outlineText) Extents(fnt font.Font) font.Extents {
	fc := h.lookup(&fnt).fc
	if fc == nil {
		return font.Extents{}
	}
	return fc.extents(fnt.Size)
}

func (h outlineText) Lines(txt string) []string {
	txt = strings.TrimRight(txt, "\n")
	if !strings.Contains(txt, "\n") {
		return []string{txt}
	}
	return strings.Split(txt, "\n")
}

func (h outlineText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	fc := h.lookup(&fnt).fc
	if fc == nil {
		return 0, 0, 0
	}
	ext := fc.extents(fnt.Size)
	return fc.width(fnt.Size, txt), ext.Ascent, ext.Descent
}

// Draw is text.Plain's Draw.
func (h outlineText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if len(txt) == 0 {
		return
	}
	m := h.lookup(&sty.Font)
	fc := m.fc
	if fc == nil {
		return
	}
	face := font.Face{Font: m.font, Face: m.face}
	face.Font.Size = sty.Font.Size
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos := vg.Length(cos64)
	sin := vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin

	lines := h.Lines(txt)
	ht := sty.Height(txt)
	pt.Y += ht*vg.Length(sty.YAlign) - fc.extents(face.Font.Size).Ascent
	for i, line := range lines {
		xoffs := vg.Length(sty.XAlign) * fc.width(face.Font.Size, line)
		n := vg.Length(len(lines) - i)
		c.FillString(face, pt.Add(vg.Point{X: xoffs, Y: n * sty.Font.Size}), line)
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

// lookup returns what h.fonts.Lookup(*fnt, size) finds (the face, and
// its faceCache; nil if there is none), remembering the lookups:
// font.Cache.Lookup locks and hashes the font description, and the plot
// looks fonts up hundreds of times per chart.
func (h outlineText) lookup(fnt *font.Font) *faceLookup {
	key := *fnt
	key.Size = 0
	find := func(memo *[]faceLookup) *faceLookup {
		if memo != nil {
			for i := range *memo {
				if m := &(*memo)[i]; m.key == key && m.cache == h.fonts {
					return m
				}
			}
		}
		return nil
	}
	if m := find(faceLookups.Load()); m != nil {
		return m
	}
	face := h.fonts.Lookup(key, 0)
	m := &faceLookup{cache: h.fonts, key: key, font: face.Font, face: face.Face}
	if face.Face != nil {
		m.fc = faceCacheOf(face.Face)
	}
	faceLookupsMu.Lock()
	defer faceLookupsMu.Unlock()
	old := faceLookups.Load()
	if found := find(old); found != nil {
		return found
	}
	var memo []faceLookup
	if old != nil {
		memo = *old
	}
	if len(memo) < maxFaceLookups {
		memo = append(memo[:len(memo):len(memo)], *m)
		faceLookups.Store(&memo)
	}
	return m
}

// faceLookup is one remembered font.Cache lookup.
type faceLookup struct {
	cache *font.Cache
	key   font.Font // as asked for, without size
	font  font.Font // as found (the default typeface if key's was not)
	face  *sfnt.Font
	fc    *faceCache
}

const maxFaceLookups = 32

var (
	faceLookups   atomic.Pointer[[]faceLookup] // copied on write
	faceLookupsMu sync.Mutex
)

// faceCache caches what the charts need of one font face: metrics, and per
// glyph the advance and the outline as SVG path data in font units (y
// down), and kerning. Faces are loaded with ppem equal to the units per em,
// so sfnt's 26.6 values are font units, as font.Face.Width and Extents
// load them.
//
// It is safe for concurrent use. ASCII runes and their pairs are in
// arrays read without locks; other runes in maps behind a lock, bounded so
// that titles with many distinct runes do not grow memory without limit
// (past the bounds glyphs are loaded for every use).
type faceCache struct {
	f    *sfnt.Font
	ppem fixed.Int26_6
	upem int

	ascent, descent, height fixed.Int26_6

	ascii     [128]atomic.Pointer[glyph]
	asciiKern [128 * 128]atomic.Int32 // 2*kern+1; 0 while not known

	mu     sync.RWMutex
	runes  map[rune]*glyph // beyond ASCII
	glyphs map[sfnt.GlyphIndex]*glyph
	kerns  map[uint32]int32 // by glyph index pair, beyond ASCII
}

// glyph is one glyph of a face.
type glyph struct {
	idx sfnt.GlyphIndex
	adv int    // font units
	d   []byte // SVG path data, font units, y down; nil if blank
}

// Bounds of the non-ASCII caches of a face, and of the faces cached.
const (
	maxCachedRunes  = 4096
	maxCachedGlyphs = 4096
	maxCachedKerns  = 1 << 14
	maxCachedFaces  = 16
)

var (
	faceCaches   sync.Map // *sfnt.Font -> *faceCache
	faceCachesMu sync.Mutex
	faceCachesN  int

	sfntBuffers = sync.Pool{New: func() any { return new(sfnt.Buffer) }}
)

func faceCacheOf(f *sfnt.Font) *faceCache {
	if fc, ok := faceCaches.Load(f); ok {
		return fc.(*faceCache)
	}
	faceCachesMu.Lock()
	defer faceCachesMu.Unlock()
	if fc, ok := faceCaches.Load(f); ok {
		return fc.(*faceCache)
	}
	fc := newFaceCache(f)
	if faceCachesN < maxCachedFaces {
		faceCaches.Store(f, fc)
		faceCachesN++
	}
	return fc
}

func newFaceCache(f *sfnt.Font) *faceCache {
	fc := &faceCache{
		f:      f,
		upem:   int(f.UnitsPerEm()),
		runes:  make(map[rune]*glyph),
		glyphs: make(map[sfnt.GlyphIndex]*glyph),
		kerns:  make(map[uint32]int32),
	}
	fc.ppem = fixed.Int26_6(fc.upem)
	buf := sfntBuffers.Get().(*sfnt.Buffer)
	defer sfntBuffers.Put(buf)
	if m, err := f.Metrics(buf, fc.ppem, xfont.HintingNone); err == nil {
		fc.ascent, fc.descent, fc.height = m.Ascent, m.Descent, m.Height
	}
	return fc
}

// extents is font.Face.Extents of the face at size.
func (fc *faceCache) extents(size vg.Length) font.Extents {
	scale := size / font.Points(float64(fc.ppem))
	return font.Extents{
		Ascent:  font.Points(float64(fc.ascent)) * scale,
		Descent: font.Points(float64(fc.descent)) * scale,
		Height:  font.Points(float64(fc.height)) * scale,
	}
}

// width is font.Face.Width of s at size.
func (fc *faceCache) width(size vg.Length, s string) vg.Length {
	var (
		w     int
		prev  *glyph
		prevR rune
	)
	for _, r := range s {
		g := fc.glyph(r)
		if prev != nil {
			w += fc.kern(prev, g, prevR, r)
		}
		w += g.adv
		prev, prevR = g, r
	}
	return font.Points(float64(w)) * (size / font.Points(float64(fc.ppem)))
}

func (fc *faceCache) glyph(r rune) *glyph {
	if 0 <= r && r < 128 {
		if g := fc.ascii[r].Load(); g != nil {
			return g
		}
	} else {
		fc.mu.RLock()
		g := fc.runes[r]
		fc.mu.RUnlock()
		if g != nil {
			return g
		}
	}
	buf := sfntBuffers.Get().(*sfnt.Buffer)
	defer sfntBuffers.Put(buf)
	idx, err := fc.f.GlyphIndex(buf, r)
	if err != nil {
		idx = 0
	}
	fc.mu.RLock()
	g := fc.glyphs[idx]
	fc.mu.RUnlock()
	if g == nil {
		g = fc.load(buf, idx)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if old := fc.glyphs[idx]; old != nil {
		g = old
	} else if len(fc.glyphs) < maxCachedGlyphs {
		fc.glyphs[idx] = g
	}
	switch {
	case 0 <= r && r < 128:
		fc.ascii[r].Store(g)
	case len(fc.runes) < maxCachedRunes:
		fc.runes[r] = g
	}
	return g
}

// load reads glyph idx from the font.
func (fc *faceCache) load(buf *sfnt.Buffer, idx sfnt.GlyphIndex) *glyph {
	g := &glyph{idx: idx}
	if adv, err := fc.f.GlyphAdvance(buf, idx, fc.ppem, xfont.HintingNone); err == nil {
		g.adv = int(adv)
	}
	segs, err := fc.f.LoadGlyph(buf, idx, fc.ppem, nil)
	if err != nil {
		return g
	}
	var d []byte
	open := false
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				d = append(d, 'Z')
			}
			d = append(d, 'M')
			d = appendFixedPoint(d, s.Args[0])
			open = true
		case sfnt.SegmentOpLineTo:
			d = append(d, 'L')
			d = appendFixedPoint(d, s.Args[0])
		case sfnt.SegmentOpQuadTo:
			d = append(d, 'Q')
			d = appendFixedPoint(d, s.Args[0])
			d = append(d, ',')
			d = appendFixedPoint(d, s.Args[1])
		case sfnt.SegmentOpCubeTo:
			d = append(d, 'C')
			d = appendFixedPoint(d, s.Args[0])
			d = append(d, ',')
			d = appendFixedPoint(d, s.Args[1])
			d = append(d, ',')
			d = appendFixedPoint(d, s.Args[2])
		}
	}
	if open {
		d = append(d, 'Z')
	}
	if len(d) > 0 {
		g.d = d[:len(d):len(d)]
	}
	return g
}

// appendFixedPoint appends a point of an outline loaded at ppem = units
// per em, where the 26.6 values are font units.
func appendFixedPoint(b []byte, p fixed.Point26_6) []byte {
	b = strconv.AppendInt(b, int64(p.X), 10)
	b = append(b, ',')
	return strconv.AppendInt(b, int64(p.Y), 10)
}

// kern returns the kerning of the glyph pair a (of rune ra), b (of rune
// rb), in font units.
func (fc *faceCache) kern(a, b *glyph, ra, rb rune) int {
	ascii := 0 <= ra && ra < 128 && 0 <= rb && rb < 128
	var key uint32
	if ascii {
		if v := fc.asciiKern[ra*128+rb].Load(); v != 0 {
			return int(v >> 1)
		}
	} else {
		key = uint32(a.idx)<<16 | uint32(b.idx)
		fc.mu.RLock()
		k, ok := fc.kerns[key]
		fc.mu.RUnlock()
		if ok {
			return int(k)
		}
	}
	buf := sfntBuffers.Get().(*sfnt.Buffer)
	k, err := fc.f.Kern(buf, a.idx, b.idx, fc.ppem, xfont.HintingNone)
	sfntBuffers.Put(buf)
	if err != nil {
		k = 0
	}
	if ascii {
		fc.asciiKern[ra*128+rb].Store(int32(k)*2 + 1)
	} else {
		fc.mu.Lock()
		if len(fc.kerns) < maxCachedKerns {
			fc.kerns[key] = int32(k)
		}
		fc.mu.Unlock()
	}
	return int(k)
}
