package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// The authorization matrix: every REST operation, called by each kind of caller, against a fresh fixture each
// time (so that a destructive call cannot change the next cell). It pins today's rules so that a change to one
// of them shows up here as a cell.
//
// Callers: anonymous (no token), expired (a token past --session-ttl), revoked (a token logged out), nonmember
// (of the group G), member, admin, owner (of G), and blocked: an admin of G whom the user T blocks.
var authzRoles = []string{"anonymous", "expired", "revoked", "blocked", "nonmember", "member", "admin", "owner"}

// authzFixture is one fresh world: group G (owner O, admins A and BL, members M and P; message m1 by M; X
// banned), channel C (owner O), and T, who belongs to nothing and blocks BL.
type authzFixture struct {
	o, a, bl, m, p, x, t *user
	g, c, m1, att        string // att: an image M uploaded to G
	revoked              string // a token of M's that was logged out
}

var authzSeq atomic.Int64

func newAuthzFixture(t *testing.T, s *server) *authzFixture {
	t.Helper()
	n := authzSeq.Add(1)
	name := func(r string) string { return fmt.Sprintf("z%d%s", n, r) }
	f := &authzFixture{o: s.signUp(t, name("own")), a: s.signUp(t, name("adm")), bl: s.signUp(t, name("blk")),
		m: s.signUp(t, name("mem")), p: s.signUp(t, name("pla")), x: s.signUp(t, name("out")), t: s.signUp(t, name("tar"))}
	f.g = f.o.create(t, sdk.CreateConversationRequestKindGroup, "G", f.a, f.bl, f.m, f.p).Id
	for _, admin := range []*user{f.a, f.bl} {
		r, err := f.o.c.UpdateMemberWithResponse(t.Context(), f.g, admin.ID, sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleAdmin})
		wantStatus(t, r, err, http.StatusOK)
	}
	f.c = f.o.create(t, sdk.CreateConversationRequestKindChannel, "C").Id
	f.m1 = f.m.send(t, f.g, "hello").Id
	f.att = f.m.upload(t, f.g, "dot.png", tinyPNG(t)).Id
	b, err := f.t.c.BlockUserWithResponse(t.Context(), f.bl.ID)
	wantStatus(t, b, err, http.StatusNoContent)
	ban, err := f.o.c.BanUserWithResponse(t.Context(), f.g, sdk.BanRequest{UserId: f.x.ID})
	wantStatus(t, ban, err, http.StatusCreated)
	f.revoked = s.login(t, f.m.Username, f.m.Password).Token
	d, err := s.client(t, f.revoked).DeleteCurrentSessionWithResponse(t.Context())
	wantStatus(t, d, err, http.StatusNoContent)
	return f
}

// actor returns the user playing role (nil for the token-less roles).
func (f *authzFixture) actor(role string) *user {
	return map[string]*user{"blocked": f.bl, "nonmember": f.x, "member": f.m, "admin": f.a, "owner": f.o}[role]
}

// authzOp is one operation: its request, built from a fixture and the caller, and the status each role gets.
type authzOp struct {
	id      string
	request func(f *authzFixture, u *user) (method, path string, body any)
	want    map[string]int // by role; "*" for every authenticated role not listed
}

const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s204 = http.StatusNoContent
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
)

// get, post, ... build requests that ignore the caller.
func req(method, path string, body any) func(*authzFixture, *user) (string, string, any) {
	return func(*authzFixture, *user) (string, string, any) { return method, path, body }
}

// inG is a request on a path of group G (and message m1, member P, user T, channel C).
func inG(method, pathTmpl string, body any) func(*authzFixture, *user) (string, string, any) {
	return func(f *authzFixture, _ *user) (string, string, any) {
		p := strings.NewReplacer("{g}", f.g, "{c}", f.c, "{m1}", f.m1, "{p}", f.p.ID, "{t}", f.t.ID, "{o}", f.o.ID,
			"{x}", f.x.ID, "{att}", f.att).Replace(pathTmpl)
		out := body // the template stays as it is: every call fills in its own fixture
		if b, ok := body.(map[string]any); ok {
			m := map[string]any{}
			for k, v := range b {
				switch v {
				case "{t}":
					v = f.t.ID
				case "{p}":
					v = f.p.ID
				}
				if vs, ok := v.([]string); ok && len(vs) == 1 && vs[0] == "{t}" {
					v = []string{f.t.ID}
				}
				m[k] = v
			}
			out = m
		}
		return method, p, out
	}
}

var authzOps = []authzOp{
	{"healthz", req("GET", "/healthz", nil), map[string]int{"anonymous": s200, "expired": s200, "revoked": s200, "*": s200}},
	{"readyz", req("GET", "/readyz", nil), map[string]int{"anonymous": s200, "expired": s200, "revoked": s200, "*": s200}},
	{"registerUser", func(f *authzFixture, _ *user) (string, string, any) {
		return "POST", "/v1/users", map[string]any{"username": fmt.Sprintf("new%d", authzSeq.Add(1)), "password": "a fine password"}
	}, map[string]int{"anonymous": s201, "expired": s201, "revoked": s201, "*": s201}},
	{"createSession", func(f *authzFixture, u *user) (string, string, any) {
		if u == nil {
			u = f.o
		}
		return "POST", "/v1/sessions", map[string]any{"username": u.Username, "password": u.Password}
	}, map[string]int{"anonymous": s201, "expired": s201, "revoked": s201, "*": s201}},
	{"getMe", req("GET", "/v1/users/me", nil), map[string]int{"*": s200}},
	{"searchUsers", req("GET", "/v1/users?q=z", nil), map[string]int{"*": s200}},
	{"getUser", inG("GET", "/v1/users/{o}", nil), map[string]int{"*": s200}},
	{"getPresence", inG("GET", "/v1/presence?userIds={o}", nil), map[string]int{"*": s200}},
	{"listBlocks", req("GET", "/v1/blocks", nil), map[string]int{"*": s200}},
	{"createApiKey", req("POST", "/v1/admin/api-keys", map[string]any{"name": "k", "scope": "admin"}), map[string]int{"*": s403}},
	{"listApiKeys", req("GET", "/v1/admin/api-keys", nil), map[string]int{"*": s403}},
	{"revokeApiKey", req("DELETE", "/v1/admin/api-keys/nope", nil), map[string]int{"*": s403}},
	{"adminCreateUser", req("POST", "/v1/admin/users", map[string]any{"username": "byadmin"}), map[string]int{"*": s403}},
	{"adminCreateConversation", inG("POST", "/v1/admin/conversations", map[string]any{"ownerId": "{o}", "kind": "group",
		"title": "T"}), map[string]int{"*": s403}},
	{"adminSendMessage", inG("POST", "/v1/admin/conversations/{g}/messages", map[string]any{"senderId": "{o}", "body": "hi"}),
		map[string]int{"*": s403}},
	{"adminExportEvents", inG("GET", "/v1/admin/conversations/{g}/events", nil), map[string]int{"*": s403}},
	{"adminDeactivateUser", inG("POST", "/v1/admin/users/{t}/deactivate", nil), map[string]int{"*": s403}},
	{"adminReactivateUser", inG("POST", "/v1/admin/users/{t}/reactivate", nil), map[string]int{"*": s403}},
	{"adminUpdateUser", inG("PATCH", "/v1/admin/users/{t}", map[string]any{"displayName": "Renamed"}), map[string]int{"*": s403}},
	{"adminAddMembers", inG("POST", "/v1/admin/conversations/{g}/members", map[string]any{"userIds": []string{"{t}"}}),
		map[string]int{"*": s403}},
	{"adminUpdateMember", inG("PATCH", "/v1/admin/conversations/{g}/members/{p}", map[string]any{"role": "admin"}),
		map[string]int{"*": s403}},
	{"adminRemoveMember", inG("DELETE", "/v1/admin/conversations/{g}/members/{p}", nil), map[string]int{"*": s403}},
	{"listReports", req("GET", "/v1/admin/reports?status=open", nil), map[string]int{"*": s403}},
	{"closeReport", req("POST", "/v1/admin/reports/nope/close", map[string]any{"status": "dismissed"}), map[string]int{"*": s403}},
	{"listAuditLog", req("GET", "/v1/admin/audit-log", nil), map[string]int{"*": s403}},
	{"createWebhook", req("POST", "/v1/admin/webhooks", map[string]any{"url": "https://example.com/", "events": []string{"*"}}),
		map[string]int{"*": s403}},
	{"listWebhooks", req("GET", "/v1/admin/webhooks", nil), map[string]int{"*": s403}},
	{"deleteWebhook", req("DELETE", "/v1/admin/webhooks/nope", nil), map[string]int{"*": s403}},
	{"listWebhookDeliveries", req("GET", "/v1/admin/webhooks/nope/deliveries", nil), map[string]int{"*": s403}},
	{"redeliverWebhook", req("POST", "/v1/admin/webhooks/nope/deliveries/nope/redeliver", nil), map[string]int{"*": s403}},
	{"banUser", inG("POST", "/v1/conversations/{g}/bans", map[string]any{"userId": "{p}", "reason": "spam"}),
		map[string]int{"nonmember": s404, "member": s403, "*": s201}},
	{"listBans", inG("GET", "/v1/conversations/{g}/bans", nil), map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"unbanUser", inG("DELETE", "/v1/conversations/{g}/bans/{x}", nil), map[string]int{"nonmember": s404, "member": s403, "*": s204}},
	{"muteMember", inG("POST", "/v1/conversations/{g}/members/{p}/mute", map[string]any{"durationSeconds": 60}),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"unmuteMember", inG("DELETE", "/v1/conversations/{g}/members/{p}/mute", nil),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"setSlowMode", inG("PUT", "/v1/conversations/{g}/slow-mode", map[string]any{"seconds": 10}),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"reportMessage", inG("POST", "/v1/conversations/{g}/messages/{m1}/reports", map[string]any{"reason": "rude"}),
		map[string]int{"nonmember": s404, "member": s409, "*": s201}},
	{"blockUser", inG("PUT", "/v1/blocks/{t}", nil), map[string]int{"*": s204}},
	{"unblockUser", inG("DELETE", "/v1/blocks/{t}", nil), map[string]int{"*": s204}},
	{"createConversation", inG("POST", "/v1/conversations", map[string]any{"kind": "direct", "memberIds": []string{"{t}"}}),
		map[string]int{"blocked": s403, "*": s201}},
	{"listConversations", req("GET", "/v1/conversations", nil), map[string]int{"*": s200}},
	{"getConversation", inG("GET", "/v1/conversations/{g}", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"updateConversation", inG("PATCH", "/v1/conversations/{g}", map[string]any{"title": "renamed"}),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"listChannels", req("GET", "/v1/channels", nil), map[string]int{"*": s200}},
	{"joinConversation", inG("POST", "/v1/conversations/{c}/join", nil), map[string]int{"*": s200}},
	{"leaveConversation", inG("POST", "/v1/conversations/{g}/leave", nil),
		map[string]int{"nonmember": s404, "owner": s409, "*": s204}},
	{"listMembers", inG("GET", "/v1/conversations/{g}/members", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"addMembers", inG("POST", "/v1/conversations/{g}/members", map[string]any{"userIds": []string{"{t}"}}),
		map[string]int{"nonmember": s404, "member": s403, "blocked": s403, "*": s200}},
	{"removeMember", inG("DELETE", "/v1/conversations/{g}/members/{p}", nil),
		map[string]int{"nonmember": s404, "member": s403, "*": s204}},
	{"updateMember", inG("PATCH", "/v1/conversations/{g}/members/{p}", map[string]any{"role": "admin"}),
		map[string]int{"nonmember": s404, "member": s403, "admin": s403, "blocked": s403, "owner": s200}},
	{"listMessages", inG("GET", "/v1/conversations/{g}/messages", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"sendMessage", inG("POST", "/v1/conversations/{g}/messages", map[string]any{"body": "hi"}),
		map[string]int{"nonmember": s404, "*": s201}},
	{"editMessage", inG("PATCH", "/v1/conversations/{g}/messages/{m1}", map[string]any{"body": "edited"}),
		map[string]int{"nonmember": s404, "member": s200, "*": s403}},
	{"deleteMessage", inG("DELETE", "/v1/conversations/{g}/messages/{m1}", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"listEvents", inG("GET", "/v1/conversations/{g}/events", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"markRead", inG("POST", "/v1/conversations/{g}/read", map[string]any{"seq": 1}), map[string]int{"nonmember": s404, "*": s200}},
	{"addReaction", inG("PUT", "/v1/conversations/{g}/messages/{m1}/reactions/%F0%9F%91%8D", nil),
		map[string]int{"nonmember": s404, "*": s200}},
	{"removeReaction", inG("DELETE", "/v1/conversations/{g}/messages/{m1}/reactions/:thumbsup:", nil),
		map[string]int{"nonmember": s404, "*": s200}},
	{"pinMessage", inG("PUT", "/v1/conversations/{g}/messages/{m1}/pin", nil),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"unpinMessage", inG("DELETE", "/v1/conversations/{g}/messages/{m1}/pin", nil),
		map[string]int{"nonmember": s404, "member": s403, "*": s200}},
	{"listPins", inG("GET", "/v1/conversations/{g}/pins", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"setNotifications", inG("PUT", "/v1/conversations/{g}/notifications", map[string]any{"level": "mentions", "muted": true}),
		map[string]int{"nonmember": s404, "*": s200}},
	{"listMentions", req("GET", "/v1/mentions", nil), map[string]int{"*": s200}},
	{"uploadAttachment", func(f *authzFixture, _ *user) (string, string, any) {
		return "POST", "/v1/conversations/" + f.g + "/attachments?name=dot.png", pngBytes
	}, map[string]int{"nonmember": s404, "*": s201}},
	{"getAttachment", inG("GET", "/v1/attachments/{att}", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"downloadAttachment", inG("GET", "/v1/attachments/{att}/content", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"getAttachmentThumbnail", inG("GET", "/v1/attachments/{att}/thumbnail", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"getThread", inG("GET", "/v1/conversations/{g}/threads/{m1}", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"listThreadMessages", inG("GET", "/v1/conversations/{g}/threads/{m1}/messages", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"followThread", inG("PUT", "/v1/conversations/{g}/threads/{m1}/follow", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"unfollowThread", inG("DELETE", "/v1/conversations/{g}/threads/{m1}/follow", nil), map[string]int{"nonmember": s404, "*": s200}},
	{"markThreadRead", inG("POST", "/v1/conversations/{g}/threads/{m1}/read", map[string]any{"seq": 1}),
		map[string]int{"nonmember": s404, "*": s200}},
	{"listThreads", req("GET", "/v1/threads", nil), map[string]int{"*": s200}},
	{"searchMessages", req("GET", "/v1/search?q=hello", nil), map[string]int{"*": s200}},
	{"deleteCurrentSession", req("DELETE", "/v1/sessions/current", nil), map[string]int{"*": s204}},
	{"deleteAllSessions", req("DELETE", "/v1/sessions", nil), map[string]int{"*": s204}},
	{"changePassword", func(_ *authzFixture, u *user) (string, string, any) {
		current := "whatever it is"
		if u != nil {
			current = u.Password
		}
		return "PUT", "/v1/users/me/password", map[string]any{"currentPassword": current, "newPassword": "a new password"}
	}, map[string]int{"*": s204}},
}

// wantFor is the status role gets: the listed one, else 401 for the token-less roles on operations that need
// a token, else the operation's "*".
func (op authzOp) wantFor(role string) int {
	if w, ok := op.want[role]; ok {
		return w
	}
	if role == "anonymous" || role == "expired" || role == "revoked" {
		return s401
	}
	return op.want["*"]
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--rate-limits", "*=off")
	short := startServer(t, "--rate-limits", "*=off", "--session-ttl", "1s")
	ghost := short.signUp(t, "ghost")
	time.Sleep(time.Until(short.login(t, "ghost", ghost.Password).ExpiresAt) + 100*time.Millisecond)

	covered := map[string]bool{}
	for _, op := range authzOps {
		covered[op.id] = true
		t.Run(op.id, func(t *testing.T) {
			for _, role := range authzRoles {
				f := newAuthzFixture(t, s)
				u := f.actor(role)
				target, token := s, ""
				switch role {
				case "expired": // on the server with the short session TTL, as its user
					target, token, u = short, ghost.Token, ghost
				case "revoked":
					token = f.revoked
				case "anonymous":
				default:
					token = u.Token
				}
				method, path, body := op.request(f, u)
				var rd io.Reader
				if b, ok := body.(pngBytesT); ok {
					rd, body = bytes.NewReader(b.bytes(t)), nil
				}
				if body != nil {
					b, err := json.Marshal(body)
					require.NoError(t, err)
					rd = strings.NewReader(string(b))
				}
				var r rawResponse
				var err error
				if rd != nil {
					r, err = target.raw(t, method, path, token, rd)
				} else {
					r, err = target.raw(t, method, path, token, nil)
				}
				require.NoError(t, err)
				assert.Equal(t, op.wantFor(role), r.status, "%s as %s: %s %s → %s", op.id, role, method, path, r.body)
			}
		})
	}
	for _, id := range coveredOperations {
		assert.True(t, covered[id], "operation %s is missing from the authorization matrix", id)
	}
}
