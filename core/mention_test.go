package core_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/core"
)

func TestParseMentions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body  string
		names []string
		all   string
	}{
		{"hi @bob", []string{"bob"}, ""},
		{"@Bob, @alice. and @bob again", []string{"bob", "alice"}, ""},
		{"mail me at bob@example.com", nil, ""},
		{"(@carol) @a @toolongname_toolongname_toolongname", []string{"carol"}, ""},
		{"@here then @channel", nil, core.MentionChannel},
		{"@here!", nil, core.MentionHere},
		{"@ alone, @@bob, x@y", []string{"bob"}, ""},
		{"@dan-", []string{"dan"}, ""},
		{"no mentions", nil, ""},
	} {
		names, all := core.ParseMentions(c.body)
		assert.Equal(t, c.names, names, c.body)
		assert.Equal(t, c.all, all, c.body)
	}
	var many []string
	for i := range core.MaxMentions + 5 {
		many = append(many, "@user"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	names, _ := core.ParseMentions(strings.Join(many, " "))
	assert.Len(t, names, core.MaxMentions)
}
