package rest

import (
	"context"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// bearerScheme names the security scheme in components.securitySchemes.
const bearerScheme = "bearer"

// bearer is the security requirement of every authenticated operation.
var bearer = []map[string][]string{{bearerScheme: {}}}

// principal is who made an authenticated request, and with which token. user is the caller's user (zero for
// an admin API key, which reaches only the admin API).
type principal struct {
	chat.Caller
	user  core.User
	token string
}

type principalKey struct{}

// caller returns the authenticated user of the request. Only operations that declare bearer security have
// one; the middleware guarantees it.
func caller(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authenticate is a Huma middleware: for operations that declare security, it resolves the bearer token to a
// user (401 problem when missing or invalid) and puts it in the request context.
func (s *server) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if len(ctx.Operation().Security) == 0 {
			next(ctx)
			return
		}
		token, ok := bearerToken(ctx.Header("Authorization"))
		if !ok {
			writeHumaProblem(ctx, problemOf(core.Errorf(core.CodeUnauthenticated, "missing bearer token")))
			return
		}
		c, err := s.svc.AuthenticateCaller(ctx.Context(), token)
		if err != nil {
			writeHumaProblem(ctx, s.fail(ctx.Context(), err))
			return
		}
		if c.User.ID == "" && !slices.ContainsFunc(ctx.Operation().Tags, keyTag) {
			writeHumaProblem(ctx, problemOf(core.Errorf(core.CodePermissionDenied,
				"an admin API key acts through the admin API (/v1/admin/...) and moderation only")))
			return
		}
		next(huma.WithValue(ctx, principalKey{}, principal{Caller: c, user: c.User, token: token}))
	}
}

// keyTag reports whether operations of tag take admin API keys: the admin API and moderation.
func keyTag(tag string) bool { return tag == tagAdmin || tag == tagModeration }

// bearerToken extracts the token of an "Authorization: Bearer <token>" header (scheme case-insensitive).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", false
	}
	return token, true
}

// noStore is a Huma middleware marking every operation's response uncacheable: they carry tokens or private data.
func noStore(ctx huma.Context, next func(huma.Context)) {
	ctx.SetHeader("Cache-Control", "no-store")
	next(ctx)
}
