package socketio

import (
	"errors"
	"log/slog"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config tunes the Socket.IO endpoint. Zero values take the defaults of DefaultConfig.
type Config struct {
	Node              string // this process's id, prefixed to connection ids in presence
	MaxPayloadBytes   int64  // largest accepted packet; bigger ones close the connection
	MaxSocketsPerUser int    // connections one user may hold on this node
	// MaxSocketsPerAddress bounds the connections from one client address on this node.
	MaxSocketsPerAddress int
	PresenceGrace        time.Duration // how long after its last socket closes a user turns offline
	HeartbeatEvery       time.Duration // how often live connections refresh their presence
	QueueDepth           int           // client requests a socket may have in flight before getting rate_limited
	PingInterval         time.Duration
	PingTimeout          time.Duration

	// Outbound bounds of one socket: bytes and packets queued for it. A socket over either is closed (and
	// resumes later with sync); a single packet larger than MaxOutboundBytes still goes to an idle socket.
	MaxOutboundBytes  int
	MaxOutboundFrames int
	WriteTimeout      time.Duration // bound of each write to a socket whose kernel buffer is full
	Flushers          int           // goroutines writing socket queues (default GOMAXPROCS)
	// Pollers is how many epoll sets idle websockets wait in for their clients to write (Linux; default
	// GOMAXPROCS). Negative: none, every websocket has a reader goroutine of its own.
	Pollers        int
	DeliveryShards int           // goroutines broadcasting, by topic (default 2×GOMAXPROCS)
	DeliveryQueue  int           // envelopes a shard may have waiting; beyond, they are dropped and counted
	TopicLinger    time.Duration // how long a topic stays subscribed after its last local reader left
	// ConnectConcurrency bounds connection set-ups (authentication, rooms, presence) running at once; a
	// reconnect storm queues for them rather than starving the delivery of live conversations.
	ConnectConcurrency int

	Logger  *slog.Logger
	Metrics prometheus.Registerer // where the endpoint's collectors go; nil: not exported
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	procs := runtime.GOMAXPROCS(0)
	return Config{Node: "node", MaxPayloadBytes: 64 << 10, MaxSocketsPerUser: 20, MaxSocketsPerAddress: 1000, PresenceGrace: 3 * time.Second,
		HeartbeatEvery: 20 * time.Second, QueueDepth: 64, PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second,
		MaxOutboundBytes: 4 << 20, MaxOutboundFrames: 16384, WriteTimeout: 10 * time.Second,
		Flushers: procs, Pollers: procs, DeliveryShards: 2 * procs, DeliveryQueue: 8192, TopicLinger: 10 * time.Second,
		ConnectConcurrency: 8 * procs}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	def := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	defDur := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.MaxPayloadBytes == 0 {
		c.MaxPayloadBytes = d.MaxPayloadBytes
	}
	def(&c.MaxSocketsPerUser, d.MaxSocketsPerUser)
	def(&c.MaxSocketsPerAddress, d.MaxSocketsPerAddress)
	defDur(&c.PresenceGrace, d.PresenceGrace)
	defDur(&c.HeartbeatEvery, d.HeartbeatEvery)
	def(&c.QueueDepth, d.QueueDepth)
	defDur(&c.PingInterval, d.PingInterval)
	defDur(&c.PingTimeout, d.PingTimeout)
	def(&c.MaxOutboundBytes, d.MaxOutboundBytes)
	def(&c.MaxOutboundFrames, d.MaxOutboundFrames)
	defDur(&c.WriteTimeout, d.WriteTimeout)
	def(&c.Flushers, d.Flushers)
	def(&c.Pollers, d.Pollers)
	def(&c.DeliveryShards, d.DeliveryShards)
	def(&c.DeliveryQueue, d.DeliveryQueue)
	defDur(&c.TopicLinger, d.TopicLinger)
	def(&c.ConnectConcurrency, d.ConnectConcurrency)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxPayloadBytes < 1024 || c.MaxSocketsPerUser < 1 || c.MaxSocketsPerAddress < 1 || c.PresenceGrace < 0 || c.HeartbeatEvery <= 0 ||
		c.QueueDepth < 1 || c.PingInterval <= 0 || c.PingTimeout <= 0 {
		return c, errors.New("socketio: limits must be positive (MaxPayloadBytes at least 1024)")
	}
	if c.MaxOutboundBytes < 1024 || c.MaxOutboundFrames < 16 || c.WriteTimeout <= 0 || c.Flushers < 1 ||
		c.DeliveryShards < 1 || c.DeliveryQueue < 1 || c.TopicLinger < 0 || c.ConnectConcurrency < 1 {
		return c, errors.New("socketio: outbound limits must be positive (MaxOutboundBytes at least 1024, " +
			"MaxOutboundFrames at least 16)")
	}
	return c, nil
}
