package core_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/scalechat/scalechat/core"
)

// The promises of core's input validation, written out independently of its code: what each function accepts
// is exactly the documented set, accepted text is valid UTF-8 within the limits, and normalising twice changes
// nothing.

// requireInvalid checks err is an invalid_argument core error on field.
func requireInvalid(t *testing.T, err error, field, in string) {
	t.Helper()
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.CodeInvalidArgument || e.Field != field || e.Message == "" {
		t.Fatalf("%q: want an invalid_argument core error on %s, got %#v", in, field, err)
	}
}

// isBidiControl lists the bidirectional controls (marks, embeddings, overrides and isolates, Unicode's
// Bidi_Control property) that a display name must not contain.
func isBidiControl(r rune) bool {
	switch r {
	case 0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069:
		return true
	}
	return false
}

// nothingVisible reports whether s is only white space, format characters (Cf) and the blank fillers.
func nothingVisible(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cf):
		case r == 0x115F || r == 0x1160 || r == 0x2800 || r == 0x3164 || r == 0xFFA0:
		default:
			return false
		}
	}
	return true
}

// goodText reports whether s is valid UTF-8 of min..max runes without control characters (but for newlines,
// carriage returns and tabs when multiline).
func goodText(s string, min, max int, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
	}
	return true
}

func FuzzValidateClientMsgID(f *testing.F) {
	for _, s := range []string{"web-1718000000000-1", "a", "A.b:c_d-9", "", "has space", "émoji😀", "a\x00",
		strings.Repeat("k", 64), strings.Repeat("k", 65), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		want := len(id) >= 1 && len(id) <= core.MaxClientMsgIDLen
		for i := 0; i < len(id); i++ {
			c := id[i]
			want = want && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:-", c) >= 0)
		}
		err := core.ValidateClientMsgID(id)
		if want != (err == nil) {
			t.Fatalf("ValidateClientMsgID(%q) = %v, want ok=%v (1..64 of [A-Za-z0-9_.:-])", id, err, want)
		}
		if err != nil {
			requireInvalid(t, err, "clientMsgId", id)
		}
	})
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"alice", "  Alice  ", "A_b.c-9", "ab", strings.Repeat("x", 32), strings.Repeat("x", 33),
		"no way!", "zoë", "\u212Aelvin", "İstanbul", "a\u200bb", "\tbob\n", "\xffabc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := core.NormalizeUsername(in)
		if err != nil {
			requireInvalid(t, err, "username", in)
			if u != "" {
				t.Fatalf("NormalizeUsername(%q) returned %q with its error", in, u)
			}
			return
		}
		if !utf8.ValidString(u) || len(u) < core.MinUsernameLen || len(u) > core.MaxUsernameLen {
			t.Fatalf("NormalizeUsername(%q) = %q: not 3..32 bytes of UTF-8", in, u)
		}
		for _, r := range u {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				t.Fatalf("NormalizeUsername(%q) = %q contains %q", in, u, r)
			}
		}
		if u != strings.ToLower(strings.TrimSpace(in)) {
			t.Fatalf("NormalizeUsername(%q) = %q is not the input trimmed and lowered", in, u)
		}
		// Idempotent, and blind to case and surrounding space: every spelling logs into the same account.
		for _, again := range []string{u, strings.ToUpper(u), " " + u + "\t"} {
			if v, err := core.NormalizeUsername(again); err != nil || v != u {
				t.Fatalf("NormalizeUsername(%q) = %q, %v; want %q (from %q)", again, v, err, u, in)
			}
		}
	})
}

func FuzzCleanDisplayName(f *testing.F) {
	for _, s := range []string{"Alice", "  Alice L.  ", "", "\u200b\ufeff", " \u3164 ", "Zoë 李 😀", "evil\u202egnp.exe",
		"a\u2066b\u2069", "mark\u200f", "\u061cx", "bell\a", "tab\tname", "\xff", strings.Repeat("é", 64),
		strings.Repeat("é", 65), "\u00a0x\u00a0", "\u0085x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		const username = "alice"
		d, err := core.CleanDisplayName(in, username)
		trimmed := strings.TrimSpace(in)
		switch {
		case nothingVisible(trimmed):
			if err != nil || d != username {
				t.Fatalf("CleanDisplayName(%q) = %q, %v: a name with nothing visible is the username", in, d, err)
			}
			return
		case !goodText(trimmed, 1, core.MaxDisplayNameLen, false) || strings.ContainsFunc(trimmed, isBidiControl):
			if err == nil {
				t.Fatalf("CleanDisplayName(%q) accepted %q: not 1..64 runes of UTF-8 without controls or bidi controls", in, d)
			}
			requireInvalid(t, err, "displayName", in)
			return
		}
		if err != nil {
			t.Fatalf("CleanDisplayName(%q) refused a good name: %v", in, err)
		}
		if d != trimmed {
			t.Fatalf("CleanDisplayName(%q) = %q, want the input trimmed, %q", in, d, trimmed)
		}
		if again, err := core.CleanDisplayName(d, username); err != nil || again != d {
			t.Fatalf("CleanDisplayName is not idempotent: %q -> %q -> %q, %v", in, d, again, err)
		}
	})
}

func FuzzValidateBody(f *testing.F) {
	for _, s := range []string{"hello", "line 1\nline 2\r\n\ttabbed", "", "   ", "\u200b\ufeff\u200b", " \u3164 ",
		"Zoë, 李, 😀", "bell\a", "\xff", "caf\xc3", "evil\u202egnp.exe", strings.Repeat("x", 4000),
		strings.Repeat("é", 4001), "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := core.ValidateBody(body)
		want := !nothingVisible(body) && goodText(body, 1, core.MaxBodyLen, true)
		if want != (err == nil) {
			t.Fatalf("ValidateBody(%q) = %v, want ok=%v (1..4000 runes of UTF-8, something visible, no controls but \\n \\r \\t)", body, err, want)
		}
		if err != nil {
			requireInvalid(t, err, "body", body)
		}
	})
}

// FuzzValidateTitleAndTopic checks conversation titles and topics: trimmed, valid UTF-8 within the limits,
// none for direct conversations, and stable when validated again.
func FuzzValidateTitleAndTopic(f *testing.F) {
	for _, s := range []string{"lobby", "  Team chat  ", "", "\u200b\u200b", "\ufeff", "a\nb", "\xff",
		strings.Repeat("t", 100), strings.Repeat("t", 101), strings.Repeat("t", 500) + " ", "Zoë 李"} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, kind uint8) {
		k := []core.Kind{core.KindDirect, core.KindGroup, core.KindChannel}[kind%3]
		trimmed := strings.TrimSpace(in)

		title, err := core.ValidateTitle(k, in)
		switch {
		case k == core.KindDirect:
			if (err == nil) != (trimmed == "") || title != "" {
				t.Fatalf("ValidateTitle(direct, %q) = %q, %v: a direct conversation has no title", in, title, err)
			}
		case nothingVisible(trimmed) || !goodText(trimmed, 1, core.MaxTitleLen, false):
			if err == nil {
				t.Fatalf("ValidateTitle(%s, %q) accepted %q", k, in, title)
			}
		case err != nil || title != trimmed:
			t.Fatalf("ValidateTitle(%s, %q) = %q, %v; want %q", k, in, title, err, trimmed)
		}
		if err != nil {
			requireInvalid(t, err, "title", in)
		} else if again, err := core.ValidateTitle(k, title); err != nil || again != title {
			t.Fatalf("ValidateTitle is not idempotent: %q -> %q -> %q, %v", in, title, again, err)
		}

		topic, err := core.ValidateTopic(k, in)
		switch {
		case nothingVisible(trimmed):
			if err != nil || topic != "" {
				t.Fatalf("ValidateTopic(%s, %q) = %q, %v: a topic with nothing visible is none", k, in, topic, err)
			}
		case k == core.KindDirect || !goodText(trimmed, 0, core.MaxTopicLen, false):
			if err == nil {
				t.Fatalf("ValidateTopic(%s, %q) accepted %q", k, in, topic)
			}
		case err != nil || topic != trimmed:
			t.Fatalf("ValidateTopic(%s, %q) = %q, %v; want %q", k, in, topic, err, trimmed)
		}
		if err != nil {
			requireInvalid(t, err, "topic", in)
		} else if again, err := core.ValidateTopic(k, topic); err != nil || again != topic {
			t.Fatalf("ValidateTopic is not idempotent: %q -> %q -> %q, %v", in, topic, again, err)
		}
	})
}

// FuzzMessageID checks the message ids derived from (conversation, sender, clientMsgId): a version 8, RFC 9562
// UUID in lowercase text, the same for the same send, and different for different sends (inputs holding no NUL,
// as the function requires).
func FuzzMessageID(f *testing.F) {
	f.Add("0190a8c4-7c1e-7000-8000-000000000001", "0190a8c4-7c1e-7000-8000-000000000002", "web-1", "c", "u", "web-1")
	f.Add("c", "u", "k", "c", "u", "k2")
	f.Add("ab", "c", "k", "a", "bc", "k") // the separators keep fields apart
	f.Add("", "", "", "", "", "")
	f.Add("a\x00b", "c", "k", "a", "b\x00c", "k")
	f.Fuzz(func(t *testing.T, conv, sender, key, conv2, sender2, key2 string) {
		id := core.MessageID(conv, sender, key)
		if len(id) != 36 || id[14] != '8' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("MessageID(%q, %q, %q) = %q: not a version 8 UUID", conv, sender, key, id)
		}
		for i, c := range id {
			dash := i == 8 || i == 13 || i == 18 || i == 23
			if dash != (c == '-') || !dash && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				t.Fatalf("MessageID(%q, %q, %q) = %q: not UUID text", conv, sender, key, id)
			}
		}
		if again := core.MessageID(conv, sender, key); again != id {
			t.Fatalf("MessageID(%q, %q, %q) gives %q, then %q", conv, sender, key, id, again)
		}
		noNUL := !strings.Contains(conv+sender+key+conv2+sender2+key2, "\x00")
		differ := conv != conv2 || sender != sender2 || key != key2
		if noNUL && differ && core.MessageID(conv2, sender2, key2) == id {
			t.Fatalf("MessageID(%q, %q, %q) = MessageID(%q, %q, %q) = %q", conv, sender, key, conv2, sender2, key2, id)
		}
	})
}
