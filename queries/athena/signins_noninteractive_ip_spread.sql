-- signins_noninteractive: token use per user and app over the last 7 days —
-- how many IP addresses and countries a user's refresh tokens were used from.
-- Many countries for one user and app is the classic sign of a stolen token
-- being replayed. location is a struct.
SELECT user_principal_name,
       app_display_name,
       count(*)                                   AS sign_ins,
       count(DISTINCT ip_address)                 AS ip_addresses,
       count(DISTINCT location.country_or_region) AS countries,
       -- array_agg keeps NULLs: drop them and the repeats, then sort
       array_sort(filter(array_distinct(array_agg(location.country_or_region)), c -> c IS NOT NULL)) AS country_list,
       min(created_date_time)                     AS first_seen,
       max(created_date_time)                     AS last_seen
FROM signins_noninteractive
WHERE "date" >= current_date - INTERVAL '7' DAY
GROUP BY user_principal_name, app_display_name
ORDER BY countries DESC, sign_ins DESC, user_principal_name, app_display_name
