package porttest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

func stNormAttachment(a core.Attachment) core.Attachment {
	a.CreatedAt = stMS(a.CreatedAt)
	return a
}

func stNormAttachments(as []core.Attachment) []core.Attachment {
	out := make([]core.Attachment, len(as))
	for i, a := range as {
		out[i] = stNormAttachment(a)
	}
	return out
}

// TestAttachmentStore checks the ports.AttachmentStore contract. newStore must return empty stores.
func TestAttachmentStore(t *testing.T, newStore func(t *testing.T) Stores) {
	create := func(f stFixture, id, conv, uploader string, i int) core.Attachment {
		f.t.Helper()
		a := core.Attachment{ID: id, ConversationID: conv, UploaderID: uploader, Name: "name of " + id + ".png",
			ContentType: "image/png", Size: int64(1000 + i), Width: 640 + i, Height: 480, Thumbnail: true,
			CreatedAt: stAt(i)}
		require.NoError(f.t, f.s.Attachments.CreateAttachment(f.ctx, a))
		return a
	}
	get := func(f stFixture, id string) core.Attachment {
		f.t.Helper()
		a, err := f.s.Attachments.Attachment(f.ctx, id)
		require.NoError(f.t, err)
		return stNormAttachment(a)
	}
	orphans := func(f stFixture, before int, limit int) []string {
		f.t.Helper()
		as, err := f.s.Attachments.OrphansBefore(f.ctx, stAt(before), limit)
		require.NoError(f.t, err)
		require.NotNil(f.t, as)
		ids := make([]string, len(as))
		for i, a := range as {
			ids[i] = a.ID
		}
		return ids
	}

	t.Run("create and read back exactly", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		a := create(f, "a1", "c1", "u1", 1)
		assert.Equal(t, stNormAttachment(a), get(f, "a1"))
		b := core.Attachment{ID: "a2", ConversationID: "c1", UploaderID: "u1", Name: "notes ünïcödé.txt",
			ContentType: "text/plain", Size: 1, CreatedAt: stAt(2)}
		require.NoError(t, f.s.Attachments.CreateAttachment(f.ctx, b))
		assert.Equal(t, stNormAttachment(b), get(f, "a2"), "no image: zero dimensions, no thumbnail")
		err := f.s.Attachments.CreateAttachment(f.ctx, core.Attachment{ID: "a1", ConversationID: "c2",
			UploaderID: "u2", Name: "x", ContentType: "text/plain", Size: 1, CreatedAt: stAt(3)})
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		assert.Equal(t, stNormAttachment(a), get(f, "a1"), "the first stays")
		_, err = f.s.Attachments.Attachment(f.ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("orphans before a time, oldest first, limited", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		for i, id := range []string{"a5", "a1", "a4", "a2", "a3"} {
			create(f, id, "c1", "u1", []int{5, 1, 4, 2, 3}[i])
		}
		create(f, "b3", "c2", "u2", 3) // same time as a3: ties go by id
		create(f, "linked", "c1", "u1", 0)
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"linked"}))

		assert.Equal(t, []string{"a1", "a2", "a3", "b3", "a4", "a5"}, orphans(f, 100, 100), "attached ones are no orphans")
		assert.Equal(t, []string{"a1", "a2", "a3", "b3"}, orphans(f, 4, 100), "strictly before")
		assert.Equal(t, []string{"a1", "a2"}, orphans(f, 100, 2))
		assert.Empty(t, orphans(f, 1, 10))
		as, err := f.s.Attachments.OrphansBefore(f.ctx, stAt(3), 10)
		require.NoError(t, err)
		assert.Equal(t, []core.Attachment{get(f, "a1"), get(f, "a2")}, stNormAttachments(as), "whole attachments")
	})

	t.Run("delete unattached, refuse attached", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		create(f, "a1", "c1", "u1", 1)
		linked := create(f, "a2", "c1", "u1", 2)
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a2"}))
		require.NoError(t, f.s.Attachments.DeleteAttachment(f.ctx, "a1"))
		_, err := f.s.Attachments.Attachment(f.ctx, "a1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		assert.NoError(t, f.s.Attachments.DeleteAttachment(f.ctx, "a1"), "deleting twice is not an error")
		assert.NoError(t, f.s.Attachments.DeleteAttachment(f.ctx, "never"), "deleting a missing one is not an error")
		assert.ErrorIs(t, f.s.Attachments.DeleteAttachment(f.ctx, "a2"), core.ErrConflict)
		linked.MessageID = "m1"
		assert.Equal(t, stNormAttachment(linked), get(f, "a2"), "an attached one stays")
		assert.Empty(t, orphans(f, 100, 10))
	})

	t.Run("attach to a message", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		a1 := create(f, "a1", "c1", "u1", 1)
		a2 := create(f, "a2", "c1", "u1", 2)
		a3 := create(f, "a3", "c1", "u1", 3)
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a2", "a1"}))
		a1.MessageID, a2.MessageID = "m1", "m1"
		assert.Equal(t, stNormAttachment(a1), get(f, "a1"))
		assert.Equal(t, stNormAttachment(a2), get(f, "a2"))
		assert.Equal(t, stNormAttachment(a3), get(f, "a3"), "not named: unattached")

		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a1", "a2"}),
			"linking again to the same message is harmless")
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a1", "a3"}),
			"a mix of linked (to this message) and unlinked")
		a3.MessageID = "m1"
		assert.Equal(t, stNormAttachment(a3), get(f, "a3"))
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m9", "c1", "u1", nil), "no ids: nothing to do")
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a1", "a1"}),
			"a repeated id")
	})

	t.Run("a bad id changes nothing and is named", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		create(f, "ok1", "c1", "u1", 1)
		create(f, "ok2", "c1", "u1", 2)
		create(f, "other-conv", "c2", "u1", 3)
		create(f, "other-user", "c1", "u2", 4)
		create(f, "taken", "c1", "u1", 5)
		require.NoError(t, f.s.Attachments.AttachToMessage(f.ctx, "m0", "c1", "u1", []string{"taken"}))
		for _, bad := range []string{"missing", "other-conv", "other-user", "taken"} {
			err := f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"ok1", bad, "ok2"})
			require.ErrorIs(t, err, core.ErrInvalidArgument, bad)
			e := core.AsError(err)
			assert.Contains(t, e.Message, bad, "the error names the offending id")
			assert.Equal(t, "attachmentIds", e.Field)
			assert.Equal(t, "", get(f, "ok1").MessageID, "%s: nothing changed", bad)
			assert.Equal(t, "", get(f, "ok2").MessageID, "%s: nothing changed", bad)
		}
		assert.Equal(t, "m0", get(f, "taken").MessageID)
		assert.Equal(t, "", get(f, "other-conv").MessageID)
		assert.Equal(t, "", get(f, "other-user").MessageID)
	})

	t.Run("racing links: one message wins", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		create(f, "a1", "c1", "u1", 1)
		create(f, "a2", "c1", "u1", 2)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids := []string{"a1", "a2"}
				if i%2 == 1 {
					ids = []string{"a2", "a1"}
				}
				errs[i] = f.s.Attachments.AttachToMessage(f.ctx, fmt.Sprintf("m%d", i), "c1", "u1", ids)
			}()
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			if err == nil {
				winners++
				assert.Equal(t, fmt.Sprintf("m%d", i), get(f, "a1").MessageID)
				assert.Equal(t, fmt.Sprintf("m%d", i), get(f, "a2").MessageID, "both go to the same message")
			} else {
				assert.ErrorIs(t, err, core.ErrInvalidArgument)
			}
		}
		assert.Equal(t, 1, winners)
	})

	t.Run("a sweep racing a link never deletes an attached one", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		create(f, "a1", "c1", "u1", 1)
		var wg sync.WaitGroup
		var linkErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			linkErr = f.s.Attachments.AttachToMessage(f.ctx, "m1", "c1", "u1", []string{"a1"})
		}()
		go func() { defer wg.Done(); delErr = f.s.Attachments.DeleteAttachment(f.ctx, "a1") }()
		wg.Wait()
		_, err := f.s.Attachments.Attachment(f.ctx, "a1")
		if linkErr == nil {
			require.NoError(t, err, "linked, so it must still be there")
			assert.ErrorIs(t, delErr, core.ErrConflict)
		} else {
			assert.ErrorIs(t, linkErr, core.ErrInvalidArgument)
			assert.NoError(t, delErr)
			assert.ErrorIs(t, err, core.ErrNotFound)
		}
	})
}
