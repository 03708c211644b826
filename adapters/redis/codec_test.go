package redis

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestCodecRoundTripsEveryField fills every field of an Envelope, reachable through any pointer, with a
// distinct non-zero value, so a field added to core but forgotten here makes it fail.
func TestCodecRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	var full core.Envelope
	n := 0
	fillAll(reflect.ValueOf(&full).Elem(), &n)
	require.NotNil(t, full.Result.Err)
	sent := []core.Envelope{full, {}}

	payload, err := encodeEnvelopes(sent)
	require.NoError(t, err)
	got, err := decodeEnvelopes(string(payload))
	require.NoError(t, err)
	// A message's reactions are one reader's view, filled in by reads; events and results never carry them.
	full.Event.Message.Reactions, full.Result.Message.Reactions = nil, nil
	full.Event.Message.Thread, full.Result.Message.Thread = nil, nil // likewise a root's reply info
	// A message carries what it shows of its files, not their upload records.
	for _, m := range []*core.Message{full.Event.Message, &full.Result.Message} {
		for i := range m.Attachments {
			a := &m.Attachments[i]
			a.ConversationID, a.UploaderID, a.MessageID, a.CreatedAt = "", "", "", time.Time{}
		}
	}
	// A member's notification settings are private to them: member events never carry them.
	full.Event.Member.Notify, full.Event.Member.Muted = "", false
	assert.Equal(t, []core.Envelope{full, {}}, got)
}

func TestCodecRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{"", "not json", `{"event":{}}`, `[{"event":{"seq":"x"}}]`} {
		_, err := decodeEnvelopes(payload)
		assert.Error(t, err, payload)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// fillAll sets every settable field under v to a value unique thanks to the counter n. Interfaces (the
// internal cause of a core.Error, which does not travel) stay nil.
func fillAll(v reflect.Value, n *int) {
	*n++
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Date(2024, 5, 1, 12, 0, *n, *n, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), n)
			}
		}
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)) + time.Duration(*n).String())
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillAll(v.Index(0), n)
	case reflect.Interface:
	default:
		panic("fillAll: unhandled kind " + v.Kind().String())
	}
}
