package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/core"
)

// Block is a user the caller blocks.
type Block struct {
	UserID    string    `json:"userId" doc:"The blocked user."`
	CreatedAt time.Time `json:"createdAt" doc:"When the block was made (RFC 3339, UTC)."`
}

// BlockList is a page of the caller's blocks.
type BlockList struct {
	Items []Block `json:"items" nullable:"false" doc:"Blocked users, ordered by user id."`
	Next  string  `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

type listBlocksInput struct {
	PageParams
}

func registerBlocks(r registrar, s *server) {
	huma.Register(r.api, r.secured("listBlocks", http.MethodGet, "/v1/blocks", tagUsers, "List my blocks",
		"Lists the users the caller blocks.", http.StatusOK), s.listBlocks)
	huma.Register(r.api, r.secured("blockUser", http.MethodPut, "/v1/blocks/{userId}", tagUsers, "Block a user",
		"A blocked user cannot add the caller to a conversation, start a direct conversation with the caller or see "+
			"the caller's presence. Blocking twice is harmless.", http.StatusNoContent, http.StatusNotFound), s.blockUser)
	huma.Register(r.api, r.secured("unblockUser", http.MethodDelete, "/v1/blocks/{userId}", tagUsers, "Unblock a user",
		"Lifts a block; lifting one that does not exist is harmless.", http.StatusNoContent), s.unblockUser)
}

func (s *server) listBlocks(ctx context.Context, in *listBlocksInput) (*body[BlockList], error) {
	p, err := s.svc.Blocks(ctx, caller(ctx).user.ID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[BlockList]{Body: BlockList{Items: mapItems(p.Items, func(b core.Block) Block {
		return Block{UserID: b.BlockedID, CreatedAt: b.CreatedAt.UTC()}
	}), Next: p.Next}}, nil
}

func (s *server) blockUser(ctx context.Context, in *userPath) (*struct{}, error) {
	if err := s.svc.Block(ctx, caller(ctx).user.ID, in.UserID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) unblockUser(ctx context.Context, in *userPath) (*struct{}, error) {
	if err := s.svc.Unblock(ctx, caller(ctx).user.ID, in.UserID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}
