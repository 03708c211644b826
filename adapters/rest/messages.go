package rest

import (
	"context"
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// SendMessageRequest is a message to send.
type SendMessageRequest struct {
	ClientMsgID   string   `json:"clientMsgId,omitempty" maxLength:"64" pattern:"^[A-Za-z0-9_.:-]+$" example:"web-1718000000000-1" doc:"Idempotency key chosen by the client: a retry with the same key returns the original message. Generated (no idempotency) when absent."`
	Body          string   `json:"body" minLength:"1" maxLength:"4000" doc:"Text, 1 to 4000 characters, not only white space."`
	ReplyTo       string   `json:"replyTo,omitempty" doc:"Id of a message of the same conversation this one replies to."`
	ThreadRootID  string   `json:"threadRootId,omitempty" doc:"Reply in the thread of this top-level message of the conversation; the sender follows the thread."`
	AttachmentIDs []string `json:"attachmentIds,omitempty" maxItems:"10" doc:"Ids of the caller's uploads to this conversation (POST .../attachments) that the message carries; each may belong to one message only."`
}

// EditMessageRequest is a message's new text.
type EditMessageRequest struct {
	Body string `json:"body" minLength:"1" maxLength:"4000" doc:"New text, 1 to 4000 characters."`
}

// MarkReadRequest is a read position.
type MarkReadRequest struct {
	Seq int64 `json:"seq" minimum:"0" doc:"Seq read up to, at most the conversation's lastSeq. Read positions never move backwards."`
}

// ReadState is a member's read position.
type ReadState struct {
	ReadSeq int64 `json:"readSeq" doc:"The resulting read position."`
}

// MessageParams are the path parameters naming a message.
type MessageParams struct {
	ConversationParams
	MessageID string `path:"messageId" doc:"Message id."`
}

type listMessagesInput struct {
	ConversationParams
	Before int64       `query:"before" minimum:"0" doc:"Return the messages right before this seq (exclusive). Without before and after: the latest messages."`
	After  optionalSeq `query:"after" minimum:"0" doc:"Return the messages right after this seq (exclusive; 0: from the first message). Not together with before."`
	Limit  int         `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

type sendMessageInput struct {
	ConversationParams
	Body SendMessageRequest
}

type editMessageInput struct {
	MessageParams
	Body EditMessageRequest
}

type listEventsInput struct {
	ConversationParams
	After int64 `query:"after" minimum:"0" doc:"Return the events after this seq (exclusive); 0 from the start."`
	Limit int   `query:"limit" minimum:"1" maximum:"500" doc:"Page size (default 100)."`
}

type markReadInput struct {
	ConversationParams
	Body MarkReadRequest
}

func registerMessages(r registrar, s *server) {
	const path = "/v1/conversations/{conversationId}"
	huma.Register(r.api, r.secured("listMessages", http.MethodGet, path+"/messages", tagMessages, "Read history",
		"Returns a page of messages in ascending seq order, tombstones included (members only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.listMessages)
	send := r.secured("sendMessage", http.MethodPost, path+"/messages", tagMessages, "Send a message",
		"Sends a message once it is durable. 201: stored with its seq. 200: a retry of a clientMsgId already "+
			"stored; the original message. 202: durable but not yet sequenced; the message (seq 0) arrives as "+
			"an event.", http.StatusCreated, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests,
		http.StatusServiceUnavailable)
	also[schema.Message](r, &send, http.StatusOK, "A retry: the message stored earlier with this clientMsgId.")
	also[schema.Message](r, &send, http.StatusAccepted, "Accepted durably, seq pending: only seq is not filled in yet.")
	huma.Register(r.api, send, s.sendMessage)
	huma.Register(r.api, r.secured("editMessage", http.MethodPatch, path+"/messages/{messageId}", tagMessages,
		"Edit a message", "Replaces the text of one of the caller's messages.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.editMessage)
	huma.Register(r.api, r.secured("deleteMessage", http.MethodDelete, path+"/messages/{messageId}", tagMessages,
		"Delete a message",
		"Turns a message into a tombstone and returns it: the caller's own, or anyone's for admins and owners. "+
			"Deleting twice is harmless.", http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.deleteMessage)
	huma.Register(r.api, r.secured("listEvents", http.MethodGet, path+"/events", tagMessages, "Read events",
		"Returns the conversation's events after a seq, dense and in order, to resume after a disconnect (members only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.listEvents)
	huma.Register(r.api, r.secured("markRead", http.MethodPost, path+"/read", tagMessages, "Mark as read",
		"Raises the caller's read position and tells the other members.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.markRead)
}

func (s *server) listMessages(ctx context.Context, in *listMessagesInput) (*body[MessageList], error) {
	msgs, more, err := s.svc.History(ctx, caller(ctx).user.ID, in.ConversationID,
		core.HistoryQuery{Before: in.Before, After: in.After.Value, Forward: in.After.IsSet, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[MessageList]{Body: messagePage(msgs, more, in.After.IsSet)}, nil
}

// messagePage is a page of history (of a conversation or a thread): next is the seq to pass back as before when
// paging backwards, or as after when paging forwards.
func messagePage(msgs []core.Message, more, forward bool) MessageList {
	list := MessageList{Items: mapItems(msgs, schema.MessageOf)}
	if more && len(msgs) > 0 {
		next := msgs[0].Seq
		if forward {
			next = msgs[len(msgs)-1].Seq
		}
		list.Next = strconv.FormatInt(next, 10)
	}
	return list
}

func (s *server) sendMessage(ctx context.Context, in *sendMessageInput) (*withStatus[schema.Message], error) {
	sent, err := s.svc.Send(ctx, caller(ctx).user.ID, sendInput(in.ConversationID, in.Body))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.sent(sent), nil
}

// sendInput is the send of body to a conversation.
func sendInput(conversationID string, body SendMessageRequest) chat.SendInput {
	return chat.SendInput{ConversationID: conversationID, ClientMsgID: body.ClientMsgID, Body: body.Body,
		ReplyTo: body.ReplyTo, ThreadRootID: body.ThreadRootID, AttachmentIDs: body.AttachmentIDs}
}

// sent is the answer to a send: 201 stored, 200 a retry of a stored one, 202 durable but not sequenced yet.
func (s *server) sent(sent chat.Sent) *withStatus[schema.Message] {
	status := http.StatusCreated
	switch {
	case sent.Duplicate:
		status = http.StatusOK
	case sent.Accepted:
		status = http.StatusAccepted
	}
	if !sent.Duplicate {
		s.metrics.messageSent()
	}
	return &withStatus[schema.Message]{Status: status, Body: schema.MessageOf(sent.Message)}
}

func (s *server) editMessage(ctx context.Context, in *editMessageInput) (*body[schema.Message], error) {
	m, err := s.svc.Edit(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID, in.Body.Body)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Message]{Body: schema.MessageOf(m)}, nil
}

func (s *server) deleteMessage(ctx context.Context, in *MessageParams) (*body[schema.Message], error) {
	m, err := s.svc.Delete(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Message]{Body: schema.MessageOf(m)}, nil
}

func (s *server) listEvents(ctx context.Context, in *listEventsInput) (*body[EventList], error) {
	events, more, err := s.svc.Events(ctx, caller(ctx).user.ID, in.ConversationID, in.After, in.Limit)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[EventList]{Body: eventPage(events, more)}, nil
}

// eventPage is a page of events: next is the seq to pass back as after, while more exist.
func eventPage(events []core.Event, more bool) EventList {
	list := EventList{Items: mapItems(events, schema.EventOf)}
	if more && len(events) > 0 {
		list.Next = strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	return list
}

func (s *server) markRead(ctx context.Context, in *markReadInput) (*body[ReadState], error) {
	seq, err := s.svc.MarkRead(ctx, caller(ctx).user.ID, in.ConversationID, in.Body.Seq)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ReadState]{Body: ReadState{ReadSeq: seq}}, nil
}

// optionalSeq is a seq query parameter that tells "absent" from 0 (after=0 pages forward from the start).
type optionalSeq struct {
	Value int64
	IsSet bool
}

// Schema documents the parameter as the integer it holds.
func (o optionalSeq) Schema(r huma.Registry) *huma.Schema {
	return huma.SchemaFromType(r, reflect.TypeFor[int64]())
}

// Receiver is where Huma parses the parameter.
func (o *optionalSeq) Receiver() reflect.Value { return reflect.ValueOf(o).Elem().Field(0) }

// OnParamSet records whether the request carried the parameter.
func (o *optionalSeq) OnParamSet(isSet bool, _ any) { o.IsSet = isSet }
