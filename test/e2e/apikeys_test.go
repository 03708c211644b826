package e2e

import (
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/harness"
)

// cli runs `scalechat <args> --data-dir <the server's>` against the running server's database and returns
// its standard output; it must exit 0.
func (s *server) cli(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), harness.Binary(t), append(args, "--data-dir", s.dir)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "scalechat %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

// Server API keys: the first admin key comes from the command line; with it the admin API creates a bot key,
// whose bot user (flagged bot) joins a channel and answers there; revoked keys are refused. An admin key is no
// user, and users and bots cannot use the admin API.
func TestAPIKeysAndBotsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	adminKey := strings.TrimSpace(s.cli(t, "apikey", "create", "admin", "host app backend"))
	require.True(t, strings.HasPrefix(adminKey, "sck_"), adminKey)
	admin := s.client(t, adminKey)

	cr, err := admin.CreateApiKeyWithResponse(ctx, sdk.CreateAPIKeyRequest{Name: "helper bot", Scope: sdk.CreateAPIKeyRequestScopeBot,
		BotUsername: ptr("helper"), BotDisplayName: ptr("Helper Bot")})
	wantStatus(t, cr, err, http.StatusCreated)
	botKey := cr.JSON201.Key
	require.NotNil(t, cr.JSON201.Bot)
	bot := *cr.JSON201.Bot
	assert.True(t, bot.Bot)
	assert.Equal(t, "helper", bot.Username)
	assert.Equal(t, "Helper Bot", bot.DisplayName)
	require.NotNil(t, cr.JSON201.ApiKey.BotUserId)
	assert.Equal(t, bot.Id, *cr.JSON201.ApiKey.BotUserId)

	// A person opens a channel and asks; the bot joins it and answers with its key, as any member would.
	ann := s.signUp(t, "ann")
	ch := ann.create(t, sdk.CreateConversationRequestKindChannel, "help desk")
	ann.send(t, ch.Id, "how do I reset my password?")
	bc := s.client(t, botKey)
	me, err := bc.GetMeWithResponse(ctx)
	wantStatus(t, me, err, http.StatusOK)
	assert.Equal(t, bot.Id, me.JSON200.Id)
	assert.True(t, me.JSON200.Bot)
	jr, err := bc.JoinConversationWithResponse(ctx, ch.Id)
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, jr.StatusCode(), string(jr.Body))
	hr, err := bc.ListMessagesWithResponse(ctx, ch.Id, nil)
	wantStatus(t, hr, err, http.StatusOK)
	require.NotEmpty(t, hr.JSON200.Items)
	question := hr.JSON200.Items[len(hr.JSON200.Items)-1]
	assert.Equal(t, "how do I reset my password?", question.Body)
	sr, err := bc.SendMessageWithResponse(ctx, ch.Id, sdk.SendMessageRequest{Body: "Open Settings, then Password.",
		ClientMsgId: ptr("answer-1"), ReplyTo: &question.Id})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, sr.StatusCode(), string(sr.Body))
	msgs := ann.history(t, ch.Id, 10)
	require.Len(t, msgs, 2)
	assert.Equal(t, bot.Id, msgs[1].SenderId)
	ur, err := ann.c.GetUserWithResponse(ctx, bot.Id)
	wantStatus(t, ur, err, http.StatusOK)
	assert.True(t, ur.JSON200.Bot, "others see it is a bot")
	am, err := ann.c.GetMeWithResponse(ctx)
	wantStatus(t, am, err, http.StatusOK)
	assert.False(t, am.JSON200.Bot)

	// The admin API is for admin keys alone; an admin key is no user.
	for _, c := range []*sdk.ClientWithResponses{ann.c, bc} { // a user, a bot
		lr, err := c.ListApiKeysWithResponse(ctx, nil)
		wantProblem(t, lr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	}
	lr, err := s.client(t, "").ListApiKeysWithResponse(ctx, nil)
	wantProblem(t, lr, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	mr, err := admin.GetMeWithResponse(ctx)
	p := wantProblem(t, mr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Contains(t, *p.Detail, "admin API")

	// Bad input changes nothing.
	before, err := admin.ListApiKeysWithResponse(ctx, nil)
	wantStatus(t, before, err, http.StatusOK)
	for name, req := range map[string]sdk.CreateAPIKeyRequest{
		"taken bot username": {Name: "again", Scope: sdk.CreateAPIKeyRequestScopeBot, BotUsername: ptr("ann")},
		"bad bot username":   {Name: "bad", Scope: sdk.CreateAPIKeyRequestScopeBot, BotUsername: ptr("no spaces allowed")},
		"admin with a bot":   {Name: "mixed", Scope: sdk.CreateAPIKeyRequestScopeAdmin, BotUsername: ptr("robo")},
		"blank name":         {Name: "   ", Scope: sdk.CreateAPIKeyRequestScopeAdmin},
	} {
		r, err := admin.CreateApiKeyWithResponse(ctx, req)
		require.NoError(t, err, name)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusConflict}, r.StatusCode(), "%s: %s", name, r.Body)
	}
	ur2, err := admin.AdminCreateUserWithResponse(ctx, sdk.AdminCreateUserRequest{Username: "ext", ExternalSubject: ptr("s-1")})
	p = wantProblem(t, ur2, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	assert.Contains(t, *p.Detail, "no JWT verification is configured")
	after, err := admin.ListApiKeysWithResponse(ctx, nil)
	wantStatus(t, after, err, http.StatusOK)
	assert.Equal(t, len(before.JSON200.Items), len(after.JSON200.Items))
	assert.Len(t, after.JSON200.Items, 2)
	assert.Contains(t, s.cli(t, "apikey", "list"), "helper bot")

	// A deactivated person: their session and their password are refused; reactivated, they log in again.
	dr, err := admin.AdminDeactivateUserWithResponse(ctx, ann.ID)
	wantStatus(t, dr, err, http.StatusOK)
	ar, err := ann.c.GetMeWithResponse(ctx)
	wantProblem(t, ar, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated) // her sessions are gone
	lr2, err := s.client(t, "").CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: ann.Username, Password: ann.Password})
	p = wantProblem(t, lr2, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	assert.Contains(t, *p.Detail, "deactivated")
	kept, err := bc.ListMessagesWithResponse(ctx, ch.Id, nil)
	wantStatus(t, kept, err, http.StatusOK)
	require.NotEmpty(t, kept.JSON200.Items)
	assert.Equal(t, ann.ID, kept.JSON200.Items[0].SenderId, "a deactivated user's messages stay")
	rr2, err := admin.AdminReactivateUserWithResponse(ctx, ann.ID)
	wantStatus(t, rr2, err, http.StatusOK)
	s.login(t, ann.Username, ann.Password)

	// Revoked: through the admin API (the bot) and from the command line (a second admin key); wrong secrets.
	rr, err := admin.RevokeApiKeyWithResponse(ctx, cr.JSON201.ApiKey.Id)
	wantStatus(t, rr, err, http.StatusOK)
	assert.NotNil(t, rr.JSON200.RevokedAt)
	gone, err := bc.GetMeWithResponse(ctx)
	p = wantProblem(t, gone, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	assert.Contains(t, *p.Detail, "revoked")
	self, err := admin.RevokeApiKeyWithResponse(ctx, strings.SplitN(strings.TrimPrefix(adminKey, "sck_"), "_", 2)[0])
	wantProblem(t, self, err, http.StatusConflict, sdk.ProblemCodeConflict)
	second := strings.TrimSpace(s.cli(t, "apikey", "create", "admin", "second"))
	secondID := strings.SplitN(strings.TrimPrefix(second, "sck_"), "_", 2)[0]
	assert.Contains(t, s.cli(t, "apikey", "revoke", secondID), "revoked admin key "+secondID)
	r2, err := s.client(t, second).ListApiKeysWithResponse(ctx, nil)
	wantProblem(t, r2, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	forged := adminKey[:len(adminKey)-4] + "AAAA"
	r3, err := s.client(t, forged).ListApiKeysWithResponse(ctx, nil)
	wantProblem(t, r3, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	r4, err := admin.ListApiKeysWithResponse(ctx, nil)
	wantStatus(t, r4, err, http.StatusOK)
}
