-- signins_noninteractive: token use per user and app — how many IP addresses
-- and countries a user's refresh tokens were used from. Many countries for
-- one user and app is the classic sign of a stolen token being replayed.
SELECT user_principal_name,
       app_display_name,
       count(*)                                        AS sign_ins,
       count(DISTINCT ip_address)                      AS ip_addresses,
       count(DISTINCT location.country_or_region)      AS countries,
       list(DISTINCT location.country_or_region ORDER BY location.country_or_region) AS country_list,
       min(created_date_time)                          AS first_seen,
       max(created_date_time)                          AS last_seen
FROM read_parquet('archive/signins_noninteractive/**/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY countries DESC, sign_ins DESC, user_principal_name, app_display_name;
