-- signins: failed interactive sign-ins per user in the last 7 days, with the
-- most common error code and its reason. Many failures from many IPs is
-- password spraying; many from one IP is a broken client or a locked account.
-- status is a struct; error_code 0 means success.
-- Athena (engine v3): "date" is the partition column (DATE), so the filter on
-- it reads only the last 7 days' objects.
WITH failures AS (
    SELECT user_principal_name,
           ip_address,
           status.error_code     AS error_code,
           status.failure_reason AS failure_reason
    FROM signins
    WHERE "date" >= current_date - INTERVAL '7' DAY
      AND status.error_code <> 0
),
per_user AS (
    SELECT user_principal_name,
           count(*)                   AS failures,
           count(DISTINCT ip_address) AS ip_addresses
    FROM failures
    GROUP BY user_principal_name
),
per_code AS (
    SELECT user_principal_name,
           error_code,
           count(*)                  AS n,
           arbitrary(failure_reason) AS reason
    FROM failures
    GROUP BY user_principal_name, error_code
)
-- Trino has no mode(): max_by picks the error code with the most failures.
SELECT u.user_principal_name,
       u.failures,
       u.ip_addresses,
       max_by(c.error_code, c.n) AS top_error_code,
       max_by(c.reason, c.n)     AS top_reason
FROM per_user AS u
JOIN per_code AS c ON c.user_principal_name IS NOT DISTINCT FROM u.user_principal_name
GROUP BY u.user_principal_name, u.failures, u.ip_addresses
ORDER BY u.failures DESC, u.user_principal_name
