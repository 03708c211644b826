package rest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core/chat"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.do("POST", "/v1/users", "", map[string]string{"username": "Alice", "password": "password-alice", "displayName": "Alice L."})
	u := decode[schema.User](t, r, 201)
	assert.Equal(t, "alice", u.Username)
	assert.Equal(t, "Alice L.", u.DisplayName)
	assert.Equal(t, time.UTC, u.CreatedAt.Location())
	bob := e.signUp("bob")
	e.signUp("bobby")

	got := decode[schema.User](t, e.do("GET", "/v1/users/"+u.ID, bob.token, nil), 200)
	assert.Equal(t, u, got)

	page := decode[rest.UserList](t, e.do("GET", "/v1/users?q=bob&limit=1", bob.token, nil), 200)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "bob", page.Items[0].Username)
	require.NotEmpty(t, page.Next)
	page = decode[rest.UserList](t, e.do("GET", "/v1/users?q=bob&limit=1&cursor="+page.Next, bob.token, nil), 200)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "bobby", page.Items[0].Username)

	r = e.do("GET", "/v1/users?q=zzz", bob.token, nil)
	assert.JSONEq(t, `{"items": []}`, string(r.body), "empty lists are [] and next is absent")
}

func TestConversationsAndMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice, bob, carol := e.signUp("alice"), e.signUp("bob"), e.signUp("carol")

	// A direct conversation is created once; asking again answers 200 with the same one.
	direct := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "direct", "memberIds": []string{bob.id}}), 201)
	assert.Equal(t, "direct", direct.Kind)
	assert.Equal(t, "bob", direct.Title, "named after the other member")
	again := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", bob.token,
		map[string]any{"kind": "direct", "memberIds": []string{alice.id}}), 200)
	assert.Equal(t, direct.ID, again.ID)

	// A channel: visible to non-members, joinable.
	ch := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "channel", "title": "general", "topic": "anything"}), 201)
	assert.Equal(t, "owner", ch.Role)
	seen := decode[schema.Conversation](t, e.do("GET", "/v1/conversations/"+ch.ID, carol.token, nil), 200)
	assert.Empty(t, seen.Role)
	channels := decode[rest.ChannelList](t, e.do("GET", "/v1/channels?q=gen", carol.token, nil), 200)
	require.Len(t, channels.Items, 1)
	assert.Equal(t, ch.ID, channels.Items[0].ID)
	joined := decode[schema.Conversation](t, e.do("POST", "/v1/conversations/"+ch.ID+"/join", carol.token, nil), 200)
	assert.Equal(t, "member", joined.Role)

	// Update (owner only), members, roles.
	requireProblem(t, e.do("PATCH", "/v1/conversations/"+ch.ID, carol.token, map[string]string{"title": "mine"}), 403, "permission_denied")
	upd := decode[schema.Conversation](t, e.do("PATCH", "/v1/conversations/"+ch.ID, alice.token, map[string]string{"title": "lobby"}), 200)
	assert.Equal(t, "lobby", upd.Title)
	assert.Equal(t, "anything", upd.Topic)

	added := decode[rest.MemberList](t, e.do("POST", "/v1/conversations/"+ch.ID+"/members", alice.token,
		map[string]any{"userIds": []string{bob.id, carol.id}}), 200)
	require.Len(t, added.Items, 1, "carol is a member already")
	assert.Equal(t, bob.id, added.Items[0].UserID)
	members := decode[rest.MemberList](t, e.do("GET", "/v1/conversations/"+ch.ID+"/members", bob.token, nil), 200)
	assert.Len(t, members.Items, 3)

	m := decode[schema.Member](t, e.do("PATCH", "/v1/conversations/"+ch.ID+"/members/"+bob.id, alice.token,
		map[string]string{"role": "owner"}), 200)
	assert.Equal(t, "owner", m.Role)
	assert.Equal(t, ch.ID, m.ConversationID)
	assert.Equal(t, 204, e.do("DELETE", "/v1/conversations/"+ch.ID+"/members/"+carol.id, bob.token, nil).status)
	assert.Equal(t, 204, e.do("POST", "/v1/conversations/"+ch.ID+"/leave", alice.token, nil).status)
	members = decode[rest.MemberList](t, e.do("GET", "/v1/conversations/"+ch.ID+"/members", bob.token, nil), 200)
	require.Len(t, members.Items, 1)
	assert.Equal(t, bob.id, members.Items[0].UserID)

	// The channel's events tell the story, with typed data.
	events := decode[rest.EventList](t, e.do("GET", "/v1/conversations/"+ch.ID+"/events?limit=2", bob.token, nil), 200)
	require.Len(t, events.Items, 2)
	assert.Equal(t, "member.joined", events.Items[0].Type)
	require.NotNil(t, events.Items[0].Data.Member)
	assert.Equal(t, carol.id, events.Items[0].Data.Member.UserID)
	assert.Equal(t, "conversation.updated", events.Items[1].Type)
	require.NotNil(t, events.Items[1].Data.Conversation)
	assert.Equal(t, "lobby", events.Items[1].Data.Conversation.Title)
	assert.Equal(t, "2", events.Next)
	rest2 := decode[rest.EventList](t, e.do("GET", "/v1/conversations/"+ch.ID+"/events?after="+events.Next, bob.token, nil), 200)
	assert.Empty(t, rest2.Next)
	var types []string
	for _, ev := range rest2.Items {
		types = append(types, ev.Type)
	}
	assert.Equal(t, []string{"member.joined", "member.updated", "member.left", "member.left"}, types)

	list := decode[rest.ConversationList](t, e.do("GET", "/v1/conversations", alice.token, nil), 200)
	require.Len(t, list.Items, 1, "alice left the channel")
	assert.Equal(t, direct.ID, list.Items[0].ID)
}

func TestMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice, bob := e.signUp("alice"), e.signUp("bob")
	conv := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "g", "memberIds": []string{bob.id}}), 201)
	base := "/v1/conversations/" + conv.ID

	first := decode[schema.Message](t, e.do("POST", base+"/messages", alice.token,
		map[string]string{"clientMsgId": "c-1", "body": "hello"}), 201)
	assert.Equal(t, int64(1), first.Seq)
	assert.Equal(t, "c-1", first.ClientMsgID)
	assert.Equal(t, alice.id, first.SenderID)
	retry := decode[schema.Message](t, e.do("POST", base+"/messages", alice.token,
		map[string]string{"clientMsgId": "c-1", "body": "hello"}), 200)
	assert.Equal(t, first, retry)
	for i := 2; i <= 5; i++ {
		m := decode[schema.Message](t, e.do("POST", base+"/messages", bob.token,
			map[string]string{"body": fmt.Sprintf("msg %d", i), "replyTo": first.ID}), 201)
		assert.Equal(t, int64(i), m.Seq)
		assert.Equal(t, first.ID, m.ReplyTo)
	}

	// Paging backwards from the latest, then forwards.
	page := decode[rest.MessageList](t, e.do("GET", base+"/messages?limit=2", alice.token, nil), 200)
	assert.Equal(t, []int64{4, 5}, seqs(page.Items))
	assert.Equal(t, "4", page.Next)
	page = decode[rest.MessageList](t, e.do("GET", base+"/messages?limit=2&before="+page.Next, alice.token, nil), 200)
	assert.Equal(t, []int64{2, 3}, seqs(page.Items))
	page = decode[rest.MessageList](t, e.do("GET", base+"/messages?limit=2&before="+page.Next, alice.token, nil), 200)
	assert.Equal(t, []int64{1}, seqs(page.Items))
	assert.Empty(t, page.Next)
	page = decode[rest.MessageList](t, e.do("GET", base+"/messages?limit=3&after=1", alice.token, nil), 200)
	assert.Equal(t, []int64{2, 3, 4}, seqs(page.Items))
	assert.Equal(t, "4", page.Next)
	page = decode[rest.MessageList](t, e.do("GET", base+"/messages?limit=3&after="+page.Next, alice.token, nil), 200)
	assert.Equal(t, []int64{5}, seqs(page.Items))
	assert.Empty(t, page.Next)

	// Edit, delete.
	requireProblem(t, e.do("PATCH", base+"/messages/"+first.ID, bob.token, map[string]string{"body": "mine"}), 403, "permission_denied")
	edited := decode[schema.Message](t, e.do("PATCH", base+"/messages/"+first.ID, alice.token, map[string]string{"body": "hello!"}), 200)
	assert.Equal(t, "hello!", edited.Body)
	require.NotNil(t, edited.EditedAt)
	gone := decode[schema.Message](t, e.do("DELETE", base+"/messages/"+first.ID, alice.token, nil), 200)
	require.NotNil(t, gone.DeletedAt)
	assert.Empty(t, gone.Body)
	requireProblem(t, e.do("PATCH", base+"/messages/"+first.ID, alice.token, map[string]string{"body": "back"}), 409, "conflict")
	requireProblem(t, e.do("DELETE", base+"/messages/nope", alice.token, nil), 404, "not_found")

	events := decode[rest.EventList](t, e.do("GET", base+"/events?after=5", bob.token, nil), 200)
	require.Len(t, events.Items, 2)
	assert.Equal(t, "message.edited", events.Items[0].Type)
	assert.Equal(t, "message.deleted", events.Items[1].Type)
	require.NotNil(t, events.Items[1].Data.Message)
	assert.Equal(t, first.ID, events.Items[1].Data.Message.ID)
	assert.Equal(t, alice.id, events.Items[1].ActorID)

	// Read positions and unread counts.
	list := decode[rest.ConversationList](t, e.do("GET", "/v1/conversations", alice.token, nil), 200)
	require.Len(t, list.Items, 1)
	assert.Equal(t, int64(4), list.Items[0].Unread)
	assert.Equal(t, int64(7), list.Items[0].LastSeq)
	require.NotNil(t, list.Items[0].LastMessage)
	read := decode[rest.ReadState](t, e.do("POST", base+"/read", alice.token, map[string]int64{"seq": 5}), 200)
	assert.Equal(t, int64(5), read.ReadSeq)
	read = decode[rest.ReadState](t, e.do("POST", base+"/read", alice.token, map[string]int64{"seq": 2}), 200)
	assert.Equal(t, int64(5), read.ReadSeq, "read positions never move backwards")
	requireProblem(t, e.do("POST", base+"/read", alice.token, map[string]int64{"seq": 99}), 400, "invalid_argument")
	got := decode[schema.Conversation](t, e.do("GET", base, alice.token, nil), 200)
	assert.Equal(t, int64(5), got.ReadSeq)
	assert.Equal(t, int64(0), got.Unread)
}

func TestSendAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noSequencer: true, chat: chat.Config{AckTimeout: 20 * time.Millisecond, AcceptOnTimeout: true}})
	alice := e.signUp("alice")
	conv := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "g"}), 201)
	m := decode[schema.Message](t, e.do("POST", "/v1/conversations/"+conv.ID+"/messages", alice.token,
		map[string]string{"clientMsgId": "k", "body": "later"}), 202)
	assert.NotEmpty(t, m.ID)
	assert.Equal(t, "k", m.ClientMsgID)
	assert.Zero(t, m.Seq)
}

func seqs(ms []schema.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}
