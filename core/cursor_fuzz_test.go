package core_test

import (
	"encoding/base64"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/scalechat/scalechat/core"
)

// cursorParts maps a fuzzed byte to the number of parts a store asks DecodeCursor for (1 to 4).
func cursorParts(n uint8) int { return int(n%4) + 1 }

// requireCursorInvalid checks err is the invalid_argument a malformed cursor must be, naming the cursor field.
func requireCursorInvalid(t *testing.T, err error, cursor string) {
	t.Helper()
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.CodeInvalidArgument || e.Field != "cursor" || e.Err != nil {
		t.Fatalf("DecodeCursor(%q): want an invalid_argument core error on field cursor, got %#v", cursor, err)
	}
}

// FuzzDecodeCursor feeds DecodeCursor arbitrary (client-supplied) cursors: it never panics, garbage is an
// invalid_argument error on "cursor", and whatever it accepts has the asked number of valid UTF-8 parts and
// encodes back to a cursor that decodes to the same parts.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("", uint8(0))
	f.Add(core.EncodeCursor("2026-01-02T03:04:05Z", "0190a8c4-7c1e-7000-8000-000000000001"), uint8(1))
	f.Add(core.EncodeCursor("alice"), uint8(0))
	f.Add(core.EncodeCursor("a", "b", "c"), uint8(2))
	f.Add(core.EncodeCursor("a", "b"), uint8(0)) // right format, wrong number of parts
	f.Add("not a cursor!", uint8(0))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`null`)), uint8(0))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`["a",1]`)), uint8(1))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`["\xff\xfe"]`)), uint8(0))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`["\ud800"]`)), uint8(0))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`["a"]`)), uint8(0)) // padded: not the raw URL alphabet
	f.Fuzz(func(t *testing.T, cursor string, parts uint8) {
		n := cursorParts(parts)
		key, err := core.DecodeCursor(cursor, n)
		if cursor == "" {
			if key != nil || err != nil {
				t.Fatalf("the empty cursor is the first page: got %q, %v", key, err)
			}
			return
		}
		if err != nil {
			requireCursorInvalid(t, err, cursor)
			if key != nil {
				t.Fatalf("DecodeCursor(%q) returned parts %q with its error", cursor, key)
			}
			return
		}
		if len(key) != n {
			t.Fatalf("DecodeCursor(%q, %d) accepted %d parts", cursor, n, len(key))
		}
		for _, p := range key {
			if !utf8.ValidString(p) {
				t.Fatalf("DecodeCursor(%q) yields a part that is not UTF-8: %q", cursor, p)
			}
		}
		again, err := core.DecodeCursor(core.EncodeCursor(key...), n)
		if err != nil || !slices.Equal(again, key) {
			t.Fatalf("re-encoding %q (from %q) does not round-trip: %q, %v", key, cursor, again, err)
		}
		// The same cursor never passes for another number of parts.
		if _, err := core.DecodeCursor(cursor, n+1); err == nil {
			t.Fatalf("DecodeCursor(%q) accepted both %d and %d parts", cursor, n, n+1)
		}
	})
}

// FuzzCursorRoundTrip encodes arbitrary sort keys: the cursor is non-empty URL-safe text, and it decodes back to
// the same parts (parts that are not UTF-8 come back as valid UTF-8, then stay stable), and only for its own
// number of parts.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("2026-01-02T03:04:05.678Z", "0190a8c4-7c1e-7000-8000-000000000001", "", uint8(1))
	f.Add("alice", "", "", uint8(0))
	f.Add("", "", "", uint8(2))
	f.Add("Zoë 李 😀", "\"quoted\" \\ back", "\u2028\x00<>&", uint8(2))
	f.Add("\xff\xfe", "a\xc3", "", uint8(1))
	f.Fuzz(func(t *testing.T, a, b, c string, parts uint8) {
		n := int(parts%3) + 1
		key := []string{a, b, c}[:n]
		cursor := core.EncodeCursor(key...)
		if cursor == "" {
			t.Fatalf("EncodeCursor(%q) is empty: it would read as the first page", key)
		}
		for _, r := range cursor {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("EncodeCursor(%q) = %q is not URL-safe", key, cursor)
			}
		}
		got, err := core.DecodeCursor(cursor, n)
		if err != nil {
			t.Fatalf("DecodeCursor(EncodeCursor(%q)): %v", key, err)
		}
		valid := true
		for _, p := range key {
			valid = valid && utf8.ValidString(p)
		}
		if valid && !slices.Equal(got, key) {
			t.Fatalf("EncodeCursor(%q) decodes to %q", key, got)
		}
		if len(got) != n {
			t.Fatalf("EncodeCursor(%q) decodes to %d parts", key, len(got))
		}
		for _, p := range got {
			if !utf8.ValidString(p) {
				t.Fatalf("EncodeCursor(%q) decodes to a part that is not UTF-8: %q", key, p)
			}
		}
		if again, err := core.DecodeCursor(core.EncodeCursor(got...), n); err != nil || !slices.Equal(again, got) {
			t.Fatalf("decoded parts %q do not round-trip: %q, %v", got, again, err)
		}
		for _, other := range []int{n - 1, n + 1} {
			if other < 1 {
				continue
			}
			_, err := core.DecodeCursor(cursor, other)
			requireCursorInvalid(t, err, cursor)
		}
	})
}
