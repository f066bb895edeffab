-- signins_service_principal: service-principal sign-ins by app — how each app
-- authenticates as itself, per service principal and credential type
-- (clientSecret, certificate, or clientAssertion: a federated credential),
-- with successes, failures, source IPs and the resources it reached. A
-- secret-based sign-in from a new IP is what workload compromise looks like.
SELECT service_principal_name,
       service_principal_id,
       client_credential_type,
       count(*)                                             AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)       AS failures,
       count(DISTINCT ip_address)                           AS ip_addresses,
       list(DISTINCT resource_display_name ORDER BY resource_display_name) AS resources,
       max(created_date_time)                               AS last_seen
FROM read_parquet('archive/signins_service_principal/**/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY sign_ins DESC, service_principal_name, client_credential_type;
