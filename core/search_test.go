package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

func TestParseSearchText(t *testing.T) {
	for text, want := range map[string]core.SearchTerms{
		"hello":                    {{"hello"}},
		"  Hello   WORLD ":         {{"hello"}, {"world"}},
		`"quick brown" fox`:        {{"quick", "brown"}, {"fox"}},
		`fox "quick  brown`:        {{"fox"}, {"quick", "brown"}},
		`e-mail, (really)?`:        {{"e"}, {"mail"}, {"really"}},
		`-cats or dogs`:            {{"cats"}, {"or"}, {"dogs"}},
		`"" x2 ""`:                 {{"x2"}},
		"Grüße 2024":               {{"grüße"}, {"2024"}},
		"\"one\"\"two three\"four": {{"one"}, {"two", "three"}, {"four"}},
	} {
		got, err := core.ParseSearchText(text)
		require.NoError(t, err, text)
		assert.Equal(t, want, got, text)
	}
}

func TestValidateSearchTextRefusesMalformedText(t *testing.T) {
	for name, text := range map[string]string{
		"empty":             "",
		"blank":             " \t\u200b ",
		"punctuation only":  `"" -- !? ...`,
		"operators only":    `- + * | & ( ) "`,
		"too long":          strings.Repeat("a", core.MaxSearchTextLen+1),
		"invalid utf-8":     "caf\xe9",
		"control character": "a\x02b",
		"too many words":    strings.TrimSpace(strings.Repeat("w ", core.MaxSearchTerms+1)),
	} {
		err := core.ValidateSearchText(text)
		require.ErrorIs(t, err, core.ErrInvalidArgument, name)
		assert.Equal(t, "q", core.AsError(err).Field, name)
	}
	assert.NoError(t, core.ValidateSearchText(" "+strings.Repeat("a", core.MaxSearchTextLen)+" "), "trimmed before counting")
	assert.NoError(t, core.ValidateSearchText(strings.TrimSpace(strings.Repeat("w ", core.MaxSearchTerms))))
}

func TestValidateSearchQuery(t *testing.T) {
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	assert.NoError(t, core.ValidateSearchQuery(core.SearchQuery{Text: "x", After: at, Before: at.Add(time.Second)}))
	assert.ErrorIs(t, core.ValidateSearchQuery(core.SearchQuery{Text: "x", After: at, Before: at}), core.ErrInvalidArgument)
	assert.ErrorIs(t, core.ValidateSearchQuery(core.SearchQuery{Text: "x", Limit: -1}), core.ErrInvalidArgument)
	assert.ErrorIs(t, core.ValidateSearchQuery(core.SearchQuery{Text: "!"}), core.ErrInvalidArgument)
	for in, want := range map[int]int{0: 20, 1: 1, 100: 100, 101: 100, 5000: 100} {
		got, err := core.SearchLimit(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
}

func TestSearchCursorRoundTrips(t *testing.T) {
	m := core.Message{ID: "m1", CreatedAt: time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))}
	at, id, ok, err := core.DecodeSearchCursor(core.SearchCursor(m))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "m1", id)
	assert.True(t, at.Equal(m.CreatedAt))
	_, _, ok, err = core.DecodeSearchCursor("")
	assert.NoError(t, err)
	assert.False(t, ok)
	for _, bad := range []string{"%%", core.EncodeCursor("x"), core.EncodeCursor("yesterday", "m1")} {
		_, _, _, err = core.DecodeSearchCursor(bad)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, bad)
	}
}

func TestMatchSearch(t *testing.T) {
	const s, e = core.HighlightStart, core.HighlightEnd
	for _, c := range []struct {
		body, text, want string
		ok               bool
	}{
		{"The quick brown fox", "quick FOX", "The " + s + "quick" + e + " brown " + s + "fox" + e, true},
		{"The quick brown fox", `"quick brown"`, "The " + s + "quick" + e + " " + s + "brown" + e + " fox", true},
		{"The quick brown fox", `"brown quick"`, "", false},
		{"The quick brown fox", "quick cat", "", false},
		{"foxes and a fox.", "fox", "foxes and a " + s + "fox" + e + ".", true},
		{"Fox, fox; FOX!", "fox", s + "Fox" + e + ", " + s + "fox" + e + "; " + s + "FOX" + e + "!", true},
		{"", "fox", "", false},
	} {
		terms, err := core.ParseSearchText(c.text)
		require.NoError(t, err)
		got, ok := core.MatchSearch(c.body, terms)
		assert.Equal(t, c.ok, ok, "%q in %q", c.text, c.body)
		assert.Equal(t, c.want, got, "%q in %q", c.text, c.body)
	}
}
