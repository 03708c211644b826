package core

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a registered account.
type User struct {
	ID           string
	Username     string // unique, lowercase [a-z0-9_.-]{3,32}
	DisplayName  string
	PasswordHash string
	Bot          bool // an account acting through an API key of scope bot, shown as a bot
	// Admin is the system role admin: the user may use the admin API with their own sign-in, and moderate
	// every conversation.
	Admin     bool
	CreatedAt time.Time
	// DeactivatedAt is when an admin deactivated the account (nil: active). A deactivated user cannot sign in
	// by any means; their messages stay.
	DeactivatedAt *time.Time
}

// Session is a login. The token itself is never stored: only its hash.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ExternalIdentity is a user as the application scalechat is embedded in asserts them, in a token it signed
// (see ports.IdentityVerifier): its issuer and the user's id there (subject), and what the token claims of the
// user. A first sight creates a scalechat user linked to (Issuer, Subject).
type ExternalIdentity struct {
	Issuer    string
	Subject   string
	Name      string // the display name claimed, "" when none
	Username  string // the username claimed, "" when none (may not be a valid scalechat username)
	ExpiresAt time.Time
}

// Block is one user blocking another.
type Block struct {
	UserID    string // who blocks
	BlockedID string // whom
	CreatedAt time.Time
}

// Expired reports whether the session is no longer valid at now.
func (s Session) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// Limits on account fields.
const (
	MinUsernameLen    = 3
	MaxUsernameLen    = 32
	MinPasswordLen    = 8
	MaxPasswordLen    = 256
	MaxDisplayNameLen = 64
)

// NormalizeUsername lowercases and validates a username.
func NormalizeUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	if len(u) < MinUsernameLen || len(u) > MaxUsernameLen {
		return "", Invalid("username", "username must be %d to %d characters", MinUsernameLen, MaxUsernameLen)
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return "", Invalid("username", "username may contain only a-z, 0-9, '_', '.' and '-'")
		}
	}
	return u, nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(p string) error {
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen || n > MaxPasswordLen {
		return Invalid("password", "password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// CleanDisplayName trims and validates a display name; empty means "use the username".
// A name made only of invisible characters is empty; bidirectional controls, which can make a name read as
// another ("evil" + U+202E + "gnp.exe" shows as "evilexe.png"), are refused.
func CleanDisplayName(s, username string) (string, error) {
	d := strings.TrimSpace(s)
	if Blank(d) {
		return username, nil
	}
	if err := checkText("displayName", d, 1, MaxDisplayNameLen, false); err != nil {
		return "", err
	}
	if strings.ContainsFunc(d, bidiControl) {
		return "", Invalid("displayName", "displayName must not contain bidirectional control characters")
	}
	return d, nil
}

// Blank reports whether s has nothing visible: only white space and invisible characters (format characters
// such as U+200B ZERO WIDTH SPACE and U+FEFF, and the blank fillers U+115F, U+1160, U+2800, U+3164, U+FFA0).
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !invisible(r) {
			return false
		}
	}
	return true
}

func invisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// bidiControl reports the characters that change the direction text is shown in: marks, embeddings,
// overrides and isolates.
func bidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// checkText validates a piece of user-supplied text: valid UTF-8, length in runes, no control characters
// (newlines and tabs allowed only when multiline).
func checkText(field, s string, min, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "%s must be valid UTF-8", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		return Invalid(field, "%s must be %d to %d characters", field, min, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return Invalid(field, "%s must not contain control characters", field)
		}
	}
	return nil
}
