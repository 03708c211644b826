package rest

import (
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/core/chat"
)

// server holds what the handlers need. In Spec's case only cfg and log are set: handlers are never called.
type server struct {
	svc     *chat.Service
	cfg     Config
	log     *slog.Logger
	ready   *telemetry.Checker
	metrics *Metrics
}

// Tags group operations in the document.
const (
	tagUsers         = "users"
	tagSessions      = "sessions"
	tagConversations = "conversations"
	tagMembers       = "members"
	tagMessages      = "messages"
	tagAttachments   = "attachments"
	tagSystem        = "system"
)

// body is an output with a JSON body and the operation's default status.
type body[T any] struct {
	Body T
}

// withStatus is an output whose status varies (e.g. 201 created, 200 already there).
type withStatus[T any] struct {
	Status int
	Body   T
}

// registrar builds operation descriptions with documented errors.
type registrar struct {
	api       huma.API
	maxBody   int64
	maxUpload int64 // the body limit of uploads
}

// errorDocs describes each error status an operation may answer.
var errorDocs = map[int]string{
	http.StatusBadRequest:            "Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range.",
	http.StatusUnauthorized:          "Missing, invalid or expired bearer token (code unauthenticated).",
	http.StatusForbidden:             "The caller may not do this (code permission_denied).",
	http.StatusNotFound:              "Not found, or not visible to the caller (code not_found).",
	http.StatusConflict:              "Conflicts with the current state (code already_exists or conflict).",
	http.StatusRequestEntityTooLarge: "The request body or the uploaded file is too large (code too_large).",
	http.StatusTooManyRequests:       "Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds).",
	http.StatusInternalServerError:   "Internal error (code internal).",
	http.StatusServiceUnavailable:    "A dependency is unavailable or too slow (code unavailable): retry later.",
}

// public describes an operation anyone may call. errs are its error statuses besides 500.
func (r registrar) public(id, method, path, tag, summary, description string, status int, errs ...int) huma.Operation {
	op := huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tag}, Summary: summary,
		Description: description, DefaultStatus: status, MaxBodyBytes: r.maxBody, Responses: map[string]*huma.Response{}}
	for _, code := range append(errs, http.StatusInternalServerError) {
		op.Responses[strconv.Itoa(code)] = r.problemResponse(code)
	}
	return op
}

// documentInputErrors adds 400 to every operation that takes query parameters or a body, and 413 to every one
// that takes a body, once all are registered and their inputs known.
func (r registrar) documentInputErrors() {
	for _, item := range r.api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Patch, item.Put, item.Delete} {
			if op == nil {
				continue
			}
			if op.RequestBody != nil {
				op.Responses[strconv.Itoa(http.StatusRequestEntityTooLarge)] = r.problemResponse(http.StatusRequestEntityTooLarge)
			}
			if op.Method != http.MethodGet { // every write is rate limited
				op.Responses[strconv.Itoa(http.StatusTooManyRequests)] = r.problemResponse(http.StatusTooManyRequests)
			}
			if op.RequestBody != nil || slices.ContainsFunc(op.Parameters, func(p *huma.Param) bool { return p.In == "query" }) {
				op.Responses[strconv.Itoa(http.StatusBadRequest)] = r.problemResponse(http.StatusBadRequest)
			}
		}
	}
}

// secured describes an operation that needs a bearer token.
func (r registrar) secured(id, method, path, tag, summary, description string, status int, errs ...int) huma.Operation {
	op := r.public(id, method, path, tag, summary, description, status, append(errs, http.StatusUnauthorized)...)
	op.Security = bearer
	return op
}

func (r registrar) problemResponse(code int) *huma.Response {
	schema := r.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")
	res := &huma.Response{Description: errorDocs[code], Content: map[string]*huma.MediaType{problemJSON: {Schema: schema}}}
	if code == http.StatusTooManyRequests {
		res.Headers = map[string]*huma.Header{"Retry-After": {
			Description: "Seconds to wait before retrying.",
			Schema:      &huma.Schema{Type: huma.TypeInteger},
		}}
	}
	return res
}

// also documents a second success status whose body is a T.
func also[T any](r registrar, op *huma.Operation, status int, description string) {
	schema := r.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	op.Responses[strconv.Itoa(status)] = &huma.Response{Description: description,
		Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
}

// PageParams are the query parameters of cursor-paged lists.
type PageParams struct {
	Cursor string `query:"cursor" maxLength:"1024" doc:"The next value of the previous page; omit for the first page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

// ConversationParams is the path parameter naming a conversation.
type ConversationParams struct {
	ConversationID string `path:"conversationId" doc:"Conversation id."`
}
