// Package argon2id hashes passwords with Argon2id (RFC 9106) and encodes them in the PHC string format
// `$argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>` (unpadded standard base64).
package argon2id

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.PasswordHasher = (*Hasher)(nil)

// Sizes of what Hash makes, and bounds on what Verify accepts: parameters are read from each hash, so they
// may change over time, but a hash must not be able to demand absurd amounts of memory or time.
const (
	saltLen    = 16
	keyLen     = 32
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
	maxMemory  = 4 << 20 // KiB: 4 GiB
	maxTime    = 64
)

// ErrMalformedHash is the cause of the error Verify returns for a hash it cannot parse.
var ErrMalformedHash = errors.New("argon2id: malformed hash")

// Config holds the Argon2id cost parameters of new hashes.
type Config struct {
	Memory  uint32 // KiB; at least 8 per thread
	Time    uint32 // passes over the memory
	Threads uint8  // degree of parallelism
}

// DefaultConfig is the OWASP recommendation: 19 MiB, 2 passes, 1 thread.
func DefaultConfig() Config { return Config{Memory: 19 * 1024, Time: 2, Threads: 1} }

// TestConfig is a cheap setting for tests only: hashing takes well under a millisecond.
func TestConfig() Config { return Config{Memory: 64, Time: 1, Threads: 1} }

// Validate checks the parameters are within the bounds Verify accepts.
func (c Config) Validate() error {
	switch {
	case c.Threads < 1:
		return fmt.Errorf("argon2id: threads must be at least 1")
	case c.Time < 1 || c.Time > maxTime:
		return fmt.Errorf("argon2id: time must be 1 to %d", maxTime)
	case c.Memory < 8*uint32(c.Threads) || c.Memory > maxMemory:
		return fmt.Errorf("argon2id: memory must be 8 KiB per thread to %d KiB", maxMemory)
	}
	return nil
}

// Hasher is a ports.PasswordHasher using Argon2id.
type Hasher struct {
	cfg Config
	// slots bounds concurrent hashes: each one holds cfg.Memory KiB and a CPU for tens of milliseconds.
	slots chan struct{}
	// queue bounds the hashes waiting for a slot; beyond it a hash is refused at once (core.CodeUnavailable),
	// so a flood of log-ins costs its senders a refusal and everyone else a bounded wait.
	queue chan struct{}
}

// RetryAfter is what a refused hash tells the client to wait.
const RetryAfter = time.Second

// New returns a hasher making hashes with cfg, once cfg is validated. At most 2×GOMAXPROCS hashes run at once
// and at most queue more wait for a slot (queue < 0: none may wait).
func New(cfg Config, queue int) (*Hasher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Hasher{cfg: cfg, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		queue: make(chan struct{}, max(queue, 0)+2*runtime.GOMAXPROCS(0))}, nil
}

// busy is the error of a hash refused because too many wait.
var busy = &core.Error{Code: core.CodeUnavailable, Message: "the server is busy checking passwords; retry shortly",
	RetryAfter: RetryAfter}

// idKey is argon2.IDKey within a concurrency slot. It fails at once when the queue is full, and when ctx
// ends while it waits.
func (h *Hasher) idKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	select { // a place among the running and the waiting, or a refusal
	case h.queue <- struct{}{}:
	default:
		return nil, busy
	}
	defer func() { <-h.queue }()
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, core.Wrap(core.CodeUnavailable, ctx.Err(), "request cancelled")
	}
	defer func() { <-h.slots }()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen), nil
}

// Hash returns the PHC string of password, hashed with a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", core.Wrap(core.CodeInternal, err, "internal error")
	}
	key, err := h.idKey(ctx, []byte(password), salt, h.cfg.Time, h.cfg.Memory, h.cfg.Threads, keyLen)
	if err != nil {
		return "", err
	}
	return encode(h.cfg, salt, key), nil
}

// Verify reports whether password matches hash, using the parameters recorded in hash; the comparison takes
// constant time. A malformed hash is an internal error caused by ErrMalformedHash.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	p, salt, key, err := decode(hash)
	if err != nil {
		return false, core.Wrap(core.CodeInternal, err, "internal error")
	}
	got, err := h.idKey(ctx, []byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

var b64 = base64.RawStdEncoding.Strict()

func encode(p Config, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(hash string) (p Config, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, parts[2])
	}
	if p, err = parseParams(parts[3]); err != nil {
		return p, nil, nil, err
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("%w: bad salt", ErrMalformedHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: bad key", ErrMalformedHash)
	}
	return p, salt, key, nil
}

// parseParams reads "m=<KiB>,t=<passes>,p=<threads>", in that order.
func parseParams(s string) (Config, error) {
	var p Config
	fields := strings.Split(s, ",")
	names := []string{"m", "t", "p"}
	bits := []int{32, 32, 8}
	if len(fields) != len(names) {
		return p, fmt.Errorf("%w: bad parameters %q", ErrMalformedHash, s)
	}
	var vals [3]uint64
	for i, f := range fields {
		name, val, ok := strings.Cut(f, "=")
		if !ok || name != names[i] {
			return p, fmt.Errorf("%w: bad parameters %q", ErrMalformedHash, s)
		}
		n, err := strconv.ParseUint(val, 10, bits[i])
		if err != nil {
			return p, fmt.Errorf("%w: bad parameter %q", ErrMalformedHash, f)
		}
		vals[i] = n
	}
	p = Config{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return p, nil
}
