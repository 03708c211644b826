package memory

import (
	"testing"

	"github.com/scalechat/scalechat/ports/porttest"
)

func TestStoreContract(t *testing.T) {
	porttest.TestStores(t, func(t *testing.T) porttest.Stores {
		s := NewStore()
		return porttest.Stores{Users: s, Sessions: s, Conversations: s, Members: s, Summaries: s, History: s, Ledger: s, Contacts: s,
			Blocks: s, Attachments: s, Threads: s, Search: s, APIKeys: s, Moderation: s,
			Feed: s, Webhooks: s}
	})
}
