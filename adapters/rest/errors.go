package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

const problemJSON = "application/problem+json"

// Problem is an RFC 9457 problem details object carrying the core error code.
type Problem struct {
	Title        string       `json:"title" example:"Bad Request" doc:"Short summary of the problem: the text of the HTTP status."`
	Status       int          `json:"status" example:"400" doc:"The HTTP status code."`
	Detail       string       `json:"detail,omitempty" example:"username must be 3 to 32 characters" doc:"What went wrong in this occurrence, safe to show to users."`
	Code         string       `json:"code" enum:"invalid_argument,unauthenticated,permission_denied,not_found,already_exists,conflict,rate_limited,too_large,unavailable,internal" doc:"Error category, from a closed set; branch on this, not on the text."`
	RetryAfterMs int64        `json:"retryAfterMs,omitempty" doc:"For rate_limited: milliseconds to wait before retrying (also sent as the Retry-After header, in seconds)."`
	Errors       []FieldError `json:"errors,omitempty" nullable:"false" doc:"The offending inputs, when known."`

	headers http.Header
}

// FieldError points at one offending input.
type FieldError struct {
	Location string `json:"location,omitempty" example:"body.username" doc:"Where the problem is: body.<field>, query.<name>, path.<name> or header.<name>."`
	Message  string `json:"message" doc:"What is wrong with it."`
}

// Error implements error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders implements huma.HeadersError: Retry-After for rate_limited, WWW-Authenticate for 401.
func (p *Problem) GetHeaders() http.Header { return p.headers }

// ContentType implements huma.ContentTypeFilter, so problems are sent as application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return problemJSON
	}
	return ct
}

// statusOf maps a core error code to its HTTP status: the one place where that mapping lives.
func statusOf(c core.Code) int {
	switch c {
	case core.CodeInvalidArgument:
		return http.StatusBadRequest
	case core.CodeUnauthenticated:
		return http.StatusUnauthorized
	case core.CodePermissionDenied:
		return http.StatusForbidden
	case core.CodeNotFound:
		return http.StatusNotFound
	case core.CodeAlreadyExists, core.CodeConflict:
		return http.StatusConflict
	case core.CodeRateLimited:
		return http.StatusTooManyRequests
	case core.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case core.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// problemOf turns a core error into a problem. The cause (e.Err) never reaches the client.
func problemOf(e *core.Error) *Problem {
	p := &Problem{Status: statusOf(e.Code), Code: string(e.Code), Detail: e.Message}
	p.Title = http.StatusText(p.Status)
	if p.Detail == "" {
		p.Detail = string(e.Code)
	}
	if e.Code == core.CodeInternal {
		p.Detail = "internal error"
	}
	if e.Field != "" {
		p.Errors = []FieldError{{Location: location(e.Field), Message: p.Detail}}
	}
	switch e.Code {
	case core.CodeRateLimited:
		wait := max(e.RetryAfter, time.Millisecond)
		p.RetryAfterMs = int64((wait + time.Millisecond - 1) / time.Millisecond)
		p.headers = http.Header{"Retry-After": {strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10)}}
	case core.CodeUnavailable:
		if e.RetryAfter > 0 {
			p.headers = http.Header{"Retry-After": {strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10)}}
		}
	case core.CodeUnauthenticated:
		p.headers = http.Header{"Www-Authenticate": {"Bearer"}}
	}
	return p
}

// queryFields are the core input fields that arrive as query parameters; the others come in bodies.
var queryFields = map[string]bool{"q": true, "cursor": true, "limit": true, "before": true, "after": true}

// pathFields are the core input fields that arrive as path parameters.
var pathFields = map[string]bool{"userId": true}

func location(field string) string {
	if pathFields[field] {
		return "path." + field
	}
	if queryFields[field] {
		return "query." + field
	}
	return "body." + field
}

// fail turns a use case's error into the problem the handler returns, logging what the client must not see.
func (s *server) fail(ctx context.Context, err error) *Problem {
	e := core.AsError(err)
	switch e.Code {
	case core.CodeInternal:
		s.log.ErrorContext(ctx, "request failed", "code", e.Code, "err", err)
	case core.CodeUnavailable:
		s.log.WarnContext(ctx, "request failed", "code", e.Code, "err", err)
	}
	return problemOf(e)
}

// codeOfStatus names the core code of an error Huma raises itself (validation, body limits, negotiation).
func codeOfStatus(status int) core.Code {
	switch {
	case status == http.StatusUnauthorized:
		return core.CodeUnauthenticated
	case status == http.StatusForbidden:
		return core.CodePermissionDenied
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return core.CodeNotFound
	case status == http.StatusConflict:
		return core.CodeConflict
	case status == http.StatusTooManyRequests:
		return core.CodeRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return core.CodeTooLarge
	case status == http.StatusServiceUnavailable:
		return core.CodeUnavailable
	case status >= 400 && status < 500:
		return core.CodeInvalidArgument
	default:
		return core.CodeInternal
	}
}

// humaError replaces huma.NewError so that Huma's own errors are problems like ours: request validation
// answers 400 (not 422), every problem carries a code, and echoed input values are dropped (they may hold a
// password).
func humaError(status int, msg string, errs ...error) huma.StatusError {
	if status == http.StatusUnprocessableEntity {
		status = http.StatusBadRequest
	}
	p := &Problem{Status: status, Title: http.StatusText(status), Detail: msg, Code: string(codeOfStatus(status))}
	if status >= 500 {
		return p // causes stay private
	}
	for _, err := range errs {
		var d huma.ErrorDetailer
		switch {
		case err == nil:
		case errors.As(err, &d):
			detail := d.ErrorDetail()
			loc, msg := withoutGoTypes(detail.Location, detail.Message)
			p.Errors = append(p.Errors, FieldError{Location: loc, Message: msg})
		default:
			loc, msg := withoutGoTypes("", err.Error())
			p.Errors = append(p.Errors, FieldError{Location: loc, Message: msg})
		}
	}
	return p
}

var installOnce sync.Once

// installErrors points Huma's error constructor at humaError. Huma offers only this package-level hook; it is
// set once, before any API is built, and every API in the process gets the same problems.
func installErrors() {
	installOnce.Do(func() {
		huma.NewError = humaError
		// Field names are matched exactly, as the contract spells them. Huma's default matches them in any
		// case while encoding/json stores the last case-insensitive match, so {"body":"x","BODY":"y"} was
		// validated as one value and stored as the other; now "BODY" is an unexpected property (400).
		huma.ValidateStrictCasing = true
	})
}

// writeProblem sends p outside Huma's handler flow (middleware, unknown routes).
func writeProblem(w http.ResponseWriter, p *Problem) {
	for k, vs := range p.headers {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", problemJSON)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeHumaProblem sends p from a Huma middleware.
func writeHumaProblem(ctx huma.Context, p *Problem) {
	for k, vs := range p.headers {
		for _, v := range vs {
			ctx.SetHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", problemJSON)
	ctx.SetStatus(p.Status)
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
}

// notFound answers paths no route matches.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeProblem(w, problemOf(core.Errorf(core.CodeNotFound, "no such resource")))
}

// goUnmarshal matches encoding/json's type errors, which name Go types: "json: cannot unmarshal number 1e30 into
// Go struct field MarkReadRequest.seq of type int64" (a value the schema lets through but the Go type cannot
// hold, such as an integer beyond 64 bits).
var goUnmarshal = regexp.MustCompile(`^json: cannot unmarshal (\w+)( \S+)? into Go (?:struct field \w+\.(\S+)|value) of type (\S+)$`)

// withoutGoTypes rewrites a decoding error about location into one that names the field and JSON types only.
func withoutGoTypes(location, msg string) (string, string) {
	m := goUnmarshal.FindStringSubmatch(msg)
	if m == nil {
		return location, msg
	}
	got, value, field, want := m[1], strings.TrimSpace(m[2]), m[3], schema.JSONTypeNamed(m[4])
	if field != "" && (location == "" || location == "body") {
		location = "body." + field
	}
	if got == "number" && want == "an integer" && value != "" {
		return location, fmt.Sprintf("expected an integer from -9223372036854775808 to 9223372036854775807, got %s", value)
	}
	return location, fmt.Sprintf("expected %s, got %s", want, got)
}
