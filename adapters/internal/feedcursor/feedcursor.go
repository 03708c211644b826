// Package feedcursor is the change-feed cursor of the stores whose feed rows have increasing integer ids
// (memory, SQLite): the last id read, in decimal; "" is the start of the feed.
package feedcursor

import (
	"strconv"

	"github.com/scalechat/scalechat/core"
)

// Parse reads a cursor; "" is 0, before every row.
func Parse(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || id < 0 {
		return 0, core.Invalid("cursor", "malformed change feed cursor")
	}
	return id, nil
}

// Format is the cursor after the row id.
func Format(id int64) string { return strconv.FormatInt(id, 10) }
