-- mailbox_bigrams (0005) in linear time. The SQL version took substr(lower(t), i, 2) for every i: on UTF-8
-- text each substr walks the string from its start, so a letter of n characters cost O(n²) — about 5-8 ms
-- for a 640-character letter, inside every insert and every change of title or body, under the locks of
-- the insert. It cut intake to a ninth (pgbench with the intake's own writes, 32 clients: 1,830 tps
-- without the bigram index, 200 with it; docs/performance.md, Intake, run 4). This version walks the
-- lowered characters once: about 0.4 ms for the same letter.
--
-- The index is not rebuilt: it stores keys, and the keys are the same. The old function returned the
-- distinct pairs sorted; this one returns every pair in text order, duplicates included, and GIN sorts
-- and de-duplicates the keys it extracts (for the index and for the `@>` query alike).
-- The pairs themselves are the same: those of lower(t), as many as t has characters minus one (lower()
-- never shortens a string). The test bigramsMatchOriginal (Staff workflow suite) compares the two definitions.
CREATE OR REPLACE FUNCTION mailbox_bigrams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    c text;
    prev text;
    pairs text[] := '{}';
    n int := length(t) - 1;
BEGIN
    FOREACH c IN ARRAY string_to_array(lower(t), NULL) LOOP
        EXIT WHEN n <= 0;
        IF prev IS NOT NULL THEN
            pairs := array_append(pairs, prev || c);
            n := n - 1;
        END IF;
        prev := c;
    END LOOP;
    RETURN pairs;
END $$;
