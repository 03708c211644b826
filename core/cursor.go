package core

import (
	"encoding/base64"
	"encoding/json"
)

// EncodeCursor encodes a page position (the sort key of a page's last item) as an opaque cursor. Every store
// adapter uses it, so cursors look the same whatever the backend.
func EncodeCursor(key ...string) string {
	b, _ := json.Marshal(key) // a []string always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor decodes a cursor made by EncodeCursor with n parts; "" means the first page (nil). Anything
// else is invalid_argument.
func DecodeCursor(cursor string, n int) ([]string, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var key []string
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	if err != nil || len(key) != n {
		return nil, Invalid("cursor", "malformed cursor")
	}
	return key, nil
}

// PageLimit applies the default and maximum page sizes of cursor-paged lists.
func PageLimit(limit int) (int, error) { return ClampLimit(limit, DefaultPageLimit, MaxHistoryLimit) }
