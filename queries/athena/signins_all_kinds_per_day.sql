-- All four sign-in datasets at once: sign-ins and failures per UTC day and
-- kind over the last 30 days — the tenant's sign-in volume at a glance, and
-- the first place a spike of failures shows.
-- Athena has no union_by_name: each table contributes the columns the query
-- needs, named alike, and UNION ALL stacks them. Each beta dataset holds one
-- kind of sign-in (its signInEventTypes filter), so the kind is a constant.
WITH sign_ins AS (
    SELECT "date", 'interactiveUser' AS kind, status.error_code AS error_code
    FROM signins
    WHERE "date" >= current_date - INTERVAL '30' DAY
    UNION ALL
    SELECT "date", 'nonInteractiveUser', status.error_code
    FROM signins_noninteractive
    WHERE "date" >= current_date - INTERVAL '30' DAY
    UNION ALL
    SELECT "date", 'servicePrincipal', status.error_code
    FROM signins_service_principal
    WHERE "date" >= current_date - INTERVAL '30' DAY
    UNION ALL
    SELECT "date", 'managedIdentity', status.error_code
    FROM signins_managed_identity
    WHERE "date" >= current_date - INTERVAL '30' DAY
)
SELECT "date",
       kind,
       count(*)                 AS sign_ins,
       count_if(error_code <> 0) AS failures
FROM sign_ins
GROUP BY "date", kind
ORDER BY "date", kind
