package blobfs_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/blobfs"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestBlobStoreContract(t *testing.T) {
	porttest.TestBlobStore(t, func(t *testing.T) ports.BlobStore {
		s, err := blobfs.Open(filepath.Join(t.TempDir(), "blobs"))
		require.NoError(t, err)
		return s
	})
}

func TestFilesArePrivateAndInsideTheDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "blobs")
	s, err := blobfs.Open(dir)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "a1/content", strings.NewReader("hello"), 5, "text/plain"))
	require.NoError(t, s.Put(ctx, "a1/thumb", strings.NewReader("thumb"), 5, "image/png"))
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), path)
			return nil
		}
		assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), path)
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		files = append(files, rel)
		return nil
	}))
	require.Len(t, files, 2, "two blobs, no temporary files left: %v", files)
	for _, f := range files {
		assert.False(t, strings.HasPrefix(f, ".."), f)
	}
	require.NoError(t, s.Delete(ctx, "a1/content"))
	require.NoError(t, s.Ping(ctx))
}

func TestLeftoverTemporaryFilesAreRemovedOnOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	_, err := blobfs.Open(dir)
	require.NoError(t, err)
	left := filepath.Join(dir, ".tmp", "put-123")
	require.NoError(t, os.WriteFile(left, []byte("half"), 0o600))
	_, err = blobfs.Open(dir)
	require.NoError(t, err)
	_, err = os.Stat(left)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
