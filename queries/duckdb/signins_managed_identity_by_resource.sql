-- signins_managed_identity: which Azure resources use their managed identity
-- to reach which resources (managed_service_identity is a struct).
SELECT managed_service_identity.msi_type                 AS msi_type,
       managed_service_identity.associated_resource_id   AS azure_resource,
       service_principal_name,
       resource_display_name,
       count(*)                                          AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)    AS failures
FROM read_parquet('archive/signins_managed_identity/**/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY sign_ins DESC, azure_resource, resource_display_name;
