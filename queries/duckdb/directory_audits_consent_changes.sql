-- directory_audits: who gave which application access to the tenant's data,
-- and who added or removed an application's credentials. Illicit consent
-- grants (a user or admin consenting to a malicious multi-tenant app) and a
-- new secret on an existing app are how attackers keep access after a password
-- reset; every grant and credential change belongs in a periodic review.
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
-- KeyUsage=Verify,DisplayName=…]" strings. try_cast(… AS JSON) is NULL for a
-- value that is not JSON, instead of failing the query.
WITH audits AS (
    SELECT a.id,
           a.activity_date_time,
           a.activity_display_name,
           a.result,
           coalesce(a.initiated_by.user.user_principal_name, a.initiated_by.app.display_name) AS initiated_by,
           t AS target,
           CASE WHEN a.activity_display_name = 'Consent to application' THEN 'consent' ELSE 'credential' END AS change
    FROM read_parquet('archive/directory_audits/**/*.parquet', hive_partitioning = true) AS a,
         unnest(a.target_resources) AS u(t)
    WHERE (a.activity_display_name = 'Consent to application'
           OR a.activity_display_name LIKE 'Update application%Certificates and secrets management%'
           OR a.activity_display_name IN ('Add service principal credentials', 'Remove service principal credentials'))
      AND t.type IN ('ServicePrincipal', 'Application')   -- the app, not the consenting user
),
decoded AS (
    SELECT *,
           -- the new value of one modified property, as JSON (NULL if absent)
           try_cast(list_filter(target.modified_properties, lambda m: m.display_name = 'ConsentContext.IsAdminConsent')[1].new_value AS JSON) AS admin_consent_json,
           json_extract_string(try_cast(list_filter(target.modified_properties, lambda m: m.display_name = 'ConsentAction.Permissions')[1].new_value AS JSON), '$') AS permissions_text,
           from_json(try_cast(list_filter(target.modified_properties, lambda m: m.display_name = 'KeyDescription')[1].old_value AS JSON), '["VARCHAR"]') AS keys_before,
           from_json(try_cast(list_filter(target.modified_properties, lambda m: m.display_name = 'KeyDescription')[1].new_value AS JSON), '["VARCHAR"]') AS keys_after
    FROM audits
)
SELECT activity_date_time,
       change,
       activity_display_name,
       result,
       initiated_by,
       target.display_name                                              AS app,
       target.id                                                        AS app_object_id,
       lower(json_extract_string(admin_consent_json, '$')) = 'true'     AS admin_consent,
       -- the grant after "=>" is the new one; its ConsentType and Scope fields
       nullif(trim(regexp_extract(split_part(permissions_text, '=>', 2), 'ConsentType:\s*([^,\]]*)', 1)), '') AS consent_type,
       nullif(trim(regexp_extract(split_part(permissions_text, '=>', 2), 'Scope:\s*([^,\]]*)', 1)), '')       AS scopes,
       -- keys present after and not before (added), and before and not after (removed), as "KeyType: DisplayName"
       nullif(array_to_string(list_transform(
           list_filter(coalesce(keys_after, []), lambda k: NOT list_contains(coalesce(keys_before, []), k)),
           lambda k: regexp_extract(k, 'KeyType=([^,\]]*)', 1) || ': ' || regexp_extract(k, 'DisplayName=([^,\]]*)', 1)), '; '), '') AS credentials_added,
       nullif(array_to_string(list_transform(
           list_filter(coalesce(keys_before, []), lambda k: NOT list_contains(coalesce(keys_after, []), k)),
           lambda k: regexp_extract(k, 'KeyType=([^,\]]*)', 1) || ': ' || regexp_extract(k, 'DisplayName=([^,\]]*)', 1)), '; '), '') AS credentials_removed,
       id
FROM decoded
ORDER BY activity_date_time, id;
