package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/core"
)

// searchSQL holds the parts of the search statement that depend on the configured language. The language is
// written into the statement, not passed as a parameter: the planner matches to_tsvector(language, body)
// with the index expression only when the language is the same constant.
type searchSQL struct {
	lang     string // a validated pg_ts_config name
	vector   string // the indexed expression
	headline string // ts_headline options
}

func newSearchSQL(lang string) searchSQL {
	return searchSQL{
		lang:     lang,
		vector:   fmt.Sprintf(`to_tsvector('%s'::regconfig, m.body)`, lang),
		headline: fmt.Sprintf(`HighlightAll=true, StartSel="%s", StopSel="%s"`, core.HighlightStart, core.HighlightEnd),
	}
}

// searchIndexName is the name of the GIN index of language's words: one per language, so that changing the
// language builds a new index instead of finding the old one under the same name.
func searchIndexName(lang string) string { return "messages_search_" + lang }

// createSearchIndex checks that the server knows the text search configuration lang and creates the GIN
// index of the messages' words in it, if it does not exist. It is not a numbered migration because the
// language is configuration; an index of a language no longer configured stays until dropped by hand. On a
// large messages table the first start with a new language builds the index, holding off writes to messages
// meanwhile.
func createSearchIndex(ctx context.Context, conn *pgxpool.Conn, lang string) error {
	var known bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = $1)`, lang).Scan(&known); err != nil {
		return fmt.Errorf("search language: %w", err)
	}
	if !known {
		return core.Invalid("searchLanguage", "postgres: the server has no text search configuration %q (see pg_ts_config)", lang)
	}
	// lang is a plain lowercase identifier (Config.Validate): it needs no quoting.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON messages USING gin (to_tsvector('%s'::regconfig, body))`,
		searchIndexName(lang), lang)); err != nil {
		return fmt.Errorf("create search index: %w", err)
	}
	return nil
}

// Search finds the messages the viewer can read by their words, per ports.SearchStore: websearch_to_tsquery
// over the GIN index of to_tsvector(language, body), highlighted by ts_headline.
//
// The statement is written for the filters given (each variant is a statement of its own) and planned with
// the actual parameters every time, never as a generic plan: how common the words are decides the plan, and
// only the parameters tell.
func (s *Store) Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error) {
	query, args, limit, err := s.searchStatement(q)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	hits, err := queryAll(ctx, s.pool, func(r scanner) (core.SearchHit, error) {
		var h core.SearchHit
		m, err := scanMessage(rowWith{r, &h.Highlight})
		h.Message = m
		return h, err
	}, query, args...)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	if len(hits) <= limit {
		return core.Page[core.SearchHit]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.SearchHit]{Items: hits, Next: core.SearchCursor(hits[limit-1].Message)}, nil
}

// searchStatement validates q and writes its statement and arguments (the first one the execution mode).
func (s *Store) searchStatement(q core.SearchQuery) (query string, args []any, limit int, err error) {
	terms, err := core.ParseSearchText(q.Text)
	if err != nil {
		return "", nil, 0, err
	}
	if limit, err = core.SearchLimit(q.Limit); err != nil {
		return "", nil, 0, err
	}
	afterAt, afterID, paged, err := core.DecodeSearchCursor(q.Cursor)
	if err != nil {
		return "", nil, 0, err
	}
	args = []any{pgx.QueryExecModeExec, websearchText(terms), q.UserID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args)-1)
	}
	var extra strings.Builder
	if q.ConversationID != "" {
		extra.WriteString("\n\t\tAND m.conversation_id = " + arg(q.ConversationID))
	}
	if q.SenderID != "" {
		extra.WriteString("\n\t\tAND m.sender_id = " + arg(q.SenderID))
	}
	if !q.After.IsZero() {
		extra.WriteString("\n\t\tAND m.created_at >= " + arg(ts(q.After)))
	}
	if !q.Before.IsZero() {
		extra.WriteString("\n\t\tAND m.created_at < " + arg(ts(q.Before)))
	}
	if paged {
		extra.WriteString("\n\t\tAND (m.created_at, m.id) < (" + arg(ts(afterAt)) + ", " + arg(afterID) + ")")
	}
	return s.search.statement(extra.String(), arg(limit+1), arg(s.search.headline)), args, limit, nil
}

// statement is the search: $1 the websearch text, $2 the viewer; extra adds the filters. The inner query
// finds one page (plus one row); only its rows get a headline, the costly part.
func (q searchSQL) statement(extra, limit, headline string) string {
	return `SELECT ` + msgCols + `, ts_headline('` + q.lang + `'::regconfig, m.body, websearch_to_tsquery('` + q.lang +
		`'::regconfig, $1), ` + headline + `)
	FROM (SELECT m.* FROM messages m
		WHERE ` + q.vector + ` @@ websearch_to_tsquery('` + q.lang + `'::regconfig, $1)
		AND m.conversation_id IN (SELECT mb.conversation_id FROM members mb WHERE mb.user_id = $2)
		AND m.deleted_at IS NULL` + extra + `
		ORDER BY m.created_at DESC, m.id DESC LIMIT ` + limit + `) m
	ORDER BY m.created_at DESC, m.id DESC`
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

// rowWith scans a message row followed by one more column.
type rowWith struct {
	scanner
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.scanner.Scan(append(dest, r.extra)...) }
