-- signins_service_principal: service-principal sign-ins by app over the last
-- 7 days — how each app authenticates as itself, per service principal and
-- credential type (clientSecret, certificate, or clientAssertion: a
-- federated credential), with successes, failures and source IPs. A
-- secret-based sign-in from a new IP is what workload compromise looks like.
SELECT service_principal_name,
       service_principal_id,
       client_credential_type,
       count(*)                                        AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)  AS failures,
       count(DISTINCT ip_address)                      AS ip_addresses,
       array_sort(filter(array_distinct(array_agg(resource_display_name)), r -> r IS NOT NULL)) AS resources,
       max(created_date_time)                          AS last_seen
FROM signins_service_principal
WHERE "date" >= current_date - INTERVAL '7' DAY
GROUP BY service_principal_name, service_principal_id, client_credential_type
ORDER BY sign_ins DESC, service_principal_name, client_credential_type
