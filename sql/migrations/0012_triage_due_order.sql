-- The triage queue (待受理: received and accepted letters) sorted by due time. It walked the open-due index
-- of 0007 and skipped every assigned or processing letter due earlier: 1.6 s at p99 in the soak once the
-- departments' open work had grown (docs/performance.md, Soak). This index holds the queue alone, in due
-- order; a status filter of received and/or accepted implies its predicate.
CREATE INDEX letters_triage_due_idx ON letters ((coalesce(due_at, 'infinity'::timestamptz)), id)
    WHERE status IN ('received', 'accepted');
