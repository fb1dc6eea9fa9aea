-- Working-day arithmetic for reports in SQL, on the ordinals kept in calendar_days.

-- Business seconds of one standard working day (7 h = 25200 for 09:00-12:00,13:30-17:30);
-- kept in step with business_hours by the service whenever the hours change.
ALTER TABLE calendar_settings ADD COLUMN seconds_per_working_day integer NOT NULL DEFAULT 25200
    CHECK (seconds_per_working_day > 0);

-- Working days in (a, b]: ordinal(b) - ordinal(a). NULL when either date is outside the loaded
-- years, so a report shows the gap instead of a guess.
CREATE FUNCTION working_days_between(a date, b date) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT (SELECT work_ordinal FROM calendar_days WHERE day = b)
         - (SELECT work_ordinal FROM calendar_days WHERE day = a)
$$;

-- Handling time of closed letters in working days (平均办件天数 = avg(handling_working_days)):
-- elapsed business seconds (pauses excluded) ÷ business seconds of a standard working day.
CREATE VIEW letter_handling AS
SELECT l.id, l.tracking_no, l.category, l.channel, l.department_id, l.received_at, l.closed_at,
       l.elapsed_business_seconds,
       l.elapsed_business_seconds::float8 / s.seconds_per_working_day AS handling_working_days,
       l.deadline_met
FROM letters l CROSS JOIN calendar_settings s
WHERE l.closed_at IS NOT NULL AND l.elapsed_business_seconds IS NOT NULL;
