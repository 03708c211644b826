package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/core"
)

// searchSQL holds the parts of the search statements that depend on the configured language. The language is
// written into the statements, not passed as a parameter: the words' column and index are the language's own.
type searchSQL struct {
	lang     string // a validated pg_ts_config name
	vector   string // the indexed words of a message m: its stored tsvector column in the language
	keys     string // the indexed phrase keys of a message m: its stored int8[] column in the language
	words    string // the query of the websearch text $1
	headline string // ts_headline options
}

func newSearchSQL(lang string) searchSQL {
	return searchSQL{
		lang:     lang,
		vector:   "m." + searchColumnName(lang),
		keys:     "m." + searchKeysColumnName(lang),
		words:    fmt.Sprintf(`websearch_to_tsquery('%s'::regconfig, $1)`, lang),
		headline: fmt.Sprintf(`HighlightAll=true, StartSel="%s", StopSel="%s"`, core.HighlightStart, core.HighlightEnd),
	}
}

// searchIndexName is the name of the GIN index of language's words: one per language, so that changing the
// language builds a new index instead of finding the old one under the same name.
func searchIndexName(lang string) string { return "messages_search_" + lang }

// searchColumnName is the name of the stored generated column of a message's words in language: to_tsvector(
// language, body), kept by PostgreSQL on every insert and edit. Stored rather than an index expression, because a
// phrase is checked on the candidates the index finds (GIN keeps no word positions) and re-parsing each body for
// it cost about 8 µs a row: 150 ms for the 20,000 candidates of a phrase of common words, against 7 ms with the
// stored words. Parsing on insert costs what the expression index cost already; the words take room in the row.
func searchColumnName(lang string) string { return "search_" + lang }

// searchKeysIndexName and searchKeysColumnName name the GIN index and the stored generated column of the
// phrase keys of messages in language, 64-bit hashes: of the adjacent word pairs of the body,
// scalechat_word_pairs(to_tsvector(language, body)) (migration 0011), and of the conversation,
// hashtextextended('#' || id, 0) (conversationKey). A phrase is found through them: the messages of the
// viewer's conversations that hold every adjacent pair of the phrase are its candidates, found in the index
// alone, instead of every message in the database that holds its words, read from the table — for two common
// words that are rarely adjacent, the difference between a few dozen rows and tens of thousands. A hash
// collision only adds a candidate, which the phrase match and the membership check then refuse.
func searchKeysIndexName(lang string) string  { return "messages_search_keys_" + lang }
func searchKeysColumnName(lang string) string { return "search_keys_" + lang }

// conversationKey is the SQL expression of the phrase key of the conversation id conv.
func conversationKey(conv string) string { return `hashtextextended('#' || ` + conv + `, 0)` }

// createSearchIndex checks that the server knows the text search configuration lang and adds the stored words
// column of lang (searchColumnName), its phrase keys (searchKeysColumnName) and their GIN indexes if they do
// not exist. It is not a numbered migration
// because the language is configuration; the column and index of a language no longer configured stay until
// dropped by hand. On a large messages table the first start with a new language rewrites the table to fill
// the column and builds the index, holding off writes to messages meanwhile.
func createSearchIndex(ctx context.Context, conn *pgxpool.Conn, lang string) error {
	var known bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = $1)`, lang).Scan(&known); err != nil {
		return fmt.Errorf("search language: %w", err)
	}
	if !known {
		return core.Invalid("searchLanguage", "postgres: the server has no text search configuration %q (see pg_ts_config)", lang)
	}
	// lang is a plain lowercase identifier (Config.Validate): it needs no quoting.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS %s tsvector
		GENERATED ALWAYS AS (to_tsvector('%s'::regconfig, body)) STORED`, searchColumnName(lang), lang)); err != nil {
		return fmt.Errorf("add search column: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS %s int8[]
		GENERATED ALWAYS AS (scalechat_word_pairs(to_tsvector('%s'::regconfig, body)) || %s) STORED`,
		searchKeysColumnName(lang), lang, conversationKey("conversation_id"))); err != nil {
		return fmt.Errorf("add search keys column: %w", err)
	}
	for index, column := range map[string]string{searchIndexName(lang): searchColumnName(lang),
		searchKeysIndexName(lang): searchKeysColumnName(lang)} {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON messages USING gin (%s)`,
			index, column)); err != nil {
			return fmt.Errorf("create search index %s: %w", index, err)
		}
	}
	return nil
}

// Search plans of PostgreSQL (see Search).
const (
	// DefaultSearchMinBatch and DefaultSearchMaxBatch bound the first batch of the newest-first plan.
	DefaultSearchMinBatch = 200
	DefaultSearchMaxBatch = 20_000
)

// searchPlan is one statement of a search, ready to run.
type searchPlan struct {
	sql   string
	args  []any // the first one is the execution mode
	noJIT bool  // run with jit off: the planner's cost of a large batch calls for JIT, whose compilation costs more than it saves
}

// Search finds the messages the viewer can read by their words, per ports.SearchStore: websearch_to_tsquery
// and to_tsvector in the configured language, highlighted by ts_headline. It takes one of two plans:
//
//   - matches: the GIN index finds every message with the words (for a phrase, every message with its words:
//     the index does not keep their positions), whose rows are read, kept when in one of the viewer's
//     conversations, and sorted; its cost grows with the matches in the whole database;
//   - newest first: a batch of the viewer's newest messages, sized to hold a page of matches, is read from the
//     messages_recent index (which holds the conversation, so others' messages are skipped there), then
//     parsed and matched; its cost grows with how far back a page of matches lies.
//
// The choice is made here, not left to the planner, because it is the trap of such searches: with LIMIT and
// a common word the planner reads by recency even when the viewer's conversations are a small part of the
// messages, or collects every match of a word that is common only elsewhere. Search asks the planner how many
// messages match (an EXPLAIN, which plans without running), estimates where a page lies from that and the
// table's size, and takes the cheaper plan: at 1,000,000 messages, the matches plan up to about 6,500
// matches. A newest-first batch that finds less than a page is followed by the matches plan (a larger batch
// would cost more than the matches plan the estimate was against). Both plans take the viewer's
// conversations as a list read just before, and check the membership of the rows they return again, in the
// statement, so a membership ended meanwhile is not searched. Statements are planned with their actual parameters every time (never a generic plan): only the
// parameters tell how common the words are.
func (s *Store) Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error) {
	plans, limit, err := s.searchPlans(ctx, q)
	if err != nil || len(plans) == 0 {
		return core.Page[core.SearchHit]{Items: []core.SearchHit{}}, err
	}
	var hits []core.SearchHit
	scan := func(r scanner) (core.SearchHit, error) {
		var h core.SearchHit
		m, err := scanMessage(rowWith{r, &h.Highlight})
		h.Message = m
		return h, err
	}
	for _, p := range plans {
		if p.noJIT {
			err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
					return err
				}
				hits, err = queryAll(ctx, tx, scan, p.sql, p.args...)
				return err
			})
			err = translate(err, "")
		} else {
			hits, err = queryAll(ctx, s.pool, scan, p.sql, p.args...)
		}
		if err != nil {
			return core.Page[core.SearchHit]{}, err
		}
		if len(hits) > limit { // a page and more: the next plans would find the same newest ones
			break
		}
	}
	if len(hits) <= limit {
		return core.Page[core.SearchHit]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.SearchHit]{Items: hits, Next: core.SearchCursor(hits[limit-1].Message)}, nil
}

// searchPlans validates q and writes the statements that run it, in order: each answers the search when it
// finds more than a page or is the last. None means nothing can match (the viewer is in no conversation).
func (s *Store) searchPlans(ctx context.Context, q core.SearchQuery) (plans []searchPlan, limit int, err error) {
	terms, err := core.ParseSearchText(q.Text)
	if err != nil {
		return nil, 0, err
	}
	if limit, err = core.SearchLimit(q.Limit); err != nil {
		return nil, 0, err
	}
	afterAt, afterID, paged, err := core.DecodeSearchCursor(q.Cursor)
	if err != nil {
		return nil, 0, err
	}
	text := websearchText(terms)
	phrase := false
	for _, p := range terms {
		phrase = phrase || len(p) > 1
	}
	// build writes a statement: $1 the websearch text, $2 the viewer, then the filters' parameters.
	build := func(write func(arg func(any) string, filters string) string) searchPlan {
		args := []any{pgx.QueryExecModeExec, text, q.UserID}
		arg := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args)-1)
		}
		var f strings.Builder
		if q.ConversationID != "" {
			f.WriteString("\n\t\tAND m.conversation_id = " + arg(q.ConversationID))
		}
		if q.SenderID != "" {
			f.WriteString("\n\t\tAND m.sender_id = " + arg(q.SenderID))
		}
		if !q.After.IsZero() {
			f.WriteString("\n\t\tAND m.created_at >= " + arg(ts(q.After)))
		}
		if !q.Before.IsZero() {
			f.WriteString("\n\t\tAND m.created_at < " + arg(ts(q.Before)))
		}
		if paged {
			f.WriteString("\n\t\tAND (m.created_at, m.id) < (" + arg(ts(afterAt)) + ", " + arg(afterID) + ")")
		}
		return searchPlan{sql: write(arg, f.String()), args: args}
	}
	convs := []string{q.ConversationID}
	if q.ConversationID == "" {
		if convs, err = s.ConversationIDsOf(ctx, q.UserID); err != nil || len(convs) == 0 {
			return nil, 0, err
		}
	}
	var pairs, convKeys []int64
	if phrase {
		if pairs, convKeys, err = s.phraseKeys(ctx, terms, convs); err != nil {
			return nil, 0, err
		}
	}
	matches := build(func(arg func(any) string, filters string) string {
		if len(pairs) > 0 {
			singles := ""
			if w := singleWordsText(terms); w != "" {
				singles = arg(w)
			}
			return s.search.phraseMatches(arg(convs), arg(pairs), arg(convKeys), singles, filters,
				arg(limit+1), arg(s.search.headline))
		}
		words := ""
		if phrase {
			words = arg(wordsText(terms))
		}
		return s.search.matches(arg(convs), words, filters, arg(limit+1), arg(s.search.headline))
	})
	batch, err := s.searchBatch(ctx, text, phrase, pairs, convKeys, limit+1)
	if err != nil || batch == 0 {
		return []searchPlan{matches}, limit, err
	}
	newest := build(func(arg func(any) string, filters string) string {
		return s.search.newest(arg(convs), filters, arg(batch), arg(limit+1), arg(s.search.headline))
	})
	newest.noJIT = true
	return []searchPlan{newest, matches}, limit, nil
}

// phraseKeys returns the phrase keys (see searchKeysColumnName) of the adjacent word pairs of the phrases of
// terms, parsed as bodies are — every message that holds the phrases holds these pairs; none when the phrases
// have no adjacent words once parsed (a language that drops stop words may leave none) — and of the
// conversations convs.
func (s *Store) phraseKeys(ctx context.Context, terms core.SearchTerms, convs []string) (pairs, convKeys []int64, err error) {
	var phrases []string
	for _, p := range terms {
		if len(p) > 1 {
			phrases = append(phrases, strings.Join(p, " "))
		}
	}
	err = s.pool.QueryRow(ctx, s.search.phraseKeys(), phrases, convs).Scan(&pairs, &convKeys)
	return pairs, convKeys, translate(err, "")
}

// searchBatch returns the first batch of the newest-first plan for the websearch text, 0 when the matches
// plan is cheaper. With m messages, e of which match, a page of want matches lies about want*m/e messages
// back (matches spread evenly over time and conversations); the matches plan reads r rows. Reading twice
// the distance of a page costs less when r*e > 2*want*m. For words, r = e: the matches plan reads every
// match. For a phrase with adjacent pairs, e counts the messages with its pairs, and r those of them in the
// viewer's conversations (the phrase keys find them in the index). For a phrase without pairs (its words are
// not adjacent once parsed) the planner counts the messages with its words, r, of which a phrase is taken as
// e = r/8. The counts are the planner's estimates.
func (s *Store) searchBatch(ctx context.Context, text string, phrase bool, pairs, convKeys []int64, want int) (int, error) {
	estimate := func(sql string, args ...any) (float64, error) {
		var explained []byte
		// the values as literals (the simple protocol): the planner estimates for them, not for any
		args = append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
		if err := s.pool.QueryRow(ctx, sql, args...).Scan(&explained); err != nil {
			return 0, translate(err, "")
		}
		return planRows(explained)
	}
	var rows, read, matching float64
	if err := s.pool.QueryRow(ctx, `SELECT reltuples::float8 FROM pg_class WHERE oid = 'messages'::regclass`).Scan(&rows); err != nil {
		return 0, translate(err, "")
	}
	var err error
	if len(pairs) > 0 {
		if matching, err = estimate(s.search.estimateKeys(false), pairs); err != nil {
			return 0, err
		}
		if read, err = estimate(s.search.estimateKeys(true), pairs, convKeys); err != nil {
			return 0, err
		}
	} else {
		if read, err = estimate(s.search.estimate(), text); err != nil {
			return 0, err
		}
		matching = read
		if phrase {
			matching /= 8
		}
	}
	if s.searchBias > 0 && (rows <= 0 || read*matching <= 2*float64(want)*rows*s.searchBias) {
		return 0, nil // never analyzed (reltuples -1), or few matches
	}
	rows, matching = max(rows, 1), max(matching, 1)
	return int(min(max(math.Ceil(2*float64(want)*rows/matching), float64(s.searchMinBatch)), DefaultSearchMaxBatch)), nil
}

// matches is the statement of the matches plan: $1 the websearch text, $2 the viewer, convs the viewer's
// conversations (a text[] parameter); filters adds the other conditions. For a phrase, words is the
// parameter of the text of its words alone: the index finds the messages with them all (which needs no
// recheck of the rows), and the phrase is matched after the conversation filter, through ts_match_vq (the
// function of @@, which the planner does not take to the index): only messages of the viewer's
// conversations are parsed. The matches are a materialized CTE
// read with one scan of the GIN index: the planner cannot turn it into reading the messages newest first (the
// other plan, chosen in Go) nor into one scan of the index per conversation (which its estimates favour when
// they are low, at the price of reading the words' lists that many times). The membership is checked again
// on the matches; only the page (plus one row) gets a headline, the costly part.
func (q searchSQL) matches(convs, words, filters, limit, headline string) string {
	match := q.vector + ` @@ ` + q.words
	if words != "" {
		match = q.vector + ` @@ websearch_to_tsquery('` + q.lang + `'::regconfig, ` + words + `)
		AND ts_match_vq(` + q.vector + `, ` + q.words + `)`
	}
	return q.matchesOf(match, convs, filters, limit, headline)
}

// phraseMatches is the statement of the matches plan of a search with phrases whose words have adjacent pairs
// once parsed: pairs (an int8[] parameter) and convKeys (the phrase keys of convs) find the candidates, in the
// viewer's conversations, in the keys' index alone; singles (when not "") the text of the search's single
// words, for the words' index, which the planner may combine with the keys'. The phrases proper are matched on
// the candidates, through ts_match_vq.
func (q searchSQL) phraseMatches(convs, pairs, convKeys, singles, filters, limit, headline string) string {
	match := q.keys + ` @> ` + pairs + `::int8[] AND ` + q.keys + ` && ` + convKeys + `::int8[]
		AND ts_match_vq(` + q.vector + `, ` + q.words + `)`
	if singles != "" {
		match += `
		AND ` + q.vector + ` @@ websearch_to_tsquery('` + q.lang + `'::regconfig, ` + singles + `)`
	}
	return q.matchesOf(match, convs, filters, limit, headline)
}

// matchesOf is the statement of the matches plan with the condition match on messages m.
func (q searchSQL) matchesOf(match, convs, filters, limit, headline string) string {
	return `WITH found AS MATERIALIZED (SELECT m.* FROM messages m
		WHERE ` + match + `
		AND m.conversation_id = ANY(` + convs + `::text[])
		AND m.deleted_at IS NULL` + filters + `)
	SELECT ` + msgCols + `, ` + q.headlineOf(headline) + `
	FROM (SELECT * FROM found m
		WHERE EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = m.conversation_id AND mb.user_id = $2)
		ORDER BY m.created_at DESC, m.id DESC LIMIT ` + limit + `) m
	ORDER BY m.created_at DESC, m.id DESC`
}

// newest is the statement of the newest-first plan: the batch newest messages of conversations convs (a
// text[] parameter) that pass filters, read from the messages_recent index, then fetched one by one, parsed
// and matched. The fetch is a LATERAL subquery with OFFSET 0, which keeps the match out of it: else the
// planner would match with the GIN index, once per conversation.
func (q searchSQL) newest(convs, filters, batch, limit, headline string) string {
	return `SELECT ` + msgCols + `, ` + q.headlineOf(headline) + `
	FROM (SELECT m.created_at, m.id FROM messages m
		WHERE m.conversation_id = ANY(` + convs + `::text[])` + filters + `
		ORDER BY m.created_at DESC, m.id DESC LIMIT ` + batch + `) k
	CROSS JOIN LATERAL (SELECT * FROM messages m WHERE m.id = k.id OFFSET 0) m
	WHERE ` + q.vector + ` @@ ` + q.words + `
		AND m.deleted_at IS NULL
		AND EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = m.conversation_id AND mb.user_id = $2)
	ORDER BY m.created_at DESC, m.id DESC LIMIT ` + limit
}

// estimate asks the planner how many messages match the websearch text $1: the rows of the plan of an
// EXPLAIN, which plans and runs nothing.
func (q searchSQL) estimate() string {
	return `EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE ` + q.vector + ` @@ ` + q.words
}

// estimateKeys asks the planner how many messages hold the word pairs $1 (phrase keys, an int8[]), and one of
// the phrase keys of conversations $2 (an int8[]) when inConvs.
func (q searchSQL) estimateKeys(inConvs bool) string {
	if inConvs {
		return `EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE ` + q.keys + ` @> $1::int8[] AND ` + q.keys + ` && $2::int8[]`
	}
	return `EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE ` + q.keys + ` @> $1::int8[]`
}

// phraseKeys is the statement of the phrase keys of the adjacent word pairs of the phrases $1 (a text[]),
// parsed as bodies are, and of the conversations $2 (a text[]).
func (q searchSQL) phraseKeys() string {
	return `SELECT ARRAY(SELECT DISTINCT pair FROM unnest($1::text[]) AS phrase,
		unnest(scalechat_word_pairs(to_tsvector('` + q.lang + `'::regconfig, phrase))) AS pair),
		ARRAY(SELECT ` + conversationKey("conv") + ` FROM unnest($2::text[]) AS conv)`
}

// planRows reads the estimated rows of the top node of an EXPLAIN (FORMAT JSON).
func planRows(explained []byte) (float64, error) {
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal(explained, &plan); err != nil || len(plan) == 0 {
		return 0, core.Wrap(core.CodeInternal, err, "postgres: unexpected EXPLAIN output")
	}
	return plan[0].Plan.Rows, nil
}

// headlineOf is the highlighted body of m, with the ts_headline options parameter headline.
func (q searchSQL) headlineOf(headline string) string {
	return `ts_headline('` + q.lang + `'::regconfig, m.body, ` + q.words + `, ` + headline + `)`
}

// websearchText writes terms for websearch_to_tsquery: every phrase quoted, so that "or" and a leading "-"
// are words, not operators; phrases side by side (AND).
func websearchText(terms core.SearchTerms) string {
	parts := make([]string, len(terms))
	for i, p := range terms {
		parts[i] = `"` + strings.Join(p, " ") + `"`
	}
	return strings.Join(parts, " ")
}

// singleWordsText writes the terms that are single words for websearch_to_tsquery, each quoted, as words that
// must all occur; "" when there are none.
func singleWordsText(terms core.SearchTerms) string {
	var parts []string
	for _, p := range terms {
		if len(p) == 1 {
			parts = append(parts, `"`+p[0]+`"`)
		}
	}
	return strings.Join(parts, " ")
}

// wordsText writes every word of terms for websearch_to_tsquery, each quoted, as words that must all occur.
func wordsText(terms core.SearchTerms) string {
	parts := terms.Words()
	for i, w := range parts {
		parts[i] = `"` + w + `"`
	}
	return strings.Join(parts, " ")
}

// rowWith scans a message row followed by one more column.
type rowWith struct {
	scanner
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.scanner.Scan(append(dest, r.extra)...) }
