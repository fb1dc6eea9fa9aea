-- Staff workflow (docs/workflow.md): departments with parents, staff accounts and sessions,
-- routing rules, the full letter life cycle, access records, the deadline watch, the hash-chained
-- trail and the work-list indexes.

-- 委办局 / 镇街 may sit under a parent unit; a unit can be retired without losing its history.
ALTER TABLE departments ADD COLUMN parent_id text REFERENCES departments (id);
ALTER TABLE departments ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE departments ADD CONSTRAINT departments_not_own_parent CHECK (parent_id IS DISTINCT FROM id);

-- Staff accounts. Handlers and leads belong to a department; the other roles do not.
CREATE TABLE staff_users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name   text,
    role           text NOT NULL CHECK (role IN ('dispatcher', 'handler', 'lead', 'admin', 'auditor')),
    department_id  text REFERENCES departments (id),
    -- bcrypt (modular crypt format); never returned by any endpoint.
    password_hash  text NOT NULL,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('handler', 'lead')) = (department_id IS NOT NULL))
);

-- Bearer tokens: only their SHA-256 is stored; expiring and revocable.
CREATE TABLE staff_sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES staff_users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);

-- Failed logins, per username and per client address, for throttling (shared by all instances).
CREATE TABLE login_failures (
    key        text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON login_failures (key, failed_at);

-- Admin changes to accounts, departments and routing rules: who, when, what, before and after.
CREATE TABLE admin_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    action      text NOT NULL,
    before      jsonb,
    after       jsonb
);

-- Routing rules (分办规则): the first matching rule by priority routes a new letter at intake.
CREATE TABLE routing_rules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    priority       integer NOT NULL,
    category       text CHECK (category IN ('consultation', 'complaint', 'help', 'suggestion', 'report')),
    keywords       text[] NOT NULL DEFAULT '{}',
    town           text,
    department_id  text NOT NULL REFERENCES departments (id),
    enabled        boolean NOT NULL DEFAULT true,
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Bumped by every rule change so that each instance knows its cached rules are stale.
CREATE SEQUENCE routing_rules_version;

-- The life cycle's new states: 已签收 (signed) and 已合并 (merged into another letter).
ALTER TABLE letters DROP CONSTRAINT letters_status_check;
ALTER TABLE letters ADD CONSTRAINT letters_status_check CHECK (status IN ('received', 'accepted', 'assigned',
    'signed', 'processing', 'awaiting_citizen', 'closed', 'rejected', 'merged'));
-- 协办: current co-handling departments.
ALTER TABLE letters ADD COLUMN cohandlers text[] NOT NULL DEFAULT '{}';
-- Every department that is or was owner or co-handler: the handlers' and leads' read scope.
ALTER TABLE letters ADD COLUMN departments text[] NOT NULL DEFAULT '{}';
-- 督办: marked by the centre, with the latest note.
ALTER TABLE letters ADD COLUMN supervised boolean NOT NULL DEFAULT false;
ALTER TABLE letters ADD COLUMN merged_into bigint REFERENCES letters (id);
-- 延期申请 in flight: {"working_days", "reason", "requested_by", "stage": "lead"|"dispatcher"}.
ALTER TABLE letters ADD COLUMN pending_extension jsonb;
-- Deadline watch: the warn_at / due_at for which sla_warning / sla_overdue was recorded.
ALTER TABLE letters ADD COLUMN warning_recorded_for timestamptz;
ALTER TABLE letters ADD COLUMN overdue_recorded_for timestamptz;

UPDATE letters SET departments = ARRAY[department_id] WHERE department_id IS NOT NULL;

-- Work lists (GET /v1/letters): keyset order by due time or by receipt, each with id.
CREATE INDEX letters_due_order_idx ON letters ((coalesce(due_at, 'infinity'::timestamptz)), id);
CREATE INDEX letters_received_order_idx ON letters (received_at, id);
CREATE INDEX letters_dept_due_idx ON letters (department_id, (coalesce(due_at, 'infinity'::timestamptz)), id);
CREATE INDEX letters_dept_received_idx ON letters (department_id, received_at, id);
CREATE INDEX letters_departments_idx ON letters USING gin (departments);
CREATE INDEX letters_status_received_idx ON letters (status, received_at, id);
CREATE INDEX letters_deadline_watch_idx ON letters (warn_at) WHERE closed_at IS NULL AND sla_state = 'running';

-- Free text in Chinese: pg_trgm extracts no trigrams from CJK text under the C locale, so the
-- index holds every overlapping pair of characters (bigrams) of title and body; a query of two
-- or more characters must contain all its bigrams, and LIKE rechecks the exact substring.
CREATE FUNCTION mailbox_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
    FROM generate_series(1, length(t) - 1) AS i
$$;
CREATE INDEX letters_text_bigram_idx ON letters USING gin (mailbox_bigrams(title || E'\n' || body));

-- 个人信息查阅记录: every read of unmasked personal data (who, when, which letter).
CREATE TABLE personal_data_reads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_at     timestamptz NOT NULL DEFAULT now(),
    user_id     bigint NOT NULL REFERENCES staff_users (id),
    username    text NOT NULL,
    role        text NOT NULL,
    letter_id   bigint NOT NULL REFERENCES letters (id),
    tracking_no text NOT NULL,
    purpose     text NOT NULL
);
CREATE INDEX personal_data_reads_letter_idx ON personal_data_reads (letter_id, id);
CREATE INDEX personal_data_reads_user_idx ON personal_data_reads (user_id, id);

-- Tamper-evident trail: each event row holds the hash of the letter's previous event and its
-- own hash over (previous hash, letter, version, kind, time, actor, public, data). The trigger
-- fills both on every insert path; `mailbox audit verify` recomputes them.
-- Who did it, in which role (the actor stays the display form, e.g. "user:li.na").
ALTER TABLE letter_events ADD COLUMN actor_role text;
ALTER TABLE letter_events ADD COLUMN prev_hash bytea;
ALTER TABLE letter_events ADD COLUMN hash bytea;

CREATE FUNCTION letter_event_hash(prev bytea, letter_id bigint, version integer, kind text,
                                  occurred_at timestamptz, actor text, actor_role text, public boolean,
                                  data jsonb)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(prev || convert_to(concat_ws('|', letter_id::text, version::text, kind,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor,
        coalesce(actor_role, ''), public::text, data::text), 'UTF8'))
$$;

CREATE FUNCTION letter_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = 1 THEN
        NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    ELSE
        SELECT e.hash INTO NEW.prev_hash FROM letter_events e
        WHERE e.letter_id = NEW.letter_id AND e.version = NEW.version - 1;
        IF NEW.prev_hash IS NULL THEN
            RAISE EXCEPTION 'letter % has no event version % to chain version % to',
                NEW.letter_id, NEW.version - 1, NEW.version;
        END IF;
    END IF;
    NEW.hash := letter_event_hash(NEW.prev_hash, NEW.letter_id, NEW.version, NEW.kind, NEW.occurred_at,
                                  NEW.actor, NEW.actor_role, NEW.public, NEW.data);
    RETURN NEW;
END;
$$;

-- Chain the events already stored, letter by letter in version order.
ALTER TABLE letter_events DISABLE TRIGGER letter_events_no_update;
DO $$
DECLARE
    r record;
    prev bytea;
    last_letter bigint := -1;
BEGIN
    FOR r IN SELECT * FROM letter_events ORDER BY letter_id, version LOOP
        IF r.letter_id <> last_letter THEN
            prev := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
            last_letter := r.letter_id;
        END IF;
        UPDATE letter_events SET prev_hash = prev,
            hash = letter_event_hash(prev, r.letter_id, r.version, r.kind, r.occurred_at, r.actor, r.actor_role,
                                   r.public, r.data)
        WHERE letter_id = r.letter_id AND version = r.version
        RETURNING hash INTO prev;
    END LOOP;
END;
$$;
ALTER TABLE letter_events ENABLE TRIGGER letter_events_no_update;
ALTER TABLE letter_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE letter_events ALTER COLUMN hash SET NOT NULL;

CREATE TRIGGER letter_events_chain BEFORE INSERT ON letter_events
    FOR EACH ROW EXECUTE FUNCTION letter_events_chain();
