-- signins + signins_noninteractive: risky sign-ins of the last 7 days — those
-- Identity Protection rated medium or high (during the sign-in, or aggregated
-- over the session), or left at risk or confirmed compromised. Each row says
-- who, to which app, from where, what was detected (risk_event_types_v2:
-- unfamiliarFeatures, anonymizedIPAddress, …) and whether Conditional Access
-- stopped it: a risky sign-in that SUCCEEDED with conditional_access_status
-- 'notApplied' is the one to chase first. Needs Entra ID P2 for the risk
-- fields to be filled in. Workload sign-ins carry no user risk, so they are
-- not read.
-- Athena has no union_by_name: both tables contribute the same list of
-- columns (scalars taken out of the structs, so the two tables' struct
-- definitions need not be identical), stacked with UNION ALL.
-- risk_event_types_v2 is in both (the legacy risk_event_types only in v1.0).
WITH sign_ins AS (
    SELECT id, created_date_time, 'interactiveUser' AS kind, user_principal_name, app_display_name,
           ip_address, location.country_or_region AS country, location.city AS city,
           risk_level_during_sign_in, risk_level_aggregated, risk_state, risk_detail,
           risk_event_types_v2, conditional_access_status,
           status.error_code AS error_code, status.failure_reason AS failure_reason
    FROM signins
    WHERE "date" >= current_date - INTERVAL '7' DAY
    UNION ALL
    SELECT id, created_date_time, 'nonInteractiveUser', user_principal_name, app_display_name,
           ip_address, location.country_or_region, location.city,
           risk_level_during_sign_in, risk_level_aggregated, risk_state, risk_detail,
           risk_event_types_v2, conditional_access_status,
           status.error_code, status.failure_reason
    FROM signins_noninteractive
    WHERE "date" >= current_date - INTERVAL '7' DAY
)
SELECT created_date_time,
       kind,
       user_principal_name,
       app_display_name,
       ip_address,
       country,
       city,
       risk_level_during_sign_in,
       risk_level_aggregated,
       risk_state,
       risk_detail,
       array_join(risk_event_types_v2, ', ') AS risk_event_types,
       conditional_access_status,
       error_code,
       failure_reason,
       id
FROM sign_ins
WHERE risk_level_during_sign_in IN ('medium', 'high')
   OR risk_level_aggregated IN ('medium', 'high')
   OR risk_state IN ('atRisk', 'confirmedCompromised')
ORDER BY created_date_time DESC, id
