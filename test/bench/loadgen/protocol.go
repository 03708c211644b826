// Package loadgen is the bench's load-generator worker: a process that holds thousands of sio connections,
// sends paced messages on some of them and counts what every one of them receives. The coordinator (package
// main) starts several workers by re-executing its own binary and drives each over its stdin and stdout with
// the JSON lines defined in this file: one Command per line in, one Reply per line out, plus an unsolicited
// Stats line every second.
//
// Counting is per socket (atomic counters only its reading goroutine writes) and summed when asked; delivery
// latencies go to a sharded atomic histogram. A delivery is live when it carries the tag of the armed step and
// arrives before the step's deadline; anything else is late. Nothing is counted twice.
package loadgen

import (
	"encoding/json"

	"github.com/scalechat/scalechat/test/bench/hist"
)

// Ops a worker understands.
const (
	OpConnect = "connect" // ConnectArgs → ConnectResult
	OpArm     = "arm"     // ArmArgs → Totals
	OpSend    = "send"    // SendArgs → nothing (sending runs in the background; see OpCollect)
	OpCollect = "collect" // CollectArgs → CollectResult
	OpDrop    = "drop"    // GroupArgs → nothing, once every connection of the group is closed
	OpResume  = "resume"  // ResumeArgs → ResumeResult
	OpClose   = "close"   // GroupArgs → nothing: closes and forgets a group
	// OpReschedule moves the end of a step's sending and its live deadline (earlier only for the sending).
	OpReschedule = "reschedule" // RescheduleArgs → nothing
)

// Command is one line on a worker's stdin.
type Command struct {
	ID   int64           `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Reply is one line on a worker's stdout: the answer to a command (ID > 0) or, with ID 0, a Stats report.
type Reply struct {
	ID    int64           `json:"id"`
	Err   string          `json:"err,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Stats *Stats          `json:"stats,omitempty"`
}

// Stats are a worker's running totals, reported every second for the progress line.
type Stats struct {
	Connected    int64  `json:"connected"`    // sockets open now
	Deliveries   uint64 `json:"deliveries"`   // bench messages received, live or late, since start
	Frames       uint64 `json:"frames"`       // event frames received (bench messages and anything else)
	Sent         uint64 `json:"sent"`         // messages sent
	Acked        uint64 `json:"acked"`        // acks received
	ServerClosed uint64 `json:"serverClosed"` // connections the server (or the network) ended
}

// Socket is one connection to open: where, and as whom.
type Socket struct {
	URL   string `json:"url"`
	Token string `json:"token,omitempty"`
}

// ConnectArgs opens sockets and appends them to a group (created if new). Sockets keep their position in
// the group whether or not they connected, so that later commands can name them by index.
type ConnectArgs struct {
	Group       string   `json:"group"`
	Raw         bool     `json:"raw"` // plain WebSocket (the baseline), not Socket.IO
	Sockets     []Socket `json:"sockets"`
	Source      string   `json:"source"`      // source IP in 127.0.0.0/8
	Concurrency int      `json:"concurrency"` // handshakes in flight at once
	TimeoutMs   int      `json:"timeoutMs"`   // for the whole batch
	// CheckSeq makes the sockets check each conversation's seqs: a seq not above the last one seen is a
	// duplicate (not counted), a jump is a gap (a lost event).
	CheckSeq bool `json:"checkSeq"`
}

// Failures classifies connections that did not open.
type Failures struct {
	Dial         int            `json:"dial"`         // TCP connect failed
	Handshake    int            `json:"handshake"`    // WebSocket upgrade or engine.io open failed
	ConnectError int            `json:"connectError"` // the server refused CONNECT (connect_error)
	Timeout      int            `json:"timeout"`      // no CONNECT ack before the deadline
	Codes        map[string]int `json:"codes,omitempty"`
	First        string         `json:"first,omitempty"` // the first error, verbatim
}

// Total is the number of failed connections.
func (f Failures) Total() int { return f.Dial + f.Handshake + f.ConnectError + f.Timeout }

// Add merges o into f.
func (f *Failures) Add(o Failures) {
	f.Dial += o.Dial
	f.Handshake += o.Handshake
	f.ConnectError += o.ConnectError
	f.Timeout += o.Timeout
	for k, v := range o.Codes {
		if f.Codes == nil {
			f.Codes = map[string]int{}
		}
		f.Codes[k] += v
	}
	if f.First == "" {
		f.First = o.First
	}
}

// ConnectResult says how a batch went. Latency is per socket, from dial to CONNECT ack.
type ConnectResult struct {
	Connected int      `json:"connected"`
	Failed    Failures `json:"failed"`
	FailedIdx []int    `json:"failedIdx,omitempty"` // positions in ConnectArgs.Sockets of those that failed
	WallNs    int64    `json:"wallNs"`
	Latency   hist.H   `json:"latency"`
}

// ArmArgs starts a measurement step: deliveries tagged Tag that arrive by UntilNs (Unix ns) are live.
type ArmArgs struct {
	Tag     uint32 `json:"tag"`
	UntilNs int64  `json:"untilNs"`
}

// Sender is a socket that sends, and the conversation it sends to.
type Sender struct {
	Group string `json:"group"`
	Index int    `json:"index"`
	Conv  string `json:"conv"`
}

// SendArgs sends Rate messages a second in total, spread over Senders (round robin, or a random sender each
// time), from StartNs for DurationMs, each with a body of BodySize bytes stamped with the send time and Tag.
type SendArgs struct {
	Tag          uint32   `json:"tag"`
	Senders      []Sender `json:"senders"`
	Rate         float64  `json:"rate"`
	StartNs      int64    `json:"startNs"`
	DurationMs   int      `json:"durationMs"`
	BodySize     int      `json:"bodySize"`
	AckTimeoutMs int      `json:"ackTimeoutMs"`
	Random       bool     `json:"random"`
	// Phase (0 to 1) delays the first message by that fraction of an interval, so that several workers
	// sending at the same rate interleave instead of sending together.
	Phase float64 `json:"phase"`
	// Raw sends the text of a scalechat event frame instead of message:send (the baseline, which has no acks).
	Raw bool `json:"raw"`
}

// RescheduleArgs ends step Tag's sending at EndNs (if that is sooner) and moves its live deadline to UntilNs.
type RescheduleArgs struct {
	Tag     uint32 `json:"tag"`
	EndNs   int64  `json:"endNs"`
	UntilNs int64  `json:"untilNs"`
}

// CollectArgs asks for a step's figures once its deadline has passed; the worker first waits (up to
// TimeoutMs) for its sending to end and its acks to come in or time out.
type CollectArgs struct {
	Tag       uint32 `json:"tag"`
	TimeoutMs int    `json:"timeoutMs"`
}

// Deliveries are what the worker's sockets received during a step.
type Deliveries struct {
	Live     uint64 `json:"live"`     // with the step's tag, by its deadline
	Late     uint64 `json:"late"`     // bench messages of another step, or after the deadline
	Other    uint64 `json:"other"`    // events without a stamp: joins, presence, typing
	Dups     uint64 `json:"dups"`     // seq not above the last seen (not counted live)
	Gaps     uint64 `json:"gaps"`     // seqs skipped (events that never came)
	FrameLen int    `json:"frameLen"` // length of the last bench delivery frame
	Latency  hist.H `json:"latency"`  // send → receive of the live deliveries
}

// SendResult is how a worker's sending went in a step.
type SendResult struct {
	Sent        int            `json:"sent"`
	OK          int            `json:"ok"`       // acked {ok:true} (sequenced, or accepted)
	Accepted    int            `json:"accepted"` // of which {accepted:true}: durable, seq pending
	Errors      int            `json:"errors"`   // acked {ok:false}
	Codes       map[string]int `json:"codes,omitempty"`
	Timeouts    int            `json:"timeouts"`    // no ack within the ack timeout
	WriteErrors int            `json:"writeErrors"` // the socket was gone or would not take the write
	PerSender   []int          `json:"perSender"`   // OK per entry of SendArgs.Senders
	AckLatency  hist.H         `json:"ackLatency"`
	LagMaxNs    int64          `json:"lagMaxNs"` // how far sending fell behind its schedule at worst
}

// Totals are a worker's running counters that a step is measured against (arm and collect both report
// them; the step's share is the difference).
type Totals struct {
	ServerClosed uint64 `json:"serverClosed"` // connections the server (or the network) ended
	LateAcks     uint64 `json:"lateAcks"`     // acks that came after their timeout
}

// CollectResult is a worker's share of a step.
type CollectResult struct {
	Deliveries Deliveries  `json:"deliveries"`
	Send       *SendResult `json:"send,omitempty"` // nil when this worker did not send in the step
	Totals     Totals      `json:"totals"`
}

// GroupArgs names a group.
type GroupArgs struct {
	Group string `json:"group"`
}

// ResumeArgs reconnects every socket of a group (from Source), with at most Concurrency handshakes in flight,
// and then, for sockets whose SyncIdx entry is not -1, emits sync with payload Sync[SyncIdx[i]] and waits for
// its ack. Everything must be done by DeadlineNs.
type ResumeArgs struct {
	Group       string   `json:"group"`
	Source      string   `json:"source"`
	Concurrency int      `json:"concurrency"`
	DeadlineNs  int64    `json:"deadlineNs"`
	Sync        []string `json:"sync"`
	SyncIdx     []int    `json:"syncIdx"`
}

// ResumeResult is how a reconnection storm went on one worker.
type ResumeResult struct {
	Total          int            `json:"total"`
	Resumed        int            `json:"resumed"`             // connected and got {ok:true} to sync
	Failed         Failures       `json:"failed"`              // connections that did not open
	FailedIdx      []int          `json:"failedIdx,omitempty"` // positions in the group of those
	SyncOK         int            `json:"syncOk"`
	SyncErrors     int            `json:"syncErrors"` // acked {ok:false}
	SyncCodes      map[string]int `json:"syncCodes,omitempty"`
	SyncTimeouts   int            `json:"syncTimeouts"` // no ack by the deadline (or the socket closed first)
	ConnectLatency hist.H         `json:"connectLatency"`
	SyncLatency    hist.H         `json:"syncLatency"`
	LastNs         int64          `json:"lastNs"` // when the last socket finished resuming
}
