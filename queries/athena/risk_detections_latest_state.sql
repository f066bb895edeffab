-- risk_detections: the archive keeps one row per state of a detection it has
-- seen (a detection is updated in place: atRisk → remediated, dismissed, …).
-- The latest state of each is its row with the greatest last_updated_date_time:
-- what Identity Protection says about it now, and how often it changed.
-- Trino has no QUALIFY: row_number() is computed in a subquery and filtered
-- outside. Partitions follow last_updated_date_time, so the 90-day filter
-- keeps the states of the last 90 days (states_seen counts only those).
-- additional_info is a JSON-encoded string: a list of {"Key": …, "Value": …}
-- pairs; try() makes a value that is not such a list NULL instead of an error.
SELECT id,
       user_principal_name,
       risk_event_type,
       risk_level,
       risk_state,
       risk_detail,
       detected_date_time,
       last_updated_date_time,
       json_extract_scalar(
           element_at(filter(try(CAST(json_parse(additional_info) AS ARRAY(JSON))),
                             kv -> json_extract_scalar(kv, '$.Key') = 'userAgent'), 1),
           '$.Value')                                         AS user_agent,
       states_seen
FROM (
    SELECT *,
           row_number() OVER (PARTITION BY id ORDER BY last_updated_date_time DESC) AS state_rank,
           count(*) OVER (PARTITION BY id)                                          AS states_seen
    FROM risk_detections
    WHERE "date" >= current_date - INTERVAL '90' DAY
) AS states
WHERE state_rank = 1
ORDER BY detected_date_time, id
