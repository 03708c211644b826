package realtime_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/hostapp"
)

// The host application's tokens open sockets like session tokens do, on both transports; a forged or expired
// one is refused at the handshake, and a socket ends when its token expires.
func TestApplicationTokensOnSockets(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	s := startServer(t, append(app.Flags(), "--jwt-leeway", "1s")...)
	signIn := func(t *testing.T, m hostapp.Method, c hostapp.Claims) *user {
		t.Helper()
		token := app.Token(t, m, c)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		r, err := s.rest(t, token).GetMeWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		return &user{ID: r.JSON200.Id, Username: r.JSON200.Username, Token: token, api: s.rest(t, token), s: s}
	}
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			a := signIn(t, hostapp.HS256, hostapp.Claims{Subject: "a-" + transport, Name: "Ann"})
			b := signIn(t, hostapp.EdDSA, hostapp.Claims{Subject: "b-" + transport, Name: "Ben"})
			conv := a.createGroup(t, b)
			ca, cb := a.dial(t, transport), b.dial(t, transport)
			m := ca.send(t, s, conv.Id, "over a socket, signed in by the host app")
			ev := cb.nextEvent(t, conv.Id)
			require.NotNil(t, ev.Data.Message)
			assert.Equal(t, m.Id, ev.Data.Message.Id)
			assert.Equal(t, a.ID, ev.Data.Message.SenderId)

			for name, token := range map[string]string{
				"forged":  app.Forged(t, hostapp.RS256, hostapp.Claims{Subject: "a-" + transport}),
				"expired": app.Token(t, hostapp.ES256, hostapp.Claims{Subject: "a-" + transport, TTL: -time.Minute}),
			} {
				c := open(t, s.p.BaseURL, token, transport, name+"/"+transport)
				c.connect(t)
				select {
				case err := <-c.connectErrs:
					assert.Contains(t, err.Error(), "invalid token", name)
				case <-c.connects:
					t.Fatalf("%s: a %s token opened a socket", transport, name)
				case <-time.After(waitFor):
					t.Fatalf("%s: no answer to a %s token's handshake", transport, name)
				}
				c.close()
			}

			// A token that expires in 2 s: the socket it opened ends then.
			short := signIn(t, hostapp.ES256, hostapp.Claims{Subject: "a-" + transport, TTL: 2 * time.Second})
			cs := short.dial(t, transport)
			t0 := time.Now()
			reason := cs.waitDisconnect(t)
			assert.Equal(t, "io server disconnect", reason)
			assert.Less(t, time.Since(t0), waitFor)
		})
	}
}
