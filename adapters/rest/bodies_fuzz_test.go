package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// The fuzz targets here send arbitrary JSON bodies to the endpoints that take text from clients, through the
// real handler over the in-process adapters (built once per target, called without a network), and check: the
// status is never 5xx; every 4xx is an application/problem+json whose code and title match the status and whose
// texts name no Go types and echo no password; and a 2xx stored what the core rules make of the input.
//
// Inputs may name the fixture by placeholders, replaced before sending: $ALICE, $BOB (user ids), $GROUP (a
// group of theirs), $MSG (a message in it) and $PW (a password that must never come back in an error).

// fuzzAPI is a REST API over a chat service with the memory adapters, no rate limits, and a fixture: alice
// (logged in) and bob, a group of theirs with one message.
type fuzzAPI struct {
	h     http.Handler
	token string
	vars  *strings.Replacer
	group string
	seed  schema.Message // the fixture's message, clientMsgId "seed"
}

// pwCanary is what $PW becomes.
const pwCanary = "pw-Canary-9f3b7e1d"

func newFuzzAPI(f *testing.F) *fuzzAPI {
	f.Helper()
	e := newEnv(f, envOptions{chat: chat.Config{Limits: chat.Limits{}}, plainHasher: true}) // no limit: the fuzzer sends thousands
	ctx, svc := context.Background(), e.svc
	var ids []string
	for _, name := range []string{"alice", "bob"} {
		u, err := svc.Register(ctx, chat.RegisterInput{Username: name, Password: "password-" + name})
		if err != nil {
			f.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	login, err := svc.LogIn(ctx, "alice", "password-alice")
	if err != nil {
		f.Fatal(err)
	}
	group, _, err := svc.CreateConversation(ctx, ids[0], chat.CreateInput{Kind: core.KindGroup, Title: "fuzz", MemberIDs: ids[1:]})
	if err != nil {
		f.Fatal(err)
	}
	msg, err := svc.Send(ctx, ids[0], chat.SendInput{ConversationID: group.ID, ClientMsgID: "seed", Body: "first"})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzAPI{h: e.srv.Config.Handler, token: login.Token, group: group.ID, seed: schema.MessageOf(msg.Message), vars: strings.NewReplacer(
		"$ALICE", ids[0], "$BOB", ids[1], "$GROUP", group.ID, "$MSG", msg.Message.ID, "$PW", pwCanary)}
}

// post sends body (placeholders replaced) as alice, or anonymously.
func (a *fuzzAPI) post(path, body string, anonymous bool) (*httptest.ResponseRecorder, string) {
	body = a.vars.Replace(body)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if !anonymous {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec, body
}

// goTypeWords are the ways Go's descriptions of types leak into error texts.
var goTypeWords = regexp.MustCompile(`\bGo\b|of type|\bu?int(8|16|32|64)?\b|\bfloat(32|64)\b|\bbool\b|\bstruct\b|` +
	`\binterface\b|map\[|\[\]\w|\b(rest|schema|core|chat|time)\.[A-Z]|\w+Request\b`)

// codeForStatus is the core code a problem of each 4xx status carries.
func codeForStatus(status int) core.Code {
	switch status {
	case 401:
		return core.CodeUnauthenticated
	case 403:
		return core.CodePermissionDenied
	case 404, 405:
		return core.CodeNotFound
	case 409:
		return core.CodeConflict
	case 429:
		return core.CodeRateLimited
	}
	return core.CodeInvalidArgument
}

// checkResponse checks what every response must be, and returns true for a 2xx.
func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, sent string) bool {
	t.Helper()
	status, body := rec.Code, rec.Body.Bytes()
	if status >= 500 {
		t.Fatalf("%s: status %d: %s", sent, status, body)
	}
	if !utf8.Valid(body) {
		t.Fatalf("%s: the response is not UTF-8: %q", sent, body)
	}
	if status < 400 {
		if status < 200 || status > 299 {
			t.Fatalf("%s: status %d", sent, status)
		}
		return true
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: status %d with Content-Type %q: %s", sent, status, ct, body)
	}
	var p rest.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: status %d with a body that is no problem: %v: %s", sent, status, err, body)
	}
	want := codeForStatus(status)
	if status == 409 && p.Code == string(core.CodeAlreadyExists) {
		want = core.CodeAlreadyExists
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Code != string(want) || p.Detail == "" {
		t.Fatalf("%s: status %d with problem %+v", sent, status, p)
	}
	texts := []string{p.Detail}
	for _, e := range p.Errors {
		texts = append(texts, e.Message)
	}
	for _, s := range texts {
		for _, w := range goTypeWords.FindAllString(s, -1) {
			if !strings.Contains(sent, w) { // words from the input itself (e.g. a field's name) may come back
				t.Fatalf("%s: status %d names a Go type (%q): %s", sent, status, w, body)
			}
		}
		if strings.Contains(s, pwCanary) {
			t.Fatalf("%s: status %d echoes the password: %s", sent, status, body)
		}
	}
	return false
}

// bodyField returns a string property of a JSON object body. ambiguous reports a property of that name in
// another letter case ({"BODY":"y"}): the API must refuse such a body, since encoding/json would store it.
func bodyField(body, name string) (value string, ok, ambiguous bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil {
		return "", false, false
	}
	for k, raw := range obj {
		switch {
		case k == name:
			ok = json.Unmarshal(raw, &value) == nil
		case strings.EqualFold(k, name):
			ambiguous = true
		}
	}
	return value, ok, ambiguous
}

// bodyFields is bodyField for several names, and whether any of them is ambiguous.
func bodyFields(body string, names ...string) (map[string]string, bool) {
	out := map[string]string{}
	anyAmbiguous := false
	for _, n := range names {
		v, _, ambiguous := bodyField(body, n)
		out[n], anyAmbiguous = v, anyAmbiguous || ambiguous
	}
	return out, anyAmbiguous
}

func FuzzRESTSendMessage(f *testing.F) {
	for _, s := range []string{
		`{"body":"hello"}`,
		`{"clientMsgId":"web-1718000000000-1","body":"hello, Zoë 李 \ud83d\ude00"}`,
		`{"clientMsgId":"seed","body":"a retry of the fixture's message"}`,
		`{"body":"a reply","replyTo":"$MSG"}`,
		`{"body":"line 1\nline 2\ttab"}`,
		`{"body":"  padded  "}`,
		`{"body":"\u200b\ufeff"}`,
		`{"body":"\ud800 lone surrogate"}`,
		"{\"body\":\"raw \xff byte\"}",
		`{"body":123}`,
		`{"body":"x","clientMsgId":"has space"}`,
		`{"body":"x","extra":true}`,
		`{"body":"x","BODY":"y"}`,
		`{"body":"x","replyTo":"nope"}`,
		`{}`, `[]`, `null`, ``, `{"body":"unterminated`,
	} {
		f.Add(s)
	}
	api := newFuzzAPI(f)
	path := "/v1/conversations/" + api.group + "/messages"
	var mu sync.Mutex
	first := map[string]schema.Message{} // clientMsgId -> the message stored under it
	f.Fuzz(func(t *testing.T, in string) {
		rec, sent := api.post(path, in, false)
		if !checkResponse(t, rec, sent) {
			return
		}
		var m schema.Message
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s: status %d with a body that is no message: %v", sent, rec.Code, err)
		}
		if !utf8.ValidString(m.Body) || core.ValidateBody(m.Body) != nil || m.ConversationID != api.group || m.Seq < 1 {
			t.Fatalf("%s: stored %+v", sent, m)
		}
		req, ambiguous := bodyFields(sent, "body", "clientMsgId")
		if ambiguous {
			t.Fatalf("%s: accepted (%d) with a property in another letter case", sent, rec.Code)
		}
		body, key := req["body"], req["clientMsgId"]
		if key != "" && m.ClientMsgID != key {
			t.Fatalf("%s: stored under clientMsgId %q", sent, m.ClientMsgID)
		}
		mu.Lock()
		defer mu.Unlock()
		before, retry := first[m.ClientMsgID]
		if m.ClientMsgID == "seed" {
			before, retry = api.seed, true
		}
		switch {
		case rec.Code != http.StatusCreated && rec.Code != http.StatusOK:
			t.Fatalf("%s: status %d", sent, rec.Code)
		case retry:
			// A retry answers 200 with the message stored first.
			if rec.Code != http.StatusOK || m.ID != before.ID || m.Body != before.Body || m.Seq != before.Seq {
				t.Fatalf("%s: a retry answered with %+v; the first was %+v", sent, m, before)
			}
		case rec.Code == http.StatusOK:
			t.Fatalf("%s: a first send answered as a retry: %+v", sent, m)
		case m.Body != body:
			t.Fatalf("%s: stored body %q, want %q", sent, m.Body, body)
		default:
			first[m.ClientMsgID] = m
		}
	})
}

func FuzzRESTCreateConversation(f *testing.F) {
	for _, s := range []string{
		`{"kind":"group","title":"Team","memberIds":["$BOB"]}`,
		`{"kind":"channel","title":"  lobby  ","topic":" all things \u2028 "}`,
		`{"kind":"direct","memberIds":["$BOB"]}`,
		`{"kind":"direct","title":"no","memberIds":["$BOB"]}`,
		`{"kind":"group","title":"\u200b"}`,
		`{"kind":"group","title":"evil\u202egnp.exe"}`,
		`{"kind":"group","title":"t","memberIds":["$ALICE","$BOB","$BOB"]}`,
		`{"kind":"group","title":"t","memberIds":"$BOB"}`,
		`{"kind":"group","title":"t","memberIds":[1]}`,
		`{"kind":"group","title":"t","memberIds":null}`,
		`{"kind":"secret"}`,
		`{"kind":"group","title":"` + strings.Repeat("x", 101) + `"}`,
		`{"kind":"group","title":"a\u0000b"}`,
		`{"kind":"group","title":"ok","Title":"other"}`,
		`{}`, `[]`, ``,
	} {
		f.Add(s)
	}
	api := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, in string) {
		rec, sent := api.post("/v1/conversations", in, false)
		if !checkResponse(t, rec, sent) {
			return
		}
		var c schema.Conversation
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
			t.Fatalf("%s: status %d with a body that is no conversation: %v", sent, rec.Code, err)
		}
		req, ambiguous := bodyFields(sent, "kind", "title", "topic")
		if ambiguous {
			t.Fatalf("%s: accepted (%d) with a property in another letter case", sent, rec.Code)
		}
		kind, title, topic := req["kind"], req["title"], req["topic"]
		if c.Kind != kind || rec.Code != http.StatusCreated && !(rec.Code == http.StatusOK && kind == "direct") {
			t.Fatalf("%s: status %d with %+v", sent, rec.Code, c)
		}
		if kind == "direct" {
			return // its title is the other member's name
		}
		wantTitle, err1 := core.ValidateTitle(core.Kind(kind), title)
		wantTopic, err2 := core.ValidateTopic(core.Kind(kind), topic)
		if err1 != nil || err2 != nil || c.Title != wantTitle || c.Topic != wantTopic {
			t.Fatalf("%s: stored title %q, topic %q; the core rules say %q (%v), %q (%v)", sent, c.Title, c.Topic,
				wantTitle, err1, wantTopic, err2)
		}
	})
}

func FuzzRESTRegister(f *testing.F) {
	for _, s := range []string{
		`{"username":"carol","password":"$PW"}`,
		`{"username":"  Dave.B-2_ ","password":"$PW","displayName":"  Dave B.  "}`,
		`{"username":"erin","password":"$PW","displayName":"\u200b\ufeff"}`,
		`{"username":"mallory","password":"$PW","displayName":"evil\u202egnp.exe"}`,
		`{"username":"alice","password":"$PW"}`,
		`{"username":"no way!","password":"$PW"}`,
		`{"username":"\u212Aelvin","password":"$PW"}`,
		`{"username":"frank","password":"short"}`,
		`{"username":"grace","password":"$PW","displayName":"Zoë 李 😀"}`,
		`{"username":"heidi","password":"$PW","displayName":"bell\u0007"}`,
		`{"username":"ivan","password":12345678}`,
		`{"username":"judy","password":"$PW","admin":true}`,
		`{"username":"ken","password":"$PW","Username":"KEN2"}`,
		`{"username":"$PW","password":"$PW"}`,
		`{}`, ``, `"x"`,
	} {
		f.Add(s)
	}
	api := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, in string) {
		rec, sent := api.post("/v1/users", in, true)
		if !checkResponse(t, rec, sent) {
			return
		}
		var u schema.User
		if err := json.Unmarshal(rec.Body.Bytes(), &u); err != nil || rec.Code != http.StatusCreated {
			t.Fatalf("%s: status %d with %s (%v)", sent, rec.Code, rec.Body.Bytes(), err)
		}
		req, ambiguous := bodyFields(sent, "username", "displayName", "password")
		if ambiguous {
			t.Fatalf("%s: accepted (%d) with a property in another letter case", sent, rec.Code)
		}
		username, display, password := req["username"], req["displayName"], req["password"]
		wantUser, err1 := core.NormalizeUsername(username)
		wantDisplay, err2 := core.CleanDisplayName(display, wantUser)
		err3 := core.ValidatePassword(password)
		if err1 != nil || err2 != nil || err3 != nil || u.Username != wantUser || u.DisplayName != wantDisplay {
			t.Fatalf("%s: registered %q (%q); the core rules say %q (%v), %q (%v), password: %v", sent, u.Username,
				u.DisplayName, wantUser, err1, wantDisplay, err2, err3)
		}
		if !utf8.ValidString(u.DisplayName) || strings.Contains(rec.Body.String(), pwCanary) && !strings.Contains(username+display, pwCanary) {
			t.Fatalf("%s: registered %s", sent, rec.Body.Bytes())
		}
	})
}
