-- service_principal_risk_detections: which workload identities Identity
-- Protection holds at risk, and why — the latest state of each detection on a
-- service principal (leaked credentials, suspicious sign-ins, anomalous
-- activity, malicious applications), with the credential it names. A
-- detection still atRisk on an app with credentials is a secret to rotate now;
-- the archive keeps every state it has seen (atRisk → dismissed or
-- confirmedCompromised), so states_seen tells a changed detection from a new one.
-- key_ids (the credentials concerned, for leaked credentials) is a list.
SELECT id,
       service_principal_display_name,
       app_id,
       service_principal_id,
       risk_event_type,
       risk_level,
       risk_state,
       risk_detail,
       array_to_string(key_ids, ', ')    AS key_ids,
       ip_address,
       detected_date_time,
       last_updated_date_time,
       count(*) OVER (PARTITION BY id)   AS states_seen
FROM read_parquet('archive/service_principal_risk_detections/**/*.parquet', hive_partitioning = true)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY last_updated_date_time DESC) = 1
ORDER BY risk_state = 'atRisk' DESC, detected_date_time, id;
