package chat

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func known(c *sendAuth, conv, user string, now time.Time) bool {
	_, ok := c.member(conv, user, now)
	return ok
}

func TestSendAuthStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSendAuth(time.Second, 4)
	for i := range 4 {
		c.remember("c", fmt.Sprint(i), 0, now)
	}
	assert.True(t, known(c, "c", "3", now))
	c.remember("c", "new", 0, now.Add(2*time.Second)) // the four are expired by then: swept, not all cleared
	assert.Len(t, c.entries, 1)
	for i := range 3 {
		c.remember("d", fmt.Sprint(i), 0, now.Add(2*time.Second))
	}
	c.remember("d", "over", 0, now.Add(2*time.Second)) // four live entries: start over
	assert.Len(t, c.entries, 1)
	assert.True(t, known(c, "d", "over", now.Add(2*time.Second)))
	assert.False(t, known(c, "d", "over", now.Add(3*time.Second)), "expired")
	assert.False(t, known(newSendAuth(0, 4), "c", "3", now), "a TTL of 0 is off")
}

func TestSendAuthKeepsSlowModeAndForgetsConversations(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSendAuth(time.Minute, 10)
	c.remember("c", "u1", 30*time.Second, now)
	c.remember("c", "u2", 0, now)
	c.remember("d", "u1", 0, now)
	slow, ok := c.member("c", "u1", now)
	assert.True(t, ok)
	assert.Equal(t, 30*time.Second, slow)
	c.forgetConversation("c")
	assert.False(t, known(c, "c", "u1", now))
	assert.False(t, known(c, "c", "u2", now))
	assert.True(t, known(c, "d", "u1", now), "other conversations stay")
}
