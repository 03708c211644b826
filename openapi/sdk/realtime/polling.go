// Package realtime is the Go SDK's real-time client of scalechat (Socket.IO): Client delivers every
// conversation's events once each and in seq order, resuming by seq after a reconnect or a gap. Below it are the
// fixes it needs to the Go Socket.IO client library (zishang520/socket.io clients/socket/v3), exported for callers
// that drive sockets themselves (scalechat's own end-to-end tests).
package realtime

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	engine "github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/parsers/engine/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/queue"
)

// PollingTransport returns the client library's HTTP long-polling transport with one change: client → server
// writes (POST) go out on their own, as in the reference JavaScript client, instead of queueing behind the
// pending long-poll GET.
//
// In clients/engine/v3@v3.0.6 (polling.go, _poll and Write) both requests share one sequential writeQueue, so
// a write waits until the server answers the GET in flight — with nothing to send, only at the next ping
// (25 s by default). A polling client's requests would then stall for up to a ping interval; these tests
// would measure the library, not the server.
// Each HTTP request gives up after timeout.
func PollingTransport(timeout time.Duration) engine.TransportCtor {
	return pollingBuilder{timeout: timeout}
}

type pollingBuilder struct{ timeout time.Duration }

func (pollingBuilder) Name() string { return "polling" }

func (b pollingBuilder) New(sock engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	p := &polling{Polling: engine.MakePolling(), http: &http.Client{Timeout: b.timeout}, writes: queue.New()}
	p.Prototype(p) // the library dispatches Send → Write (and the other overridable steps) through the prototype
	p.Construct(sock, opts)
	return p
}

// polling reuses the library's transport for everything but Write.
type polling struct {
	engine.Polling
	http   *http.Client
	writes *queue.Queue // writes stay in order among themselves
}

// Write posts packets without waiting for the pending poll; like the library, it marks the transport busy until
// the POST is answered and then emits "drain" so that the socket flushes what queued up meanwhile.
func (p *polling) Write(packets []*packet.Packet) {
	p.SetWritable(false)
	u := p.uri()
	p.writes.Enqueue(func() {
		data, err := parser.Parserv4().EncodePayload(packets)
		if err != nil {
			p.OnError("encode error", err, nil)
			return
		}
		req, err := http.NewRequest(http.MethodPost, u.String(), data)
		if err != nil {
			p.OnError("fetch write error", err, nil)
			return
		}
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		resp, err := p.http.Do(req)
		if err != nil {
			p.OnError("fetch write error", err, nil)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			p.OnError("fetch write error", fmt.Errorf("POST answered %s", resp.Status), nil)
			return
		}
		p.SetWritable(true)
		p.Emit("drain")
	})
}

// DoClose closes the library's transport, then this one's idle connections.
func (p *polling) DoClose() {
	p.Polling.DoClose()
	p.http.CloseIdleConnections()
}

// uri is the library's polling URL (its uri method is unexported): the transport's query, which holds the
// session id once the handshake is done, plus a cache-busting timestamp.
func (p *polling) uri() *url.URL {
	schema := "http"
	if p.Opts().Secure() {
		schema = "https"
	}
	query := url.Values{}
	for k, vs := range p.Query() {
		for _, v := range vs {
			query.Add(k, v)
		}
	}
	if p.Opts().TimestampRequests() {
		query.Set(p.Opts().TimestampParam(), strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	if !p.SupportsBinary() && !query.Has("sid") {
		query.Set("b64", "1")
	}
	return p.CreateUri(schema, query)
}
