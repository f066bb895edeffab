-- signins + signins_noninteractive: risky sign-ins — those Identity Protection
-- rated medium or high (during the sign-in, or aggregated over the session), or
-- left at risk or confirmed compromised. Each row says who, to which app, from
-- where, what was detected (risk_event_types_v2: unfamiliarFeatures,
-- anonymizedIPAddress, …) and whether Conditional Access stopped it: a risky
-- sign-in that SUCCEEDED with conditional_access_status 'notApplied' is the one
-- to chase first. Needs Entra ID P2 for the risk fields to be filled in.
--
-- risk_event_types_v2 is a list (both datasets have it; the legacy
-- risk_event_types exists only in v1.0 signins). Workload sign-ins (service
-- principals, managed identities) carry no user risk, so they are not read.
SELECT created_date_time,
       coalesce(sign_in_event_types[1], 'interactiveUser')  AS kind,
       user_principal_name,
       app_display_name,
       ip_address,
       location.country_or_region                          AS country,
       location.city                                       AS city,
       risk_level_during_sign_in,
       risk_level_aggregated,
       risk_state,
       risk_detail,
       array_to_string(risk_event_types_v2, ', ')          AS risk_event_types,
       conditional_access_status,
       status.error_code                                   AS error_code,
       status.failure_reason                               AS failure_reason,
       id
FROM read_parquet([
        'archive/signins/**/*.parquet',
        'archive/signins_noninteractive/**/*.parquet'
     ], hive_partitioning = true, union_by_name = true)
WHERE risk_level_during_sign_in IN ('medium', 'high')
   OR risk_level_aggregated IN ('medium', 'high')
   OR risk_state IN ('atRisk', 'confirmedCompromised')
ORDER BY created_date_time DESC, id;
