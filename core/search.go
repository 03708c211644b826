package core

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of searches.
const (
	MaxSearchTextLen   = 200 // characters, after trimming
	MaxSearchTerms     = 16  // words in one search, phrases' words included
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
)

// The markers SearchHit.Highlight wraps matched words in. They are control characters, which ValidateBody
// refuses, so they never occur in a stored body: a client splits the highlight on them without escaping.
const (
	HighlightStart = "\u0002" // STX: a match starts
	HighlightEnd   = "\u0003" // ETX: a match ends
)

// SearchQuery asks for the messages a viewer can read that match Text, newest first (CreatedAt, then ID,
// descending). Text is a list of words, each of which must occur (AND), and of "quoted phrases", whose words
// must occur in that order, adjacent. Words are runs of letters and digits compared case-insensitively,
// without stemming (on PostgreSQL, the configured text search language may stem and drop stop words);
// anything else separates words and has no meaning as an operator. The other fields narrow the search; zero
// values do not.
type SearchQuery struct {
	UserID         string    // the viewer: only conversations they are a member of now are searched
	Text           string    // the search text, see ValidateSearchText
	ConversationID string    // only this conversation
	SenderID       string    // only messages of this sender
	After          time.Time // only messages created at or after this time
	Before         time.Time // only messages created before this time
	Cursor         string    // "" for the first page, else a page's Next
	Limit          int       // page size: default 20, at most 100
}

// SearchHit is one message found by a search. Highlight is the message's body with every matched word
// wrapped in HighlightStart and HighlightEnd; adjacent matched words (a phrase) may be wrapped together or one
// by one, depending on the store.
type SearchHit struct {
	Message   Message
	Highlight string
}

// SearchTerms is parsed search text: every phrase must occur in a message for it to match; a phrase is one or
// more lowercase words that must occur in order, adjacent. A single word is a phrase of one.
type SearchTerms [][]string

// Words returns every word of every phrase, in order.
func (t SearchTerms) Words() []string {
	var out []string
	for _, p := range t {
		out = append(out, p...)
	}
	return out
}

// SearchLimit applies the default and maximum page sizes of searches.
func SearchLimit(limit int) (int, error) {
	return ClampLimit(limit, DefaultSearchLimit, MaxSearchLimit)
}

// ValidateSearchText checks search text: valid UTF-8 without control characters, 1 to 200 characters after
// trimming, at least one word (a run of letters or digits) and at most 16 words.
func ValidateSearchText(text string) error {
	_, err := ParseSearchText(text)
	return err
}

// ParseSearchText validates search text (see ValidateSearchText) and splits it into phrases. A quote left
// open runs to the end of the text; quotes holding no word are ignored.
func ParseSearchText(text string) (SearchTerms, error) {
	if !utf8.ValidString(text) {
		return nil, Invalid("q", "search text must be valid UTF-8")
	}
	t := strings.TrimSpace(text)
	if Blank(t) {
		return nil, Invalid("q", "search text must not be empty")
	}
	if n := utf8.RuneCountInString(t); n > MaxSearchTextLen {
		return nil, Invalid("q", "search text must be at most %d characters", MaxSearchTextLen)
	}
	var terms SearchTerms
	var phrase []string
	quoted, words := false, 0
	flush := func() {
		if len(phrase) > 0 {
			terms = append(terms, phrase)
		}
		phrase = nil
	}
	for i := 0; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		switch {
		case unicode.IsControl(r):
			return nil, Invalid("q", "search text must not contain control characters")
		case IsWordRune(r):
			j := i + size
			for j < len(t) {
				r2, s2 := utf8.DecodeRuneInString(t[j:])
				if !IsWordRune(r2) {
					break
				}
				j += s2
			}
			phrase = append(phrase, strings.ToLower(t[i:j]))
			words++
			if !quoted {
				flush()
			}
			i = j
			continue
		case r == '"':
			flush()
			quoted = !quoted
		}
		i += size
	}
	flush()
	if words == 0 {
		return nil, Invalid("q", "search text must contain a word: letters or digits, not only punctuation or operators")
	}
	if words > MaxSearchTerms {
		return nil, Invalid("q", "search text must have at most %d words", MaxSearchTerms)
	}
	return terms, nil
}

// IsWordRune reports whether r belongs to a word of search text (and of the bodies the memory store scans):
// letters and digits.
func IsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// ValidateSearchQuery checks a search's text, limit, date range and cursor (malformed cursors are left to the
// store, which alone knows their shape).
func ValidateSearchQuery(q SearchQuery) error {
	if err := ValidateSearchText(q.Text); err != nil {
		return err
	}
	if _, err := SearchLimit(q.Limit); err != nil {
		return err
	}
	if !q.After.IsZero() && !q.Before.IsZero() && !q.After.Before(q.Before) {
		return Invalid("before", "before must be later than after")
	}
	return nil
}

// SearchCursor is the cursor of the page after m: its sort key, the creation time (UTC, nanoseconds) and id.
// Every store makes and reads search cursors with SearchCursor and DecodeSearchCursor.
func SearchCursor(m Message) string {
	return EncodeCursor(m.CreatedAt.UTC().Format(time.RFC3339Nano), m.ID)
}

// DecodeSearchCursor returns the sort key a SearchCursor holds; ok is false for "" (the first page). Anything
// else that is not a search cursor is invalid_argument.
func DecodeSearchCursor(cursor string) (at time.Time, id string, ok bool, err error) {
	key, err := DecodeCursor(cursor, 2)
	if err != nil || key == nil {
		return time.Time{}, "", false, err
	}
	at, err = time.Parse(time.RFC3339Nano, key[0])
	if err != nil {
		return time.Time{}, "", false, Invalid("cursor", "malformed cursor")
	}
	return at, key[1], true, nil
}

// searchWord is one word of a body: its lowercase text and byte offsets.
type searchWord struct {
	text       string
	start, end int
}

func searchWords(body string) []searchWord {
	var out []searchWord
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		if !IsWordRune(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(body) {
			r2, s2 := utf8.DecodeRuneInString(body[j:])
			if !IsWordRune(r2) {
				break
			}
			j += s2
		}
		out = append(out, searchWord{text: strings.ToLower(body[i:j]), start: i, end: j})
		i = j
	}
	return out
}

// SearchWordPairs calls fn with every pair of adjacent words of text, in order: its words as searches split
// them (runs of letters and digits, lowercase). A body that holds a phrase holds the phrase's pairs, so an
// index of the pairs of bodies finds a phrase's candidates without reading every message that holds its words.
func SearchWordPairs(text string, fn func(first, second string)) {
	words := searchWords(text)
	for i := 1; i < len(words); i++ {
		fn(words[i-1].text, words[i].text)
	}
}

// MatchSearch reports whether body holds every phrase of terms, and returns the body highlighted: the words of
// each occurrence of a phrase wrapped in HighlightStart and HighlightEnd, one by one. It is the reference
// semantics of a search, which the memory store uses as it is.
func MatchSearch(body string, terms SearchTerms) (highlight string, ok bool) {
	words := searchWords(body)
	marked := make([]bool, len(words))
	for _, phrase := range terms {
		found := false
		for i := 0; i+len(phrase) <= len(words); i++ {
			match := true
			for k, w := range phrase {
				if words[i+k].text != w {
					match = false
					break
				}
			}
			if match {
				found = true
				for k := range phrase {
					marked[i+k] = true
				}
			}
		}
		if !found {
			return "", false
		}
	}
	var b strings.Builder
	last := 0
	for i, w := range words {
		if !marked[i] {
			continue
		}
		b.WriteString(body[last:w.start])
		b.WriteString(HighlightStart)
		b.WriteString(body[w.start:w.end])
		b.WriteString(HighlightEnd)
		last = w.end
	}
	b.WriteString(body[last:])
	return b.String(), true
}
