package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

const (
	issuer   = "https://app.example"
	audience = "scalechat"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// keys are one signing key of each kind a JWKS may hold.
type keys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
}

func newKeys(t *testing.T) keys {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, d, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return keys{rsa: r, ec: e, ed: d}
}

// jwks is the key set of k, with kid prefix p.
func (k keys) jwks(p string) map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	pad := func(b []byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	return map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": p + "rsa", "use": "sig", "alg": "RS256", "n": b64(k.rsa.N.Bytes()),
			"e": b64(big.NewInt(int64(k.rsa.E)).Bytes())},
		{"kty": "EC", "kid": p + "ec", "crv": "P-256", "x": b64(pad(k.ec.X.Bytes())), "y": b64(pad(k.ec.Y.Bytes()))},
		{"kty": "OKP", "kid": p + "ed", "crv": "Ed25519", "x": b64(k.ed.Public().(ed25519.PublicKey))},
		{"kty": "oct", "kid": "symmetric", "k": b64(secret)}, // skipped: never a verification key from a JWKS
	}}
}

// jwksServer serves a key set that the test may replace, and counts its fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	set     map[string]any
	down    bool
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, set map[string]any) *jwksServer {
	s := &jwksServer{set: set}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(s.set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) replace(set map[string]any, down bool) {
	s.mu.Lock()
	s.set, s.down = set, down
	s.mu.Unlock()
}

func claims(mod func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "user-42", "name": "Ada Lovelace",
		"preferred_username": "ada", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if mod != nil {
		mod(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func newVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	cfg.Issuer, cfg.Audience = issuer, audience
	v, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(v.Close)
	return v
}

func refusedWith(t *testing.T, v *Verifier, token, why string) {
	t.Helper()
	_, err := v.Verify(context.Background(), token)
	require.Error(t, err)
	assert.ErrorIs(t, err, core.ErrUnauthenticated)
	assert.Contains(t, err.Error(), why)
}

func TestHS256(t *testing.T) {
	v := newVerifier(t, Config{Secret: secret})
	id, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, secret, "", claims(nil)))
	require.NoError(t, err)
	assert.Equal(t, issuer, id.Issuer)
	assert.Equal(t, "user-42", id.Subject)
	assert.Equal(t, "Ada Lovelace", id.Name)
	assert.Equal(t, "ada", id.Username)
	assert.WithinDuration(t, time.Now().Add(time.Hour), id.ExpiresAt, 2*time.Second)

	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, []byte("another secret, 32 bytes or more!!"), "", claims(nil)), "signature is invalid")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), "wrong issuer")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) { c["aud"] = "another-service" })), "wrong audience")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) { delete(c, "aud") })), "required claim is missing")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) { delete(c, "exp") })), "required claim is missing")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) { c["sub"] = "" })), "no valid subject")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) {
		c["exp"] = time.Now().Add(-2 * time.Minute).Unix()
	})), "expired")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) {
		c["nbf"] = time.Now().Add(5 * time.Minute).Unix()
	})), "not valid yet")
	refusedWith(t, v, sign(t, jwt.SigningMethodHS384, secret, "", claims(nil)), "signing method")
	refusedWith(t, v, "not.a.token", "malformed")
	refusedWith(t, v, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(nil)), "signing method")

	_, err = v.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c jwt.MapClaims) {
		c["exp"] = time.Now().Add(-30 * time.Second).Unix()
		c["aud"] = []string{"other", audience}
	})))
	assert.NoError(t, err, "expired within the clock skew (a minute), and one of several audiences")
}

func TestJWKSKeys(t *testing.T) {
	k := newKeys(t)
	srv := newJWKSServer(t, k.jwks("a-"))
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	for name, tok := range map[string]string{
		"RS256":        sign(t, jwt.SigningMethodRS256, k.rsa, "a-rsa", claims(nil)),
		"ES256":        sign(t, jwt.SigningMethodES256, k.ec, "a-ec", claims(nil)),
		"EdDSA":        sign(t, jwt.SigningMethodEdDSA, k.ed, "a-ed", claims(nil)),
		"RS256 no kid": sign(t, jwt.SigningMethodRS256, k.rsa, "", claims(nil)),
	} {
		id, err := v.Verify(context.Background(), tok)
		if assert.NoError(t, err, name) {
			assert.Equal(t, "user-42", id.Subject, name)
		}
	}

	other := newKeys(t)
	refusedWith(t, v, sign(t, jwt.SigningMethodRS256, other.rsa, "a-rsa", claims(nil)), "signature is invalid")
	refusedWith(t, v, sign(t, jwt.SigningMethodES256, other.ec, "a-ec", claims(nil)), "signature is invalid")
	refusedWith(t, v, sign(t, jwt.SigningMethodEdDSA, other.ed, "a-ed", claims(nil)), "signature is invalid")
	refusedWith(t, v, sign(t, jwt.SigningMethodES256, k.ec, "a-rsa", claims(nil)), "no ES256 key")
	// Algorithm confusion: HS256 "signed" with the public key's bytes is refused, since no secret is configured.
	pub := k.rsa.PublicKey.N.Bytes()
	refusedWith(t, v, sign(t, jwt.SigningMethodHS256, pub, "a-rsa", claims(nil)), "signing method")
	refusedWith(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "a-rsa", claims(func(c jwt.MapClaims) { c["iss"] = "x" })), "wrong issuer")
}

func TestJWKSRotationAndOutage(t *testing.T) {
	k := newKeys(t)
	srv := newJWKSServer(t, k.jwks("a-"))
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	v := newVerifier(t, Config{JWKSURL: srv.URL, JWKSMinInterval: 10 * time.Second, Now: clock})
	require.EqualValues(t, 1, srv.fetches.Load(), "fetched at start")

	// The application rotates to new keys: a token naming a new kid makes the verifier fetch again at once.
	next := newKeys(t)
	srv.replace(next.jwks("b-"), false)
	advance(11 * time.Second)
	tok := func(m jwt.MapClaims) string { return sign(t, jwt.SigningMethodEdDSA, next.ed, "b-ed", m) }
	_, err := v.Verify(context.Background(), tok(claimsAt(clock())))
	require.NoError(t, err, "a token of the new key")
	assert.EqualValues(t, 2, srv.fetches.Load())

	// Unknown kids cannot make it fetch more than once per JWKSMinInterval.
	for range 20 {
		refusedWith(t, v, sign(t, jwt.SigningMethodEdDSA, next.ed, "nope", claimsAt(clock())), `no EdDSA key "nope"`)
	}
	assert.EqualValues(t, 2, srv.fetches.Load(), "the last fetch is recent")
	advance(11 * time.Second)
	refusedWith(t, v, sign(t, jwt.SigningMethodEdDSA, next.ed, "nope", claimsAt(clock())), `no EdDSA key "nope"`)
	assert.EqualValues(t, 3, srv.fetches.Load())

	// The key set's server fails: the keys fetched before stay in use.
	srv.replace(nil, true)
	advance(11 * time.Second)
	refusedWith(t, v, sign(t, jwt.SigningMethodEdDSA, next.ed, "gone", claimsAt(clock())), "no EdDSA key")
	assert.EqualValues(t, 4, srv.fetches.Load())
	_, err = v.Verify(context.Background(), tok(claimsAt(clock())))
	assert.NoError(t, err, "cached keys survive a failed fetch")
}

// claimsAt are valid claims at now.
func claimsAt(now time.Time) jwt.MapClaims {
	return claims(func(c jwt.MapClaims) { c["iat"], c["exp"] = now.Unix(), now.Add(time.Hour).Unix() })
}

func TestParseJWKSSkipsWhatItCannotUse(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	body, err := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "small", "n": b64(small.N.Bytes()), "e": "AQAB"},
		{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
		{"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
		{"kty": "EC", "kid": "bad", "crv": "P-256", "x": b64(make([]byte, 32)), "y": b64(make([]byte, 32))},
	}})
	require.NoError(t, err)
	keys, skipped, err := parseJWKS(body)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Len(t, skipped, 4)
	_, _, err = parseJWKS([]byte(`{"not":"a key set"}`))
	assert.Error(t, err)
}

func TestConfigIsChecked(t *testing.T) {
	for name, cfg := range map[string]Config{
		"nothing":      {Issuer: issuer, Audience: audience},
		"short secret": {Secret: []byte("short"), Issuer: issuer, Audience: audience},
		"no issuer":    {Secret: secret, Audience: audience},
		"no audience":  {Secret: secret, Issuer: issuer},
		"bad url":      {JWKSURL: "file:///etc/passwd", Issuer: issuer, Audience: audience},
	} {
		_, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
		assert.Error(t, err, name)
	}
}
