-- The fault and failover tests' verdict (deploy/fault-test.sh, deploy/failover-test.sh): every app
-- delivery acknowledged with 2xx is exactly that letter, and no app_letter_id made two letters.
-- Run with psql -X -q -A -t -f, the acknowledged deliveries (app_letter_id, tracking number;
-- tab-separated) on standard input.
CREATE TEMP TABLE acked (app_id text, tracking text);
\copy acked FROM pstdin
SELECT 'acknowledged ' || count(*) FROM acked;
SELECT 'acknowledged but missing or another letter ' || count(*) FROM acked a
  LEFT JOIN letters l ON l.channel = 'app' AND l.channel_ref = a.app_id AND l.tracking_no = a.tracking WHERE l.id IS NULL;
SELECT 'app ids with more than one letter ' || count(*) FROM (SELECT channel_ref FROM letters WHERE channel = 'app'
  GROUP BY channel_ref HAVING count(*) > 1) d;
SELECT 'app letters stored ' || count(*) FROM letters WHERE channel = 'app';
