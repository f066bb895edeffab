-- signins + signins_noninteractive: users signing in from a country they had
-- never signed in from before. A user who always works from Norway and today
-- appears in Brazil is either travelling or someone else holding their
-- password or refresh token — the first thing to check after a phishing
-- report, and a signal that needs no Identity Protection licence.
--
-- "Recent" is the last 24 hours of the data read (on an archive shorter than
-- 48 hours, its later half, so that there is always a history to compare
-- with); "known" is every country the user SUCCESSFULLY signed in from in the
-- 90 days read before that. Failed attempts do not make a country known: an
-- attacker's failures yesterday must not hide their success today. Users
-- with no successful sign-in before the recent window are left out. One row
-- per user and new country, with the first such sign-in's details.
-- Athena has no union_by_name: both tables contribute the same columns,
-- stacked with UNION ALL; "date" (the partition) bounds what is read.
WITH sign_ins AS (
    SELECT created_date_time, user_id, user_principal_name, app_display_name, ip_address,
           location.city AS city, location.country_or_region AS country,
           status.error_code AS error_code, 'interactiveUser' AS kind
    FROM signins
    WHERE "date" >= current_date - INTERVAL '90' DAY
    UNION ALL
    SELECT created_date_time, user_id, user_principal_name, app_display_name, ip_address,
           location.city, location.country_or_region,
           status.error_code, 'nonInteractiveUser'
    FROM signins_noninteractive
    WHERE "date" >= current_date - INTERVAL '90' DAY
),
located AS (
    SELECT * FROM sign_ins
    WHERE user_id IS NOT NULL AND user_id <> ''
      AND country IS NOT NULL AND country <> ''
),
bounds AS (
    SELECT greatest(max(created_date_time) - INTERVAL '1' DAY,
                    min(created_date_time) + (max(created_date_time) - min(created_date_time)) / 2) AS since
    FROM located
),
known AS (
    -- Countries each user successfully signed in from before the window.
    SELECT l.user_id, array_agg(DISTINCT l.country) AS known_countries
    FROM located AS l
    CROSS JOIN bounds AS b
    WHERE l.created_date_time < b.since AND l.error_code = 0
    GROUP BY l.user_id
)
SELECT s.user_principal_name,
       s.country                                   AS new_country,
       min(s.created_date_time)                    AS first_seen,
       min_by(s.city, s.created_date_time)         AS first_city,
       min_by(s.ip_address, s.created_date_time)   AS first_ip_address,
       min_by(s.app_display_name, s.created_date_time) AS first_app,
       min_by(s.kind, s.created_date_time)         AS first_kind,
       count(*)                                    AS sign_ins,
       count_if(s.error_code = 0)                  AS successes,
       count_if(s.error_code <> 0)                 AS failures,
       array_sort(arbitrary(k.known_countries))    AS known_countries
FROM located AS s
JOIN known AS k ON k.user_id = s.user_id
CROSS JOIN bounds AS b
WHERE s.created_date_time >= b.since
  AND NOT contains(k.known_countries, s.country)
GROUP BY s.user_id, s.user_principal_name, s.country
ORDER BY first_seen, s.user_principal_name, new_country
