package chat_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// fakeBlobs is an in-memory blob store that can be told to fail.
type fakeBlobs struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error
}

func (f *fakeBlobs) Put(_ context.Context, key string, r io.Reader, size int64, _ string) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return fail
	}
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return err
	}
	if int64(len(data)) != size {
		return core.Invalid("size", "wrong size")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[key] = data
	return nil
}

func (f *fakeBlobs) Get(_ context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.m[key]
	if !ok {
		return nil, core.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(d)), nil
}

func (f *fakeBlobs) Delete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
	return nil
}

func (f *fakeBlobs) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for k := range f.m {
		ks = append(ks, k)
	}
	return ks
}

func pngImage(t *testing.T, w, h int, alpha uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: alpha})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func (e *env) upload(actor, conv, name string, data []byte) (core.Attachment, error) {
	return e.svc.Upload(context.Background(), actor, conv, name, bytes.NewReader(data), int64(len(data)))
}

func readAll(t *testing.T, r io.ReadCloser) []byte {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

func TestUploadImageMakesThumbnail(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	conv := e.group(alice, bob)
	data := pngImage(t, 1000, 500, 255)
	a, err := e.upload(alice, conv, "../../etc/Holiday\u202eGNP.png", data)
	require.NoError(t, err)
	assert.Equal(t, "HolidayGNP.png", a.Name, "path and bidi override gone")
	assert.Equal(t, "image/png", a.ContentType)
	assert.Equal(t, int64(len(data)), a.Size)
	assert.Equal(t, 1000, a.Width)
	assert.Equal(t, 500, a.Height)
	assert.True(t, a.Thumbnail)
	assert.Empty(t, a.MessageID)
	assert.Equal(t, e.clock.Now(), a.CreatedAt)

	got, err := e.svc.Attachment(context.Background(), bob, a.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	_, r, err := e.svc.Open(context.Background(), bob, a.ID)
	require.NoError(t, err)
	assert.Equal(t, data, readAll(t, r))
	_, r, err = e.svc.Thumbnail(context.Background(), bob, a.ID)
	require.NoError(t, err)
	thumb, err := jpeg.Decode(bytes.NewReader(readAll(t, r)))
	require.NoError(t, err, "opaque images get JPEG thumbnails")
	assert.Equal(t, image.Rect(0, 0, 320, 160), thumb.Bounds())

	trans, err := e.upload(alice, conv, "t.png", pngImage(t, 10, 20, 100))
	require.NoError(t, err)
	_, r, err = e.svc.Thumbnail(context.Background(), alice, trans.ID)
	require.NoError(t, err)
	small, err := png.Decode(bytes.NewReader(readAll(t, r)))
	require.NoError(t, err, "transparent images get PNG thumbnails")
	assert.Equal(t, image.Rect(0, 0, 10, 20), small.Bounds(), "never enlarged")
}

func TestUploadOtherTypes(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	conv := e.group(alice)
	text := []byte(strings.Repeat("plain text line\n", 1000))
	a, err := e.upload(alice, conv, "notes.txt", text)
	require.NoError(t, err)
	assert.Equal(t, "text/plain", a.ContentType)
	assert.False(t, a.Thumbnail)
	assert.Zero(t, a.Width)
	_, r, err := e.svc.Open(context.Background(), alice, a.ID)
	require.NoError(t, err)
	assert.Equal(t, text, readAll(t, r))
	_, _, err = e.svc.Thumbnail(context.Background(), alice, a.ID)
	assert.ErrorIs(t, err, core.ErrNotFound)

	pdf, err := e.upload(alice, conv, "doc", []byte("%PDF-1.4\n..."))
	require.NoError(t, err)
	assert.Equal(t, "application/pdf", pdf.ContentType)
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, func(c *chat.Config) { c.Uploads = core.UploadPolicy{MaxBytes: 4000} })
	alice, eve := e.user("alice"), e.user("eve")
	conv := e.group(alice)
	cases := []struct {
		name string
		data []byte
		code core.Code
	}{
		{"cat.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), core.CodeInvalidArgument},
		{"cat.png", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), core.CodeInvalidArgument},
		{"cat.png", []byte("just some text"), core.CodeInvalidArgument},
		{"page.html", []byte("<html><body>hi</body></html>"), core.CodeInvalidArgument},
		{"prog", append([]byte("MZ"), make([]byte, 100)...), core.CodeInvalidArgument},
		{"broken.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 50)...), core.CodeInvalidArgument},
		{"big.txt", []byte(strings.Repeat("x", 4001)), core.CodeTooLarge},
		{"empty.txt", nil, core.CodeInvalidArgument},
	}
	for _, c := range cases {
		_, err := e.upload(alice, conv, c.name, c.data)
		require.Error(t, err, c.name)
		assert.Equal(t, c.code, core.CodeOf(err), "%s: %v", c.name, err)
	}
	_, err := e.upload(alice, conv, "cat.png", []byte("<html></html>"))
	assert.ErrorContains(t, err, "disguises")
	_, err = e.upload(eve, conv, "ok.txt", []byte("hello"))
	assert.ErrorIs(t, err, core.ErrNotFound, "non-members of a group are told it does not exist")
	_, err = e.svc.Upload(context.Background(), alice, conv, "short.txt", strings.NewReader("abc"), 10)
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "shorter than declared")
	orphans, err := e.store.OrphansBefore(context.Background(), e.clock.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	assert.Empty(t, orphans, "nothing stored")
	assert.Empty(t, e.blobs.keys(), "no blobs")
}

func TestUploadBlobFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	conv := e.group(alice)
	e.blobs.fail = core.Errorf(core.CodeUnavailable, "disk gone")
	_, err := e.upload(alice, conv, "a.txt", []byte("hello"))
	require.ErrorIs(t, err, core.ErrUnavailable)
	orphans, err := e.store.OrphansBefore(context.Background(), e.clock.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	assert.Empty(t, orphans)
}

func TestDecompressionBombRefused(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	conv := e.group(alice)
	// A PNG whose header claims 10000×10000 pixels (100 megapixels): refused from the header, never decoded.
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 10000, 10000))))
	require.Less(t, b.Len(), core.DefaultMaxUploadBytes, "small on the wire")
	_, err := e.upload(alice, conv, "bomb.png", b.Bytes())
	require.ErrorIs(t, err, core.ErrInvalidArgument)
	assert.ErrorContains(t, err, "pixels")
}

func TestAttachmentReadsNeedMembership(t *testing.T) {
	e := newEnv(t)
	alice, bob, eve := e.user("alice"), e.user("bob"), e.user("eve")
	conv := e.group(alice, bob)
	a, err := e.upload(alice, conv, "a.txt", []byte("secret"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = e.svc.Attachment(ctx, eve, a.ID)
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, _, err = e.svc.Open(ctx, eve, a.ID)
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, _, err = e.svc.Thumbnail(ctx, eve, a.ID)
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, err = e.svc.Attachment(ctx, alice, "no-such-id")
	assert.ErrorIs(t, err, core.ErrNotFound)

	ch, _, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindChannel, Title: "open"})
	require.NoError(t, err)
	c, err := e.upload(alice, ch.ID, "c.txt", []byte("channel file"))
	require.NoError(t, err)
	_, _, err = e.svc.Open(ctx, eve, c.ID)
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "channels: join first, as for history")
	_, err = e.svc.Join(ctx, eve, ch.ID)
	require.NoError(t, err)
	_, r, err := e.svc.Open(ctx, eve, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("channel file"), readAll(t, r))
}

func TestUploadRateLimited(t *testing.T) {
	e := newEnv(t, func(c *chat.Config) { c.Limits = chat.Limits{chat.LimitUpload: {Limit: 2, Per: time.Minute}} })
	alice := e.user("alice")
	conv := e.group(alice)
	for range 2 {
		_, err := e.upload(alice, conv, "a.txt", []byte("x"))
		require.NoError(t, err)
	}
	_, err := e.upload(alice, conv, "a.txt", []byte("x"))
	assert.ErrorIs(t, err, core.ErrRateLimited)
}

func TestSweepOrphans(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	conv := e.group(alice)
	ctx := context.Background()
	old, err := e.upload(alice, conv, "old.png", pngImage(t, 4, 4, 255))
	require.NoError(t, err)
	linked, err := e.upload(alice, conv, "linked.txt", []byte("kept"))
	require.NoError(t, err)
	require.NoError(t, e.store.AttachToMessage(ctx, "m1", conv, alice, []string{linked.ID}))
	e.clock.Advance(2 * time.Hour)
	fresh, err := e.upload(alice, conv, "fresh.txt", []byte("young"))
	require.NoError(t, err)

	n, err := e.svc.SweepOrphans(ctx, e.clock.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = e.svc.Attachment(ctx, alice, old.ID)
	assert.ErrorIs(t, err, core.ErrNotFound)
	assert.ElementsMatch(t, []string{core.BlobKey(linked.ID), core.BlobKey(fresh.ID)}, e.blobs.keys(),
		"the old one's content and thumbnail are gone")
	_, err = e.svc.Attachment(ctx, alice, linked.ID)
	assert.NoError(t, err, "attached: kept")
	n, err = e.svc.SweepOrphans(ctx, e.clock.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n)
}
