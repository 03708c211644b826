package socketio

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the real-time endpoint's collectors. Counters on the delivery path are added to once per
// broadcast or per write, never per recipient.
type metrics struct {
	closed            *prometheus.CounterVec
	disconnects       *prometheus.CounterVec
	unsolicitedPongs  prometheus.Counter
	sessionsEnded     *prometheus.CounterVec
	handshakesRefused *prometheus.CounterVec
	deliveries        prometheus.Counter
	dropped           *prometheus.CounterVec
	lag               prometheus.Histogram
	writes            prometheus.Counter
	framesWritten     prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_socket_closed_total",
			Help: "Websocket connections closed, by reason: client, server, idle_timeout, outbound_overflow " +
				"(a client that does not keep up), write_timeout, write_error, read_error, poll_error, message_too_big, protocol_error, " +
				"invalid_utf8 (a text message not UTF-8, or escaping half a surrogate pair)."}, []string{"reason"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_socket_disconnects_total",
			Help: "Socket.IO connections ended, by the library's reason (transport close, ping timeout, " +
				"server namespace disconnect, ...)."}, []string{"reason"}),
		unsolicitedPongs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scalechat_socket_unsolicited_pongs_total",
			Help: "Pongs ignored because they answered no ping written to the socket."}),
		handshakesRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_socket_handshakes_refused_total",
			Help: "New real-time sessions refused before the handshake, by error code (rate_limited: the address's allowance)."},
			[]string{"code"}),
		sessionsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_socket_sessions_ended_total",
			Help: "Connections disconnected because their session ended: logged_out (on any node) or expired."},
			[]string{"reason"}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "scalechat_socket_deliveries_total",
			Help: "Broadcast packets queued to sockets (one per recipient socket)."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_socket_dropped_total",
			Help: "Broadcasts or deliveries dropped, by stage: dispatch_queue (a delivery shard was full), " +
				"encode (could not be encoded), outbound_overflow (deliveries lost with a socket closed for " +
				"its backlog)."}, []string{"stage"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scalechat_fanout_lag_seconds",
			Help:    "From an event being sequenced to its frames being queued to this node's sockets.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{Name: "scalechat_socket_writes_total",
			Help: "Non-blocking writev calls by the flushers (frames written / writes = frames per system call)."}),
		framesWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "scalechat_socket_frames_written_total",
			Help: "Websocket frames written by the flushers."}),
	}
}

// register adds the collectors, and gauges read from s, to reg.
func (m *metrics) register(reg prometheus.Registerer, s *Server) error {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	cs := []prometheus.Collector{m.closed, m.disconnects, m.unsolicitedPongs, m.sessionsEnded, m.handshakesRefused, m.deliveries, m.dropped, m.lag, m.writes,
		m.framesWritten,
		gauge("scalechat_sockets", "Socket.IO connections on this node.",
			func() float64 { return float64(s.hub.connCount()) }),
		gauge("scalechat_socket_websockets", "Open websocket transports on this node.",
			func() float64 { return float64(s.writers.sockets()) }),
		gauge("scalechat_socket_slow_writers", "Sockets whose kernel buffer filled up, written by a goroutine of their own.",
			func() float64 { return float64(s.writers.slow.Load()) }),
		gauge("scalechat_rooms", "Rooms (conversations and users) with sockets on this node.",
			func() float64 { return float64(s.hub.roomCount()) }),
		gauge("scalechat_fanout_topics", "Fan-out topics this node is subscribed to.",
			func() float64 { return float64(s.hub.subs.count()) }),
	}
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
