// Package socketio is the real-time adapter: the Socket.IO contract of ARCHITECTURE.md on
// github.com/zishang520/socket.io, fed by the fan-out port. Each connected socket joins a room per
// conversation of its user (conv:<id>) and one for the user (user:<id>); this node subscribes to the fan-out
// topics of exactly those rooms, reference-counted, so a gateway only receives what its clients need.
package socketio

import (
	"errors"
	"log/slog"
	"time"
)

// Config tunes the Socket.IO endpoint.
type Config struct {
	Node              string        // this process's id, prefixed to connection ids in presence
	MaxPayloadBytes   int64         // largest accepted packet; bigger ones close the connection
	MaxSocketsPerUser int           // connections one user may hold on this node
	PresenceGrace     time.Duration // how long after its last socket closes a user turns offline
	HeartbeatEvery    time.Duration // how often live connections refresh their presence
	QueueDepth        int           // client requests a socket may have in flight before getting rate_limited
	PingInterval      time.Duration
	PingTimeout       time.Duration
	Logger            *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Node: "node", MaxPayloadBytes: 64 << 10, MaxSocketsPerUser: 20, PresenceGrace: 3 * time.Second,
		HeartbeatEvery: 20 * time.Second, QueueDepth: 64, PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.MaxPayloadBytes == 0 {
		c.MaxPayloadBytes = d.MaxPayloadBytes
	}
	if c.MaxSocketsPerUser == 0 {
		c.MaxSocketsPerUser = d.MaxSocketsPerUser
	}
	if c.PresenceGrace == 0 {
		c.PresenceGrace = d.PresenceGrace
	}
	if c.HeartbeatEvery == 0 {
		c.HeartbeatEvery = d.HeartbeatEvery
	}
	if c.QueueDepth == 0 {
		c.QueueDepth = d.QueueDepth
	}
	if c.PingInterval == 0 {
		c.PingInterval = d.PingInterval
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = d.PingTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxPayloadBytes < 1024 || c.MaxSocketsPerUser < 1 || c.PresenceGrace < 0 || c.HeartbeatEvery <= 0 ||
		c.QueueDepth < 1 || c.PingInterval <= 0 || c.PingTimeout <= 0 {
		return c, errors.New("socketio: limits must be positive (MaxPayloadBytes at least 1024)")
	}
	return c, nil
}
