-- Letters (信件) from every channel, one row each, and their append-only event history.
-- Applied by `mailbox migrate` in one transaction; never edit once applied: add a new file.

-- 委办局 (bureaus) and 镇街 (towns and subdistricts) that handle letters.
CREATE TABLE departments (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name        text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('bureau', 'town')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Tracking numbers are year + a district-wide sequence (e.g. 2026-0000123).
CREATE SEQUENCE letter_tracking_seq;

CREATE TABLE letters (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_no      text NOT NULL UNIQUE,
    channel          text NOT NULL CHECK (channel IN ('portal', 'app', 'staff')),
    -- The channel's own id (the app's letter id): the idempotency key of the webhook.
    channel_ref      text,
    -- SHA-256 of the raw delivery, to tell a retry from a conflicting reuse of channel_ref.
    intake_digest    bytea,
    category         text NOT NULL CHECK (category IN ('consultation', 'complaint', 'help', 'suggestion', 'report')),
    title            text NOT NULL,
    body             text NOT NULL,
    writer_name      text NOT NULL,
    phone            text NOT NULL,
    id_card          text,
    address          text,
    town             text,
    publish_consent  boolean NOT NULL,
    -- One citizen across channels: hex SHA-256 of the normalised identity (see docs/api.md).
    citizen_key      text NOT NULL,
    -- The citizen's query code is shown once and stored only as SHA-256.
    query_code_hash  bytea NOT NULL,
    status           text NOT NULL CHECK (status IN ('received', 'accepted', 'assigned', 'processing',
                                                     'awaiting_citizen', 'closed', 'rejected')),
    department_id    text REFERENCES departments (id),
    received_at      timestamptz NOT NULL,
    -- SLA clock (docs/sla.md): the clock's inputs as JSON, its derived times as columns so
    -- that "overdue" and "due soon" are index lookups.
    sla_clock        jsonb,
    sla_state        text NOT NULL DEFAULT 'running'
                     CHECK (sla_state IN ('running', 'paused', 'stopped', 'calendar_incomplete')),
    due_at           timestamptz,
    warn_at          timestamptz,
    closed_at        timestamptz,
    reply            text,
    elapsed_business_seconds bigint,
    deadline_met     boolean,
    imported         boolean NOT NULL DEFAULT false,
    -- Bumped by every event: the version of the letter the latest event produced.
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

CREATE UNIQUE INDEX letters_channel_ref_key ON letters (channel, channel_ref) WHERE channel_ref IS NOT NULL;
CREATE INDEX letters_citizen_idx ON letters (citizen_key);
CREATE INDEX letters_received_idx ON letters (received_at);
CREATE INDEX letters_open_due_idx ON letters (due_at) WHERE closed_at IS NULL;

-- Append-only history: one row per change, numbered by the letter's version.
CREATE TABLE letter_events (
    letter_id    bigint NOT NULL REFERENCES letters (id),
    version      integer NOT NULL,
    kind         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor        text NOT NULL,
    public       boolean NOT NULL DEFAULT false,
    data         jsonb NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (letter_id, version)
);

CREATE FUNCTION letter_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'letter_events is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER letter_events_no_update BEFORE UPDATE OR DELETE ON letter_events
    FOR EACH ROW EXECUTE FUNCTION letter_events_append_only();
