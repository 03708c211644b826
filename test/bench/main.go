// Command bench measures sustained persisted messages per second through scalechat's REST API against one or
// more targets (a standalone process as the baseline, a cluster's gateways), and prints figures and ratios.
// It is a program, not a test: `make bench` runs it (see test/bench/run.sh).
//
//	go run ./test/bench --target standalone=http://127.0.0.1:8080 --target cluster=http://127.0.0.1:8081,http://127.0.0.1:8082
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type target struct {
	name string
	urls []string
}

type targets []target

func (t *targets) String() string { return fmt.Sprint(*t) }
func (t *targets) Set(v string) error {
	name, urls, ok := strings.Cut(v, "=")
	if !ok || urls == "" {
		return fmt.Errorf("want name=url[,url...]")
	}
	*t = append(*t, target{name: name, urls: strings.Split(urls, ",")})
	return nil
}

func main() {
	var ts targets
	flag.Var(&ts, "target", "name=url[,url...] to measure (repeatable; the first is the baseline)")
	senders := flag.Int("senders", 32, "concurrent senders (each its own user and conversation)")
	duration := flag.Duration("duration", 10*time.Second, "how long each target is loaded")
	flag.Parse()
	if len(ts) == 0 {
		fmt.Fprintln(os.Stderr, "bench: at least one --target is required")
		os.Exit(2)
	}
	host, _ := os.Hostname()
	fmt.Printf("scalechat throughput bench — %d senders, %s per target, host %s\n", *senders, *duration, host)
	var base float64
	for i, t := range ts {
		r, err := run(t, *senders, *duration)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", t.name, err)
			os.Exit(1)
		}
		ratio := ""
		if i == 0 {
			base = r.rate
		} else if base > 0 {
			ratio = fmt.Sprintf("  (%.2f× %s)", r.rate/base, ts[0].name)
		}
		fmt.Printf("%-12s %8.0f msg/s persisted  (%d sent, %d sequenced in the ack, %d accepted, %d errors)  send latency p50 %s p99 %s%s\n",
			t.name, r.rate, r.sent, r.sequenced, r.accepted, r.errors, r.p50.Round(100*time.Microsecond),
			r.p99.Round(100*time.Microsecond), ratio)
	}
}

type result struct {
	rate                              float64
	sent, sequenced, accepted, errors int64
	p50, p99                          time.Duration
}

// run loads one target: every sender registers, opens a group, and sends messages back to back over REST
// until the time is up. A 201 means stored with its seq; a 202 means durable in the log, seq pending.
func run(t target, senders int, d time.Duration) (result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders * 2}, Timeout: 30 * time.Second}
	type sender struct{ url, token, conv string }
	ss := make([]sender, senders)
	run := time.Now().UnixNano()
	for i := range ss {
		url := t.urls[i%len(t.urls)]
		name := fmt.Sprintf("b%x%d", run%1e9, i)
		if _, err := call(client, url, "", "POST", "/v1/users", map[string]any{"username": name, "password": "benchmark-pw"}, 201); err != nil {
			return result{}, err
		}
		login, err := call(client, url, "", "POST", "/v1/sessions", map[string]any{"username": name, "password": "benchmark-pw"}, 201)
		if err != nil {
			return result{}, err
		}
		token := login["token"].(string)
		conv, err := call(client, url, token, "POST", "/v1/conversations", map[string]any{"kind": "group", "title": "bench"}, 201)
		if err != nil {
			return result{}, err
		}
		ss[i] = sender{url: url, token: token, conv: conv["id"].(string)}
	}
	var sent, sequenced, accepted, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				status, err := post(client, s.url, s.token, "/v1/conversations/"+s.conv+"/messages",
					map[string]any{"clientMsgId": fmt.Sprintf("m-%d-%d", i, n), "body": "benchmark message"})
				sent.Add(1)
				switch {
				case err != nil:
					errs.Add(1)
				case status == 201:
					sequenced.Add(1)
					mine = append(mine, time.Since(t0))
				case status == 202:
					accepted.Add(1)
				default:
					errs.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := result{sent: sent.Load(), sequenced: sequenced.Load(), accepted: accepted.Load(), errors: errs.Load()}
	r.rate = float64(r.sequenced+r.accepted) / elapsed.Seconds()
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r, nil
}

func post(c *http.Client, url, token, path string, body any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sink bytes.Buffer
	_, _ = sink.ReadFrom(resp.Body)
	return resp.StatusCode, nil
}

func call(c *http.Client, url, token, method, path string, body any, want int) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d: %v", method, path, resp.StatusCode, out)
	}
	return out, nil
}
