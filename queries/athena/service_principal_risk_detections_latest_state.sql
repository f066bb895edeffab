-- service_principal_risk_detections: which workload identities Identity
-- Protection holds at risk, and why — the latest state of each detection on a
-- service principal (leaked credentials, suspicious sign-ins, anomalous
-- activity, malicious applications), with the credential it names. A
-- detection still atRisk on an app with credentials is a secret to rotate now;
-- the archive keeps every state it has seen (atRisk → dismissed or
-- confirmedCompromised), so states_seen tells a changed detection from a new one.
-- Trino has no QUALIFY: row_number() is computed in a subquery and filtered
-- outside. Partitions follow last_updated_date_time, so the 90-day filter
-- keeps the states of the last 90 days (states_seen counts only those).
-- key_ids (the credentials concerned, for leaked credentials) is an array.
SELECT id,
       service_principal_display_name,
       app_id,
       service_principal_id,
       risk_event_type,
       risk_level,
       risk_state,
       risk_detail,
       array_join(key_ids, ', ')   AS key_ids,
       ip_address,
       detected_date_time,
       last_updated_date_time,
       states_seen
FROM (
    SELECT *,
           row_number() OVER (PARTITION BY id ORDER BY last_updated_date_time DESC) AS state_rank,
           count(*) OVER (PARTITION BY id)                                          AS states_seen
    FROM service_principal_risk_detections
    WHERE "date" >= current_date - INTERVAL '90' DAY
) AS states
WHERE state_rank = 1
ORDER BY risk_state = 'atRisk' DESC, detected_date_time, id
