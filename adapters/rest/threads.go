package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// Thread is a thread as the caller sees it.
type Thread struct {
	Root      schema.Message `json:"root" doc:"The thread's first message, with its reply info."`
	Following bool           `json:"following" doc:"Whether the caller follows the thread (replying follows it; so does having one's message replied to, unless unfollowed)."`
	ReadSeq   int64          `json:"readSeq" doc:"The caller's read position in the thread (a conversation seq)."`
	Unread    int64          `json:"unread" doc:"Replies after readSeq by others, not deleted (in GET /v1/threads)."`
}

// ThreadList is a page of the threads the caller follows.
type ThreadList struct {
	Items         []Thread `json:"items" nullable:"false" doc:"Followed threads of the caller's conversations, most recent reply first."`
	Next          string   `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
	UnreadThreads int      `json:"unreadThreads" doc:"How many of the caller's followed threads (all pages) have unread replies."`
}

// ThreadState is the caller's state in a thread.
type ThreadState struct {
	Following bool  `json:"following" doc:"Whether the caller follows the thread."`
	ReadSeq   int64 `json:"readSeq" doc:"The caller's read position in the thread."`
}

// ThreadParams are the path parameters naming a thread.
type ThreadParams struct {
	ConversationParams
	RootID string `path:"rootId" doc:"Id of the thread's first (top-level) message."`
}

type threadMessagesInput struct {
	ThreadParams
	Before int64       `query:"before" minimum:"0" doc:"Return the replies right before this seq (exclusive). Without before and after: the latest replies."`
	After  optionalSeq `query:"after" minimum:"0" doc:"Return the replies right after this seq (exclusive; 0: from the first). Not together with before."`
	Limit  int         `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

type threadReadInput struct {
	ThreadParams
	Body MarkReadRequest
}

type listThreadsInput struct {
	PageParams
}

func registerThreads(r registrar, s *server) {
	const path = "/v1/conversations/{conversationId}/threads/{rootId}"
	huma.Register(r.api, r.secured("getThread", http.MethodGet, path, tagMessages, "Get a thread",
		"The thread's first message with its reply info, and the caller's state in it (members only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.getThread)
	huma.Register(r.api, r.secured("listThreadMessages", http.MethodGet, path+"/messages", tagMessages, "Read a thread",
		"Returns a page of the thread's replies in ascending seq order, paged like the conversation's history "+
			"(members only).", http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.listThreadMessages)
	huma.Register(r.api, r.secured("followThread", http.MethodPut, path+"/follow", tagMessages, "Follow a thread",
		"Follows the thread: it is listed in GET /v1/threads with its unread replies.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests), s.followThread)
	huma.Register(r.api, r.secured("unfollowThread", http.MethodDelete, path+"/follow", tagMessages, "Unfollow a thread",
		"Stops following the thread until the caller replies in it or follows it again.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests), s.unfollowThread)
	huma.Register(r.api, r.secured("markThreadRead", http.MethodPost, path+"/read", tagMessages, "Mark a thread as read",
		"Raises the caller's read position in the thread (a conversation seq, at most its lastSeq; never backwards).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests), s.markThreadRead)
	huma.Register(r.api, r.secured("listThreads", http.MethodGet, "/v1/threads", tagMessages, "My threads",
		"The threads the caller follows in the caller's conversations, most recent reply first, with unread counts.",
		http.StatusOK), s.listThreads)
}

func threadOf(ts core.ThreadSummary) Thread {
	root := ts.Root
	if ts.Info.ReplyCount > 0 {
		info := ts.Info
		root.Thread = &info
	}
	return Thread{Root: schema.MessageOf(root), Following: ts.Following, ReadSeq: ts.ReadSeq, Unread: ts.Unread}
}

func (s *server) getThread(ctx context.Context, in *ThreadParams) (*body[Thread], error) {
	v, err := s.svc.Thread(ctx, caller(ctx).user.ID, in.ConversationID, in.RootID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Thread]{Body: Thread{Root: schema.MessageOf(v.Root), Following: v.State.Following, ReadSeq: v.State.ReadSeq}}, nil
}

func (s *server) listThreadMessages(ctx context.Context, in *threadMessagesInput) (*body[MessageList], error) {
	msgs, more, err := s.svc.ThreadMessages(ctx, caller(ctx).user.ID, in.ConversationID, in.RootID,
		core.HistoryQuery{Before: in.Before, After: in.After.Value, Forward: in.After.IsSet, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[MessageList]{Body: messagePage(msgs, more, in.After.IsSet)}, nil
}

func (s *server) followThread(ctx context.Context, in *ThreadParams) (*body[ThreadState], error) {
	return s.setFollowing(ctx, in, true)
}

func (s *server) unfollowThread(ctx context.Context, in *ThreadParams) (*body[ThreadState], error) {
	return s.setFollowing(ctx, in, false)
}

func (s *server) setFollowing(ctx context.Context, in *ThreadParams, follow bool) (*body[ThreadState], error) {
	st, err := s.svc.FollowThread(ctx, caller(ctx).user.ID, in.ConversationID, in.RootID, follow)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ThreadState]{Body: ThreadState{Following: st.Following, ReadSeq: st.ReadSeq}}, nil
}

func (s *server) markThreadRead(ctx context.Context, in *threadReadInput) (*body[ReadState], error) {
	seq, err := s.svc.MarkThreadRead(ctx, caller(ctx).user.ID, in.ConversationID, in.RootID, in.Body.Seq)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ReadState]{Body: ReadState{ReadSeq: seq}}, nil
}

func (s *server) listThreads(ctx context.Context, in *listThreadsInput) (*body[ThreadList], error) {
	p, err := s.svc.Threads(ctx, caller(ctx).user.ID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	unread, err := s.svc.UnreadThreads(ctx, caller(ctx).user.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ThreadList]{Body: ThreadList{Items: mapItems(p.Items, threadOf), Next: p.Next, UnreadThreads: unread}}, nil
}
