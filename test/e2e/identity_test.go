package e2e

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/hostapp"
)

// A host application signs its users in with its own tokens: HS256 with the shared secret, RS256, ES256 and
// EdDSA with the keys of its JWKS (fetched by the server over HTTP). A user is created on first sight with the
// token's name; the next token of the same subject is the same user. Bad tokens are refused with the reason,
// and create nobody.
func TestApplicationTokensThroughTheSDK(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	s := startServer(t, app.Flags()...)
	ctx := t.Context()

	me := func(token string) sdk.User {
		t.Helper()
		r, err := s.client(t, token).GetMeWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		return *r.JSON200
	}
	alice := me(app.Token(t, hostapp.HS256, hostapp.Claims{Subject: "u-1001", Name: "Alice Liddell", Username: "alice"}))
	assert.Equal(t, "alice", alice.Username)
	assert.Equal(t, "Alice Liddell", alice.DisplayName)
	for _, m := range []hostapp.Method{hostapp.HS256, hostapp.RS256, hostapp.ES256, hostapp.EdDSA} {
		again := me(app.Token(t, m, hostapp.Claims{Subject: "u-1001", Name: "Alice L.", Username: "alice"}))
		assert.Equal(t, alice.Id, again.Id, "%s: the same subject is the same user", m)
	}
	assert.Positive(t, app.Fetches.Load(), "the key set was fetched over HTTP")

	// A second user whose claimed username is taken gets a free one made from it; one without a valid username
	// gets one made from the name.
	bobToken := app.Token(t, hostapp.EdDSA, hostapp.Claims{Subject: "u-2002", Name: "Bob", Username: "alice"})
	bob := me(bobToken)
	assert.NotEqual(t, alice.Id, bob.Id)
	assert.Regexp(t, regexp.MustCompile(`^alice-[0-9a-f]{6}$`), bob.Username)
	assert.Equal(t, "Bob", bob.DisplayName)
	carol := me(app.Token(t, hostapp.RS256, hostapp.Claims{Subject: "u-3003", Name: "Carol Ann Ü"}))
	assert.Equal(t, "carol_ann_", carol.Username[:len("carol_ann_")])

	// They chat like any users: alice (by token) starts a direct conversation with bob and writes; bob reads.
	aliceToken := app.Token(t, hostapp.ES256, hostapp.Claims{Subject: "u-1001"})
	ac := s.client(t, aliceToken)
	cr, err := ac.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindDirect,
		MemberIds: &[]string{bob.Id}})
	wantStatus(t, cr, err, http.StatusCreated)
	sr, err := ac.SendMessageWithResponse(ctx, cr.JSON201.Id, sdk.SendMessageRequest{Body: "hello from the host app", ClientMsgId: ptr("k1")})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, sr.StatusCode(), string(sr.Body))
	hr, err := s.client(t, bobToken).ListMessagesWithResponse(ctx, cr.JSON201.Id, nil)
	wantStatus(t, hr, err, http.StatusOK)
	require.Len(t, hr.JSON200.Items, 1)
	assert.Equal(t, "hello from the host app", hr.JSON200.Items[0].Body)
	assert.Equal(t, alice.Id, hr.JSON200.Items[0].SenderId)

	// Refused: each with its reason, and nobody is created by them.
	before := countUsers(t, ac)
	for name, c := range map[string]struct {
		token string
		why   string
	}{
		"forged HS256": {app.Forged(t, hostapp.HS256, hostapp.Claims{Subject: "x-1"}), "signature is invalid"},
		"forged RS256": {app.Forged(t, hostapp.RS256, hostapp.Claims{Subject: "x-2"}), "signature is invalid"},
		"forged EdDSA": {app.Forged(t, hostapp.EdDSA, hostapp.Claims{Subject: "x-3"}), "signature is invalid"},
		"wrong issuer": {app.Token(t, hostapp.HS256, hostapp.Claims{Subject: "x-4",
			Mod: func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }}), "wrong issuer"},
		"wrong audience": {app.Token(t, hostapp.RS256, hostapp.Claims{Subject: "x-5",
			Mod: func(c jwt.MapClaims) { c["aud"] = "another-service" }}), "wrong audience"},
		"expired":    {app.Token(t, hostapp.ES256, hostapp.Claims{Subject: "x-6", TTL: -5 * time.Minute}), "expired"},
		"no subject": {app.Token(t, hostapp.HS256, hostapp.Claims{}), "subject"},
		"alg none": {func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": hostapp.Issuer, "aud": hostapp.Audience,
				"sub": "x-7", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return s
		}(), "signing method"},
	} {
		r, err := s.client(t, c.token).GetMeWithResponse(ctx)
		p := wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
		assert.Contains(t, *p.Detail, c.why, name)
	}
	assert.Equal(t, before, countUsers(t, ac), "refused tokens created no user")

	// Password accounts stay available beside the tokens, and a token user cannot log in with a password.
	dave := s.signUp(t, "dave")
	assert.NotEmpty(t, dave.Token)
	lr, err := s.client(t, "").CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: "alice", Password: "whatever-it-is"})
	wantProblem(t, lr, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	pr, err := ac.ChangePasswordWithResponse(ctx, sdk.PasswordChange{CurrentPassword: "x", NewPassword: "a-new-password"})
	wantProblem(t, pr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
}

// With password accounts switched off, registering, logging in and changing a password are refused, and the
// host application's tokens are the way in.
func TestPasswordAccountsSwitchedOff(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	s := startServer(t, append(app.Flags(), "--no-password-accounts")...)
	ctx := t.Context()
	anon := s.client(t, "")
	rr, err := anon.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: "erin", Password: "erin-password"})
	p := wantProblem(t, rr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Contains(t, *p.Detail, "switched off")
	lr, err := anon.CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: "erin", Password: "erin-password"})
	wantProblem(t, lr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)

	r, err := s.client(t, app.Token(t, hostapp.HS256, hostapp.Claims{Subject: "e-1", Name: "Erin", Username: "erin"})).GetMeWithResponse(ctx)
	wantStatus(t, r, err, http.StatusOK)
	assert.Equal(t, "erin", r.JSON200.Username)
}

// A server without token verification refuses tokens plainly.
func TestApplicationTokensRefusedWithoutConfiguration(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	s := startServer(t)
	r, err := s.client(t, app.Token(t, hostapp.HS256, hostapp.Claims{Subject: "z-1"})).GetMeWithResponse(t.Context())
	p := wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	assert.Contains(t, *p.Detail, "no JWT verification is configured")
}

// countUsers counts every user, through c (any signed-in user's client).
func countUsers(t testing.TB, c *sdk.ClientWithResponses) int {
	t.Helper()
	n := 0
	params := &sdk.SearchUsersParams{Limit: ptr(int64(100))}
	for {
		r, err := c.SearchUsersWithResponse(t.Context(), params)
		wantStatus(t, r, err, http.StatusOK)
		n += len(r.JSON200.Items)
		if r.JSON200.Next == nil {
			return n
		}
		params.Cursor = r.JSON200.Next
	}
}
