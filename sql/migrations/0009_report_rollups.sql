-- SLA report rollups (docs/metrics.md, "Rollups"): reports over millions of letters read
-- per-month and per-day sums instead of the letters.
--
-- A letter is *settled* when its status is final (closed, rejected, merged): from then on its
-- figures no longer depend on the report's as_of (for every as_of after its settled_at). Each
-- settled letter has one row in report_contributions (its figures as bit flags plus its
-- business seconds, under the group key it was counted with), and report_rollups holds their
-- sums per receipt day ('d') and per receipt month ('m') × department × category × channel × town.
--
-- Every change of a letter that may change its figures marks it dirty (rollup_dirty, set by the
-- trigger below in the same transaction as the change, whatever code path wrote it). The rollup
-- worker (MailboxStore/ReportRollups.swift) recomputes dirty letters in batches and moves their
-- contributions and the sums in one transaction. A report sums the rollups and recomputes from
-- the raw letters only the exceptions: open letters, dirty letters, and letters settled at or
-- after its as_of. So reports are exact however far the worker lags behind.

ALTER TABLE letters ADD COLUMN rollup_dirty boolean NOT NULL DEFAULT false;
CREATE INDEX letters_rollup_dirty_idx ON letters (id) WHERE rollup_dirty;

CREATE FUNCTION letters_mark_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('closed', 'rejected', 'merged') THEN NEW.rollup_dirty := true; END IF;
    ELSIF (NEW.status IN ('closed', 'rejected', 'merged') OR OLD.status IN ('closed', 'rejected', 'merged'))
          AND (NEW.version IS DISTINCT FROM OLD.version
               OR (NEW.status, NEW.category, NEW.channel, NEW.department_id, NEW.town, NEW.received_at, NEW.closed_at,
                   NEW.sla_clock, NEW.reopened_at)
                  IS DISTINCT FROM
                  (OLD.status, OLD.category, OLD.channel, OLD.department_id, OLD.town, OLD.received_at, OLD.closed_at,
                   OLD.sla_clock, OLD.reopened_at)) THEN
        NEW.rollup_dirty := true;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER letters_rollup_dirty BEFORE INSERT OR UPDATE ON letters
    FOR EACH ROW EXECUTE FUNCTION letters_mark_rollup_dirty();

-- A rating or a returned event of a settled letter changes its figures too (the writers bump
-- the letter's version as well; these make it independent of that).
CREATE FUNCTION letters_mark_rollup_dirty_by_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE letters SET rollup_dirty = true
    WHERE id = NEW.letter_id AND NOT rollup_dirty AND status IN ('closed', 'rejected', 'merged');
    RETURN NULL;
END $$;

CREATE TRIGGER letter_ratings_rollup_dirty AFTER INSERT OR UPDATE ON letter_ratings
    FOR EACH ROW EXECUTE FUNCTION letters_mark_rollup_dirty_by_child();
CREATE TRIGGER letter_events_rollup_dirty AFTER INSERT ON letter_events
    FOR EACH ROW WHEN (NEW.kind = 'returned') EXECUTE FUNCTION letters_mark_rollup_dirty_by_child();

-- Reports ask per letter whether it was ever returned (退回): a small index answers that.
CREATE INDEX letter_events_returned_idx ON letter_events (letter_id) WHERE kind = 'returned';

CREATE TABLE report_contributions (
    letter_id        bigint PRIMARY KEY REFERENCES letters (id),
    day              date NOT NULL,            -- Beijing receipt date
    department_id    text NOT NULL,            -- '' while unassigned
    category         text NOT NULL,
    channel          text NOT NULL,
    town             text NOT NULL,            -- '' when unknown
    bits             integer NOT NULL,         -- SLAMetrics.letterBits: one bit per 0/1 figure
    handling_seconds bigint NOT NULL,          -- elapsed business seconds (0 unless counted in the average)
    settled_at       timestamptz NOT NULL      -- valid for every as_of after this instant
);
CREATE INDEX report_contributions_settled_idx ON report_contributions (settled_at);
-- Letters counted as outside the calendar (日历未覆盖) are recomputed after any calendar change.
CREATE INDEX report_contributions_outside_idx ON report_contributions (letter_id) WHERE bits & 131072 <> 0;

CREATE TABLE report_rollups (
    grain            "char" NOT NULL CHECK (grain IN ('d', 'm')),
    period           date NOT NULL,            -- the receipt day, or the first day of the receipt month
    department_id    text NOT NULL,
    category         text NOT NULL,
    channel          text NOT NULL,
    town             text NOT NULL,
    received         bigint NOT NULL DEFAULT 0,
    rejected         bigint NOT NULL DEFAULT 0,
    merged           bigint NOT NULL DEFAULT 0,
    closed           bigint NOT NULL DEFAULT 0,
    open             bigint NOT NULL DEFAULT 0,
    overdue_open     bigint NOT NULL DEFAULT 0,
    closed_on_time   bigint NOT NULL DEFAULT 0,
    closed_within_1_working_day bigint NOT NULL DEFAULT 0,
    rated            bigint NOT NULL DEFAULT 0,
    returned         bigint NOT NULL DEFAULT 0,
    extended         bigint NOT NULL DEFAULT 0,
    reopened         bigint NOT NULL DEFAULT 0,
    on_time_denominator bigint NOT NULL DEFAULT 0,
    within_1_denominator bigint NOT NULL DEFAULT 0,
    handling_count   bigint NOT NULL DEFAULT 0,
    satisfied        bigint NOT NULL DEFAULT 0,
    resolved         bigint NOT NULL DEFAULT 0,
    outside_calendar bigint NOT NULL DEFAULT 0,
    handling_seconds bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, period, department_id, category, channel, town)
);

-- Letters settled before this migration are counted by the worker's first runs.
UPDATE letters SET rollup_dirty = true WHERE status IN ('closed', 'rejected', 'merged');
