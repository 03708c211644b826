-- Phrase search: the adjacent word pairs of a message, so that a phrase is found through an index instead of by
-- checking every message that holds its words (a GIN index of words keeps no positions). scalechat_word_pairs
-- takes the words of a body as parsed (a tsvector, with positions) and returns every pair of lexemes at
-- adjacent positions, as a 64-bit hash of 'first second' (hashtextextended: an index of 8-byte keys costs a
-- third of one of the texts to keep up). It is what both sides of a phrase search compute: the stored column of
-- each message's phrase keys (added per search language with its index, see createSearchIndex) and the pairs
-- of the searched phrase, parsed the same way; a message holding every pair of the phrase is a candidate,
-- which the phrase match proper (the words in order) then checks, so a collision of hashes costs a row read,
-- never a wrong hit. PL/pgSQL rather than SQL: a SQL function is planned again in every statement that calls
-- it, and the sequencer inserts in many small statements; PL/pgSQL keeps its plan for the session.
CREATE FUNCTION scalechat_word_pairs(v tsvector) RETURNS int8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN ARRAY(SELECT hashtextextended(w || ' ' || nw, 0) FROM (
        SELECT w, p, lead(w) OVER (ORDER BY p) AS nw, lead(p) OVER (ORDER BY p) AS np
        FROM (SELECT u.lexeme AS w, unnest(u.positions) AS p FROM unnest(v) AS u) AS words) AS seq
    WHERE np = p + 1);
END
$$;
