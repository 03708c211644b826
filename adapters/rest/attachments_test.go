package rest_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// raw sends body as application/octet-stream.
func (e *env) raw(method, path, token string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	var out bytes.Buffer
	_, err = out.ReadFrom(res.Body)
	require.NoError(e.t, err)
	return response{status: res.StatusCode, header: res.Header, body: out.Bytes()}
}

func uploadPath(conv, name string) string {
	return "/v1/conversations/" + conv + "/attachments?name=" + url.QueryEscape(name)
}

func TestAttachments(t *testing.T) {
	blobDir := t.TempDir()
	e := newEnv(t, envOptions{chat: chat.Config{Uploads: core.UploadPolicy{MaxBytes: 200_000}},
		rest: rest.Config{MaxUploadBytes: 200_000}, blobDir: blobDir})
	alice, bob, eve := e.signUp("alice"), e.signUp("bob"), e.signUp("eve")
	conv := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "files", "memberIds": []string{bob.id}}), 201)
	blobCount := func() int {
		n := 0
		require.NoError(t, filepath.WalkDir(blobDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		}))
		return n
	}

	img := testPNG(t, 640, 480)
	a := decode[rest.Attachment](t, e.raw("POST", uploadPath(conv.ID, "Trip «Ü» 2024.png"), alice.token, img), 201)
	assert.Equal(t, "image/png", a.ContentType)
	assert.Equal(t, int64(len(img)), a.Size)
	assert.Equal(t, 640, a.Width)
	assert.Equal(t, 480, a.Height)
	assert.True(t, a.Thumbnail)
	assert.Equal(t, conv.ID, a.ConversationID)
	assert.Equal(t, alice.id, a.UploaderID)
	assert.Equal(t, "Trip «Ü» 2024.png", a.Name)
	assert.Equal(t, 2, blobCount(), "content and thumbnail")

	got := decode[rest.Attachment](t, e.do("GET", "/v1/attachments/"+a.ID, bob.token, nil), 200)
	assert.Equal(t, a, got)

	dl := e.do("GET", "/v1/attachments/"+a.ID+"/content", bob.token, nil)
	require.Equal(t, 200, dl.status, "body: %s", dl.body)
	assert.Equal(t, img, dl.body)
	assert.Equal(t, "image/png", dl.header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="Trip ___ 2024.png"; filename*=UTF-8''Trip%20%C2%AB%C3%9C%C2%BB%202024.png`,
		dl.header.Get("Content-Disposition"))
	assert.Equal(t, "nosniff", dl.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "sandbox", dl.header.Get("Content-Security-Policy"))
	assert.Equal(t, strconv.Itoa(len(img)), dl.header.Get("Content-Length"))
	assert.Equal(t, "no-store", dl.header.Get("Cache-Control"))

	th := e.do("GET", "/v1/attachments/"+a.ID+"/thumbnail", bob.token, nil)
	require.Equal(t, 200, th.status, "body: %s", th.body)
	assert.Equal(t, "image/jpeg", th.header.Get("Content-Type"))
	assert.Equal(t, "nosniff", th.header.Get("X-Content-Type-Options"))
	assert.True(t, strings.HasPrefix(th.header.Get("Content-Disposition"), "inline; "), th.header.Get("Content-Disposition"))
	thumb, err := jpeg.Decode(bytes.NewReader(th.body))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 320, 240), thumb.Bounds())

	t.Run("disguised and unsupported files are refused, nothing stored", func(t *testing.T) {
		before := blobCount()
		for name, data := range map[string]string{
			"cat.png":   "<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
			"cat2.png":  "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
			"page.html": "<html><body>hello</body></html>",
		} {
			p := requireProblem(t, e.raw("POST", uploadPath(conv.ID, name), alice.token, []byte(data)), 400, "invalid_argument")
			assert.NotEmpty(t, p.Detail, name)
		}
		assert.Equal(t, before, blobCount())
	})

	t.Run("too large", func(t *testing.T) {
		before := blobCount()
		requireProblem(t, e.raw("POST", uploadPath(conv.ID, "big.txt"), alice.token,
			bytes.Repeat([]byte("x"), 200_001)), 413, "too_large")
		requireProblem(t, e.raw("POST", uploadPath(conv.ID, "huge.txt"), alice.token,
			bytes.Repeat([]byte("x"), 400_000)), 413, "too_large")
		assert.Equal(t, before, blobCount())
	})

	t.Run("non-members cannot upload, read or download", func(t *testing.T) {
		requireProblem(t, e.raw("POST", uploadPath(conv.ID, "x.txt"), eve.token, []byte("hi")), 404, "not_found")
		for _, p := range []string{"", "/content", "/thumbnail"} {
			requireProblem(t, e.do("GET", "/v1/attachments/"+a.ID+p, eve.token, nil), 404, "not_found")
		}
		requireProblem(t, e.do("GET", "/v1/attachments/nope/content", alice.token, nil), 404, "not_found")
		requireProblem(t, e.do("GET", "/v1/attachments/"+a.ID, "", nil), 401, "unauthenticated")
	})

	t.Run("text files have no thumbnail", func(t *testing.T) {
		txt := decode[rest.Attachment](t, e.raw("POST", uploadPath(conv.ID, "notes.txt"), bob.token, []byte("hello there")), 201)
		assert.False(t, txt.Thumbnail)
		requireProblem(t, e.do("GET", "/v1/attachments/"+txt.ID+"/thumbnail", alice.token, nil), 404, "not_found")
		dl := e.do("GET", "/v1/attachments/"+txt.ID+"/content", alice.token, nil)
		assert.Equal(t, "text/plain", dl.header.Get("Content-Type"))
		assert.Equal(t, []byte("hello there"), dl.body)
	})
}

func TestContentDisposition(t *testing.T) {
	assert.Equal(t, `attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf`, rest.ContentDisposition("attachment", "a b.pdf"))
	assert.Equal(t, `attachment; filename="_x_.txt"; filename*=UTF-8''%22x%5C.txt`, rest.ContentDisposition("attachment", `"x\.txt`))
}
