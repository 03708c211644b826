package socketio

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// FuzzDecodePayload feeds the strict payload decoder what a client can send as an event's argument: any JSON
// value, parsed as the Socket.IO library parses it (encoding/json into an any, parsers/socket/v3 decoder.go).
// For every client → server payload type it checks that decoding never panics; that a refusal is an
// invalid_argument core error naming a field the payload has, in words that name JSON types, never Go ones;
// that an accepted payload has only the type's fields and valid UTF-8 strings; that the handlers' validation
// gives the same verdict on it every time; and that it re-encodes, as a server event in a websocket frame,
// into bytes that read back as the same payload.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		`{"conversationId":"c1","clientMsgId":"web-1","body":"hello","replyTo":"m0"}`,
		`{"conversationId":"c1","clientMsgId":"k","body":"Zoë 李 \ud83d\ude00 \u2028 <b>&"}`,
		`{"conversationId":"c1","messageId":"m1","body":"edited"}`,
		`{"conversationId":"c1","seq":5}`,
		`{"conversationId":"c1","seq":1e30}`,
		`{"conversationId":"c1","seq":1.5}`,
		`{"conversationId":"c1","typing":true}`,
		`{"cursors":{"c1":3,"c2":0},"limit":100}`,
		`{"cursors":{"c1":"x"}}`,
		`{"body":123}`,
		`{"conversationId":true,"typing":"yes"}`,
		`{"body":"\ud800 lone surrogate"}`,
		`{"body":"a","extra":1}`,
		`{"BODY":"case"}`,
		`["not","an","object"]`,
		`"a string"`,
		`null`,
		`{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		var payload any
		if err := json.NewDecoder(strings.NewReader(arg)).Decode(&payload); err != nil {
			return // the library refuses the packet: no handler sees it
		}
		words := fuzzInputWords(payload)
		for _, pt := range fuzzPayloadTypes {
			v := reflect.New(pt.typ)
			err := decode(payload, v.Interface())
			if err != nil {
				fuzzCheckRefusal(t, pt.name, arg, payload, words, err)
				continue
			}
			obj, ok := payload.(map[string]any)
			if !ok {
				t.Fatalf("%s: decode accepted %s, which is not an object", pt.name, arg)
			}
			fields := fuzzJSONNames(pt.typ)
			for k := range obj {
				// Exact names only: encoding/json alone would take {"BODY": ...} as body.
				if !fuzzNameIn(fields, k) {
					t.Fatalf("%s: decode accepted unknown field %q in %s", pt.name, k, arg)
				}
			}
			if s, ok := fuzzNonUTF8(v.Elem()); ok {
				t.Fatalf("%s: decode of %s yields a string that is not UTF-8: %q", pt.name, arg, s)
			}
			verdict := pt.validate(v.Interface())
			if again := pt.validate(v.Interface()); fuzzErrText(again) != fuzzErrText(verdict) {
				t.Fatalf("%s: validating %s twice gives %v, then %v", pt.name, arg, verdict, again)
			}
			fuzzRoundTrip(t, pt, arg, v, verdict)
		}
	})
}

// fuzzPayloadType is one client → server payload with the checks its handler makes before the use case does.
type fuzzPayloadType struct {
	name     string
	typ      reflect.Type
	validate func(p any) error
}

var fuzzPayloadTypes = []fuzzPayloadType{
	{"message:send", reflect.TypeFor[sendPayload](), func(p any) error {
		s := p.(*sendPayload)
		return firstErr(required("conversationId", s.ConversationID), required("clientMsgId", s.ClientMsgID),
			core.ValidateClientMsgID(s.ClientMsgID), core.ValidateBody(s.Body))
	}},
	{"message:edit", reflect.TypeFor[editPayload](), func(p any) error {
		s := p.(*editPayload)
		return firstErr(required("conversationId", s.ConversationID), required("messageId", s.MessageID),
			core.ValidateBody(s.Body))
	}},
	{"message:delete", reflect.TypeFor[deletePayload](), func(p any) error {
		s := p.(*deletePayload)
		return firstErr(required("conversationId", s.ConversationID), required("messageId", s.MessageID))
	}},
	{"conversation:read", reflect.TypeFor[readPayload](), func(p any) error {
		s := p.(*readPayload)
		if s.Seq == nil {
			return core.Invalid("seq", "seq is required")
		}
		return required("conversationId", s.ConversationID)
	}},
	{"typing", reflect.TypeFor[typingPayload](), func(p any) error {
		s := p.(*typingPayload)
		if s.Typing == nil {
			return core.Invalid("typing", "typing is required")
		}
		return required("conversationId", s.ConversationID)
	}},
	{"sync", reflect.TypeFor[syncPayload](), func(p any) error {
		s := p.(*syncPayload)
		if s.Cursors == nil {
			return core.Invalid("cursors", "cursors is required")
		}
		if len(s.Cursors) > chat.MaxSyncCursors {
			return core.Invalid("cursors", "too many")
		}
		for _, after := range s.Cursors {
			if after < 0 {
				return core.Invalid("cursors", "cursors must not be negative")
			}
		}
		_, err := core.ClampLimit(s.Limit, chat.DefaultSyncLimit, chat.MaxSyncLimit)
		return err
	}},
}

// fuzzGoWords are the ways Go's own descriptions of types leak into an error text.
var fuzzGoWords = regexp.MustCompile(`\bGo\b|of type|\bu?int(8|16|32|64)?\b|\bfloat(32|64)\b|\bbool\b|\bstruct\b|` +
	`\binterface\b|map\[|\[\]|\*?\b(socketio|core|schema)\.|Payload\b`)

// fuzzCheckRefusal checks a refused payload's error: invalid_argument, on a field the payload has (or "payload"
// itself), worded without Go type names (words that come from the input itself, such as an unknown field's
// name, excepted).
func fuzzCheckRefusal(t *testing.T, name, arg string, payload any, words []string, err error) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.CodeInvalidArgument || e.Message == "" {
		t.Fatalf("%s: decode(%s) = %#v, want an invalid_argument core error", name, arg, err)
	}
	obj, _ := payload.(map[string]any)
	top, _, _ := strings.Cut(e.Field, ".")
	has := false
	for k := range obj {
		has = has || k == top
	}
	if e.Field != "payload" && !has {
		t.Fatalf("%s: decode(%s) blames field %q, which the payload does not have", name, arg, e.Field)
	}
	if strings.HasSuffix(e.Message, ", got bool") {
		t.Fatalf("%s: decode(%s) names a JSON boolean Go's way: %q", name, arg, e.Message)
	}
	for _, w := range fuzzGoWords.FindAllString(e.Message, -1) {
		if !fuzzWordIn(words, w) {
			t.Fatalf("%s: decode(%s) error names a Go type (%q): %q", name, arg, w, e.Message)
		}
	}
}

// fuzzRoundTrip encodes an accepted payload as the server encodes events, in a websocket frame, reads the frame
// back as a client's (masked), and decodes the argument again: the payload and its verdict must come back.
func fuzzRoundTrip(t *testing.T, pt fuzzPayloadType, arg string, v reflect.Value, verdict error) {
	t.Helper()
	enc, err := encodeEvent("event", v.Interface())
	if err != nil {
		t.Fatalf("%s: encoding the payload decoded from %s: %v", pt.name, arg, err)
	}
	packet := enc.frame[enc.at:]
	if want := frameOf(opText, packet); string(want) != string(enc.frame) {
		t.Fatalf("%s: the event's frame header is wrong for %d payload bytes", pt.name, len(packet))
	}
	var got [][]byte
	h := fuzzHandler{msg: func(op byte, p []byte) { got = append(got, append([]byte{op}, p...)) }}
	consumed, _, err := (&frameReader{}).parse(fuzzMaskFrame(opText, packet, [4]byte{1, 2, 3, 4}), 1<<20, h)
	if err != nil || len(got) != 1 || got[0][0] != opText || string(got[0][1:]) != string(packet) || consumed == 0 {
		t.Fatalf("%s: the frame of %q does not read back: %v, %q", pt.name, packet, err, got)
	}
	inner, ok := strings.CutPrefix(string(packet), `42["event",`)
	if inner, ok = strings.CutSuffix(inner, "]"); !ok {
		t.Fatalf("%s: not a Socket.IO event: %q", pt.name, packet)
	}
	var payload any
	if err := json.Unmarshal([]byte(inner), &payload); err != nil {
		t.Fatalf("%s: the event's argument is not JSON: %q: %v", pt.name, inner, err)
	}
	again := reflect.New(pt.typ)
	if err := decode(payload, again.Interface()); err != nil {
		t.Fatalf("%s: %s decoded, but its re-encoding %s does not: %v", pt.name, arg, inner, err)
	}
	if !reflect.DeepEqual(again.Interface(), v.Interface()) {
		t.Fatalf("%s: %s does not round-trip: %#v, then %#v", pt.name, arg, v.Elem().Interface(), again.Elem().Interface())
	}
	if fuzzErrText(pt.validate(again.Interface())) != fuzzErrText(verdict) {
		t.Fatalf("%s: %s validates as %v, its re-encoding as %v", pt.name, arg, verdict, pt.validate(again.Interface()))
	}
}

// fuzzMaskFrame is a final frame of op as a client sends it: masked with key.
func fuzzMaskFrame(op byte, payload []byte, key [4]byte) []byte {
	var hdr [maxFrameHeader]byte
	at := frameHeader(hdr[:], op, len(payload))
	out := append([]byte(nil), hdr[at:]...)
	out[1] |= 0x80
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

// fuzzHandler is a frameHandler of functions (nil ones ignore what they get).
type fuzzHandler struct{ msg, ctl func(op byte, p []byte) }

func (c fuzzHandler) message(op byte, p []byte) {
	if c.msg != nil {
		c.msg(op, p)
	}
}

func (c fuzzHandler) control(op byte, p []byte) {
	if c.ctl != nil {
		c.ctl(op, p)
	}
}

// fuzzJSONNames lists the JSON names of a struct's fields.
func fuzzJSONNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func fuzzNameIn(names []string, s string) bool { return slices.Contains(names, s) }

// fuzzNonUTF8 finds a string (or map key) in v that is not valid UTF-8.
func fuzzNonUTF8(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), !utf8.ValidString(v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			return fuzzNonUTF8(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if s, bad := fuzzNonUTF8(v.Field(i)); bad {
				return s, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if s, bad := fuzzNonUTF8(it.Key()); bad {
				return s, true
			}
			if s, bad := fuzzNonUTF8(it.Value()); bad {
				return s, true
			}
		}
	}
	return "", false
}

// fuzzInputWords lists every key and string of a parsed JSON value.
func fuzzInputWords(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func fuzzWordIn(words []string, w string) bool {
	for _, s := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func fuzzErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
