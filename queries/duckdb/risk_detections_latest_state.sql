-- risk_detections: the archive keeps one row per state of a detection it has
-- seen (a detection is updated in place: atRisk → remediated, dismissed, …).
-- The latest state of each is its row with the greatest last_updated_date_time.
-- additional_info is a JSON-encoded string: a list of {Key, Value} pairs.
SELECT id,
       user_principal_name,
       risk_event_type,
       risk_level,
       risk_state,
       risk_detail,
       detected_date_time,
       last_updated_date_time,
       list_filter(from_json(additional_info, '[{"Key":"VARCHAR","Value":"VARCHAR"}]'),
                   lambda kv: kv.Key = 'userAgent')[1].Value   AS user_agent,
       count(*) OVER (PARTITION BY id)                     AS states_seen
FROM read_parquet('archive/risk_detections/**/*.parquet', hive_partitioning = true)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY last_updated_date_time DESC) = 1
ORDER BY detected_date_time, id;
