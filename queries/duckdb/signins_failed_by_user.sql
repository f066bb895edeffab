-- signins: failed interactive sign-ins per user in the last 7 days, with the
-- most common reason. status is a struct; error_code 0 means success.
SELECT user_principal_name,
       count(*)                                   AS failures,
       count(DISTINCT ip_address)                 AS ip_addresses,
       mode(status.error_code)                    AS top_error_code,
       mode(status.failure_reason)                AS top_reason
FROM read_parquet('archive/signins/**/*.parquet', hive_partitioning = true)
WHERE status.error_code <> 0
  AND date >= (SELECT max(date) FROM read_parquet('archive/signins/**/*.parquet', hive_partitioning = true)) - INTERVAL 7 DAY
GROUP BY user_principal_name
ORDER BY failures DESC, user_principal_name;
