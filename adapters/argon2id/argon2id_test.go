package argon2id_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/argon2id"
	"github.com/scalechat/scalechat/core"
)

var ctx = context.Background()

func newHasher(t *testing.T, cfg argon2id.Config) *argon2id.Hasher {
	t.Helper()
	h, err := argon2id.New(cfg, 8)
	require.NoError(t, err)
	return h
}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h := newHasher(t, argon2id.TestConfig())
	hash, err := h.Hash(ctx, "correct horse battery staple")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$"), hash)

	ok, err := h.Verify(ctx, hash, "correct horse battery staple")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = h.Verify(ctx, hash, "correct horse battery stapl")
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = h.Verify(ctx, hash, "")
	require.NoError(t, err)
	assert.False(t, ok)

	again, err := h.Hash(ctx, "correct horse battery staple")
	require.NoError(t, err)
	assert.NotEqual(t, hash, again, "every hash has its own salt")
}

func TestVerifyReadsParametersFromTheHash(t *testing.T) {
	t.Parallel()
	old := newHasher(t, argon2id.Config{Memory: 128, Time: 3, Threads: 2})
	hash, err := old.Hash(ctx, "pässwörd ✓")
	require.NoError(t, err)
	assert.Contains(t, hash, "$m=128,t=3,p=2$")

	current := newHasher(t, argon2id.TestConfig())
	ok, err := current.Verify(ctx, hash, "pässwörd ✓")
	require.NoError(t, err)
	assert.True(t, ok, "a hash made with other parameters still verifies")
}

func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	// From the reference implementation's test suite (P-H-C/phc-winner-argon2, src/test.c).
	h := newHasher(t, argon2id.TestConfig())
	for _, hash := range []string{
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
	} {
		ok, err := h.Verify(ctx, hash, "password")
		require.NoError(t, err)
		assert.True(t, ok, hash)
		ok, err = h.Verify(ctx, hash, "Password")
		require.NoError(t, err)
		assert.False(t, ok, hash)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	h := newHasher(t, argon2id.TestConfig())
	good, err := h.Hash(ctx, "password")
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	cases := map[string]string{
		"empty":               "",
		"bcrypt":              "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":             with(1, "argon2i"),
		"old version":         with(2, "v=16"),
		"missing version":     strings.Replace(good, "$v=19", "", 1),
		"params out of order": with(3, "t=1,m=64,p=1"),
		"missing param":       with(3, "m=64,t=1"),
		"non-numeric param":   with(3, "m=64,t=x,p=1"),
		"zero time":           with(3, "m=64,t=0,p=1"),
		"zero threads":        with(3, "m=64,t=1,p=0"),
		"threads overflow":    with(3, "m=64,t=1,p=256"),
		"memory too small":    with(3, "m=4,t=1,p=1"),
		"memory too large":    with(3, "m=99999999,t=1,p=1"),
		"salt not base64":     with(4, "!!!!"),
		"salt padded":         with(4, parts[4]+"=="),
		"salt too short":      with(4, "c2FsdA"),
		"key not base64":      with(5, "%%%"),
		"key too short":       with(5, "c2hvcnQ"),
		"trailing field":      good + "$extra",
	}
	for name, hash := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(ctx, hash, "password")
			require.Error(t, err)
			assert.False(t, ok)
			assert.True(t, errors.Is(err, argon2id.ErrMalformedHash), err.Error())
			assert.Equal(t, core.CodeInternal, core.CodeOf(err))
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]argon2id.Config{
		"zero":              {},
		"no threads":        {Memory: 64, Time: 1},
		"no time":           {Memory: 64, Threads: 1},
		"too little memory": {Memory: 15, Time: 1, Threads: 2},
		"too much memory":   {Memory: 1 << 30, Time: 1, Threads: 1},
		"too many passes":   {Memory: 64, Time: 1000, Threads: 1},
	} {
		_, err := argon2id.New(cfg, 8)
		assert.Error(t, err, name)
	}
	for _, cfg := range []argon2id.Config{argon2id.DefaultConfig(), argon2id.TestConfig()} {
		_, err := argon2id.New(cfg, 8)
		assert.NoError(t, err)
	}
	assert.Equal(t, argon2id.Config{Memory: 19 * 1024, Time: 2, Threads: 1}, argon2id.DefaultConfig())
}

func BenchmarkHashDefault(b *testing.B) {
	h, err := argon2id.New(argon2id.DefaultConfig(), 8)
	require.NoError(b, err)
	for b.Loop() {
		_, _ = h.Hash(ctx, "correct horse battery staple")
	}
}

// A burst beyond the running slots and the queue is refused at once with unavailable and a retry hint,
// instead of waiting; a cancelled wait ends at once too.
func TestQueueIsBounded(t *testing.T) {
	slots := 2 * runtime.GOMAXPROCS(0)
	h, err := argon2id.New(argon2id.Config{Memory: 64 * 1024, Time: 3, Threads: 1}, 2)
	require.NoError(t, err)
	hash, err := h.Hash(ctx, "password")
	require.NoError(t, err)

	n := slots + 2 + 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var busy, done int
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Verify(ctx, hash, "password")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				done++
				return
			}
			var ce *core.Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, core.CodeUnavailable, ce.Code)
			require.Equal(t, argon2id.RetryAfter, ce.RetryAfter)
			busy++
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, busy, 1, "a burst of %d beyond %d slots and a queue of 2 must be refused in part", n, slots)
	assert.Equal(t, n, busy+done)

	cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	var wg2 sync.WaitGroup
	errs := make(chan error, slots+2)
	for range slots + 2 {
		wg2.Add(1)
		go func() { defer wg2.Done(); _, err := h.Verify(cctx, hash, "password"); errs <- err }()
	}
	wg2.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			assert.True(t, errors.Is(err, core.ErrUnavailable), "%v", err)
		}
	}
}
