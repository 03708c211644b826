package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Metrics is one scrape of a Prometheus text endpoint: series (name plus labels, as written) to value.
type Metrics map[string]float64

// Scrape fetches and parses a /metrics endpoint.
func Scrape(ctx context.Context, c *http.Client, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return Parse(resp.Body)
}

// Parse reads the Prometheus text exposition format: comments are skipped, each sample line is
// `series value [timestamp]`, and label values may hold spaces (so the series ends at its closing brace).
func Parse(r io.Reader) (Metrics, error) {
	m := Metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		var series, rest string
		if i := strings.IndexByte(line, '{'); i >= 0 && i < strings.IndexAny(line+" ", " \t") {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			series, rest = line[:j+1], line[j+1:]
		} else {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			series, rest = f[0], strings.Join(f[1:], " ")
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		m[series] = v
	}
	return m, sc.Err()
}

// Name returns the metric name of a series.
func Name(series string) string {
	if i := strings.IndexByte(series, '{'); i >= 0 {
		return series[:i]
	}
	return series
}

// Value is the value of a series without labels (0 when absent).
func (m Metrics) Value(name string) float64 { return m[name] }

var (
	dropName  = regexp.MustCompile(`^(scalechat|baseline)_.*dropped_total$`)
	closeName = regexp.MustCompile(`^(scalechat|baseline)_socket_closed_total$`)
	slowLabel = regexp.MustCompile(`reason="(outbound_overflow|write_timeout)"`)
)

// IsDrop reports whether a series counts messages dropped on the way to clients: any
// scalechat_*dropped_total (and the baseline's own).
func IsDrop(series string) bool { return dropName.MatchString(Name(series)) }

// IsSlowClose reports whether a series counts sockets closed for being slow consumers: socket_closed_total
// with reason outbound_overflow or write_timeout.
func IsSlowClose(series string) bool {
	return closeName.MatchString(Name(series)) && slowLabel.MatchString(series)
}

// IsClose reports whether a series counts sockets closed (by the transport) or disconnected (by the library),
// for any reason.
func IsClose(series string) bool {
	return closeName.MatchString(Name(series)) || Name(series) == "scalechat_socket_disconnects_total"
}

var reasonLabel = regexp.MustCompile(`reason="([^"]*)"`)

// Reason returns a series' reason label ("" when it has none).
func Reason(series string) string {
	if m := reasonLabel.FindStringSubmatch(series); m != nil {
		return m[1]
	}
	return ""
}

// Increase returns, for every series that select picks, how much it grew from before to after. A series
// missing on one side counts as 0 there (metrics appear when first used); a counter that went down (a
// restart) reports its new value.
func Increase(before, after Metrics, pick func(series string) bool) map[string]float64 {
	out := map[string]float64{}
	for s, v := range after {
		if !pick(s) {
			continue
		}
		d := v - before[s]
		if d < 0 {
			d = v
		}
		if d != 0 {
			out[s] = d
		}
	}
	return out
}
