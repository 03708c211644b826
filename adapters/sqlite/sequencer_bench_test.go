package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func BenchmarkSequencer(b *testing.B) {
	porttest.BenchSequencer(b, func(b *testing.B) (ports.Ledger, ports.ConversationStore) {
		s := openTest(b, filepath.Join(b.TempDir(), "scalechat.db"))
		return s, s
	})
}
