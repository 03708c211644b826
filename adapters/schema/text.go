package schema

import (
	"bytes"
	"unicode/utf8"
)

// TextProblem says what is wrong with a JSON text's encoding, or "" when nothing is: it must be valid UTF-8
// and must not escape half of a UTF-16 surrogate pair ("\ud800" alone), which a JSON decoder would quietly
// turn into U+FFFD. Escapes are looked at wherever a backslash appears: in valid JSON that is only inside
// strings.
func TextProblem(b []byte) string {
	if !utf8.Valid(b) {
		return "text must be valid UTF-8"
	}
	const lone = `text must not contain a lone UTF-16 surrogate escape (\ud800-\udfff)`
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\\') // most text has no escape: the scan is the check's whole cost
		if j < 0 {
			break
		}
		i += j
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
