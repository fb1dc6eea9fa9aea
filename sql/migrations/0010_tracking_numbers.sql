-- Tracking numbers (查询编号) are the Beijing receipt year, a dash and the serial from
-- letter_tracking_seq padded to 7 digits: 2026-0000123. lpad() cuts a longer string to the
-- width, so from serial 10,000,000 on the old expression gave 2026-1000000 again for 10000000
-- (a unique violation, or worse a number that looks like another letter's). Serials past
-- 9,999,999 now keep all their digits (2026-10000000); every writer uses this one function.
CREATE FUNCTION tracking_no_for(received timestamptz, serial bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(received AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-'
           || CASE WHEN serial < 10000000 THEN lpad(serial::text, 7, '0') ELSE serial::text END
$$;
