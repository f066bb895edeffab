-- provisioning: failed provisioning events over the last 30 days per source →
-- target system and error code, with an example reason: the accounts an HR
-- system or SaaS app did not get, and why.
SELECT source_system.display_name                                    AS source_system,
       target_system.display_name                                    AS target_system,
       service_principal.display_name                                AS provisioning_app,
       provisioning_action,
       provisioning_status_info.error_information.error_code         AS error_code,
       count(*)                                                      AS failures,
       arbitrary(provisioning_status_info.error_information.reason)  AS example_reason
FROM provisioning
WHERE "date" >= current_date - INTERVAL '30' DAY
  AND provisioning_status_info.status = 'failure'
GROUP BY source_system.display_name,
         target_system.display_name,
         service_principal.display_name,
         provisioning_action,
         provisioning_status_info.error_information.error_code
ORDER BY failures DESC, source_system, target_system, error_code
