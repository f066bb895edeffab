-- directory_audits: who gave which application access to the tenant's data,
-- and who added or removed an application's credentials, over the last 90
-- days. Illicit consent grants (a user or admin consenting to a malicious
-- multi-tenant app) and a new secret on an existing app are how attackers keep
-- access after a password reset; every grant and credential change belongs in
-- a periodic review.
--
-- One row per change:
--   change = 'consent'     "Consent to application": admin_consent and the
--                          consent type and scopes granted;
--   change = 'credential'  "Update application – Certificates and secrets
--                          management " (sic: an en dash and a trailing space
--                          in Entra's own name, hence the LIKE) and the service
--                          principal credential activities: the keys added and
--                          removed.
--
-- modified_properties values are JSON-encoded strings: ConsentContext.IsAdminConsent
-- is "\"True\"", ConsentAction.Permissions is a JSON string holding Entra's
-- own "[old grants] => [[Id: …, ConsentType: AllPrincipals, Scope: a b, …]]"
-- text, and KeyDescription is a JSON list of "[KeyIdentifier=…,KeyType=Password,
-- KeyUsage=Verify,DisplayName=…]" strings. try() makes a value that is not
-- JSON NULL instead of failing the query.
-- Trino's UNNEST expands an array of ROWs into one column per field, in the
-- order of the ROW: transform() builds a ROW of exactly the fields needed, so
-- the column list below does not depend on the table's field order.
WITH audits AS (
    SELECT a.id,
           a.activity_date_time,
           a.activity_display_name,
           a.result,
           coalesce(a.initiated_by."user".user_principal_name, a.initiated_by.app.display_name) AS initiated_by,
           CASE WHEN a.activity_display_name = 'Consent to application' THEN 'consent' ELSE 'credential' END AS change,
           t.app_object_id,
           t.app,
           t.properties
    FROM directory_audits AS a
    CROSS JOIN UNNEST(transform(
        filter(a.target_resources, r -> r.type IN ('ServicePrincipal', 'Application')),  -- the app, not the consenting user
        r -> ROW(r.id, r.display_name, r.modified_properties)
    )) AS t (app_object_id, app, properties)
    WHERE a."date" >= current_date - INTERVAL '90' DAY
      AND (a.activity_display_name = 'Consent to application'
           OR a.activity_display_name LIKE 'Update application%Certificates and secrets management%'
           OR a.activity_display_name IN ('Add service principal credentials', 'Remove service principal credentials'))
),
decoded AS (
    SELECT *,
           -- the new (or old) value of one modified property, NULL if absent
           json_extract_scalar(element_at(filter(properties, m -> m.display_name = 'ConsentContext.IsAdminConsent'), 1).new_value, '$') AS admin_consent_text,
           json_extract_scalar(element_at(filter(properties, m -> m.display_name = 'ConsentAction.Permissions'), 1).new_value, '$')     AS permissions_text,
           coalesce(try(CAST(json_parse(element_at(filter(properties, m -> m.display_name = 'KeyDescription'), 1).old_value) AS ARRAY(VARCHAR))),
                    CAST(ARRAY[] AS ARRAY(VARCHAR)))                                                                                   AS keys_before,
           coalesce(try(CAST(json_parse(element_at(filter(properties, m -> m.display_name = 'KeyDescription'), 1).new_value) AS ARRAY(VARCHAR))),
                    CAST(ARRAY[] AS ARRAY(VARCHAR)))                                                                                   AS keys_after
    FROM audits
)
SELECT activity_date_time,
       change,
       activity_display_name,
       result,
       initiated_by,
       app,
       app_object_id,
       lower(admin_consent_text) = 'true'                                                           AS admin_consent,
       -- the grant after "=>" is the new one; its ConsentType and Scope fields
       nullif(trim(regexp_extract(split_part(permissions_text, '=>', 2), 'ConsentType:\s*([^,\]]*)', 1)), '') AS consent_type,
       nullif(trim(regexp_extract(split_part(permissions_text, '=>', 2), 'Scope:\s*([^,\]]*)', 1)), '')       AS scopes,
       -- keys present after and not before (added), and before and not after (removed), as "KeyType: DisplayName"
       nullif(array_join(transform(
           filter(keys_after, k -> NOT contains(keys_before, k)),
           k -> regexp_extract(k, 'KeyType=([^,\]]*)', 1) || ': ' || regexp_extract(k, 'DisplayName=([^,\]]*)', 1)), '; '), '') AS credentials_added,
       nullif(array_join(transform(
           filter(keys_before, k -> NOT contains(keys_after, k)),
           k -> regexp_extract(k, 'KeyType=([^,\]]*)', 1) || ': ' || regexp_extract(k, 'DisplayName=([^,\]]*)', 1)), '; '), '') AS credentials_removed,
       id
FROM decoded
ORDER BY activity_date_time, id
