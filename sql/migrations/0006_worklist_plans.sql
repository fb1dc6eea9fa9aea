-- Work-list plans measured on 1,000,000 generated letters (docs/performance.md).

-- Open letters are a few percent of all: lists of open letters (the triage queue, a department's
-- open work, overdue and warning lists) walk these small indexes in order. WorkListSQL adds the
-- same predicate whenever a filter implies it, so that the planner can use them.
CREATE INDEX letters_open_due_order_idx ON letters ((coalesce(due_at, 'infinity'::timestamptz)), id)
    WHERE closed_at IS NULL AND status NOT IN ('rejected', 'merged');
CREATE INDEX letters_open_received_idx ON letters (received_at, id)
    WHERE closed_at IS NULL AND status NOT IN ('rejected', 'merged');

-- Free text: computing a letter's bigrams is far dearer than LIKE; the planner must know, so that
-- it checks LIKE first and weighs walking the order index against the bigram index correctly.
ALTER FUNCTION mailbox_bigrams(text) COST 1000;
-- Statistics of the searched text, so that LIKE '%…%' is estimated from samples of real letters
-- instead of a fixed guess (which made common terms look rare).
CREATE STATISTICS letters_text_stats ON (lower(title || E'\n' || body)) FROM letters;
