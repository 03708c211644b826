package main

import (
	"fmt"
	"time"

	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// Results is everything a run measured; results.json is this, indented.
type Results struct {
	Mode      string          `json:"mode"`
	Started   time.Time       `json:"started"`
	Finished  time.Time       `json:"finished"`
	Machine   Machine         `json:"machine"`
	Binary    BinaryInfo      `json:"binary"`
	Sizes     sizes           `json:"sizes"`
	Frame     FrameInfo       `json:"frame"`
	Targets   []*TargetResult `json:"targets"`
	Scenarios []string        `json:"scenarios"`
}

// FrameInfo says what one delivery weighs: the baseline sends frames of the computed size; each scalechat
// target reports the size of the event frames it actually delivered, which should match.
type FrameInfo struct {
	BodyBytes     int            `json:"bodyBytes"`
	ComputedBytes int            `json:"computedBytes"`
	Measured      map[string]int `json:"measured"`
}

// TargetResult holds one target's scenarios.
type TargetResult struct {
	Name      string             `json:"name"`
	Processes []proc             `json:"processes"`
	Error     string             `json:"error,omitempty"` // the target could not be started or set up
	Errors    []string           `json:"errors,omitempty"`
	Fanout    []*FanoutResult    `json:"fanout,omitempty"`
	Idle      *IdleResult        `json:"idle,omitempty"`
	Storm     *StormResult       `json:"storm,omitempty"`
	Chatmix   *ChatmixResult     `json:"chatmix,omitempty"`
	Persist   *PersistResult     `json:"persist,omitempty"`
	Soak      *SoakResult        `json:"soak,omitempty"`
	Setup     map[string]float64 `json:"setupSeconds,omitempty"` // fixture time per scenario
	// Quiesce is how long each scenario waited for the servers to go idle before it started.
	Quiesce map[string]float64 `json:"quiesceSeconds,omitempty"`
}

// ServerFigures are the target's processes over a measured window, and the generator's CPU beside them.
type ServerFigures struct {
	WindowS          float64            `json:"windowS"`
	CPUSeconds       float64            `json:"cpuSeconds"` // the target's servers (gateways + workers, or the one process)
	CPUPct           float64            `json:"cpuPct"`     // of one core: 200% is both cores of this machine
	CPUUsPerDelivery float64            `json:"cpuUsPerDelivery,omitempty"`
	ByProcess        map[string]float64 `json:"byProcessCpuPct"` // servers and extras (broker, redis, postgres)
	RSSBytes         int64              `json:"rssBytes"`        // the servers', at the end of the window
	Goroutines       int64              `json:"goroutines"`      // the servers', at the end (from /metrics)
	Drops            map[string]float64 `json:"drops,omitempty"` // increase of each *dropped_total series
	DropsTotal       float64            `json:"dropsTotal"`
	SlowCloses       map[string]float64 `json:"slowCloses,omitempty"` // socket_closed_total{reason=outbound_overflow|write_timeout}
	SlowClosesTotal  float64            `json:"slowClosesTotal"`
	Closes           map[string]float64 `json:"closes,omitempty"` // every socket_closed_total series that grew, by reason
	GenCPUPct        float64            `json:"genCpuPct"`        // the load generator's processes, same unit
	GenUsPerDelivery float64            `json:"genUsPerDelivery,omitempty"`
	ScrapeErrors     []string           `json:"scrapeErrors,omitempty"`
}

// StepResult is one offered rate of a rate scenario (fanout, chatmix).
type StepResult struct {
	OfferedMsgs       float64        `json:"offeredMsgs"`       // messages per second asked of the senders
	OfferedDeliveries float64        `json:"offeredDeliveries"` // times the recipients per message
	Sent              int            `json:"sent"`
	Acked             int            `json:"acked"` // {ok:true} (baseline: written, it has no acks)
	Accepted          int            `json:"accepted"`
	AckErrors         int            `json:"ackErrors"`
	AckCodes          map[string]int `json:"ackCodes,omitempty"`
	AckTimeouts       int            `json:"ackTimeouts"`
	WriteErrors       int            `json:"writeErrors"`
	LateAcks          uint64         `json:"lateAcks"`
	AckedPerS         float64        `json:"ackedPerS"`
	AckP50Ms          float64        `json:"ackP50Ms"`
	AckP99Ms          float64        `json:"ackP99Ms"`
	Expected          uint64         `json:"expected"` // acked messages × their conversation's connected sockets
	Live              uint64         `json:"live"`
	Late              uint64         `json:"late"`
	Dups              uint64         `json:"dups"`
	Gaps              uint64         `json:"gaps"`
	DeliveriesPerS    float64        `json:"deliveriesPerS"` // live deliveries per second of sending
	DeliveredPct      float64        `json:"deliveredPct"`
	P50Ms             float64        `json:"p50Ms"` // send → receive
	P99Ms             float64        `json:"p99Ms"`
	P999Ms            float64        `json:"p999Ms"`
	MaxMs             float64        `json:"maxMs"`
	SendLagMaxMs      float64        `json:"sendLagMaxMs"` // how far the senders fell behind schedule
	Server            ServerFigures  `json:"server"`
	ServerClosed      uint64         `json:"serverClosed"` // sockets the server closed during the step
	FrameBytes        int            `json:"frameBytes"`   // length of a delivered event frame
}

// full reports a step the target kept up with: it took (nearly) every message offered — a server that refuses
// or lags sends is saturated however well it delivers the rest — and every acked one arrived live everywhere.
func (s *StepResult) full() bool { return s.keptUp() && s.Expected > 0 && s.Live >= s.Expected }

// keptUp reports whether the target acked at least 99% of the offered rate.
func (s *StepResult) keptUp() bool { return s.AckedPerS >= 0.99*s.OfferedMsgs }

// saturation summarises a rate scenario.
type saturation struct {
	SaturationMsgs       float64 `json:"saturationMsgs"`       // highest offered rate delivered 100% (0: none)
	SaturationDeliveries float64 `json:"saturationDeliveries"` // its deliveries per second
	MaxDeliveriesPerS    float64 `json:"maxDeliveriesPerS"`    // best of any step
	Stopped              string  `json:"stopped"`              // why stepping ended
}

// FanoutResult is one fan-out channel.
type FanoutResult struct {
	Members int           `json:"members"`
	Senders int           `json:"senders"`
	Connect *connected    `json:"connect"`
	Warmup  *StepResult   `json:"warmup,omitempty"` // one message per sender before the steps
	Steps   []*StepResult `json:"steps"`
	saturation
}

// ChatmixResult is the small-groups scenario.
type ChatmixResult struct {
	Users     int           `json:"users"`
	Groups    int           `json:"groups"`
	GroupSize int           `json:"groupSize"`
	Connect   *connected    `json:"connect"`
	Warmup    *StepResult   `json:"warmup,omitempty"` // the first message of each group, before the steps
	Steps     []*StepResult `json:"steps"`
	saturation
}

// IdlePoint is the server after connecting up to Sockets idle sockets.
type IdlePoint struct {
	Sockets                int              `json:"sockets"`
	Connected              int              `json:"connected"` // of this batch
	Failed                 loadgen.Failures `json:"failed"`
	BatchWallS             float64          `json:"batchWallS"`
	ConnectsPerS           float64          `json:"connectsPerS"`
	ConnectP50Ms           float64          `json:"connectP50Ms"`
	ConnectP99Ms           float64          `json:"connectP99Ms"`
	RSSBytes               int64            `json:"rssBytes"`
	Goroutines             int64            `json:"goroutines"`
	RSSPerSocket           float64          `json:"rssPerSocket"`        // (RSS - empty) / sockets
	SlopeRSSPerSocket      float64          `json:"slopeRssPerSocket"`   // from the previous point
	GoroutinesPerSock      float64          `json:"goroutinesPerSocket"` // slope from the previous point
	GoroutinesPerSockEmpty float64          `json:"goroutinesPerSocketFromEmpty"`
	IdleCPUPct             float64          `json:"idleCpuPct"` // the server's CPU while the sockets sat idle
}

// IdleResult is the idle-sockets scenario on one server process.
type IdleResult struct {
	Process         string      `json:"process"`
	EmptyRSSBytes   int64       `json:"emptyRssBytes"`
	EmptyGoroutines int64       `json:"emptyGoroutines"`
	Points          []IdlePoint `json:"points"`
	// Projections from the last slope: what one such process would need for 100k and 1M sockets.
	Projected100kBytes float64 `json:"projected100kBytes"`
	Projected1MBytes   float64 `json:"projected1mBytes"`
}

// StormResult is the reconnection storm.
type StormResult struct {
	Sockets        int              `json:"sockets"`
	Connected      int              `json:"connected"` // before the storm
	Resumed        int              `json:"resumed"`   // reconnected and synced by the deadline
	Failed         loadgen.Failures `json:"failed"`
	SyncOK         int              `json:"syncOk"`
	SyncErrors     int              `json:"syncErrors"`
	SyncCodes      map[string]int   `json:"syncCodes,omitempty"`
	SyncTimeouts   int              `json:"syncTimeouts"`
	DeadlineS      float64          `json:"deadlineS"`
	DurationS      float64          `json:"durationS"` // drop → last sync ack
	ReconnectsPerS float64          `json:"reconnectsPerS"`
	ConnectP50Ms   float64          `json:"connectP50Ms"`
	ConnectP99Ms   float64          `json:"connectP99Ms"`
	SyncP50Ms      float64          `json:"syncP50Ms"`
	SyncP99Ms      float64          `json:"syncP99Ms"`
	Probe          *StepResult      `json:"probe"` // the pair chatting through the storm
	Server         ServerFigures    `json:"server"`
}

// PersistResult is REST sends back to back.
type PersistResult struct {
	Senders   int           `json:"senders"`
	DurationS float64       `json:"durationS"`
	Sent      int           `json:"sent"`
	Sequenced int           `json:"sequenced"` // 201
	Accepted  int           `json:"accepted"`  // 202
	Errors    int           `json:"errors"`
	FirstErr  string        `json:"firstError,omitempty"`
	PerS      float64       `json:"perS"` // (sequenced + accepted) per second
	P50Ms     float64       `json:"p50Ms"`
	P99Ms     float64       `json:"p99Ms"`
	Server    ServerFigures `json:"server"`
	// The sequencing stage, from the servers' scalechat_sequencer_batch_* metrics over the run: how many
	// batches, their mean size and mean time (the database transaction and the fan-out publish).
	Batches     int     `json:"batches"`
	BatchSize   float64 `json:"batchSize"`
	BatchMeanMs float64 `json:"batchMeanMs"`
}

// failures lists what went wrong in the run, for the exit status.
func (r *Results) failures() []string {
	var out []string
	for _, t := range r.Targets {
		if t.Error != "" {
			out = append(out, fmt.Sprintf("%s: %s", t.Name, t.Error))
		}
		for _, e := range t.Errors {
			out = append(out, fmt.Sprintf("%s: %s", t.Name, e))
		}
	}
	return out
}

// ms converts nanoseconds to milliseconds.
func ms(ns int64) float64 { return float64(ns) / 1e6 }
