package postgres

import (
	"testing"

	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func BenchmarkSequencer(b *testing.B) {
	porttest.BenchSequencer(b, func(b *testing.B) (ports.Ledger, ports.ConversationStore) {
		s := newTestStore(b)
		return s, s
	})
}
