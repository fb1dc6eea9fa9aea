-- Work-list plans measured on 1,000,000 generated letters (docs/performance.md).

-- Open letters are a few percent of all: lists of open letters (the triage queue, a department's
-- open work, overdue and warning lists) walk these small indexes in order. The predicate names
-- the open states, so a status filter of open states implies it (the planner proves IN ⊂ IN);
-- WorkListSQL states it for the overdue and warning filters.
CREATE INDEX letters_open_due_order_idx ON letters ((coalesce(due_at, 'infinity'::timestamptz)), id)
    WHERE status IN ('received', 'accepted', 'assigned', 'signed', 'processing', 'awaiting_citizen');
CREATE INDEX letters_open_received_idx ON letters (received_at, id)
    WHERE status IN ('received', 'accepted', 'assigned', 'signed', 'processing', 'awaiting_citizen');

-- Free text: computing a letter's bigrams is far dearer than LIKE; the planner must know, so that
-- it checks LIKE first and weighs walking the order index against the bigram index correctly.
ALTER FUNCTION mailbox_bigrams(text) COST 1000;
-- Statistics of the searched text, so that LIKE '%…%' is estimated from samples of real letters
-- instead of a fixed guess (which made common terms look rare).
CREATE STATISTICS letters_text_stats ON (lower(title || E'\n' || body)) FROM letters;

-- Open states are served by the partial indexes above, the others by walking the order indexes:
-- an index on status only tempted the planner into BitmapAnd plans that fetched every open
-- letter (44 ms for a department's open work, 2 ms walking the open-due index). And (received_at)
-- alone is a prefix of letters_received_order_idx.
DROP INDEX letters_status_received_idx;
DROP INDEX letters_received_idx;
