-- custom_security_attribute_audits: every change to the custom security
-- attribute values assigned to users and service principals, per attribute:
-- who set which attribute on whom, from what to what. Attributes such as a
-- clearance or a data classification drive attribute-based access control
-- (Azure role assignment conditions, app filters in Conditional Access), so a
-- changed value is a changed permission — and these changes are kept out of
-- the directory audit log.
--
-- The changed attribute is a modified property named "<attribute set>_<attribute>"
-- (the others, "Included Updated Properties" and "TargetId.UserType", describe
-- the change). Its values are JSON-encoded strings: "\"Secret\"" for a string,
-- 1002 for an integer, "[\"Alpine\",\"Baker\"]" for a multi-valued attribute,
-- shown here as plain text, the values of a list joined with ", "; NULL when
-- the attribute had no value before (or has none after).
WITH changes AS (
    SELECT a.activity_date_time,
           a.activity_display_name,
           a.result,
           coalesce(a.initiated_by.user.user_principal_name, a.initiated_by.app.display_name) AS changed_by,
           t.type                                               AS target_type,
           coalesce(t.user_principal_name, t.display_name)      AS target,
           t.id                                                 AS target_id,
           m.display_name                                       AS property,
           try_cast(m.old_value AS JSON)                        AS old_json,
           try_cast(m.new_value AS JSON)                        AS new_json,
           a.id
    FROM read_parquet('archive/custom_security_attribute_audits/**/*.parquet', hive_partitioning = true) AS a,
         unnest(a.target_resources) AS u(t),
         unnest(t.modified_properties) AS v(m)
    WHERE a.activity_display_name LIKE 'Update attribute values assigned to %'
      AND m.display_name <> 'Included Updated Properties'
      AND m.display_name NOT LIKE 'TargetId.%'
)
SELECT split_part(property, '_', 1)                                          AS attribute_set,
       substr(property, strpos(property, '_') + 1)                           AS attribute,
       activity_date_time,
       changed_by,
       target_type,
       target,
       CASE WHEN json_type(old_json) = 'ARRAY'
            THEN array_to_string(from_json(old_json, '["VARCHAR"]'), ', ')
            ELSE json_extract_string(old_json, '$') END                      AS old_value,
       CASE WHEN json_type(new_json) = 'ARRAY'
            THEN array_to_string(from_json(new_json, '["VARCHAR"]'), ', ')
            ELSE json_extract_string(new_json, '$') END                      AS new_value,
       result,
       target_id,
       id
FROM changes
ORDER BY attribute_set, attribute, activity_date_time, id;
