// Package hostapp is the small host application of the tests that embed scalechat: it signs its users' tokens
// (HS256 with a shared secret, and RS256, ES256 and EdDSA with keys it publishes as a JSON Web Key Set over
// real HTTP), as an application that puts scalechat inside its product does.
package hostapp

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// Issuer and Audience are what the app's tokens carry and scalechat is configured to require.
const (
	Issuer   = "https://host.example"
	Audience = "scalechat"
)

// App is a host application: its secret, its keys and the server of its key set.
type App struct {
	Secret  string
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	jwks    *httptest.Server
	Fetches atomic.Int32 // how often scalechat fetched the key set
}

// New starts the app's key set server; it stops when t ends.
func New(t testing.TB) *App {
	t.Helper()
	a := &App{Secret: "host-app-shared-secret-of-at-least-32-bytes"}
	var err error
	a.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	a.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, a.ed, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	pad := func(b []byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	set, err := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": b64(a.rsa.N.Bytes()),
			"e": b64(big.NewInt(int64(a.rsa.E)).Bytes())},
		{"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64(pad(a.ec.X.Bytes())), "y": b64(pad(a.ec.Y.Bytes()))},
		{"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64(a.ed.Public().(ed25519.PublicKey))},
	}})
	require.NoError(t, err)
	a.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(a.jwks.Close)
	return a
}

// Flags are the scalechat flags that make it accept the app's tokens.
func (a *App) Flags() []string {
	return []string{"--jwt-secret", a.Secret, "--jwt-jwks-url", a.jwks.URL + "/.well-known/jwks.json",
		"--jwt-issuer", Issuer, "--jwt-audience", Audience}
}

// Method is how a token is signed.
type Method string

// The methods the app signs with.
const (
	HS256 Method = "HS256"
	RS256 Method = "RS256"
	ES256 Method = "ES256"
	EdDSA Method = "EdDSA"
)

// Claims are the claims of a user's token; Mod, when set, changes them before signing (to make bad tokens).
type Claims struct {
	Subject  string
	Name     string
	Username string
	TTL      time.Duration // default one hour
	Mod      func(jwt.MapClaims)
}

// Token signs c with method m.
func (a *App) Token(t testing.TB, m Method, c Claims) string {
	t.Helper()
	if c.TTL == 0 {
		c.TTL = time.Hour
	}
	now := time.Now()
	claims := jwt.MapClaims{"iss": Issuer, "aud": Audience, "sub": c.Subject, "iat": now.Unix(), "exp": now.Add(c.TTL).Unix()}
	if c.Name != "" {
		claims["name"] = c.Name
	}
	if c.Username != "" {
		claims["preferred_username"] = c.Username
	}
	if c.Mod != nil {
		c.Mod(claims)
	}
	var method jwt.SigningMethod
	var key any
	kid := ""
	switch m {
	case HS256:
		method, key = jwt.SigningMethodHS256, []byte(a.Secret)
	case RS256:
		method, key, kid = jwt.SigningMethodRS256, a.rsa, "rsa-1"
	case ES256:
		method, key, kid = jwt.SigningMethodES256, a.ec, "ec-1"
	case EdDSA:
		method, key, kid = jwt.SigningMethodEdDSA, a.ed, "ed-1"
	default:
		t.Fatalf("hostapp: unknown method %q", m)
	}
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// Forged signs c with method m but a key the app never published, under the app's kid (for HS256, another
// secret). Only the key m needs is made.
func (a *App) Forged(t testing.TB, m Method, c Claims) string {
	t.Helper()
	other := &App{Secret: "not-the-host-app-secret-but-as-long-as-it"}
	var err error
	switch m {
	case RS256:
		other.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		other.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, other.ed, err = ed25519.GenerateKey(rand.Reader)
	}
	require.NoError(t, err)
	return other.Token(t, m, c)
}
