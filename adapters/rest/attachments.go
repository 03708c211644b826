package rest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/core"
)

// Attachment is a file uploaded into a conversation.
type Attachment struct {
	ID             string    `json:"id" doc:"Attachment id."`
	ConversationID string    `json:"conversationId" doc:"The conversation it was uploaded into; only its members can read it."`
	UploaderID     string    `json:"uploaderId" doc:"Who uploaded it."`
	Name           string    `json:"name" doc:"The file name, sanitized: no path, no control or bidirectional characters, at most 200 bytes."`
	ContentType    string    `json:"contentType" example:"image/png" doc:"The type sniffed from the bytes (never the client's claim); downloads are served with it."`
	Size           int64     `json:"size" doc:"Size in bytes."`
	Width          int       `json:"width,omitempty" doc:"Image width in pixels; absent for other files."`
	Height         int       `json:"height,omitempty" doc:"Image height in pixels; absent for other files."`
	Thumbnail      bool      `json:"thumbnail" doc:"Whether GET /v1/attachments/{attachmentId}/thumbnail has a preview (images)."`
	MessageID      string    `json:"messageId,omitempty" doc:"The message it is attached to; absent until one is. Unattached uploads are deleted after the orphan TTL (24 h by default)."`
	CreatedAt      time.Time `json:"createdAt" doc:"When it was uploaded (RFC 3339, UTC)."`
}

func attachmentOf(a core.Attachment) Attachment {
	return Attachment{ID: a.ID, ConversationID: a.ConversationID, UploaderID: a.UploaderID, Name: a.Name,
		ContentType: a.ContentType, Size: a.Size, Width: a.Width, Height: a.Height, Thumbnail: a.Thumbnail,
		MessageID: a.MessageID, CreatedAt: a.CreatedAt.UTC()}
}

type uploadInput struct {
	ConversationParams
	Name    string `query:"name" required:"true" minLength:"1" maxLength:"1024" doc:"The file's name; it is sanitized, and its extension must agree with the content."`
	RawBody []byte `contentType:"application/octet-stream" required:"true" doc:"The file's bytes."`
}

// AttachmentPath is the path parameter naming an attachment.
type AttachmentPath struct {
	AttachmentID string `path:"attachmentId" doc:"Attachment id."`
}

func registerAttachments(r registrar, s *server) {
	up := r.secured("uploadAttachment", http.MethodPost, "/v1/conversations/{conversationId}/attachments", tagAttachments,
		"Upload an attachment",
		"Uploads a file into a conversation the caller is a member of, as the raw request body with its name in `name`. "+
			"The content type is sniffed from the bytes and must be allowed (images: PNG, JPEG, GIF, WebP; PDF; plain "+
			"text; ZIP by default); a file whose extension contradicts its content (an HTML page named cat.png) is "+
			"refused. Too large a file gets 413 `too_large`. Images get a thumbnail. The upload stays unattached "+
			"(and is deleted after the orphan TTL) until a message links it. Rate limited (`upload`).",
		http.StatusCreated, http.StatusForbidden, http.StatusNotFound)
	up.MaxBodyBytes = r.maxUpload
	huma.Register(r.api, up, s.uploadAttachment)
	huma.Register(r.api, r.secured("getAttachment", http.MethodGet, "/v1/attachments/{attachmentId}", tagAttachments,
		"Get an attachment's metadata", "For members of the attachment's conversation; others get 404 (or 403 for a "+
			"channel they have not joined), as for its history.", http.StatusOK, http.StatusForbidden, http.StatusNotFound),
		s.getAttachment)
	dl := r.secured("downloadAttachment", http.MethodGet, "/v1/attachments/{attachmentId}/content", tagAttachments,
		"Download an attachment", "The file's bytes, for members of its conversation, served with the sniffed "+
			"Content-Type, as an attachment (Content-Disposition), with nosniff and a sandboxing CSP so that a browser "+
			"never runs it as a page.", http.StatusOK, http.StatusForbidden, http.StatusNotFound)
	binary(&dl, "The file.", "attachment")
	huma.Register(r.api, dl, s.downloadAttachment)
	th := r.secured("getAttachmentThumbnail", http.MethodGet, "/v1/attachments/{attachmentId}/thumbnail", tagAttachments,
		"Get an image attachment's thumbnail", "A preview that fits 320×320, re-encoded by the server as JPEG (PNG for "+
			"images with transparency). Attachments that are not images have none (404).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound)
	binary(&th, "The thumbnail (image/jpeg or image/png).", "inline")
	huma.Register(r.api, th, s.attachmentThumbnail)
}

// binary documents an operation's 200 as a stream of bytes with download headers.
func binary(op *huma.Operation, description, disposition string) {
	str := &huma.Schema{Type: huma.TypeString}
	op.Responses["200"] = &huma.Response{Description: description,
		Content: map[string]*huma.MediaType{"application/octet-stream": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}},
		Headers: map[string]*huma.Header{
			"Content-Type":           {Description: "The attachment's sniffed type.", Schema: str},
			"Content-Disposition":    {Description: disposition + ", with the file name RFC 5987-encoded.", Schema: str},
			"Content-Length":         {Description: "Size in bytes.", Schema: &huma.Schema{Type: huma.TypeInteger}},
			"X-Content-Type-Options": {Description: "nosniff", Schema: str},
		}}
}

func (s *server) uploadAttachment(ctx context.Context, in *uploadInput) (*body[Attachment], error) {
	a, err := s.svc.Upload(ctx, caller(ctx).user.ID, in.ConversationID, in.Name, bytes.NewReader(in.RawBody),
		int64(len(in.RawBody)))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Attachment]{Body: attachmentOf(a)}, nil
}

func (s *server) getAttachment(ctx context.Context, in *AttachmentPath) (*body[Attachment], error) {
	a, err := s.svc.Attachment(ctx, caller(ctx).user.ID, in.AttachmentID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Attachment]{Body: attachmentOf(a)}, nil
}

func (s *server) downloadAttachment(ctx context.Context, in *AttachmentPath) (*huma.StreamResponse, error) {
	a, r, err := s.svc.Open(ctx, caller(ctx).user.ID, in.AttachmentID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.stream(r, a.ContentType, a.Size, ContentDisposition("attachment", a.Name)), nil
}

func (s *server) attachmentThumbnail(ctx context.Context, in *AttachmentPath) (*huma.StreamResponse, error) {
	a, r, err := s.svc.Thumbnail(ctx, caller(ctx).user.ID, in.AttachmentID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// The thumbnail's type is whichever the server encoded: read it from its first bytes.
	head := make([]byte, 8)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	ct := core.SniffContentType(head)
	name := strings.TrimSuffix(a.Name, core.Extension(a.Name)) + map[bool]string{true: ".png", false: ".jpg"}[ct == "image/png"]
	return s.stream(struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r), r}, ct, -1, ContentDisposition("inline", "thumbnail-"+name)), nil
}

// stream sends r with download headers: the type we sniffed, nosniff and a sandboxing CSP, so that a browser
// neither guesses another type nor runs the file as a page of our origin.
func (s *server) stream(r io.ReadCloser, contentType string, size int64, disposition string) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(ctx huma.Context) {
		defer r.Close()
		ctx.SetHeader("Content-Type", contentType)
		ctx.SetHeader("Content-Disposition", disposition)
		ctx.SetHeader("X-Content-Type-Options", "nosniff")
		ctx.SetHeader("Content-Security-Policy", "sandbox")
		if size >= 0 {
			ctx.SetHeader("Content-Length", strconv.FormatInt(size, 10))
		}
		ctx.SetStatus(http.StatusOK)
		if _, err := io.Copy(ctx.BodyWriter(), r); err != nil {
			s.log.WarnContext(ctx.Context(), "streaming an attachment", "err", err)
		}
	}}
}

// ContentDisposition builds a Content-Disposition header (RFC 6266) whose file name survives any characters:
// an ASCII fallback in filename (other bytes as '_') and the exact name in filename* (RFC 5987, UTF-8,
// percent-encoded).
func ContentDisposition(kind, name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0 {
			ext.WriteByte(b)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}
