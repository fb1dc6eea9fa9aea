-- Open letters for SLA reports (docs/metrics.md, "Rollups"): a report recomputes every open letter of its
-- period from the letter itself. Fetching those from `letters` (wide rows among millions) was most of the
-- time of a current-quarter report at 10 million letters (docs/performance.md). This table holds just what a
-- report reads of each open letter, kept by the trigger below in the same transaction as every change of the
-- letter, whatever code path wrote it; the demo generator (which writes without triggers) calls
-- report_open_rows_sync for each batch. `mailbox rollup verify` checks it against `letters`.
--
-- `rollup_dirty` is copied too: an open letter that is not dirty has no stored contribution (the rollup worker
-- removes the contribution of a letter that is no longer settled), so a report reads it from here alone.
CREATE TABLE report_open_rows (
    id            bigint PRIMARY KEY,
    received_at   timestamptz NOT NULL,
    category      text NOT NULL,
    channel       text NOT NULL,
    department_id text,
    town          text,
    status        text NOT NULL,
    closed_at     timestamptz,
    sla_clock     jsonb,
    reopened_at   timestamptz,
    rollup_dirty  boolean NOT NULL
);
CREATE INDEX report_open_rows_received_idx ON report_open_rows (received_at);

-- Letters [lo, hi] as they stand: open ones copied in, the others removed.
CREATE FUNCTION report_open_rows_sync(lo bigint, hi bigint) RETURNS void LANGUAGE sql AS $$
    DELETE FROM report_open_rows o WHERE o.id BETWEEN lo AND hi
        AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.id = o.id AND l.status NOT IN ('closed', 'rejected', 'merged'));
    INSERT INTO report_open_rows (id, received_at, category, channel, department_id, town, status, closed_at, sla_clock,
                                     reopened_at, rollup_dirty)
    SELECT id, received_at, category, channel, department_id, town, status, closed_at, sla_clock, reopened_at, rollup_dirty
    FROM letters WHERE id BETWEEN lo AND hi AND status NOT IN ('closed', 'rejected', 'merged')
    ON CONFLICT (id) DO UPDATE SET
        received_at = excluded.received_at, category = excluded.category, channel = excluded.channel,
        department_id = excluded.department_id, town = excluded.town, status = excluded.status,
        closed_at = excluded.closed_at, sla_clock = excluded.sla_clock, reopened_at = excluded.reopened_at,
        rollup_dirty = excluded.rollup_dirty;
$$;

CREATE FUNCTION letters_track_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.status IN ('closed', 'rejected', 'merged') THEN
        DELETE FROM report_open_rows WHERE id = OLD.id;
    ELSE
        INSERT INTO report_open_rows (id, received_at, category, channel, department_id, town, status, closed_at,
                                         sla_clock, reopened_at, rollup_dirty)
        VALUES (NEW.id, NEW.received_at, NEW.category, NEW.channel, NEW.department_id, NEW.town, NEW.status,
                NEW.closed_at, NEW.sla_clock, NEW.reopened_at, NEW.rollup_dirty)
        ON CONFLICT (id) DO UPDATE SET
            received_at = excluded.received_at, category = excluded.category, channel = excluded.channel,
            department_id = excluded.department_id, town = excluded.town, status = excluded.status,
            closed_at = excluded.closed_at, sla_clock = excluded.sla_clock, reopened_at = excluded.reopened_at,
            rollup_dirty = excluded.rollup_dirty;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER letters_track_open_insert AFTER INSERT ON letters
    FOR EACH ROW WHEN (NEW.status NOT IN ('closed', 'rejected', 'merged')) EXECUTE FUNCTION letters_track_open();
-- Only changes of what the table holds, and not between two final states.
CREATE TRIGGER letters_track_open_update AFTER UPDATE ON letters
    FOR EACH ROW WHEN (NOT (OLD.status IN ('closed', 'rejected', 'merged') AND NEW.status IN ('closed', 'rejected', 'merged'))
                       AND (OLD.status, OLD.category, OLD.channel, OLD.department_id, OLD.town, OLD.received_at,
                            OLD.closed_at, OLD.sla_clock, OLD.reopened_at, OLD.rollup_dirty)
                           IS DISTINCT FROM
                           (NEW.status, NEW.category, NEW.channel, NEW.department_id, NEW.town, NEW.received_at,
                            NEW.closed_at, NEW.sla_clock, NEW.reopened_at, NEW.rollup_dirty))
    EXECUTE FUNCTION letters_track_open();
CREATE TRIGGER letters_track_open_delete AFTER DELETE ON letters
    FOR EACH ROW WHEN (OLD.status NOT IN ('closed', 'rejected', 'merged')) EXECUTE FUNCTION letters_track_open();

SELECT report_open_rows_sync(min(id), max(id)) FROM letters HAVING count(*) > 0;
