package porttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// SearchCorpus is the data BenchSearch searches: messages of varied text in many conversations, and a viewer
// who is a member of some of them. Stores load it with their own bulk loaders (it is far too large for
// Append), then BenchSearch measures their Search.
type SearchCorpus struct {
	Messages      int
	Conversations []core.Conversation
	Members       []core.Member
	Viewer        string
	ViewerConvs   []string // the conversations Viewer is a member of
	words         []string // by rank, most common first
	Start         time.Time
}

// The corpus's shape.
const (
	searchConvs       = 1000
	searchViewerConvs = 50
	searchMembers     = 8 // per conversation, besides the viewer
	searchWords       = 20_000
)

// SearchMessages is the size of the corpus: SCALECHAT_BENCH_SEARCH_MESSAGES when set, else def.
func SearchMessages(b *testing.B, def int) int {
	if v := os.Getenv("SCALECHAT_BENCH_SEARCH_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "SCALECHAT_BENCH_SEARCH_MESSAGES")
		require.Positive(b, n, "SCALECHAT_BENCH_SEARCH_MESSAGES")
		return n
	}
	return def
}

// NewSearchCorpus describes a corpus of n messages in 1,000 conversations of 8 members each (from 2,000
// users), the viewer a member of 50 of them. Everything is generated from fixed seeds, the same every run.
func NewSearchCorpus(n int) *SearchCorpus {
	c := &SearchCorpus{Messages: n, Viewer: "viewer", Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.words = searchVocabulary()
	rnd := rand.New(rand.NewPCG(7, 7))
	for i := range searchConvs {
		id := fmt.Sprintf("conv-%04d", i)
		c.Conversations = append(c.Conversations, core.Conversation{ID: id, Kind: core.KindGroup, Title: "Room " + id,
			CreatedBy: fmt.Sprintf("user-%04d", i%2000), CreatedAt: c.Start, LastActivityAt: c.Start})
		for k := range searchMembers {
			role := core.RoleMember
			if k == 0 {
				role = core.RoleOwner
			}
			c.Members = append(c.Members, core.Member{ConversationID: id, UserID: fmt.Sprintf("user-%04d", (i+k*250)%2000),
				Role: role, JoinedAt: c.Start})
		}
	}
	for _, i := range rnd.Perm(searchConvs)[:searchViewerConvs] {
		id := c.Conversations[i].ID
		c.ViewerConvs = append(c.ViewerConvs, id)
		c.Members = append(c.Members, core.Member{ConversationID: id, UserID: c.Viewer, Role: core.RoleMember, JoinedAt: c.Start})
	}
	slices.Sort(c.ViewerConvs)
	return c
}

// searchVocabulary makes 20,000 distinct pronounceable words from syllables.
func searchVocabulary() []string {
	syll := strings.Fields("ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo mu " +
		"na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo zu")
	rnd := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	var out []string
	for len(out) < searchWords {
		var b strings.Builder
		for range 1 + rnd.IntN(3) {
			b.WriteString(syll[rnd.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// EachMessage generates the corpus's messages in creation order (give or take a few seconds of jitter, as
// clocks of several gateways would) and calls fn with each. Conversations are picked uniformly, words with a
// Zipf distribution (the commonest word is in about half of the messages); one message in a hundred is a
// tombstone and one in fifty was edited.
func (c *SearchCorpus) EachMessage(fn func(m core.Message) error) error {
	rnd := rand.New(rand.NewPCG(11, 13))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(17, 19)), 1.07, 2, uint64(len(c.words)-1))
	seqs := make([]int64, len(c.Conversations))
	var b strings.Builder
	for i := range c.Messages {
		k := rnd.IntN(len(c.Conversations))
		seqs[k]++
		conv := c.Conversations[k]
		b.Reset()
		for j := range 3 + rnd.IntN(15) {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.words[zipf.Uint64()])
		}
		at := c.Start.Add(time.Duration(i)*100*time.Millisecond + time.Duration(rnd.IntN(5000))*time.Millisecond)
		m := core.Message{ID: fmt.Sprintf("msg-%08d", i), ConversationID: conv.ID, Seq: seqs[k],
			SenderID: c.Members[k*searchMembers+rnd.IntN(searchMembers)].UserID, ClientMsgID: fmt.Sprintf("k-%08d", i),
			Body: b.String(), CreatedAt: at}
		switch i % 100 {
		case 37:
			m.Body, m.DeletedAt = "", &at
		case 11, 61:
			m.EditedAt = &at
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// BenchSearch measures Search over a loaded corpus, each shape without and with a conversation filter (one
// of the viewer's), the first page of 20 each time: a rare word (rank 5,000 to 20,000), a common word (one of
// the 3 commonest), two words (ranks 5 to 100), a phrase (two adjacent words of a message of the corpus, as
// one searches a phrase remembered), and two of the 20 commonest words as a phrase (mostly not adjacent: the
// worst case of a word index without positions). Each shape runs b.N searches with words picked at random
// (`-benchtime 200x` runs 200) and reports p50, p95 and p99 in milliseconds and the hits per page. Explain,
// when set, shows how the store runs one search of each shape.
func BenchSearch(b *testing.B, s ports.SearchStore, c *SearchCorpus, explain func(ctx context.Context, q core.SearchQuery) (string, error)) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(23, 29))
	word := func(lo, hi int) string { return c.words[lo+rnd.IntN(hi-lo)] }
	var bigrams []string
	n := 0
	require.NoError(b, c.EachMessage(func(m core.Message) error {
		if n++; n%(c.Messages/1000+1) == 0 {
			if w := strings.Fields(m.Body); len(w) >= 2 {
				k := rnd.IntN(len(w) - 1)
				bigrams = append(bigrams, w[k]+" "+w[k+1])
			}
		}
		return nil
	}))
	shapes := []struct {
		name string
		text func() string
	}{
		{"rare-word", func() string { return word(5000, searchWords) }},
		{"common-word", func() string { return word(0, 3) }},
		{"two-words", func() string { return word(5, 100) + " " + word(5, 100) }},
		{"phrase", func() string { return `"` + bigrams[rnd.IntN(len(bigrams))] + `"` }},
		{"phrase-of-common-words", func() string { return `"` + word(0, 20) + " " + word(0, 20) + `"` }},
	}
	for _, shape := range shapes {
		for _, filtered := range []bool{false, true} {
			name := shape.name
			if filtered {
				name += "-in-conversation"
			}
			query := func() core.SearchQuery {
				q := core.SearchQuery{UserID: c.Viewer, Text: shape.text()}
				if filtered {
					q.ConversationID = c.ViewerConvs[rnd.IntN(len(c.ViewerConvs))]
				}
				return q
			}
			if explain != nil {
				plan, err := explain(ctx, query())
				require.NoError(b, err)
				b.Logf("%s:\n%s", name, plan)
			}
			b.Run(name, func(b *testing.B) {
				took := make([]time.Duration, 0, b.N)
				hits := 0
				for b.Loop() {
					q := query()
					t0 := time.Now()
					p, err := s.Search(ctx, q)
					took = append(took, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					hits += len(p.Items)
				}
				slices.Sort(took)
				at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
				b.ReportMetric(at(0.5), "p50-ms")
				b.ReportMetric(at(0.95), "p95-ms")
				b.ReportMetric(at(0.99), "p99-ms")
				b.ReportMetric(float64(hits)/float64(len(took)), "hits/page")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// SearchCorpusWords returns the corpus's vocabulary, most common first.
func SearchCorpusWords(c *SearchCorpus) []string { return c.words }
