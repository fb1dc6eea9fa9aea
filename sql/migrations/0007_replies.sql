-- Replies back to the citizen (统一回复): drafts reviewed before release, 错敏字 word lists, the
-- app's notification outbox, disclosure (公开) and ratings with one re-handling (重办).

-- 答复审核中: a reply draft waits for its reviewers; the clock keeps running until release.
ALTER TABLE letters DROP CONSTRAINT letters_status_check;
ALTER TABLE letters ADD CONSTRAINT letters_status_check CHECK (status IN ('received', 'accepted', 'assigned',
    'signed', 'processing', 'awaiting_citizen', 'reviewing', 'closed', 'rejected', 'merged'));

-- The open-letter indexes of 0006 name the open states; 'reviewing' is one now.
DROP INDEX letters_open_due_order_idx;
DROP INDEX letters_open_received_idx;
CREATE INDEX letters_open_due_order_idx ON letters ((coalesce(due_at, 'infinity'::timestamptz)), id)
    WHERE status IN ('received', 'accepted', 'assigned', 'signed', 'processing', 'awaiting_citizen', 'reviewing');
CREATE INDEX letters_open_received_idx ON letters (received_at, id)
    WHERE status IN ('received', 'accepted', 'assigned', 'signed', 'processing', 'awaiting_citizen', 'reviewing');

-- The current draft's revision in letter_replies (NULL: no draft since the last release, or
-- dropped by a transfer, return or merge), the review in flight
-- ({"stage": "lead"|"dispatcher", "steps": "lead"|"lead_centre"}), how many replies were
-- released, whether the centre withheld the letter from publication, and when it was reopened.
ALTER TABLE letters ADD COLUMN reply_revision integer;
ALTER TABLE letters ADD COLUMN reply_review jsonb;
ALTER TABLE letters ADD COLUMN release_round smallint NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN withheld boolean NOT NULL DEFAULT false;
ALTER TABLE letters ADD COLUMN reopened_at timestamptz;
-- Imported closed letters carry a reply that was released in the previous system.
UPDATE letters SET release_round = 1 WHERE status = 'closed' AND reply IS NOT NULL;

-- Every revision of every draft, kept: who wrote what, what the check found, which one went out.
CREATE TABLE letter_replies (
    letter_id    bigint NOT NULL REFERENCES letters (id),
    revision     integer NOT NULL CHECK (revision > 0),
    text         text NOT NULL,
    author       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The 错敏字 findings when the revision was saved (re-checked at each approval).
    findings     jsonb NOT NULL DEFAULT '[]',
    released_at  timestamptz,
    PRIMARY KEY (letter_id, revision)
);

-- Review steps per category: the department lead only, or the lead then the centre.
CREATE TABLE reply_review_policies (
    category    text PRIMARY KEY CHECK (category IN ('consultation', 'complaint', 'help', 'suggestion', 'report')),
    steps       text NOT NULL CHECK (steps IN ('lead', 'lead_centre')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO reply_review_policies (category, steps) VALUES
    ('consultation', 'lead'), ('complaint', 'lead_centre'), ('help', 'lead_centre'),
    ('suggestion', 'lead_centre'), ('report', 'lead_centre');

-- 错敏字 lists: sensitive words, wrong forms of official names, common typos.
CREATE TABLE word_lists (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind         text NOT NULL CHECK (kind IN ('sensitive', 'official_name', 'typo')),
    description  text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE word_list_entries (
    list        text NOT NULL REFERENCES word_lists (name) ON DELETE CASCADE,
    pattern     text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 100),
    suggestion  text CHECK (length(suggestion) <= 100),
    PRIMARY KEY (list, pattern)
);
-- Bumped by every list change so that each instance rebuilds its checker.
CREATE SEQUENCE word_lists_version;

INSERT INTO word_lists (name, kind, description) VALUES
    ('official-names', 'official_name', '机构、职务、地名的错误写法'),
    ('typos', 'typo', '常见错别字'),
    ('sensitive', 'sensitive', '敏感词（由管理员维护）');
INSERT INTO word_list_entries (list, pattern, suggestion) VALUES
    ('official-names', '中华人民共合国', '中华人民共和国'),
    ('official-names', '中华人名共和国', '中华人民共和国'),
    ('official-names', '密云县', '密云区'),
    ('official-names', '蜜云区', '密云区'),
    ('official-names', '北京市密云县', '北京市密云区'),
    ('official-names', '国务院办公室', '国务院办公厅'),
    ('official-names', '古北口乡', '古北口镇'),
    ('official-names', '鼓楼街', '鼓楼街道'),
    ('typos', '按装', '安装'),
    ('typos', '既使', '即使'),
    ('typos', '再接再励', '再接再厉'),
    ('typos', '迫不急待', '迫不及待'),
    ('typos', '一愁莫展', '一筹莫展'),
    ('sensitive', '内部资料', '（请勿在答复中引用内部资料）');

-- The app's outbox: one row per public change of an app letter, written by the trigger below in
-- the same transaction as the event (a rolled-back change leaves none). `payload` holds the
-- exact body that is signed and sent; `delivery_id` is what the receiver deduplicates on.
CREATE TABLE app_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    letter_id        bigint NOT NULL REFERENCES letters (id),
    letter_version   integer NOT NULL,
    kind             text NOT NULL,
    payload          text NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- A sender claims a row until this time; another instance skips it meanwhile.
    locked_until     timestamptz,
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (letter_id, letter_version)
);
CREATE INDEX app_deliveries_due_idx ON app_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX app_deliveries_state_idx ON app_deliveries (state, id);
-- A letter's deliveries go out in order: the sender asks whether an earlier one is pending.
CREATE INDEX app_deliveries_letter_pending_idx ON app_deliveries (letter_id, id) WHERE state = 'pending';

-- What the app hears, per event kind; NULL: nothing.
CREATE FUNCTION app_event_name(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'accepted' THEN 'accepted'
        WHEN 'rejected' THEN 'rejected'
        WHEN 'routed' THEN 'routed'
        WHEN 'transferred' THEN 'routed'
        WHEN 'signed' THEN 'signed'
        WHEN 'merged' THEN 'merged'
        WHEN 'sla_paused' THEN 'paused'
        WHEN 'sla_resumed' THEN 'resumed'
        WHEN 'sla_extended' THEN 'extended'
        WHEN 'closed' THEN 'replied'
        WHEN 'reopened' THEN 'reopened'
    END
$$;

CREATE FUNCTION letter_events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    l record;
    name text := app_event_name(NEW.kind);
BEGIN
    IF name IS NULL OR NOT NEW.public OR NEW.actor = 'import' THEN
        RETURN NULL;
    END IF;
    SELECT channel, channel_ref, tracking_no, status, reply, closed_at, due_at INTO l
    FROM letters WHERE id = NEW.letter_id;
    IF l.channel <> 'app' OR l.channel_ref IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO app_deliveries (delivery_id, letter_id, letter_version, kind, payload)
    SELECT d, NEW.letter_id, NEW.version, name,
           jsonb_build_object(
               'delivery_id', d,
               'event', name,
               'app_letter_id', l.channel_ref,
               'tracking_no', l.tracking_no,
               'sequence', NEW.version,
               'occurred_at', to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'status', l.status,
               'due_at', CASE WHEN l.status IN ('closed', 'rejected', 'merged') THEN NULL
                              ELSE to_char(l.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
               'reply', CASE WHEN NEW.kind = 'closed' THEN jsonb_build_object(
                   'text', l.reply,
                   'released_at', to_char(l.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END
           )::text
    FROM gen_random_uuid() AS d;
    RETURN NULL;
END;
$$;
CREATE TRIGGER letter_events_outbox AFTER INSERT ON letter_events
    FOR EACH ROW EXECUTE FUNCTION letter_events_outbox();

-- 满意度评价: one rating per released reply (round 1, and round 2 after a re-handling).
CREATE TABLE letter_ratings (
    letter_id     bigint NOT NULL REFERENCES letters (id),
    round         smallint NOT NULL CHECK (round > 0),
    satisfaction  text NOT NULL CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    resolved      boolean NOT NULL,
    comment       text CHECK (length(comment) <= 500),
    channel       text NOT NULL CHECK (channel IN ('portal', 'app')),
    rated_at      timestamptz NOT NULL DEFAULT now(),
    -- The rating reopened the letter (重办).
    reopened      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (letter_id, round)
);

-- Disclosure (公开): released replies of consenting writers, newest first.
CREATE INDEX letters_public_replies_idx ON letters (closed_at DESC, id DESC)
    WHERE status = 'closed' AND publish_consent AND category <> 'report' AND NOT withheld AND reply IS NOT NULL;
