// Package jwtauth verifies the JSON Web Tokens of the application scalechat is embedded in (ports.IdentityVerifier):
// HS256 with a shared secret, or RS256, ES256 and EdDSA (Ed25519) with the public keys of a JWKS URL, which it
// fetches at start, caches, refreshes on a period and again when a token names a key it does not know (key
// rotation). Every token must carry the configured issuer and audience, an expiry and a subject; expiry,
// not-before and issued-at are checked with a configured clock skew. Methods are tied to their keys: HS256 is
// accepted only with a secret configured, the others only from the JWKS, so a public key can never be used as
// an HMAC secret.
package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Defaults of Config.
const (
	DefaultLeeway          = time.Minute
	DefaultNameClaim       = "name"
	DefaultUsernameClaim   = "preferred_username"
	DefaultJWKSRefresh     = 15 * time.Minute
	DefaultJWKSMinInterval = 10 * time.Second
	// MaxTokenLen bounds the tokens it parses.
	MaxTokenLen = 8 << 10
	// maxJWKSBytes bounds a JWKS document.
	maxJWKSBytes = 1 << 20
	// minRSABits is the smallest RSA key it accepts from a JWKS.
	minRSABits = 2048
	// MaxSubjectLen bounds the subject claim.
	MaxSubjectLen = 255
)

// Config configures a Verifier. At least one of Secret and JWKSURL must be set, and Issuer and Audience.
type Config struct {
	Secret          []byte        // HS256 shared secret (at least 32 bytes); empty: HS256 is refused
	JWKSURL         string        // URL of the JSON Web Key Set of RS256/ES256/EdDSA keys; empty: those are refused
	Issuer          string        // the iss every token must carry
	Audience        string        // a value the aud of every token must hold
	Leeway          time.Duration // clock skew allowed on exp, nbf and iat (0: DefaultLeeway)
	NameClaim       string        // claim of the display name (DefaultNameClaim)
	UsernameClaim   string        // claim of the preferred username (DefaultUsernameClaim)
	JWKSRefresh     time.Duration // how often the key set is fetched again (DefaultJWKSRefresh)
	JWKSMinInterval time.Duration // least time between two fetches for an unknown key (DefaultJWKSMinInterval)
	HTTPClient      *http.Client  // fetches the key set (nil: a client with a 10 s timeout)
	Now             func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Secret) == 0 && c.JWKSURL == "" {
		return c, errors.New("jwtauth: a secret or a JWKS URL is required")
	}
	if len(c.Secret) > 0 && len(c.Secret) < 32 {
		return c, errors.New("jwtauth: the HS256 secret must be at least 32 bytes")
	}
	if c.JWKSURL != "" && !strings.HasPrefix(c.JWKSURL, "https://") && !strings.HasPrefix(c.JWKSURL, "http://") {
		return c, errors.New("jwtauth: the JWKS URL must be http(s)")
	}
	if c.Issuer == "" || c.Audience == "" {
		return c, errors.New("jwtauth: the issuer and the audience are required")
	}
	if c.Leeway < 0 || c.JWKSRefresh < 0 || c.JWKSMinInterval < 0 {
		return c, errors.New("jwtauth: durations must not be negative")
	}
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.NameClaim == "" {
		c.NameClaim = DefaultNameClaim
	}
	if c.UsernameClaim == "" {
		c.UsernameClaim = DefaultUsernameClaim
	}
	if c.JWKSRefresh == 0 {
		c.JWKSRefresh = DefaultJWKSRefresh
	}
	if c.JWKSMinInterval == 0 {
		c.JWKSMinInterval = DefaultJWKSMinInterval
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// Verifier verifies tokens; safe for concurrent use. Close stops its key set refreshes.
type Verifier struct {
	cfg    Config
	parser *jwt.Parser
	log    *slog.Logger

	mu   sync.RWMutex
	keys []jwk // the key set last fetched

	fetchMu   sync.Mutex // one fetch at a time
	lastFetch time.Time  // when the last fetch was tried (under fetchMu)

	stop chan struct{}
	done chan struct{}
}

var _ ports.IdentityVerifier = (*Verifier)(nil)

// New returns a Verifier. With a JWKS URL it fetches the key set once (a failure is logged, and tokens signed
// with its keys are refused until a fetch succeeds) and refreshes it every JWKSRefresh until Close.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var methods []string
	if len(cfg.Secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg(), jwt.SigningMethodEdDSA.Alg())
	}
	v := &Verifier{cfg: cfg, log: log, stop: make(chan struct{}), done: make(chan struct{}),
		parser: jwt.NewParser(jwt.WithValidMethods(methods), jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience),
			jwt.WithLeeway(cfg.Leeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(cfg.Now))}
	if cfg.JWKSURL == "" {
		close(v.done)
		return v, nil
	}
	if err := v.fetch(ctx); err != nil {
		log.Warn("JWKS not fetched: tokens signed with its keys are refused until it is", "url", cfg.JWKSURL, "err", err)
	}
	go v.refresh()
	return v, nil
}

// Issuer is the issuer whose tokens it accepts.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// Close stops the key set refreshes.
func (v *Verifier) Close() {
	select {
	case <-v.stop:
	default:
		close(v.stop)
	}
	<-v.done
}

// Verify checks token and returns the identity it asserts; every refusal is core.CodeUnauthenticated, with the
// reason.
func (v *Verifier) Verify(ctx context.Context, token string) (core.ExternalIdentity, error) {
	if len(token) > MaxTokenLen {
		return core.ExternalIdentity{}, refused("the token is too long")
	}
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) { return v.keyFor(ctx, t) })
	if err != nil {
		return core.ExternalIdentity{}, refused(reason(err))
	}
	sub, _ := claims.GetSubject()
	if sub == "" || len(sub) > MaxSubjectLen || !utf8.ValidString(sub) {
		return core.ExternalIdentity{}, refused("the token has no valid subject (sub)")
	}
	exp, _ := claims.GetExpirationTime() // required by the parser
	id := core.ExternalIdentity{Issuer: v.cfg.Issuer, Subject: sub, ExpiresAt: exp.Time}
	id.Name, _ = claims[v.cfg.NameClaim].(string)
	id.Username, _ = claims[v.cfg.UsernameClaim].(string)
	return id, nil
}

// refused is the error of a refused token.
func refused(why string) error {
	return core.Errorf(core.CodeUnauthenticated, "invalid token: %s", why)
}

// reason words a parse error of golang-jwt for the client.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		return "its signing method (alg) is not accepted"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the signature is invalid"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		var ue unknownKeyError
		if errors.As(err, &ue) {
			return string(ue)
		}
		return "it cannot be verified (its signing method is not accepted)"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "it has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "it is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "it was issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer (iss)"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience (aud)"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing (exp, iss and aud are required)"
	default:
		return "it cannot be verified"
	}
}

// unknownKeyError is the key function's error when the key set holds no key for a token.
type unknownKeyError string

func (e unknownKeyError) Error() string { return string(e) }

// keyFor is the key function: the secret for HS256; else the keys of the set that fit the token's method (and
// its kid, when it names one), fetching the set again first when none does and the last fetch is old enough.
func (v *Verifier) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if alg == jwt.SigningMethodHS256.Alg() {
		return v.cfg.Secret, nil
	}
	kid, _ := t.Header["kid"].(string)
	if keys := v.matching(alg, kid); len(keys.Keys) > 0 {
		return keys, nil
	}
	v.fetchForUnknownKey(ctx)
	if keys := v.matching(alg, kid); len(keys.Keys) > 0 {
		return keys, nil
	}
	if kid != "" {
		return nil, unknownKeyError(fmt.Sprintf("no %s key %q in the key set", alg, kid))
	}
	return nil, unknownKeyError(fmt.Sprintf("no %s key in the key set", alg))
}

// matching returns the keys of the set that fit method alg and, when kid is not "", carry that kid.
func (v *Verifier) matching(alg, kid string) jwt.VerificationKeySet {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out jwt.VerificationKeySet
	for _, k := range v.keys {
		if k.fits(alg) && (kid == "" || k.kid == kid) {
			out.Keys = append(out.Keys, k.key)
		}
	}
	return out
}

// fetchForUnknownKey fetches the key set again unless a fetch was tried less than JWKSMinInterval ago: a token
// signed with a new key (rotation) is accepted at once, and tokens naming keys that do not exist cannot make
// it fetch more often than that.
func (v *Verifier) fetchForUnknownKey(ctx context.Context) {
	if v.cfg.JWKSURL == "" {
		return
	}
	v.fetchMu.Lock()
	recent := v.cfg.Now().Sub(v.lastFetch) < v.cfg.JWKSMinInterval
	v.fetchMu.Unlock()
	if recent {
		return
	}
	if err := v.fetch(ctx); err != nil {
		v.log.Warn("JWKS fetch for an unknown key failed", "url", v.cfg.JWKSURL, "err", err)
	}
}

// refresh fetches the key set every JWKSRefresh until Close.
func (v *Verifier) refresh() {
	defer close(v.done)
	t := time.NewTicker(v.cfg.JWKSRefresh)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := v.fetch(ctx); err != nil {
				v.log.Warn("JWKS refresh failed: the keys fetched before stay in use", "url", v.cfg.JWKSURL, "err", err)
			}
			cancel()
		}
	}
}

// fetch gets the key set and replaces the cached one; on any failure the cached keys stay.
func (v *Verifier) fetch(ctx context.Context) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	v.lastFetch = v.cfg.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxJWKSBytes {
		return fmt.Errorf("the key set is larger than %d bytes", maxJWKSBytes)
	}
	keys, skipped, err := parseJWKS(body)
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		v.log.Warn("JWKS keys skipped", "url", v.cfg.JWKSURL, "why", strings.Join(skipped, "; "))
	}
	v.mu.Lock()
	v.keys = keys
	v.mu.Unlock()
	return nil
}

// jwk is a usable key of a key set.
type jwk struct {
	kid string
	alg string // the key's alg member, "" when absent
	kty string // RSA, EC (P-256) or OKP (Ed25519)
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// fits reports whether the key can verify method alg.
func (k jwk) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case jwt.SigningMethodRS256.Alg():
		return k.kty == "RSA"
	case jwt.SigningMethodES256.Alg():
		return k.kty == "EC"
	case jwt.SigningMethodEdDSA.Alg():
		return k.kty == "OKP"
	}
	return false
}

// parseJWKS reads a JSON Web Key Set (RFC 7517): RSA keys of at least 2048 bits, EC keys on P-256 and OKP keys
// on Ed25519, meant for signatures. Other keys are skipped, with why; a document that is not a key set is an
// error.
func parseJWKS(body []byte) (keys []jwk, skipped []string, err error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			Crv string `json:"crv"`
			N   string `json:"n"`
			E   string `json:"e"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	if set.Keys == nil {
		return nil, nil, errors.New("not a JSON Web Key Set: no keys member")
	}
	for i, k := range set.Keys {
		skip := func(why string, args ...any) {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): ", i, k.Kid)+fmt.Sprintf(why, args...))
		}
		if k.Use != "" && k.Use != "sig" {
			skip("use %q", k.Use)
			continue
		}
		var key any
		switch {
		case k.Kty == "RSA":
			n, err1 := b64int(k.N)
			e, err2 := b64int(k.E)
			if err1 != nil || err2 != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
				skip("malformed RSA key")
				continue
			}
			if n.BitLen() < minRSABits {
				skip("RSA key of %d bits (at least %d)", n.BitLen(), minRSABits)
				continue
			}
			key = &rsa.PublicKey{N: n, E: int(e.Int64())}
		case k.Kty == "EC" && k.Crv == "P-256":
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				skip("malformed P-256 key")
				continue
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				skip("P-256 key: %v", err)
				continue
			}
			key = pub
		case k.Kty == "OKP" && k.Crv == "Ed25519":
			x, err := base64.RawURLEncoding.DecodeString(k.X)
			if err != nil || len(x) != ed25519.PublicKeySize {
				skip("malformed Ed25519 key")
				continue
			}
			key = ed25519.PublicKey(x)
		default:
			skip("unsupported key type %q (curve %q)", k.Kty, k.Crv)
			continue
		}
		keys = append(keys, jwk{kid: k.Kid, alg: k.Alg, kty: k.Kty, key: key})
	}
	return keys, skipped, nil
}

// b64int decodes an unsigned big-endian integer in base64url without padding.
func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("malformed integer")
	}
	return new(big.Int).SetBytes(b), nil
}
