// Package blobfs keeps blobs as files under one directory: the standalone role's attachment store (and the
// distributed roles' when they are given a shared directory instead of S3). Writes go to a temporary file that
// is synced and then renamed into place, so a reader sees a whole blob or none; files are private (0600).
package blobfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.BlobStore = (*Store)(nil)

// tmpDir is where writes happen before they are renamed into place; no valid key names it (keys' segments
// never start with a dot).
const tmpDir = ".tmp"

// Store is a ports.BlobStore on a directory. Key k lives at <dir>/<xx>/<k with '/' as '~'>, where xx is the
// first byte of k's SHA-256 in hex: 256 directories made once, never one per blob, and no key can name a
// path outside dir ('~' is not allowed in keys, so the mapping is one to one).
type Store struct {
	dir string
}

// Open makes dir (0700) if needed and returns a store on it. Temporary files of writes a crash interrupted are
// removed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("blobfs: a directory is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	left, err := os.ReadDir(filepath.Join(abs, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	for _, e := range left {
		_ = os.Remove(filepath.Join(abs, tmpDir, e.Name()))
	}
	return &Store{dir: abs}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// path returns the file of a valid key.
func (s *Store) path(key string) (string, error) {
	if err := core.ValidateBlobKey(key); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:1]), strings.ReplaceAll(key, "/", "~")), nil
}

// Put writes exactly size bytes of r to a temporary file, syncs it and renames it over key's file.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return core.Invalid("size", "size must not be negative")
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "put-*") // 0600
	if err != nil {
		return unavailable(err)
	}
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, io.LimitReader(ctxReader{ctx, r}, size+1))
	if err != nil {
		return core.Wrap(core.CodeInvalidArgument, err, "the upload could not be read")
	}
	if n != size {
		return core.Invalid("size", "the content is not %d bytes long", size)
	}
	if err := f.Sync(); err != nil {
		return unavailable(err)
	}
	if err := f.Close(); err != nil {
		return unavailable(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return unavailable(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return unavailable(err)
	}
	done = true
	return syncDir(filepath.Dir(path))
}

// Get opens key's file.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(core.CodeUnavailable, err, "request cancelled")
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, core.Errorf(core.CodeNotFound, "blob not found")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return f, nil
}

// Delete removes key's file; a missing one is not an error.
func (s *Store) Delete(_ context.Context, key string) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable(err)
	}
	return nil
}

// Ping checks that the directory is there and writable: the readiness check of the store.
func (s *Store) Ping(context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "ping-*")
	if err != nil {
		return unavailable(err)
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

func unavailable(err error) error {
	return core.Wrap(core.CodeUnavailable, err, "blob storage unavailable")
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return unavailable(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return unavailable(err)
	}
	return nil
}

// ctxReader stops reading once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
