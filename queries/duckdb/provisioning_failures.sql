-- provisioning: failed provisioning events per source → target system and
-- error code, with an example reason.
SELECT source_system.display_name                                   AS source_system,
       target_system.display_name                                   AS target_system,
       service_principal.display_name                               AS provisioning_app,
       provisioning_action,
       provisioning_status_info.error_information.error_code        AS error_code,
       count(*)                                                     AS failures,
       any_value(provisioning_status_info.error_information.reason) AS example_reason
FROM read_parquet('archive/provisioning/**/*.parquet', hive_partitioning = true)
WHERE provisioning_status_info.status = 'failure'
GROUP BY ALL
ORDER BY failures DESC, source_system, target_system, error_code;
