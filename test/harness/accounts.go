package harness

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Account is a registered, logged-in user.
type Account struct {
	ID       string
	Username string
	Password string
	Token    string
}

// SignUp registers username (password username+"-password") through api, an SDK client without a token,
// logs in, and returns the account; any other answer than 201 fails t.
func SignUp(t testing.TB, ctx context.Context, api *sdk.ClientWithResponses, username string) Account {
	t.Helper()
	password := username + "-password"
	r, err := api.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: username, Password: password})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, r.StatusCode(), "register %s: %s", username, r.Body)
	l, err := api.CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: username, Password: password})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, l.StatusCode(), "log in %s: %s", username, l.Body)
	return Account{ID: r.JSON201.Id, Username: username, Password: password, Token: l.JSON201.Token}
}
