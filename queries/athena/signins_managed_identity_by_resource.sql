-- signins_managed_identity: which Azure resources use their managed identity
-- to reach which resources over the last 7 days (managed_service_identity is
-- a struct). An identity reaching a resource it never used before deserves a
-- look: managed identities are how code in Azure gets at secrets and data.
SELECT managed_service_identity.msi_type                AS msi_type,
       managed_service_identity.associated_resource_id  AS azure_resource,
       service_principal_name,
       resource_display_name,
       count(*)                                         AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)   AS failures
FROM signins_managed_identity
WHERE "date" >= current_date - INTERVAL '7' DAY
GROUP BY managed_service_identity.msi_type,
         managed_service_identity.associated_resource_id,
         service_principal_name,
         resource_display_name
ORDER BY sign_ins DESC, azure_resource, resource_display_name
