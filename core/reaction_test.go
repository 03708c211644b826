package core_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/core"
)

func TestNormalizeEmoji(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"👍": "👍", ":thumbsup:": "👍", ":+1:": "👍", "❤️": "❤️", "❤": "❤", "👍🏽": "👍🏽", "🇯🇵": "🇯🇵",
		"👨‍👩‍👧‍👦": "👨‍👩‍👧‍👦", "🏳️‍🌈": "🏳️‍🌈", "1️⃣": "1️⃣", "#⃣": "#⃣", "©️": "©️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿": "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "⭐": "⭐",
		":tada:": "🎉",
	} {
		got, err := core.NormalizeEmoji(in)
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want, got, "%q", in)
		}
	}
	for _, in := range []string{"", "a", "ok", "👍👍", "👍 ", " 👍", ":nope:", "::", ":", "🇯", "🇯🇵🇫", "1", "\u200d",
		"👍\u200d", "\u200d👍", "🏽", "\ufe0f", "\xff", "<b>", "👍a", string(make([]byte, 100))} {
		_, err := core.NormalizeEmoji(in)
		assert.Equal(t, core.CodeInvalidArgument, core.CodeOf(err), "%q", in)
	}
}

func FuzzNormalizeEmoji(f *testing.F) {
	for _, s := range []string{"👍", ":thumbsup:", "👨‍👩‍👧", "🇯🇵", "1️⃣", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := core.NormalizeEmoji(s)
		if err != nil {
			assert.Equal(t, core.CodeInvalidArgument, core.CodeOf(err))
			return
		}
		assert.True(t, utf8.ValidString(got))
		assert.LessOrEqual(t, len(got), 64)
		again, err := core.NormalizeEmoji(got)
		assert.NoError(t, err, "a stored emoji is valid input")
		assert.Equal(t, got, again)
	})
}
