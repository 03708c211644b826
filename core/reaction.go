package core

import (
	"strings"
	"unicode/utf8"
)

// Limits on reactions.
const (
	// MaxReactionKinds is how many different emoji one message may carry.
	MaxReactionKinds = 20
	// MaxReactionsPerUser is how many different emoji one user may put on one message.
	MaxReactionsPerUser = 10
	// MaxPins is how many messages of one conversation may be pinned at once.
	MaxPins = 50
	// maxEmojiBytes bounds one emoji's encoding (the longest family and flag sequences are about 35 bytes).
	maxEmojiBytes = 64
)

// Reaction is one user's emoji on one message.
type Reaction struct {
	MessageID string
	UserID    string
	Emoji     string // normalized by NormalizeEmoji
}

// ReactionCount is one emoji's tally on a message as a viewer sees it.
type ReactionCount struct {
	Emoji string
	Count int
	Me    bool // the viewer is one of those who reacted with it
}

// Shortcodes are the :shortcode: names accepted for reactions, each the emoji it stands for. A reaction given
// by shortcode is stored as its emoji, so both spellings count as one reaction.
var Shortcodes = map[string]string{
	"+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "heart": "❤️", "joy": "😂", "smile": "😄",
	"laughing": "😆", "wink": "😉", "open_mouth": "😮", "cry": "😢", "sob": "😭", "rage": "😡", "tada": "🎉",
	"rocket": "🚀", "eyes": "👀", "fire": "🔥", "clap": "👏", "pray": "🙏", "ok_hand": "👌", "wave": "👋",
	"thinking": "🤔", "100": "💯", "white_check_mark": "✅", "x": "❌", "warning": "⚠️", "star": "⭐",
	"muscle": "💪", "raised_hands": "🙌", "party": "🥳", "coffee": "☕", "bug": "🐛", "question": "❓",
}

// NormalizeEmoji checks a reaction's emoji and returns the form it is stored in: a :shortcode: of Shortcodes
// becomes its emoji; otherwise the text must be exactly one emoji — a pictograph optionally followed by a
// variation selector or skin tone, such pieces joined by zero-width joiners, a flag (two regional indicators or
// a tag sequence) or a keycap.
func NormalizeEmoji(s string) (string, error) {
	if strings.HasPrefix(s, ":") && strings.HasSuffix(s, ":") && len(s) > 2 {
		if e, ok := Shortcodes[s[1:len(s)-1]]; ok {
			return e, nil
		}
		return "", Invalid("emoji", "unknown shortcode %s", s)
	}
	if s == "" || len(s) > maxEmojiBytes || !utf8.ValidString(s) || !isOneEmoji(s) {
		return "", Invalid("emoji", "emoji must be one emoji or a known :shortcode:")
	}
	return s, nil
}

// isOneEmoji reports whether s is a single emoji sequence (see NormalizeEmoji).
func isOneEmoji(s string) bool {
	rs := []rune(s)
	if len(rs) >= 2 && isRegional(rs[0]) { // a flag: exactly two regional indicators
		return len(rs) == 2 && isRegional(rs[1])
	}
	if len(rs) >= 2 && (rs[0] >= '0' && rs[0] <= '9' || rs[0] == '#' || rs[0] == '*') { // a keycap
		rest := rs[1:]
		if rest[0] == 0xFE0F {
			rest = rest[1:]
		}
		return len(rest) == 1 && rest[0] == 0x20E3
	}
	i := 0
	for {
		if i >= len(rs) || !isPictograph(rs[i]) {
			return false
		}
		i++
		for i < len(rs) && (rs[i] == 0xFE0F || rs[i] >= 0x1F3FB && rs[i] <= 0x1F3FF) {
			i++ // variation selector, skin tone
		}
		for i < len(rs) && rs[i] >= 0xE0020 && rs[i] <= 0xE007F {
			i++ // tag sequence (subdivision flags)
		}
		if i == len(rs) {
			return true
		}
		if rs[i] != 0x200D { // only a zero-width joiner may follow
			return false
		}
		i++
	}
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// isPictograph reports whether r is in one of the blocks emoji are drawn from.
func isPictograph(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF: // mahjong .. symbols and pictographs extended-A
		return !isRegional(r) && !(r >= 0x1F3FB && r <= 0x1F3FF)
	case r >= 0x2600 && r <= 0x27BF: // miscellaneous symbols, dingbats
		return true
	case r >= 0x2300 && r <= 0x23FF, r >= 0x2B00 && r <= 0x2BFF, r >= 0x2190 && r <= 0x21FF,
		r >= 0x25A0 && r <= 0x25FF, r >= 0x2900 && r <= 0x297F:
		return true
	}
	switch r {
	case 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x24C2, 0x3030, 0x303D, 0x3297, 0x3299:
		return true
	}
	return false
}
