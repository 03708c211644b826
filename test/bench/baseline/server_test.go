package baseline

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/bench/probe"
	"github.com/scalechat/scalechat/test/bench/sio"
)

type inbox chan string

func (in inbox) Event(f []byte)     { in <- string(f) }
func (in inbox) Ack(uint64, []byte) {}
func (in inbox) Closed(error)       {}

func TestBroadcastToEveryClient(t *testing.T) {
	s := New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	var boxes []inbox
	var conns []*sio.Conn
	for range 3 {
		in := make(inbox, 4)
		c, err := sio.Dial(ctx, sio.Options{URL: url, Mode: sio.Raw, Handler: in})
		require.NoError(t, err)
		defer c.Close()
		boxes, conns = append(boxes, in), append(conns, c)
	}
	require.Eventually(t, func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return len(s.clients) == 3
	}, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, conns[1].WriteText([]byte("hello")))
	for i, in := range boxes {
		select {
		case got := <-in:
			assert.Equal(t, "hello", got, "client %d", i)
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d got nothing", i)
		}
	}
	m, err := probe.Scrape(ctx, srv.Client(), srv.URL+"/metrics")
	require.NoError(t, err)
	assert.Equal(t, 3.0, m.Value("baseline_connections"))
	assert.Equal(t, 1.0, m.Value("baseline_received_total"))
	assert.Greater(t, m.Value("go_goroutines"), 0.0)
}
