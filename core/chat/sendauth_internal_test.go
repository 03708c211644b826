package chat

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSendAuthStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSendAuth(time.Second, 4)
	for i := range 4 {
		c.remember("c", fmt.Sprint(i), now)
	}
	assert.True(t, c.member("c", "3", now))
	c.remember("c", "new", now.Add(2*time.Second)) // the four are expired by then: swept, not all cleared
	assert.Len(t, c.entries, 1)
	for i := range 3 {
		c.remember("d", fmt.Sprint(i), now.Add(2*time.Second))
	}
	c.remember("d", "over", now.Add(2*time.Second)) // four live entries: start over
	assert.Len(t, c.entries, 1)
	assert.True(t, c.member("d", "over", now.Add(2*time.Second)))
	assert.False(t, c.member("d", "over", now.Add(3*time.Second)), "expired")
	assert.False(t, newSendAuth(0, 4).member("c", "3", now), "a TTL of 0 is off")
}
