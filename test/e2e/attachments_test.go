package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// tinyPNG is a 40×30 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// pngBytesT is a request body of tinyPNG's bytes, sent as application/octet-stream.
type pngBytesT struct{}

func (pngBytesT) bytes(t testing.TB) []byte { return tinyPNG(t) }

var pngBytes = pngBytesT{}

// upload uploads data as name into the conversation through the SDK.
func (u *user) upload(t testing.TB, convID, name string, data []byte) sdk.Attachment {
	t.Helper()
	r, err := u.c.UploadAttachmentWithBodyWithResponse(t.Context(), convID, &sdk.UploadAttachmentParams{Name: name},
		"application/octet-stream", bytes.NewReader(data))
	wantStatus(t, r, err, http.StatusCreated)
	return *r.JSON201
}

// TestAttachmentsThroughTheSDK: a member uploads an image and sends it; the other member sees it on the message,
// downloads it and its preview; an outsider can do none of it; disguised and oversized files change nothing.
func TestAttachmentsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--max-upload-bytes", "100000")
	ctx := t.Context()
	ann, ben, out := s.signUp(t, "at_ann"), s.signUp(t, "at_ben"), s.signUp(t, "at_out")
	g := ann.create(t, sdk.CreateConversationRequestKindGroup, "Files", ben).Id
	data := tinyPNG(t)

	a := ann.upload(t, g, "../../etc/dot.png", data)
	assert.Equal(t, "dot.png", a.Name, "the name is sanitized")
	assert.Equal(t, "image/png", a.ContentType)
	assert.True(t, a.Thumbnail)

	id := "with-file-1"
	ids := []string{a.Id}
	sr, err := ann.c.SendMessageWithResponse(ctx, g, sdk.SendMessageRequest{ClientMsgId: &id, Body: "look", AttachmentIds: &ids})
	wantStatus(t, sr, err, http.StatusCreated)
	require.NotNil(t, sr.JSON201.Attachments)
	require.Len(t, *sr.JSON201.Attachments, 1)
	got := (*sr.JSON201.Attachments)[0]
	assert.Equal(t, sdk.MessageAttachment{Id: a.Id, Name: "dot.png", ContentType: "image/png", Size: int64(len(data)),
		Width: ptr(int64(40)), Height: ptr(int64(30)), Thumbnail: ptr(true)}, got)

	hist := ben.history(t, g, 10)
	require.Len(t, hist, 1)
	require.NotNil(t, hist[0].Attachments)
	assert.Equal(t, got, (*hist[0].Attachments)[0], "the other member sees the file on the message")
	dl, err := ben.c.DownloadAttachmentWithResponse(ctx, a.Id)
	wantStatus(t, dl, err, http.StatusOK)
	assert.Equal(t, data, dl.Body)
	assert.Equal(t, "image/png", dl.HTTPResponse.Header.Get("Content-Type"))
	assert.Contains(t, dl.HTTPResponse.Header.Get("Content-Disposition"), "attachment")
	assert.Equal(t, "nosniff", dl.HTTPResponse.Header.Get("X-Content-Type-Options"))
	th, err := ben.c.GetAttachmentThumbnailWithResponse(ctx, a.Id)
	wantStatus(t, th, err, http.StatusOK)
	_, format, err := image.DecodeConfig(bytes.NewReader(th.Body))
	require.NoError(t, err, "the preview is an image")
	assert.Contains(t, []string{"png", "jpeg"}, format)

	// Another send cannot take the same file; an outsider can neither read nor send it.
	id2 := "with-file-2"
	sr, err = ben.c.SendMessageWithResponse(ctx, g, sdk.SendMessageRequest{ClientMsgId: &id2, Body: "mine now", AttachmentIds: &ids})
	wantProblem(t, sr, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	dl, err = out.c.DownloadAttachmentWithResponse(ctx, a.Id)
	wantProblem(t, dl, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	md, err := out.c.GetAttachmentWithResponse(ctx, a.Id)
	wantProblem(t, md, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	up, err := out.c.UploadAttachmentWithBodyWithResponse(ctx, g, &sdk.UploadAttachmentParams{Name: "x.png"},
		"application/octet-stream", bytes.NewReader(data))
	wantProblem(t, up, err, http.StatusNotFound, sdk.ProblemCodeNotFound)

	// A disguised or oversized file is refused and nothing is stored.
	before := ann.snapshot(t, g)
	up, err = ann.c.UploadAttachmentWithBodyWithResponse(ctx, g, &sdk.UploadAttachmentParams{Name: "cat.png"},
		"application/octet-stream", bytes.NewReader([]byte("<html><script>alert(1)</script></html>")))
	wantProblem(t, up, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	up, err = ann.c.UploadAttachmentWithBodyWithResponse(ctx, g, &sdk.UploadAttachmentParams{Name: "big.png"},
		"application/octet-stream", io.LimitReader(bytes.NewReader(bytes.Repeat(data, 1000)), 200000))
	wantProblem(t, up, err, http.StatusRequestEntityTooLarge, sdk.ProblemCodeTooLarge)
	assert.Equal(t, before, ann.snapshot(t, g))

	// Deleting the message takes the file with it.
	dr, err := ann.c.DeleteMessageWithResponse(ctx, g, onlyMessageID(t, ann, g))
	wantStatus(t, dr, err, http.StatusOK)
	assert.Nil(t, dr.JSON200.Attachments)
	dl, err = ben.c.DownloadAttachmentWithResponse(ctx, a.Id)
	wantProblem(t, dl, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
}

// onlyMessageID returns the id of the conversation's only message.
func onlyMessageID(t testing.TB, u *user, convID string) string {
	t.Helper()
	h := u.history(t, convID, 10)
	require.Len(t, h, 1)
	return h[0].Id
}
