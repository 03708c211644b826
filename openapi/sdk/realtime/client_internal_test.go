package realtime

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/openapi/sdk"
)

func TestApplyDeliversOnceInOrderAndSeesGaps(t *testing.T) {
	var got []string
	c := &Client{cursors: map[string]int64{"a": 3}, closed: make(chan struct{}),
		opts: ClientOptions{OnEvent: func(e sdk.Event) { got = append(got, e.ConversationId+string(rune('0'+e.Seq))) }}}
	ev := func(conv string, seq int64) sdk.Event { return sdk.Event{ConversationId: conv, Seq: seq} }

	assert.False(t, c.apply([]sdk.Event{ev("a", 2), ev("a", 3), ev("a", 4)}), "delivered ones are dropped")
	assert.True(t, c.apply([]sdk.Event{ev("a", 6)}), "5 is missing: a gap, and 6 waits for the sync")
	assert.False(t, c.apply([]sdk.Event{ev("b", 7), ev("b", 8)}), "an unknown conversation starts at the first event heard")
	assert.True(t, c.apply([]sdk.Event{ev("b", 10)}))
	assert.False(t, c.apply([]sdk.Event{ev("a", 5), ev("a", 6), ev("b", 9), ev("b", 10)}), "the sync fills both")
	assert.Equal(t, []string{"a4", "b7", "b8", "a5", "a6", "b9", "b:"}, got)
	assert.Equal(t, map[string]int64{"a": 6, "b": 10}, c.cursors)

	close(c.closed)
	got = nil
	c.apply([]sdk.Event{ev("a", 7)})
	assert.Empty(t, got, "nothing after Close")
}
