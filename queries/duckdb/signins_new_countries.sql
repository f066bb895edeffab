-- signins + signins_noninteractive: users signing in from a country they had
-- never signed in from before. A user who always works from Norway and today
-- appears in Brazil is either travelling or someone else holding their password
-- or refresh token — the first thing to check after a phishing report, and a
-- signal that needs no Identity Protection licence.
--
-- "Recent" is the last 24 hours of the archive (on an archive shorter than 48
-- hours, its later half, so that there is always a history to compare with);
-- "known" is every country the user SUCCESSFULLY signed in from before that.
-- Failed attempts do not make a country known: an attacker's failures
-- yesterday must not hide their success today. Users with no successful
-- sign-in before the recent window are left out (nothing to compare with).
-- One row per user and new country, with the first such sign-in's details.
WITH sign_ins AS (
    -- Interactive and non-interactive sign-ins as one table: union_by_name lines
    -- the v1.0 and beta columns up by name (beta-only columns are NULL for
    -- interactive rows). A stolen refresh token shows up only in the second.
    SELECT created_date_time,
           user_id,
           user_principal_name,
           app_display_name,
           ip_address,
           location.city                                  AS city,
           location.country_or_region                     AS country,
           status.error_code                              AS error_code,
           coalesce(sign_in_event_types[1], 'interactiveUser') AS kind
    FROM read_parquet([
            'archive/signins/**/*.parquet',
            'archive/signins_noninteractive/**/*.parquet'
         ], hive_partitioning = true, union_by_name = true)
    WHERE user_id IS NOT NULL AND user_id <> ''
      AND location.country_or_region IS NOT NULL AND location.country_or_region <> ''
),
bounds AS (
    SELECT greatest(max(created_date_time) - INTERVAL 24 HOUR,
                    min(created_date_time) + (max(created_date_time) - min(created_date_time)) / 2) AS since
    FROM sign_ins
),
known AS (
    -- Countries each user successfully signed in from before the window.
    SELECT user_id, list(DISTINCT country ORDER BY country) AS known_countries
    FROM sign_ins, bounds
    WHERE created_date_time < since AND error_code = 0
    GROUP BY user_id
)
SELECT s.user_principal_name,
       s.country                                                AS new_country,
       min(s.created_date_time)                                 AS first_seen,
       arg_min(s.city, s.created_date_time)                     AS first_city,
       arg_min(s.ip_address, s.created_date_time)               AS first_ip_address,
       arg_min(s.app_display_name, s.created_date_time)         AS first_app,
       arg_min(s.kind, s.created_date_time)                     AS first_kind,
       count(*)                                                 AS sign_ins,
       count(*) FILTER (WHERE s.error_code = 0)                 AS successes,
       count(*) FILTER (WHERE s.error_code <> 0)                AS failures,
       any_value(k.known_countries)                             AS known_countries
FROM sign_ins AS s
JOIN known AS k USING (user_id)
CROSS JOIN bounds
WHERE s.created_date_time >= bounds.since
  AND NOT list_contains(k.known_countries, s.country)
GROUP BY s.user_id, s.user_principal_name, s.country
ORDER BY first_seen, s.user_principal_name, new_country;
