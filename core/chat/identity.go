package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// maxUsernameTries bounds the usernames tried for a user seen first.
const maxUsernameTries = 6

// passwordAccounts refuses the password operations when they are switched off (Config.NoPasswordAccounts).
func (s *Service) passwordAccounts() error {
	if s.cfg.NoPasswordAccounts {
		return core.Errorf(core.CodePermissionDenied,
			"password accounts are switched off on this server: sign in through your application")
	}
	return nil
}

// authenticateExternal verifies a token of the host application (Deps.Identity) and returns the user it names,
// created on first sight, with a session that lasts as long as the token: nothing is stored for it, a real-time
// connection it opened ends when it expires.
func (s *Service) authenticateExternal(ctx context.Context, token string) (core.User, core.Session, error) {
	id, err := s.d.Identity.Verify(ctx, token)
	if err != nil {
		return core.User{}, core.Session{}, err
	}
	u, err := s.d.Users.UserByExternalID(ctx, id.Issuer, id.Subject)
	if errors.Is(err, core.ErrNotFound) {
		u, err = s.createExternalUser(ctx, id)
	}
	if err != nil {
		return core.User{}, core.Session{}, err
	}
	if err := active(u); err != nil {
		return core.User{}, core.Session{}, err
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Millisecond)
	return u, core.Session{TokenHash: HashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: id.ExpiresAt}, nil
}

// createExternalUser creates the user of an identity seen for the first time: the username it claims when that
// is a valid one and free, else one made from it (or from its name) with a random suffix; the display name it
// claims when valid, else the username. Another request creating the same user at the same moment wins: its
// user is returned.
func (s *Service) createExternalUser(ctx context.Context, id core.ExternalIdentity) (core.User, error) {
	base := usernameBase(id)
	for try := range maxUsernameTries {
		username := base
		if try > 0 || len(base) < core.MinUsernameLen {
			username = suffixed(base)
		}
		display, err := core.CleanDisplayName(id.Name, username)
		if err != nil {
			display = username
		}
		u := core.User{ID: s.d.IDs.NewID(), Username: username, DisplayName: display,
			CreatedAt: s.d.Clock.Now().UTC().Truncate(time.Millisecond)}
		err = s.d.Users.CreateExternalUser(ctx, u, id.Issuer, id.Subject)
		if err == nil {
			s.log.Info("user created from an application token", "user", u.ID, "username", u.Username, "issuer", id.Issuer)
			return u, nil
		}
		if !errors.Is(err, core.ErrAlreadyExists) {
			return core.User{}, err
		}
		if core.AsError(err).Field == "subject" {
			return s.d.Users.UserByExternalID(ctx, id.Issuer, id.Subject)
		}
	}
	return core.User{}, core.Errorf(core.CodeUnavailable, "no free username for this user; try again")
}

// usernameBase is the username an identity asks for: its claimed username, else its name, lowercased, with
// the characters a username may not hold turned into '_' and cut to leave room for a suffix; "user" when
// nothing is left.
func usernameBase(id core.ExternalIdentity) string {
	claim := id.Username
	if strings.TrimSpace(claim) == "" {
		claim = id.Name
	}
	if u, err := core.NormalizeUsername(claim); err == nil {
		return u
	}
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(claim)) {
		if b.Len() >= core.MaxUsernameLen-7 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "user"
	}
	return b.String()
}

// suffixed is base, cut to leave room, with '-' and six random hex digits.
func suffixed(base string) string {
	var r [3]byte
	_, _ = rand.Read(r[:])
	if len(base) > core.MaxUsernameLen-7 {
		base = base[:core.MaxUsernameLen-7]
	}
	return base + "-" + hex.EncodeToString(r[:])
}
