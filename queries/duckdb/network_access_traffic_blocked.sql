-- network_access_traffic: what Global Secure Access blocked, for whom and why
-- — blocked connections per user (or branch office: a remote network names no
-- user), destination, web category, policy rule and threat. Threat
-- intelligence blocks point at a device to look at; a category or tenant
-- restriction blocking work someone needs is a policy to tune.
-- Traffic logs are the archive's largest dataset on a busy tenant: add
-- WHERE date >= … to read fewer days.
SELECT coalesce(user_principal_name, 'remote network ' || remote_network_id) AS source,
       traffic_type,
       destination_fqdn,
       destination_web_category.display_name                AS web_category,
       policy_name,
       policy_rule_name,
       threat_type,
       count(*)                                             AS connections,
       min(created_date_time)                               AS first_seen,
       max(created_date_time)                               AS last_seen
FROM read_parquet('archive/network_access_traffic/**/*.parquet', hive_partitioning = true)
WHERE action = 'block'
GROUP BY ALL
ORDER BY connections DESC, source, destination_fqdn, policy_rule_name;
