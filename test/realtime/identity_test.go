package realtime_test

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/harness"
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

// A bot signs in on a socket with its API key, hears a question in a channel live and answers there over the
// socket; revoking its key through the admin API ends the socket, and the key no longer opens one.
func TestBotOnSockets(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out, err := exec.CommandContext(t.Context(), harness.Binary(t), "apikey", "create", "admin", "ops", "--data-dir", s.dir).Output()
	require.NoError(t, err)
	admin := s.rest(t, strings.TrimSpace(string(out)))
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
			defer cancel()
			kr, err := admin.CreateApiKeyWithResponse(ctx, sdk.CreateAPIKeyRequest{Name: "answers " + transport,
				Scope: sdk.CreateAPIKeyRequestScopeBot, BotUsername: ptr("answers-" + transport)})
			wantStatus(t, kr, err, http.StatusCreated)
			bot := &user{ID: kr.JSON201.Bot.Id, Username: kr.JSON201.Bot.Username, Token: kr.JSON201.Key, api: s.rest(t, kr.JSON201.Key), s: s}
			ann := s.signUp(t, "ann")
			conv := ann.createGroup(t, bot)
			cb, ca := bot.dial(t, transport), ann.dial(t, transport)
			q := ca.send(t, s, conv.Id, "what time is it?")
			ev := cb.nextEvent(t, conv.Id)
			require.NotNil(t, ev.Data.Message)
			assert.Equal(t, q.Id, ev.Data.Message.Id, "the bot hears the question live")
			ca.nextEvent(t, conv.Id) // ann's own message
			answer := cb.send(t, s, conv.Id, "time to chat")
			ev = ca.nextEvent(t, conv.Id)
			require.NotNil(t, ev.Data.Message)
			assert.Equal(t, answer.Id, ev.Data.Message.Id)
			assert.Equal(t, bot.ID, ev.Data.Message.SenderId)

			dr, err := admin.AdminDeactivateUserWithResponse(ctx, ann.ID)
			wantStatus(t, dr, err, http.StatusOK)
			assert.Equal(t, "io server disconnect", ca.waitDisconnect(t), "deactivating a user ends their socket")

			rr, err := admin.RevokeApiKeyWithResponse(ctx, kr.JSON201.ApiKey.Id)
			wantStatus(t, rr, err, http.StatusOK)
			assert.Equal(t, "io server disconnect", cb.waitDisconnect(t), "revoking the key ends its socket")
			c := open(t, s.p.BaseURL, bot.Token, transport, "revoked/"+transport)
			c.connect(t)
			select {
			case err := <-c.connectErrs:
				assert.Contains(t, err.Error(), "revoked")
			case <-c.connects:
				t.Fatal("a revoked key opened a socket")
			case <-time.After(waitFor):
				t.Fatal("no answer to a revoked key's handshake")
			}
			c.close()
		})
	}
}

func ptr[T any](v T) *T { return &v }
