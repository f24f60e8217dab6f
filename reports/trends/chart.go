package trends

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
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
// input gives the same bytes (fit for golden tests and stable pages).
func WeeklyChartSVG(weeks []WeekCount, title string) ([]byte, error) {
	p, err := weeklyPlot(weeks, title)
	if err != nil {
		return nil, err
	}
	c := vgsvg.New(chartWidth, chartHeight)
	p.Draw(draw.New(outlineCanvas{CanvasSizer: c}))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("weekly chart: %w", err)
	}
	return buf.Bytes(), nil
}

const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 2.4 * vg.Inch
)

func weeklyPlot(weeks []WeekCount, title string) (*plot.Plot, error) {
	if len(weeks) == 0 {
		return nil, errors.New("weekly chart: no weeks")
	}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.Text = "reports per week"
	p.Y.Label.TextStyle.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Min = 0

	base := make(plotter.Values, len(weeks))
	cur := make(plotter.Values, len(weeks))
	names := make([]string, len(weeks))
	maxV := 0.0
	for i, w := range weeks {
		v := float64(w.Reports)
		if w.Current {
			cur[i] = v
		} else {
			base[i] = v
		}
		maxV = math.Max(maxV, v)
		if (len(weeks)-1-i)%4 == 0 {
			names[i] = w.Start.Time().Format("Jan 2")
		}
	}
	p.Y.Max = math.Max(4, maxV*1.3)
	p.Y.Tick.Marker = intTicks{}
	width := vg.Points(float64(360) / float64(len(weeks)) * 0.75)
	for _, s := range []struct {
		vals plotter.Values
		col  color.Color
		name string
	}{{base, colorBaseline, "earlier weeks"}, {cur, colorCurrent, "current window"}} {
		bc, err := plotter.NewBarChart(s.vals, width)
		if err != nil {
			return nil, fmt.Errorf("weekly chart: %w", err)
		}
		bc.Color = s.col
		bc.LineStyle.Width = 0
		p.Add(bc)
		p.Legend.Add(s.name, bc)
	}
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
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%d", int(v))})
	}
	return ticks
}

// outlineCanvas draws strings as filled glyph outlines instead of SVG
// text elements, so the SVG does not depend on installed fonts.
type outlineCanvas struct {
	vg.CanvasSizer
}

func (c outlineCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Face == nil {
		return
	}
	var (
		buf   sfnt.Buffer
		upem  = fixed.Int26_6(f.Face.UnitsPerEm())
		scale = f.Font.Size.Points() / float64(upem)
		x     fixed.Int26_6
		prev  sfnt.GlyphIndex
		has   bool
	)
	var path vg.Path
	pos := func(p fixed.Point26_6) vg.Point {
		return vg.Point{
			X: pt.X + vg.Length(float64(x+p.X)*scale),
			Y: pt.Y - vg.Length(float64(p.Y)*scale),
		}
	}
	for _, r := range str {
		idx, err := f.Face.GlyphIndex(&buf, r)
		if err != nil {
			continue
		}
		if has {
			if k, err := f.Face.Kern(&buf, prev, idx, upem, 0); err == nil {
				x += k
			}
		}
		segs, err := f.Face.LoadGlyph(&buf, idx, upem, nil)
		if err == nil {
			open := false
			for _, s := range segs {
				switch s.Op {
				case sfnt.SegmentOpMoveTo:
					if open {
						path.Close()
					}
					path.Move(pos(s.Args[0]))
					open = true
				case sfnt.SegmentOpLineTo:
					path.Line(pos(s.Args[0]))
				case sfnt.SegmentOpQuadTo:
					path.QuadTo(pos(s.Args[0]), pos(s.Args[1]))
				case sfnt.SegmentOpCubeTo:
					path.CubeTo(pos(s.Args[0]), pos(s.Args[1]), pos(s.Args[2]))
				}
			}
			if open {
				path.Close()
			}
		}
		adv, err := f.Face.GlyphAdvance(&buf, idx, upem, 0)
		if err == nil {
			x += adv
		}
		prev, has = idx, true
	}
	if len(path) > 0 {
		c.Fill(path)
	}
}
