package main

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// series is one line of a chart: its colour and glyph are its target's (index into plotutil's palettes);
// dashed tells two series of one target apart (p50 solid, p99 dashed).
type series struct {
	name   string
	xys    plotter.XYs
	target int
	dashed bool
}

// chart is a PNG to draw: lines over a shared x axis, optionally on logarithmic scales.
type chart struct {
	file, title, x, y string
	logX, logY        bool
	lines             []series
	diagonal          bool // draw y = x (achieved equals offered)
}

// writeCharts draws every chart the results have data for and returns the file names written.
func writeCharts(dir string, r *Results) ([]string, error) {
	var charts []chart
	for _, n := range fanoutSizes(r) {
		lat := chart{file: fmt.Sprintf("fanout-%d-latency.png", n), logX: true, logY: true,
			title: fmt.Sprintf("Fan-out to %d sockets: p99 send → receive", n),
			x:     "offered deliveries/s", y: "p99 latency (ms)"}
		thr := chart{file: fmt.Sprintf("fanout-%d-throughput.png", n), logX: true, logY: true, diagonal: true,
			title: fmt.Sprintf("Fan-out to %d sockets: deliveries/s achieved", n),
			x:     "offered deliveries/s", y: "live deliveries/s"}
		for k, t := range r.Targets {
			f := fanoutOf(t, n)
			if f == nil {
				continue
			}
			var l, h plotter.XYs
			for _, s := range f.Steps {
				l = append(l, plotter.XY{X: s.OfferedDeliveries, Y: s.P99Ms})
				h = append(h, plotter.XY{X: s.OfferedDeliveries, Y: s.DeliveriesPerS})
			}
			lat.lines = append(lat.lines, series{name: t.Name, xys: l, target: k})
			thr.lines = append(thr.lines, series{name: t.Name, xys: h, target: k})
		}
		charts = append(charts, lat, thr)
	}
	mix := chart{file: "chatmix-latency.png", title: "Chat mix (groups of 10): send → receive latency", logY: true,
		x: "offered msg/s", y: "latency (ms)"}
	idle := chart{file: "idle-rss.png", title: "Idle sockets: resident memory of the server process",
		x: "sockets", y: "RSS (MiB)"}
	for k, t := range r.Targets {
		if c := t.Chatmix; c != nil {
			var p50, p99 plotter.XYs
			for _, s := range c.Steps {
				p50 = append(p50, plotter.XY{X: s.OfferedMsgs, Y: s.P50Ms})
				p99 = append(p99, plotter.XY{X: s.OfferedMsgs, Y: s.P99Ms})
			}
			mix.lines = append(mix.lines, series{name: t.Name + " p50", xys: p50, target: k},
				series{name: t.Name + " p99", xys: p99, target: k, dashed: true})
		}
		if d := t.Idle; d != nil && len(d.Points) > 0 {
			xys := plotter.XYs{{X: 0, Y: float64(d.EmptyRSSBytes) / (1 << 20)}}
			for _, p := range d.Points {
				xys = append(xys, plotter.XY{X: float64(p.Sockets), Y: float64(p.RSSBytes) / (1 << 20)})
			}
			idle.lines = append(idle.lines, series{name: t.Name, xys: xys, target: k})
		}
	}
	charts = append(charts, mix, idle)
	var files []string
	var errs []error
	for _, c := range charts {
		ok, err := c.draw(filepath.Join(dir, c.file))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.file, err))
		} else if ok {
			files = append(files, c.file)
		}
	}
	return files, errors.Join(errs...)
}

// fanoutSizes lists the channel sizes measured, in order.
func fanoutSizes(r *Results) []int {
	seen := map[int]bool{}
	var out []int
	for _, t := range r.Targets {
		for _, f := range t.Fanout {
			if !seen[f.Members] {
				seen[f.Members] = true
				out = append(out, f.Members)
			}
		}
	}
	return out
}

// draw saves the chart; false when it has no points to show.
func (c chart) draw(path string) (bool, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = c.title, c.x, c.y
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	if c.logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if c.logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	drawn := false
	var minX, maxX, maxY float64
	first := true
	for _, s := range c.lines {
		var pts plotter.XYs
		for _, xy := range s.xys {
			// A log axis cannot show zero: such points (nothing delivered) are left out.
			if (c.logX && xy.X <= 0) || (c.logY && xy.Y <= 0) {
				continue
			}
			pts = append(pts, xy)
			if first || xy.X < minX {
				minX, first = xy.X, false
			}
			maxX, maxY = max(maxX, xy.X), max(maxY, xy.Y)
		}
		if len(pts) == 0 {
			continue
		}
		l, g, err := plotter.NewLinePoints(pts)
		if err != nil {
			return false, err
		}
		l.Color, g.Color, g.Shape = plotutil.Color(s.target), plotutil.Color(s.target), plotutil.Shape(s.target)
		l.Width = vg.Points(1.5)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(l, g)
		p.Legend.Add(s.name, l, g)
		drawn = true
	}
	if !drawn {
		return false, nil
	}
	if c.diagonal && maxX > minX {
		d, err := plotter.NewLine(plotter.XYs{{X: minX, Y: minX}, {X: maxX, Y: maxX}})
		if err != nil {
			return false, err
		}
		d.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(d)
		p.Legend.Add("offered", d)
	}
	// Headroom above the data for the legend (top left, where rising curves leave space).
	p.Legend.Top, p.Legend.Left = true, true
	if c.logY {
		p.Y.Max = maxY * 6
	} else {
		p.Y.Max = maxY * 1.35
		p.Y.Min = 0
	}
	p.Add(plotter.NewGrid())
	return true, p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// logTicks marks a logarithmic axis at 1, 2 and 5 times each power of ten, labelled, with unlabelled minor
// ticks between: plot.LogTicks labels powers of ten only, too sparse for a bench's narrow ranges.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 || m == 2 || m == 5 {
				label = strconv.FormatFloat(v, 'g', -1, 64)
				if v >= 1e4 {
					label = strconv.FormatFloat(v/1e3, 'g', -1, 64) + "k"
				}
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// plainTicks are gonum's default linear ticks, labelled without trailing zeros.
type plainTicks struct{}

// Ticks implements plot.Ticker.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', -1, 64)
		}
	}
	return ticks
}
