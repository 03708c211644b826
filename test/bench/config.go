package main

import "time"

// Targets and scenarios, in the order they run. allScenarios is the default selection; soak (long) runs only
// when asked for by name.
var (
	allTargets     = []string{"baseline", "standalone", "cluster"}
	allScenarios   = []string{"idle", "fanout", "chatmix", "storm", "persist"}
	knownScenarios = append(append([]string(nil), allScenarios...), "soak")
)

// rawScenario reports whether the baseline runs a scenario: the others need Socket.IO semantics (acks, sync,
// REST).
func rawScenario(name string) bool { return name == "idle" || name == "fanout" }

// runsOn reports whether scenario sc applies to target t: the baseline runs only the raw scenarios, and the
// soak runs on the cluster only (it watches the Redis and PostgreSQL connections too).
func runsOn(sc string, t *target) bool {
	switch {
	case t.raw && !rawScenario(sc):
		return false
	case sc == "soak":
		return t.name == "cluster"
	}
	return true
}

// defaultBin is the scalechat binary measured unless --bin says otherwise; it is built when missing.
const defaultBin = "bin/scalechat"

// serverEnv is the environment of every scalechat process the bench starts: cheap password hashing (fixtures
// register thousands of users), no per-user send rate limit, room for many sockets per user (the idle
// scenario), and the presence grace pinned, so that the bench knows when the users of a closed scenario have
// all gone offline (and their conversations have heard of it).
func serverEnv(s sizes) []string {
	return []string{
		"SCALECHAT_PASSWORD_MEMORY_KIB=1024",
		"SCALECHAT_SEND_RATE_LIMIT=100000000",
		"SCALECHAT_RATE_LIMITS=*=off", // thousands of clients on a few loopback addresses, far above human rates
		"SCALECHAT_MAX_SOCKETS_PER_USER=1000",
		"SCALECHAT_MAX_SOCKETS_PER_ADDRESS=1000000", // the generator's sockets share a few loopback addresses
		"SCALECHAT_PRESENCE_GRACE=" + s.PresenceGrace.String(),
	}
}

// config is one run's settings.
type config struct {
	mode      string // full, quick, smoke
	sizes     sizes
	targets   []string
	scenarios []string
	bin       string
	out       string
}

// fanoutSize is one fan-out channel and its offered rates (messages per second over all senders).
type fanoutSize struct {
	Members int       `json:"members"`
	Rates   []float64 `json:"rates"`
}

// sizes are the dimensions of a run.
type sizes struct {
	Workers   int           `json:"workers"`   // load-generator processes
	Deadline  time.Duration `json:"deadline"`  // the whole run
	BodyBytes int           `json:"bodyBytes"` // message body, stamp included

	Fanout        []fanoutSize  `json:"fanout"`
	FanoutSenders int           `json:"fanoutSenders"`
	Step          time.Duration `json:"step"`       // how long each rate step sends
	Grace         time.Duration `json:"grace"`      // deliveries after the step still count as live this long
	AckTimeout    time.Duration `json:"ackTimeout"` // a send without an ack by then is a timeout
	// ExtraSteps go on past the listed rates (×1.5 each) while the target is not saturated.
	ExtraSteps int `json:"extraSteps"`

	Idle        []int         `json:"idle"` // cumulative socket counts
	IdlePerUser int           `json:"idlePerUser"`
	Settle      time.Duration `json:"settle"` // pause after connecting idle sockets, before measuring
	// MinSettle is the pause between connecting sockets and sending to them: a socket joins its rooms (and a
	// cluster's gateway subscribes to their topics) just after its CONNECT ack.
	MinSettle      time.Duration `json:"minSettle"`
	ConnectPerWork int           `json:"connectConcurrency"`

	Storm         int           `json:"storm"`
	StormDeadline time.Duration `json:"stormDeadline"` // every socket must have resumed by then
	StormLead     time.Duration `json:"stormLead"`     // the probe alone before the drop, and after the storm
	StormPerUser  int           `json:"stormPerUser"`  // sockets per user (a phone and a laptop)
	ProbeRate     float64       `json:"probeRate"`

	ChatUsers int       `json:"chatUsers"`
	GroupSize int       `json:"groupSize"`
	ChatRates []float64 `json:"chatRates"`

	PersistSenders  int           `json:"persistSenders"`
	PersistDuration time.Duration `json:"persistDuration"`

	// PresenceGrace is the servers' --presence-grace: how long after its last socket closes a user turns
	// offline. The default (3 s) but in the smoke test.
	PresenceGrace time.Duration `json:"presenceGrace"`

	// QuiesceMax bounds the wait, before each scenario, for the servers to finish the previous one's work.
	QuiesceMax time.Duration `json:"quiesceMax"`

	// MaxLatency stops the stepping of a rate scenario when a step's p99 is above it.
	MaxLatency time.Duration `json:"maxLatency"`
	// MinDelivered stops the stepping when a step delivers less than this fraction.
	MinDelivered float64 `json:"minDelivered"`

	// The soak: SoakUsers sockets (one per user, users in groups of GroupSize) send SoakRate msg/s in total
	// for SoakDuration, in rounds of SoakInterval; each round ends with a resource sample and one of
	// SoakChurnGroups shares of the sockets reconnecting with sync. SoakRESTRate REST reads a second run
	// throughout.
	SoakDuration    time.Duration `json:"soakDuration"`
	SoakInterval    time.Duration `json:"soakInterval"`
	SoakUsers       int           `json:"soakUsers"`
	SoakRate        float64       `json:"soakRate"`
	SoakChurnGroups int           `json:"soakChurnGroups"`
	SoakRESTRate    float64       `json:"soakRestRate"`
}

// fullSizes is `make bench`.
func fullSizes() sizes {
	return sizes{
		Workers: 3, Deadline: 90 * time.Minute, BodyBytes: 100,
		Fanout: []fanoutSize{
			{Members: 1000, Rates: []float64{20, 50, 100, 150, 200, 300, 400}},
			{Members: 10000, Rates: []float64{2, 5, 10, 15, 20, 30, 40}},
		},
		FanoutSenders: 10, Step: 10 * time.Second, Grace: 2 * time.Second, AckTimeout: 10 * time.Second,
		ExtraSteps: 6,
		Idle:       []int{1000, 10000, 19000}, IdlePerUser: 500, Settle: 5 * time.Second, ConnectPerWork: 64,
		MinSettle: time.Second,
		Storm:     10000, StormDeadline: 10 * time.Second, StormLead: 2 * time.Second, StormPerUser: 1,
		ProbeRate: 20,
		ChatUsers: 2000, GroupSize: 10, ChatRates: []float64{200, 500, 1000, 2000},
		PersistSenders: 32, PersistDuration: 10 * time.Second,
		MaxLatency: 5 * time.Second, MinDelivered: 0.99, QuiesceMax: 30 * time.Second,
		PresenceGrace: 3 * time.Second,
		SoakDuration:  10 * time.Minute, SoakInterval: 10 * time.Second, SoakUsers: 300, SoakRate: 100,
		SoakChurnGroups: 5, SoakRESTRate: 5,
	}
}

// quickSizes is `make bench-quick`: the same scenarios, smaller and shorter, for a before/after check.
func quickSizes() sizes {
	s := fullSizes()
	s.Workers, s.Deadline = 2, 6*time.Minute
	s.Fanout = []fanoutSize{{Members: 1000, Rates: []float64{100, 200, 400, 800}}}
	s.Step, s.Grace, s.AckTimeout, s.ExtraSteps, s.MinSettle = 3*time.Second, 750*time.Millisecond, 6*time.Second, 0,
		500*time.Millisecond
	s.Idle, s.Settle = []int{1000, 3000}, time.Second
	// Two sockets per user: the storm reuses the fan-out's 1,000 users instead of registering more.
	s.Storm, s.StormLead, s.StormPerUser = 2000, time.Second, 2
	s.ChatUsers, s.ChatRates = 500, []float64{200, 500, 1000}
	s.PersistDuration, s.QuiesceMax = 3*time.Second, 5*time.Second
	s.SoakDuration, s.SoakInterval = 2*time.Minute, 5*time.Second
	return s
}

// smokeSizes is for the test: every code path, tiny.
func smokeSizes() sizes {
	s := quickSizes()
	s.Deadline = 3 * time.Minute
	s.Fanout = []fanoutSize{{Members: 20, Rates: []float64{20, 50}}}
	s.FanoutSenders = 4
	s.Step, s.Grace, s.AckTimeout, s.ExtraSteps = 500*time.Millisecond, 200*time.Millisecond, 5*time.Second, 0
	s.Idle, s.IdlePerUser, s.Settle, s.MinSettle = []int{25, 50}, 25, 200*time.Millisecond, 300*time.Millisecond
	s.Storm, s.StormDeadline, s.StormLead, s.StormPerUser = 50, 10*time.Second, 300*time.Millisecond, 1
	s.ChatUsers, s.ChatRates = 30, []float64{20, 50}
	s.PersistSenders, s.PersistDuration, s.QuiesceMax = 4, time.Second, 2*time.Second
	s.PresenceGrace = 300 * time.Millisecond // the scenarios last about that long
	// The soak on the chat mix's users: 6 rounds of 1.5 s, about 12 s with its set-up.
	s.SoakDuration, s.SoakInterval, s.SoakUsers, s.SoakRate, s.SoakChurnGroups = 9*time.Second, 1500*time.Millisecond, 30, 20, 3
	return s
}
