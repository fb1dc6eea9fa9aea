-- pgbench script: the same writes as one app-webhook intake (letters row + its first
-- letter_events row in one statement, same table, same indexes, a row of the same size),
-- with the service's work (HTTP, HMAC, JSON, validation, SLA clock) taken away: the raw limit.
-- (JSON is built with jsonb_build_object: pgbench would read ":name" inside literals as variables.)
WITH inserted AS (
    INSERT INTO letters (tracking_no, channel, channel_ref, intake_digest, category, title, body,
        writer_name, phone, id_card, address, town, publish_consent, citizen_key, query_code_hash,
        status, received_at, sla_clock, sla_state, due_at, warn_at)
    VALUES (to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-' || lpad(nextval('letter_tracking_seq')::text, 7, '0'),
            'app', 'pgb-' || gen_random_uuid()::text, sha256(gen_random_uuid()::text::bytea),
            'complaint', '小区门口道路破损积水',
            repeat('小区门口道路破损严重，雨天积水，老人孩子出行不便，请有关部门尽快修复。', 18),
            '王五', '13912345678', NULL, NULL, '鼓楼街道', true,
            encode(sha256('phone:13912345678'::bytea), 'hex'), sha256(gen_random_uuid()::text::bytea),
            'received', now(),
            jsonb_build_object('closedAt', null, 'extensions', '[]'::jsonb, 'limitWorkingDays', 5, 'pauses', '[]'::jsonb,
                               'receivedAt', '2026-11-30T01-00-00.000Z', 'rule', 'following_days', 'warningRatio', 0.8),
            'running', now() + interval '7 days', now() + interval '5 days')
    ON CONFLICT (channel, channel_ref) WHERE channel_ref IS NOT NULL DO NOTHING
    RETURNING id, tracking_no
), event AS (
    INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public, data)
    SELECT id, 1, 'received', now(), 'app', true,
           jsonb_build_object('app_letter_id', 'bench-0-1-123456789', 'category', 'complaint', 'channel', 'app')
    FROM inserted
)
SELECT id, tracking_no FROM inserted;
