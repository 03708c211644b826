package kafka

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

func TestCommandEncoding(t *testing.T) {
	t.Parallel()
	cmd := core.SendCommand{ID: "c1", Origin: "gw-1", ConversationID: "conv", SenderID: "u1", MessageID: "m1",
		ClientMsgID: "k1", Body: "héllo ✓", ReplyTo: "m0", At: time.Date(2024, 5, 1, 14, 0, 0, 123456789, time.FixedZone("CEST", 7200))}
	b, err := encodeCommand(cmd)
	require.NoError(t, err)
	// The stored form is a compatibility promise: changing it needs a new version.
	assert.JSONEq(t, `{"v":1,"id":"c1","origin":"gw-1","conversationId":"conv","senderId":"u1","messageId":"m1",
		"clientMsgId":"k1","body":"héllo ✓","replyTo":"m0","at":"2024-05-01T12:00:00.123456789Z"}`, string(b))

	got, err := decodeCommand(b)
	require.NoError(t, err)
	assert.True(t, cmd.At.Equal(got.At))
	want := cmd
	want.At = got.At
	assert.Equal(t, want, got)

	// Fields added within version 1 (older readers ignore them) round-trip too.
	full := cmd
	full.ThreadRootID, full.Mentions, full.MentionAll = "root", []string{"u2", "u3"}, core.MentionHere
	full.Attachments = []core.Attachment{{ID: "a1", Name: "cat.png", ContentType: "image/png", Size: 42, Width: 3,
		Height: 2, Thumbnail: true}, {ID: "a2", Name: "notes.txt", ContentType: "text/plain", Size: 7}}
	b, err = encodeCommand(full)
	require.NoError(t, err)
	got, err = decodeCommand(b)
	require.NoError(t, err)
	full.At = got.At
	assert.Equal(t, full, got)

	got, err = decodeCommand([]byte(`{"v":1,"id":"c2","conversationId":"conv","future":"ignored"}`))
	require.NoError(t, err, "fields added later are ignored")
	assert.Equal(t, core.SendCommand{ID: "c2", ConversationID: "conv"}, got)
}

func TestCommandDecodingRejects(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]error{
		`not json`:                     errUndecodable,
		`{}`:                           errUndecodable,
		`{"v":1,"conversationId":"c"}`: errUndecodable,
		`{"v":1,"id":"x"}`:             errUndecodable,
		`{"v":"1","id":"x","conversationId":"c"}`:      errUndecodable,
		`{"v":2,"id":"x","conversationId":"c"}`:        errTooNew,
		`{"v":2,"id":"x","conversationId":"c","x":[]}`: errTooNew,
	} {
		_, err := decodeCommand([]byte(value))
		assert.ErrorIs(t, err, want, value)
	}
}
