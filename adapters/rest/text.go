package rest

import (
	"bytes"
	"io"
	"net/http"
	"unicode/utf8"
)

// textGuard answers 400 to a request body that is not valid UTF-8, or that escapes half of a UTF-16 surrogate
// pair ("\ud800" alone): JSON decoding would quietly turn either into U+FFFD, and scalechat would store text
// its client never sent. Bodies larger than limit go on unread, for the operation's own 413.
func textGuard(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		head, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(head)) <= limit {
			if msg := badText(head); msg != "" {
				writeProblem(w, &Problem{Status: http.StatusBadRequest, Title: http.StatusText(http.StatusBadRequest),
					Code: "invalid_argument", Detail: msg, Errors: []FieldError{{Location: "body", Message: msg}}})
				return
			}
		}
		// What was read goes first, then the rest (and a read error, if any) as the operation would have met it.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		next.ServeHTTP(w, r)
	})
}

// badText says what is wrong with a JSON text's encoding, or "" when nothing is. Escapes are looked at
// wherever a backslash appears: in valid JSON that is only inside strings.
func badText(b []byte) string {
	if !utf8.Valid(b) {
		return "request body must be valid UTF-8"
	}
	const lone = `request body must not contain a lone UTF-16 surrogate escape (\ud800-\udfff)`
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		v, ok := hexEscape(b, i)
		if !ok {
			i++ // any other escape: skip the escaped character (so `\\u` is not read as an escape)
			continue
		}
		switch {
		case v >= 0xDC00 && v <= 0xDFFF:
			return lone // a low half with no high half before it
		case v >= 0xD800 && v <= 0xDBFF:
			low, ok := hexEscape(b, i+6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return lone
			}
			i += 11
		default:
			i += 5
		}
	}
	return ""
}

// hexEscape reads a \uXXXX escape at b[i:].
func hexEscape(b []byte, i int) (rune, bool) {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return 0, false
	}
	var v rune
	for _, c := range b[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
