package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/scalechat/scalechat/test/harness"
)

// committedSpec reads openapi/openapi.yaml from the repository.
func committedSpec(t *testing.T) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "openapi", "openapi.yaml"))
	require.NoError(t, err)
	return b
}

// run executes the scalechat binary with args and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), args...)
	cmd.Env = append(os.Environ(), "SCALECHAT_PASSWORD_MEMORY_KIB=1024")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "scalechat %v did not finish in time", args)
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		code = exit.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}

// coveredOperations are the operationIds this package exercises; TestSpec fails when the spec gains one.
var coveredOperations = []string{
	"adminUpdateUser", "adminAddMembers", "adminUpdateMember", "adminRemoveMember", "listReports", "closeReport", "listAuditLog",
	"banUser", "listBans", "unbanUser", "muteMember", "unmuteMember", "setSlowMode", "reportMessage",
	"createWebhook", "listWebhooks", "deleteWebhook", "listWebhookDeliveries", "redeliverWebhook",
	"registerUser", "createSession", "deleteCurrentSession", "deleteAllSessions", "changePassword", "getMe",
	"searchUsers", "getUser", "getPresence", "listBlocks", "blockUser", "unblockUser",
	"createApiKey", "listApiKeys", "revokeApiKey", "adminCreateUser", "adminCreateConversation", "adminSendMessage",
	"adminExportEvents", "adminDeactivateUser", "adminReactivateUser",
	"createConversation", "listConversations", "getConversation", "updateConversation", "listChannels",
	"joinConversation", "leaveConversation",
	"listMembers", "addMembers", "removeMember", "updateMember",
	"listMessages", "sendMessage", "editMessage", "deleteMessage", "listEvents", "markRead",
	"addReaction", "removeReaction", "pinMessage", "unpinMessage", "listPins", "setNotifications", "listMentions",
	"uploadAttachment", "getAttachment", "downloadAttachment", "getAttachmentThumbnail",
	"getThread", "listThreadMessages", "followThread", "unfollowThread", "markThreadRead", "listThreads",
	"searchMessages",
	"healthz", "readyz",
}

func TestSpec(t *testing.T) {
	t.Parallel()
	committed := committedSpec(t)

	t.Run("GET /openapi.yaml serves the committed spec byte for byte", func(t *testing.T) {
		s := startServer(t)
		r, err := s.raw(t, http.MethodGet, "/openapi.yaml", "", nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, string(committed), string(r.body))

		r, err = s.raw(t, http.MethodGet, "/openapi.json", "", nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status)
		var fromJSON, fromYAML any
		require.NoError(t, json.Unmarshal(r.body, &fromJSON))
		require.NoError(t, yaml.Unmarshal(committed, &fromYAML))
		assert.Equal(t, normalize(t, fromYAML), normalize(t, fromJSON), "/openapi.json is the same document")

		r, err = s.raw(t, http.MethodGet, "/docs", "", nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, r.status)
	})

	t.Run("scalechat openapi prints the committed spec", func(t *testing.T) {
		code, stdout, stderr := run(t, "openapi")
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, string(committed), stdout)
	})

	t.Run("every operation in the spec is covered", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string `yaml:"operationId"`
			} `yaml:"paths"`
		}
		require.NoError(t, yaml.Unmarshal(committed, &doc))
		var ops []string
		for _, item := range doc.Paths {
			for _, op := range item {
				ops = append(ops, op.OperationID)
			}
		}
		slices.Sort(ops)
		want := slices.Clone(coveredOperations)
		slices.Sort(want)
		assert.Equal(t, want, ops, "an operation was added to or removed from the spec: cover it in test/e2e")
	})

	t.Run("scalechat version exits 0", func(t *testing.T) {
		code, stdout, stderr := run(t, "version")
		require.Equal(t, 0, code, stderr)
		assert.True(t, strings.HasPrefix(stdout, "scalechat "), "version output: %q", stdout)
	})

	t.Run("scalechat migrate creates the database and exits 0", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "fresh")
		code, _, stderr := run(t, "migrate", "--data-dir", dir)
		require.Equal(t, 0, code, stderr)
		st, err := os.Stat(filepath.Join(dir, "scalechat.db"))
		require.NoError(t, err)
		assert.Positive(t, st.Size())
		code, _, stderr = run(t, "migrate", "--data-dir", dir)
		assert.Equal(t, 0, code, "migrating twice is harmless: %s", stderr)
	})

	t.Run("scalechat serve --role nope fails clearly", func(t *testing.T) {
		code, _, stderr := run(t, "serve", "--role", "nope", "--addr", harness.FreeAddr(t), "--data-dir", t.TempDir())
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, `--role "nope"`)
		assert.Contains(t, stderr, "standalone")
	})

	t.Run("bad command lines exit non-zero", func(t *testing.T) {
		code, _, stderr := run(t, "frobnicate")
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, `unknown command "frobnicate"`)
		code, _, _ = run(t)
		assert.NotEqual(t, 0, code)
		code, _, stderr = run(t, "serve", "--no-such-flag")
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, "no-such-flag")
	})
}

// normalize round-trips a decoded document through JSON so that YAML and JSON decodings compare equal.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
