package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// TestBlobStore checks the ports.BlobStore contract. newStore must return an empty store.
func TestBlobStore(t *testing.T, newStore func(t *testing.T) ports.BlobStore) {
	ctx := context.Background()
	put := func(t *testing.T, s ports.BlobStore, key string, data []byte) {
		t.Helper()
		require.NoError(t, s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"))
	}
	get := func(t *testing.T, s ports.BlobStore, key string) []byte {
		t.Helper()
		r, err := s.Get(ctx, key)
		require.NoError(t, err)
		defer func() { require.NoError(t, r.Close()) }()
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		return data
	}
	missing := func(t *testing.T, s ports.BlobStore, key string) {
		t.Helper()
		r, err := s.Get(ctx, key)
		if err == nil {
			_ = r.Close()
		}
		require.ErrorIs(t, err, core.ErrNotFound, key)
	}

	t.Run("put, get, replace, delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		data := bytes.Repeat([]byte("0123456789abcdef"), 70_000) // > 1 MiB, several buffers
		data[12345] = 0
		put(t, s, "a1/content", data)
		put(t, s, "a1/thumb", []byte("small"))
		assert.Equal(t, data, get(t, s, "a1/content"))
		assert.Equal(t, []byte("small"), get(t, s, "a1/thumb"))
		put(t, s, "a1/thumb", []byte("replaced"))
		assert.Equal(t, []byte("replaced"), get(t, s, "a1/thumb"))
		require.NoError(t, s.Delete(ctx, "a1/content"))
		missing(t, s, "a1/content")
		assert.Equal(t, []byte("replaced"), get(t, s, "a1/thumb"), "only the named blob goes")
		require.NoError(t, s.Delete(ctx, "a1/content"), "deleting twice is not an error")
		require.NoError(t, s.Delete(ctx, "never/there"), "deleting a missing blob is not an error")
		missing(t, s, "never/there")
		missing(t, s, "a1")
	})

	t.Run("an empty blob", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		put(t, s, "empty", nil)
		assert.Empty(t, get(t, s, "empty"))
	})

	t.Run("a reader that fails or lies about its size stores nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		boom := errors.New("boom")
		failing := io.MultiReader(strings.NewReader("partial data"), &errReader{boom})
		assert.Error(t, s.Put(ctx, "k/fail", failing, 100, "text/plain"))
		missing(t, s, "k/fail")
		assert.Error(t, s.Put(ctx, "k/short", strings.NewReader("short"), 100, "text/plain"))
		missing(t, s, "k/short")
		assert.Error(t, s.Put(ctx, "k/long", strings.NewReader("longer than said"), 4, "text/plain"))
		missing(t, s, "k/long")

		put(t, s, "k/kept", []byte("old"))
		assert.Error(t, s.Put(ctx, "k/kept", strings.NewReader("new but short"), 100, "text/plain"))
		assert.Equal(t, []byte("old"), get(t, s, "k/kept"), "a failed replace keeps the old blob")
	})

	t.Run("bad keys are refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, key := range []string{"", "/abs", "a//b", "../x", "a/../../x", "a/./b", ".", "..", "a/", "a\\b",
			"a b", "a\x00b", "ü", strings.Repeat("k", 1025)} {
			err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain")
			assert.ErrorIs(t, err, core.ErrInvalidArgument, "put %q", key)
			_, err = s.Get(ctx, key)
			assert.ErrorIs(t, err, core.ErrInvalidArgument, "get %q", key)
			assert.ErrorIs(t, s.Delete(ctx, key), core.ErrInvalidArgument, "delete %q", key)
		}
	})

	t.Run("concurrent puts of one key leave one whole blob", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := bytes.Repeat([]byte{byte('a' + i)}, 200_000)
				assert.NoError(t, s.Put(ctx, "race/k", bytes.NewReader(data), int64(len(data)), "text/plain"))
			}()
		}
		wg.Wait()
		got := get(t, s, "race/k")
		require.Len(t, got, 200_000)
		assert.Equal(t, bytes.Repeat(got[:1], 200_000), got, "one writer's bytes, not a mix")
	})

	t.Run("many keys", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i := range 20 {
			put(t, s, fmt.Sprintf("id-%02d/content", i), []byte(fmt.Sprintf("blob %d", i)))
		}
		for i := range 20 {
			assert.Equal(t, fmt.Sprintf("blob %d", i), string(get(t, s, fmt.Sprintf("id-%02d/content", i))))
		}
	})
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }
