package sio

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleFrame is a delivery as scalechat sent it (captured from a standalone server).
const sampleFrame = `42["event",{"conversationId":"01a23c74-509a-7dcf-9b43-e76da37554a2","seq":1,"type":"message.created",` +
	`"at":"2026-12-03T15:09:53.489Z","actorId":"01a23c74-5069-79a3-85dc-b834022ddb80","data":{"message":{` +
	`"id":"01a23c74-6fd1-7b96-8aa5-a265b33e74fa","conversationId":"01a23c74-509a-7dcf-9b43-e76da37554a2","seq":1,` +
	`"senderId":"01a23c74-5069-79a3-85dc-b834022ddb80","clientMsgId":"m1-2-3",` +
	`"body":"bench:1796310593489422752:7:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",` +
	`"createdAt":"2026-12-03T15:09:53.489Z"}}}]`

func TestParseStamp(t *testing.T) {
	cases := []struct {
		name  string
		frame string
		want  Stamp
		ok    bool
	}{
		{"captured delivery", sampleFrame, Stamp{Sent: 1796310593489422752, Tag: 7}, true},
		{"raw body", "bench:12:3:xx", Stamp{Sent: 12, Tag: 3}, true},
		{"no marker", `42["presence",{"userId":"u"}]`, Stamp{}, false},
		{"no digits", "bench::3:", Stamp{}, false},
		{"no tag", "bench:123:", Stamp{}, false},
		{"tag not terminated", "bench:123:4", Stamp{}, false},
		{"junk after sent", "bench:123x4:", Stamp{}, false},
		{"tag too big", "bench:1:99999999999:", Stamp{}, false},
		{"truncated", "bench:123", Stamp{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseStamp([]byte(c.frame))
			assert.Equal(t, c.ok, ok)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestScanEvent(t *testing.T) {
	conv, seq, ok := ScanEvent([]byte(sampleFrame))
	require.True(t, ok)
	assert.Equal(t, "01a23c74-509a-7dcf-9b43-e76da37554a2", string(conv))
	assert.Equal(t, int64(1), seq)

	conv, seq, ok = ScanEvent([]byte(`42["event",{"conversationId":"c1","seq":12345,"type":"member.joined"}]`))
	require.True(t, ok)
	assert.Equal(t, "c1", string(conv))
	assert.Equal(t, int64(12345), seq)

	for _, bad := range []string{`42["event",{"seq":1}]`, `42["event",{"conversationId":"c1"}]`,
		`42["event",{"conversationId":"c1","seq":x}]`, `42["event",{"conversationId":"c1`} {
		_, _, ok := ScanEvent([]byte(bad))
		assert.False(t, ok, bad)
	}
}

func TestParseAck(t *testing.T) {
	cases := []struct {
		in   string
		id   uint64
		args string
		ok   bool
	}{
		{`431[{"ok":true}]`, 1, `[{"ok":true}]`, true},
		{`4312345[{"ok":false,"error":{"code":"rate_limited"}}]`, 12345, `[{"ok":false,"error":{"code":"rate_limited"}}]`, true},
		{`43[{"ok":true}]`, 0, "", false},
		{`4312`, 0, "", false},
		{`42["event",{}]`, 0, "", false},
		{`4`, 0, "", false},
	}
	for _, c := range cases {
		id, args, ok := ParseAck([]byte(c.in))
		assert.Equal(t, c.ok, ok, c.in)
		assert.Equal(t, c.id, id, c.in)
		assert.Equal(t, c.args, string(args), c.in)
	}
}

func TestAppendBodyAndSend(t *testing.T) {
	at := time.Unix(0, 1700000000123456789)
	body := AppendBody(nil, at, 42, 100)
	assert.Len(t, body, 100)
	assert.True(t, strings.HasPrefix(string(body), "bench:1700000000123456789:42:x"))
	st, ok := ParseStamp(body)
	require.True(t, ok)
	assert.Equal(t, Stamp{Sent: at.UnixNano(), Tag: 42}, st)
	assert.Len(t, AppendBody(nil, at, 42, 5), len("bench:1700000000123456789:42:"), "never shorter than the stamp")

	pkt := AppendSend(nil, 7, "conv", "cm-1", []byte("hi"))
	assert.Equal(t, `427["message:send",{"conversationId":"conv","clientMsgId":"cm-1","body":"hi"}]`, string(pkt))
	assert.Equal(t, `429["sync",{"cursors":{}}]`, string(AppendEmit(nil, 9, "sync", []byte(`{"cursors":{}}`))))
}

// TestTemplateMatchesTheServer checks that the baseline's frames have the shape, and so the size, of the
// captured delivery when filled with the same values.
func TestTemplateMatchesTheServer(t *testing.T) {
	at, err := time.Parse(time.RFC3339Nano, "2026-12-03T15:09:53.489Z")
	require.NoError(t, err)
	tmpl := EventTemplate{ConversationID: "01a23c74-509a-7dcf-9b43-e76da37554a2",
		SenderID: "01a23c74-5069-79a3-85dc-b834022ddb80", MessageID: "01a23c74-6fd1-7b96-8aa5-a265b33e74fa",
		ClientMsgID: "m1-2-3", Seq: 1, At: at}
	body := []byte("bench:1796310593489422752:7:" + strings.Repeat("x", 72))
	assert.Equal(t, sampleFrame, string(AppendEventFrame(nil, tmpl, body)))
	sample := AppendEventFrame(nil, SampleTemplate(), body)
	assert.InDelta(t, len(sampleFrame), len(sample), 12, "the sample template has a typical size")
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "ws://127.0.0.5:1/x", "http://localhost:80", "http://[::1]:9"} {
		_, _, err := CheckLoopback(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"http://10.0.0.1:80", "http://8.8.8.8", "https://127.0.0.1", "http://[::2]:1", "ftp://127.0.0.1"} {
		_, _, err := CheckLoopback(bad)
		assert.Error(t, err, bad)
	}
}

// BenchmarkParseDelivery is the byte scanning a delivery costs the generator: the prefix check, the stamp
// and the event's conversation and seq.
func BenchmarkParseDelivery(b *testing.B) {
	frame := []byte(sampleFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if !bytes.HasPrefix(frame, []byte(EventPrefix)) {
			b.Fatal("prefix")
		}
		if _, ok := ParseStamp(frame); !ok {
			b.Fatal("stamp")
		}
		if _, _, ok := ScanEvent(frame); !ok {
			b.Fatal("scan")
		}
	}
}
