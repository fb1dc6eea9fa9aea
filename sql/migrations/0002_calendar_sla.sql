-- Working-day calendar (工作日历) and SLA policies (办理时限). Rules: docs/sla.md.

-- One calendar for the district: business hours (several intervals a day) and time zone.
CREATE TABLE calendar_settings (
    id              integer PRIMARY KEY CHECK (id = 1),
    business_hours  text NOT NULL DEFAULT '09:00-12:00,13:30-17:30',
    time_zone       text NOT NULL DEFAULT 'Asia/Shanghai' CHECK (time_zone = 'Asia/Shanghai'),
    -- Bumped by every change, so that each instance can tell its cached calendar is stale.
    version         bigint NOT NULL DEFAULT 1
);
INSERT INTO calendar_settings (id) VALUES (1);

-- Years fully declared by a State Council notice; a date outside them is "calendar incomplete".
CREATE TABLE calendar_years (
    year       integer PRIMARY KEY CHECK (year BETWEEN 1990 AND 2100),
    sources    text[] NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

-- Every date of the declared years. work_ordinal = working days on or before the date, so the
-- working days in (a, b] are ordinal(b) - ordinal(a): reports count working days with a join.
CREATE TABLE calendar_days (
    day           date PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('workday', 'holiday', 'makeup_workday', 'weekend')),
    name          text,
    work_ordinal  integer NOT NULL
);
CREATE INDEX calendar_days_ordinal_idx ON calendar_days (work_ordinal);

-- Who changed which day, when and why (the calendar's own audit trail).
CREATE TABLE calendar_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    day         date NOT NULL,
    old_kind    text,
    old_name    text,
    new_kind    text NOT NULL,
    new_name    text,
    reason      text,
    letters_moved integer NOT NULL DEFAULT 0
);

-- Time limit per category, optionally narrowed by department and/or channel (most specific wins).
CREATE TABLE sla_policies (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category            text NOT NULL CHECK (category IN ('consultation', 'complaint', 'help', 'suggestion', 'report')),
    department_id       text REFERENCES departments (id),
    channel             text CHECK (channel IN ('portal', 'app', 'staff')),
    limit_working_days  integer NOT NULL CHECK (limit_working_days BETWEEN 1 AND 365),
    rule                text NOT NULL DEFAULT 'following_days' CHECK (rule IN ('following_days', 'elapsed')),
    warning_ratio       float8 NOT NULL DEFAULT 0.8 CHECK (warning_ratio > 0 AND warning_ratio < 1),
    UNIQUE NULLS NOT DISTINCT (category, department_id, channel)
);

-- Defaults (docs/sla.md): 咨询 1, 求助 3, 投诉 5, 建议 10, 举报 15 working days.
INSERT INTO sla_policies (category, limit_working_days, rule, warning_ratio) VALUES
    ('consultation', 1, 'following_days', 0.8),
    ('help', 3, 'following_days', 0.8),
    ('complaint', 5, 'following_days', 0.8),
    ('suggestion', 10, 'following_days', 0.8),
    ('report', 15, 'following_days', 0.8);
