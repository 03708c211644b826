package core

import "time"

// ThreadInfo is what a thread's root shows of its replies (deleted replies left out).
type ThreadInfo struct {
	ReplyCount   int
	LastReplyAt  time.Time
	Participants []string // ids of those who replied, ascending
}

// ThreadSummary is a thread as one follower sees it.
type ThreadSummary struct {
	Root      Message
	Info      ThreadInfo
	Following bool
	ReadSeq   int64 // the follower's read position in the thread (a conversation seq)
	Unread    int64 // replies after ReadSeq by others, not deleted
}

// ThreadState is one user's relation to one thread.
type ThreadState struct {
	Following bool
	ReadSeq   int64
}
