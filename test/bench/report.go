package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// writeResults writes results.json, results.md and the charts into dir.
func writeResults(dir string, r *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	charts, chartErr := writeCharts(dir, r)
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(markdown(r, charts)), 0o644); err != nil {
		return err
	}
	return chartErr
}

// md builds the Markdown report.
type md struct{ strings.Builder }

func (m *md) p(format string, a ...any) { fmt.Fprintf(m, format+"\n", a...) }

func (m *md) table(head []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	m.p("| %s |", strings.Join(head, " | "))
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
		if i > 0 {
			seps[i] = "--:"
		}
	}
	m.p("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		m.p("| %s |", strings.Join(r, " | "))
	}
	m.p("")
}

// num formats a figure with thousands separators and the given decimals.
func num(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := fmt.Sprintf("%.*f", dec, math.Abs(v))
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if v < 0 {
		out = "-" + out
	}
	return out
}

// ratio is a/b as "0.42×", or "—" without a reference.
func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "—"
	}
	r := a / b
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

func mib(b float64) string { return num(b/(1<<20), 1) }
func kib(b float64) string { return num(b/(1<<10), 1) }

// find returns the result of the named target (nil when it did not run).
func (r *Results) find(name string) *TargetResult {
	for _, t := range r.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func markdown(r *Results, charts []string) string {
	var m md
	m.p("# scalechat real-time bench (%s run, %s)", r.Mode, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	m.p("")
	mc := r.Machine
	m.p("Machine: %d × %s, %s GiB, %s; load average at start %s; open files %s; ephemeral ports %s.",
		mc.NProc, mc.CPUModel, num(float64(mc.MemoryBytes)/(1<<30), 1), mc.Kernel, mc.LoadAvg, mc.FileLimit, mc.PortRange)
	if r.Binary.Path != "" {
		rev := ""
		if r.Binary.Revision != "" {
			rev = ", revision " + r.Binary.Revision
		}
		m.p("Binary: `%s` (`%s`, %s%s); work tree at run time `%s`.", r.Binary.Path, r.Binary.Version,
			r.Binary.GoVersion, rev, r.Binary.WorkTree)
	}
	measured := []string{}
	for _, t := range r.Targets {
		if n, ok := r.Frame.Measured[t.Name]; ok && t.Name != "baseline" {
			measured = append(measured, fmt.Sprintf("%s %d", t.Name, n))
		}
	}
	m.p("Load: %d generator processes (this machine, loopback). A delivery is one event frame: body %d bytes, "+
		"frame %d bytes as computed (the baseline sends exactly that; measured on delivery: %s).",
		r.Sizes.Workers, r.Frame.BodyBytes, r.Frame.ComputedBytes, strings.Join(measured, ", "))
	m.p("CPU %% is of one core: 100%% × nproc is the whole machine, shared by the server, the generator and, for "+
		"the cluster, Redis, PostgreSQL and the broker. Latencies are send → receive (same clock). Run took %s.",
		r.Finished.Sub(r.Started).Round(1e9))
	m.p("Reading the ratios: the baseline is the plainest idiomatic broadcast server (github.com/coder/websocket, a " +
		"goroutine, a bounded queue and a writer per connection); it writes and flushes every message on its own, so " +
		"a server that coalesces queued frames into fewer writes can spend less CPU per delivery than it (a ratio " +
		"under 1×). The generator's CPU is mostly the kernel's TCP receive path; on loopback, part of each side's " +
		"network work is charged to the other.")
	m.p("")
	fanoutSection(&m, r)
	idleSection(&m, r)
	stormSection(&m, r)
	chatmixSection(&m, r)
	persistSection(&m, r)
	soakSection(&m, r)
	if len(charts) > 0 {
		m.p("## Charts")
		m.p("")
		for _, c := range charts {
			m.p("![%s](%s)", strings.TrimSuffix(c, ".png"), c)
			m.p("")
		}
	}
	if f := r.failures(); len(f) > 0 {
		m.p("## Errors")
		m.p("")
		for _, e := range f {
			m.p("- %s", strings.ReplaceAll(e, "\n", " "))
		}
		m.p("")
	}
	return m.String()
}
