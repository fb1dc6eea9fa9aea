-- Views for BI tools (Grafana, Metabase) to query directly (docs/metrics.md, "Dashboard SQL").
-- They read the letters as they are now; the figures of docs/metrics.md with an as_of come from
-- GET /v1/reports/sla. Dates are Beijing dates.

-- Per receipt day × department × category × channel: what came in and how it went.
CREATE VIEW report_daily AS
SELECT (l.received_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       coalesce(l.department_id, '') AS department_id,
       coalesce(d.name, '') AS department,
       l.category,
       l.channel,
       count(*) AS received,
       count(*) FILTER (WHERE l.status = 'rejected') AS rejected,
       count(*) FILTER (WHERE l.status = 'merged') AS merged,
       count(*) FILTER (WHERE l.status = 'closed') AS closed,
       count(*) FILTER (WHERE l.status NOT IN ('closed', 'rejected', 'merged')) AS open,
       count(*) FILTER (WHERE l.status NOT IN ('closed', 'rejected', 'merged') AND l.due_at < now()) AS overdue_open,
       count(*) FILTER (WHERE l.status = 'closed' AND l.deadline_met) AS closed_on_time,
       sum(l.elapsed_business_seconds) FILTER (WHERE l.status = 'closed') AS handling_business_seconds,
       count(l.elapsed_business_seconds) FILTER (WHERE l.status = 'closed') AS handling_count,
       (sum(l.elapsed_business_seconds) FILTER (WHERE l.status = 'closed'))::float8
           / nullif(count(l.elapsed_business_seconds) FILTER (WHERE l.status = 'closed'), 0)
           / (SELECT seconds_per_working_day FROM calendar_settings LIMIT 1) AS avg_handling_working_days
FROM letters l LEFT JOIN departments d ON d.id = l.department_id
GROUP BY 1, 2, 3, 4, 5;

-- Open letters with their due state, for the overdue and due-soon lists.
CREATE VIEW report_open_letters AS
SELECT l.tracking_no, l.category, l.channel, l.status, l.department_id, d.name AS department, l.town,
       l.received_at, l.due_at, l.warn_at, l.sla_state, l.supervised,
       CASE WHEN l.sla_state = 'paused' THEN 'paused'
            WHEN l.due_at IS NULL THEN 'no_deadline'
            WHEN l.due_at < now() THEN 'overdue'
            WHEN l.warn_at <= now() THEN 'due_soon'
            ELSE 'on_track' END AS due_state
FROM letters l LEFT JOIN departments d ON d.id = l.department_id
WHERE l.status IN ('received', 'accepted', 'assigned', 'signed', 'processing', 'awaiting_citizen', 'reviewing');

-- Ratings per department and month of rating (满意度).
CREATE VIEW report_ratings_monthly AS
SELECT to_char(r.rated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
       coalesce(l.department_id, '') AS department_id,
       count(*) AS rated,
       count(*) FILTER (WHERE r.satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied,
       count(*) FILTER (WHERE r.resolved) AS resolved,
       count(*) FILTER (WHERE r.satisfaction IN ('satisfied', 'basically_satisfied'))::float8 / count(*) AS satisfaction_rate
FROM letter_ratings r JOIN letters l ON l.id = r.letter_id
GROUP BY 1, 2;
