package core

import "strings"

// Limits on mentions.
const (
	// MaxMentions is how many different @username mentions of one message count; later ones stay plain text.
	MaxMentions = 50
)

// Mention-all kinds: @channel mentions every member; @here the members online when the message was sent.
const (
	MentionChannel = "channel"
	MentionHere    = "here"
)

// NotifyLevel is what a member wants to be told about in a conversation.
type NotifyLevel string

// Notification levels.
const (
	NotifyAll      NotifyLevel = "all"      // every message (the default)
	NotifyMentions NotifyLevel = "mentions" // only messages that mention the member
	NotifyNone     NotifyLevel = "none"     // nothing
)

// Valid reports whether l is a known level.
func (l NotifyLevel) Valid() bool { return l == NotifyAll || l == NotifyMentions || l == NotifyNone }

// ParseMentions finds the mentions of a message body: @username (a-z, 0-9, '_', '.', '-'; 3 to 32 characters,
// matched without regard to case; a trailing '.' or '-' ends the sentence rather than the name), each once, in
// order of first appearance, at most MaxMentions of them; and whether it says @channel or @here (all is
// MentionChannel, MentionHere or "", @channel winning). An @ inside a word (an e-mail address) is no mention.
func ParseMentions(body string) (usernames []string, all string) {
	seen := map[string]bool{}
	for i := 0; i < len(body); i++ {
		if body[i] != '@' || i > 0 && isNameByte(body[i-1]) {
			continue
		}
		j := i + 1
		for j < len(body) && isNameByte(body[j]) {
			j++
		}
		name := strings.ToLower(strings.TrimRight(body[i+1:j], ".-"))
		i = j - 1
		switch {
		case name == MentionChannel:
			all = MentionChannel
		case name == MentionHere:
			if all == "" {
				all = MentionHere
			}
		case len(name) >= MinUsernameLen && len(name) <= MaxUsernameLen && !seen[name] && len(usernames) < MaxMentions:
			seen[name] = true
			usernames = append(usernames, name)
		}
	}
	return usernames, all
}

// isNameByte reports whether b may appear in a username as written (in any case).
func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-'
}
