package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/openapi/sdk/realtime"
)

// handshakeEvents are Socket.IO's reserved handshake events, documented as the `connect` operation; they are not
// application events.
var handshakeEvents = []string{"connect", "connect_error"}

// asyncDoc is a parsed YAML document with local $ref resolution.
type asyncDoc struct {
	t    *testing.T
	root map[string]any
}

func loadYAML(t *testing.T, path string) asyncDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var root map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &root), path)
	return asyncDoc{t: t, root: root}
}

// resolve follows $ref (local JSON pointers only) until it reaches a node that is not a reference.
func (d asyncDoc) resolve(node any) map[string]any {
	d.t.Helper()
	for range 20 {
		m, ok := node.(map[string]any)
		require.True(d.t, ok, "expected an object, got %T", node)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		require.True(d.t, strings.HasPrefix(ref, "#/"), "only local references are used: %s", ref)
		var cur any = d.root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			obj, ok := cur.(map[string]any)
			require.True(d.t, ok, "dangling reference %s", ref)
			cur, ok = obj[part]
			require.True(d.t, ok, "dangling reference %s", ref)
		}
		node = cur
	}
	d.t.Fatalf("reference loop")
	return nil
}

func (d asyncDoc) get(node map[string]any, key string) map[string]any {
	d.t.Helper()
	v, ok := node[key]
	require.True(d.t, ok, "missing %q", key)
	return d.resolve(v)
}

func (d asyncDoc) list(node map[string]any, key string) []any {
	d.t.Helper()
	v, ok := node[key].([]any)
	require.True(d.t, ok, "%q must be a list", key)
	return v
}

// messageNames returns the Socket.IO event names (message `name`s) of an operation's or reply's messages.
func (d asyncDoc) messageNames(node map[string]any) []string {
	d.t.Helper()
	var names []string
	for _, m := range d.list(node, "messages") {
		name, ok := d.resolve(m)["name"].(string)
		require.True(d.t, ok, "every message has a name")
		names = append(names, name)
	}
	return names
}

func sortedSet(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

// TestAsyncAPIMatchesSocketServer fails when asyncapi.yaml and the Socket.IO adapter disagree on the events.
func TestAsyncAPIMatchesSocketServer(t *testing.T) {
	t.Parallel()
	d := loadYAML(t, "asyncapi.yaml")
	assert.Equal(t, "3.0.0", d.root["asyncapi"])

	channels, ok := d.root["channels"].(map[string]any)
	require.True(t, ok)
	require.Len(t, channels, 1, "one channel: the namespace /")
	for _, ch := range channels {
		assert.Equal(t, "/", d.resolve(ch)["address"])
	}
	for _, srv := range d.root["servers"].(map[string]any) {
		assert.Equal(t, "/socket.io/", d.resolve(srv)["pathname"])
	}

	var received, sent []string
	errorAck := d.resolve(d.root["components"].(map[string]any)["schemas"].(map[string]any)["ErrorAck"])
	operations, ok := d.root["operations"].(map[string]any)
	require.True(t, ok)
	for id, raw := range operations {
		op := d.resolve(raw)
		names := d.messageNames(op)
		require.Len(t, names, 1, "operation %s has one message", id)
		switch op["action"] {
		case "receive":
			if slices.Contains(handshakeEvents, names[0]) {
				continue
			}
			received = append(received, names[0])
			// Every request is acknowledged, with a success shape or the error ack.
			reply := d.get(op, "reply")
			replies := d.list(reply, "messages")
			require.Len(t, replies, 1, "operation %s has one reply message", id)
			payload := d.get(d.resolve(replies[0]), "payload")
			var alternatives []map[string]any
			for _, alt := range d.list(payload, "oneOf") {
				alternatives = append(alternatives, d.resolve(alt))
			}
			assert.Contains(t, alternatives, errorAck, "the ack of %s (%s) can be the error ack", names[0], id)
			assert.GreaterOrEqual(t, len(alternatives), 2, "the ack of %s has a success shape", names[0])
		case "send":
			sent = append(sent, names[0])
			assert.NotContains(t, op, "reply", "server events (%s) have no ack", names[0])
		default:
			t.Errorf("operation %s: action %v", id, op["action"])
		}
	}
	assert.Equal(t, sortedSet(socketio.Events), sortedSet(received),
		"client → server events of asyncapi.yaml must be socketio.Events")
	assert.Len(t, received, len(socketio.Events), "one operation per client event")
	assert.Equal(t, sortedSet(socketio.Emits), sortedSet(sent),
		"server → client events of asyncapi.yaml must be socketio.Emits")
	assert.Len(t, sent, len(socketio.Emits), "one operation per server event")
}

// TestAsyncAPIErrorsAndHandshake checks the closed error set and the handshake shapes.
func TestAsyncAPIErrorsAndHandshake(t *testing.T) {
	t.Parallel()
	d := loadYAML(t, "asyncapi.yaml")
	schemas := d.root["components"].(map[string]any)["schemas"].(map[string]any)

	var codes []string
	for _, c := range core.Codes {
		codes = append(codes, string(c))
	}
	slices.Sort(codes)
	errSchema := d.get(d.get(d.resolve(schemas["ErrorAck"]), "properties"), "error")
	code := d.get(d.get(errSchema, "properties"), "code")
	assert.Equal(t, codes, strs(code["enum"]), "the error code enum is core.Codes")
	assert.ElementsMatch(t, []string{"code", "message"}, strs(errSchema["required"]))
	assert.Contains(t, errSchema["properties"], "retryAfterMs")

	auth := d.resolve(schemas["HandshakeAuth"])
	assert.Equal(t, []string{"token"}, strs(auth["required"]))
	connectErr := d.get(d.get(d.resolve(schemas["ConnectError"]), "properties"), "data")
	dataCode := d.get(d.get(connectErr, "properties"), "code")
	assert.Subset(t, strs(dataCode["enum"]), []string{"unauthenticated", "rate_limited"})
	assert.Subset(t, codes, strs(dataCode["enum"]), "connect_error codes come from the closed set")
}

// TestAsyncAPISharedSchemasMatchOpenAPI fails when a schema shared with the REST API (same name) has other fields
// than in openapi.yaml: the socket sends the very same JSON.
func TestAsyncAPISharedSchemasMatchOpenAPI(t *testing.T) {
	t.Parallel()
	async := loadYAML(t, "asyncapi.yaml")
	rest := loadYAML(t, "openapi.yaml")
	aSchemas := async.root["components"].(map[string]any)["schemas"].(map[string]any)
	rSchemas := rest.root["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"Message", "Event", "EventData", "Member", "Conversation", "Presence"} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, aSchemas, name)
			require.Contains(t, rSchemas, name)
			a, r := async.resolve(aSchemas[name]), rest.resolve(rSchemas[name])
			assert.Equal(t, keys(r["properties"].(map[string]any)), keys(a["properties"].(map[string]any)), "properties")
			assert.Equal(t, strs(r["required"]), strs(a["required"]), "required")
			for prop, rp := range r["properties"].(map[string]any) {
				ap := a["properties"].(map[string]any)[prop].(map[string]any)
				if enum, ok := rp.(map[string]any)["enum"]; ok {
					assert.Equal(t, strs(enum), strs(ap["enum"]), "enum of %s", prop)
				}
			}
		})
	}
}

// TestEmitsMatchesDispatch fails when socketio.Emits and the event names the adapter emits (Emit("name", ...)
// calls in adapters/socketio) disagree.
func TestEmitsMatchesDispatch(t *testing.T) {
	t.Parallel()
	// Every server → client event goes out through a shard's broadcast(topic, name, arg, except).
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "adapters", "socketio", "dispatch.go"), nil, 0)
	require.NoError(t, err)
	var emitted []string
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 4 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "broadcast" {
			return true
		}
		lit, ok := call.Args[1].(*ast.BasicLit)
		require.True(t, ok && lit.Kind == token.STRING, "broadcast with a non-literal event name")
		name, err := strconv.Unquote(lit.Value)
		require.NoError(t, err)
		emitted = append(emitted, name)
		return true
	})
	require.NotEmpty(t, emitted)
	assert.Equal(t, sortedSet(socketio.Emits), sortedSet(emitted), "socketio.Emits must list what dispatch.go broadcasts")
}

// TestGoSDKRealtimeTypesMatchAsyncAPI checks the Go SDK's real-time payloads (openapi/sdk/realtime) against the
// schemas of asyncapi.yaml: the same JSON fields, and the required ones never omitted.
func TestGoSDKRealtimeTypesMatchAsyncAPI(t *testing.T) {
	t.Parallel()
	d := loadYAML(t, "asyncapi.yaml")
	schemas := d.root["components"].(map[string]any)["schemas"].(map[string]any)
	for name, v := range map[string]any{
		"SendRequest": realtime.SendRequest{}, "EditRequest": realtime.EditRequest{}, "DeleteRequest": realtime.DeleteRequest{},
		"ReadRequest": realtime.ReadRequest{}, "ReactRequest": realtime.ReactRequest{}, "ReactionsAck": realtime.ReactionsAck{},
		"TypingRequest": realtime.TypingRequest{}, "SyncRequest": realtime.SyncRequest{},
		"SendAck": realtime.SendAck{}, "MessageAck": realtime.MessageAck{}, "ReadAck": realtime.ReadAck{},
		"SyncAck": realtime.SyncAck{}, "TypingNotice": realtime.TypingNotice{}, "ReadReceipt": realtime.ReadReceipt{},
		"Error": realtime.Error{},
	} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, schemas, name)
			s := d.resolve(schemas[name])
			props := keys(s["properties"].(map[string]any))
			if name == "SendAck" { // one Go type for both acks of a send: accepted is set only in AcceptedAck
				props = sortedSet(append(props, keys(d.resolve(schemas["AcceptedAck"])["properties"].(map[string]any))...))
			}
			var fields, required []string
			typ := reflect.TypeOf(v)
			for i := range typ.NumField() {
				tag := typ.Field(i).Tag.Get("json")
				field, opts, _ := strings.Cut(tag, ",")
				fields = append(fields, field)
				if !strings.Contains(opts, "omitempty") {
					required = append(required, field)
				}
			}
			assert.Equal(t, props, sortedSet(fields), "fields")
			assert.Equal(t, sortedSet(strs(s["required"])), sortedSet(required), "required fields")
		})
	}
}
