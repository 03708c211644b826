package rest_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// publicOps are the operations callable without a token; every other one declares bearer security.
var publicOps = map[string]bool{"registerUser": true, "createSession": true, "healthz": true, "readyz": true}

var wantOps = []string{
	"registerUser", "createSession", "deleteCurrentSession", "deleteAllSessions", "changePassword", "getMe", "searchUsers", "getUser",
	"listBlocks", "blockUser", "unblockUser",
	"createApiKey", "listApiKeys", "revokeApiKey", "adminCreateUser", "adminCreateConversation", "adminSendMessage",
	"adminExportEvents", "adminDeactivateUser", "adminReactivateUser",
	"adminUpdateUser", "adminAddMembers", "adminUpdateMember", "adminRemoveMember", "listReports", "closeReport", "listAuditLog",
	"banUser", "listBans", "unbanUser", "muteMember", "unmuteMember", "setSlowMode", "reportMessage",
	"createWebhook", "listWebhooks", "deleteWebhook", "listWebhookDeliveries", "redeliverWebhook",
	"uploadAttachment", "getAttachment", "downloadAttachment", "getAttachmentThumbnail",
	"createConversation", "listConversations", "getConversation", "updateConversation", "listChannels",
	"joinConversation", "leaveConversation", "listMembers", "addMembers", "removeMember", "updateMember",
	"listMessages", "sendMessage", "editMessage", "deleteMessage", "listEvents", "markRead",
	"addReaction", "removeReaction", "pinMessage", "unpinMessage", "listPins", "setNotifications", "listMentions",
	"getThread", "listThreadMessages", "followThread", "unfollowThread", "markThreadRead", "listThreads", "searchMessages", "getPresence", "healthz", "readyz",
}

type specDoc struct {
	OpenAPI    string                       `yaml:"openapi"`
	Paths      map[string]map[string]specOp `yaml:"paths"`
	Components struct {
		Schemas         map[string]map[string]any `yaml:"schemas"`
		SecuritySchemes map[string]map[string]any `yaml:"securitySchemes"`
	} `yaml:"components"`
}

type specOp struct {
	OperationID string                `yaml:"operationId"`
	Tags        []string              `yaml:"tags"`
	Summary     string                `yaml:"summary"`
	Security    []map[string][]string `yaml:"security"`
	RequestBody any                   `yaml:"requestBody"`
	Responses   map[string]struct {
		Content map[string]any `yaml:"content"`
	} `yaml:"responses"`
}

func parseSpec(t *testing.T, data []byte) specDoc {
	t.Helper()
	var doc specDoc
	require.NoError(t, yaml.Unmarshal(data, &doc))
	return doc
}

func TestSpec(t *testing.T) {
	t.Parallel()
	data, err := rest.Spec()
	require.NoError(t, err)
	doc := parseSpec(t, data)
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	bearer := doc.Components.SecuritySchemes["bearer"]
	assert.Equal(t, "http", bearer["type"])
	assert.Equal(t, "bearer", bearer["scheme"])
	assert.Equal(t, "opaque or JWT", bearer["bearerFormat"])
	assert.Contains(t, bearer["description"], "A session token from createSession, or a JSON Web Token")

	var got []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			name := method + " " + path
			got = append(got, op.OperationID)
			assert.Len(t, op.Tags, 1, name)
			assert.NotEmpty(t, op.Summary, name)
			if publicOps[op.OperationID] {
				assert.Empty(t, op.Security, name)
				if op.OperationID != "createSession" { // which answers 401 for a wrong password
					assert.NotContains(t, op.Responses, "401", name)
				}
			} else {
				assert.Equal(t, []map[string][]string{{"bearer": {}}}, op.Security, name)
				assert.Contains(t, op.Responses, "401", name)
			}
			assert.NotContains(t, op.Responses, "422", name+": validation errors are documented as 400")
			assert.Contains(t, op.Responses, "500", name)
			if op.RequestBody != nil {
				assert.Contains(t, op.Responses, "400", name)
				assert.Contains(t, op.Responses, "413", name)
			}
			for status, res := range op.Responses {
				if status >= "400" && !(op.OperationID == "readyz" && status == "503") {
					assert.Equal(t, []string{"application/problem+json"}, slices.Collect(maps.Keys(res.Content)), name+" "+status)
				}
			}
		}
	}
	assert.ElementsMatch(t, wantOps, got)

	for _, name := range []string{"User", "Session", "Conversation", "Member", "Message", "Event", "EventData",
		"UserList", "ConversationList", "ChannelList", "MemberList", "MessageList", "EventList", "Problem", "ReadState"} {
		assert.Contains(t, doc.Components.Schemas, name)
	}
}

func TestSpecProblemCodesAreTheCoreCodes(t *testing.T) {
	t.Parallel()
	data, err := rest.Spec()
	require.NoError(t, err)
	doc := parseSpec(t, data)
	props := doc.Components.Schemas["Problem"]["properties"].(map[string]any)
	var want []any
	for _, c := range core.Codes {
		want = append(want, string(c))
	}
	assert.ElementsMatch(t, want, props["code"].(map[string]any)["enum"])
}

func TestSpecStatusVariants(t *testing.T) {
	t.Parallel()
	data, err := rest.Spec()
	require.NoError(t, err)
	doc := parseSpec(t, data)
	send := doc.Paths["/v1/conversations/{conversationId}/messages"]["post"]
	assert.Subset(t, slices.Collect(maps.Keys(send.Responses)), []string{"200", "201", "202", "429", "503"})
	create := doc.Paths["/v1/conversations"]["post"]
	assert.Subset(t, slices.Collect(maps.Keys(create.Responses)), []string{"200", "201"})
}

func TestSpecIsStableAndServed(t *testing.T) {
	t.Parallel()
	first, err := rest.Spec()
	require.NoError(t, err)
	second, err := rest.Spec()
	require.NoError(t, err)
	require.Equal(t, string(first), string(second))

	e := newEnv(t, envOptions{})
	r := e.do("GET", "/openapi.yaml", "", nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, string(first), string(r.body), "served spec and Spec() must be byte-identical")

	r = e.do("GET", "/openapi.json", "", nil)
	require.Equal(t, 200, r.status)
	var js map[string]any
	require.NoError(t, json.Unmarshal(r.body, &js))
	assert.Equal(t, "3.1.0", js["openapi"])

	v30, err := rest.Spec30()
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(v30), "openapi: 3.0."), "3.0 document")
	r = e.do("GET", "/openapi-3.0.yaml", "", nil)
	assert.Equal(t, string(v30), string(r.body))

	r = e.do("GET", "/docs", "", nil)
	require.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), "/openapi.yaml")
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ready, err := telemetry.NewChecker(nil, 0, nil)
	require.NoError(t, err)
	metrics, err := rest.NewMetrics(telemetry.NewRegistry())
	require.NoError(t, err)
	_, err = rest.New(rest.Config{MaxBodyBytes: 10}, e.svc, ready, metrics)
	assert.Error(t, err)
	_, err = rest.New(rest.Config{}, nil, ready, metrics)
	assert.Error(t, err)
	_, err = rest.New(rest.Config{}, e.svc, nil, metrics)
	assert.Error(t, err)
	_, err = rest.New(rest.Config{}, e.svc, ready, nil)
	assert.Error(t, err)
	_, err = rest.New(rest.Config{}, e.svc, ready, metrics)
	assert.NoError(t, err)
	_, err = telemetry.NewChecker(map[string]ports.Pinger{"db": nil}, 0, nil)
	assert.Error(t, err)
	_, err = telemetry.NewChecker(nil, -1, nil)
	assert.Error(t, err)
}
