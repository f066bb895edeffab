-- custom_security_attribute_audits: every change over the last 90 days to the
-- custom security attribute values assigned to users and service principals,
-- per attribute: who set which attribute on whom, from what to what.
-- Attributes such as a clearance or a data classification drive
-- attribute-based access control (Azure role assignment conditions, app
-- filters in Conditional Access), so a changed value is a changed permission
-- — and these changes are kept out of the directory audit log.
--
-- The changed attribute is a modified property named "<attribute set>_<attribute>"
-- (the others, "Included Updated Properties" and "TargetId.UserType", describe
-- the change). Its values are JSON-encoded strings: "\"Secret\"" for a string,
-- 1002 for an integer, "[\"Alpine\",\"Baker\"]" for a multi-valued attribute,
-- shown here as plain text, the values of a list joined with ", "; NULL when
-- the attribute had no value before (or has none after). try() makes a value
-- that is not a JSON list NULL instead of an error.
-- Trino's UNNEST expands an array of ROWs into one column per field, in the
-- order of the ROW: transform() builds a ROW of exactly the fields needed.
WITH changes AS (
    SELECT a.activity_date_time,
           a.result,
           coalesce(a.initiated_by."user".user_principal_name, a.initiated_by.app.display_name) AS changed_by,
           c.target_type,
           c.target,
           c.target_id,
           c.property,
           c.old_value,
           c.new_value,
           a.id
    FROM custom_security_attribute_audits AS a
    CROSS JOIN UNNEST(flatten(transform(
        a.target_resources,
        t -> transform(
            filter(t.modified_properties,
                   m -> m.display_name <> 'Included Updated Properties' AND NOT starts_with(m.display_name, 'TargetId.')),
            m -> ROW(t.type, coalesce(t.user_principal_name, t.display_name), t.id, m.display_name, m.old_value, m.new_value)))
    )) AS c (target_type, target, target_id, property, old_value, new_value)
    WHERE a."date" >= current_date - INTERVAL '90' DAY
      AND a.activity_display_name LIKE 'Update attribute values assigned to %'
)
SELECT split_part(property, '_', 1)                                         AS attribute_set,
       substr(property, strpos(property, '_') + 1)                          AS attribute,
       activity_date_time,
       changed_by,
       target_type,
       target,
       coalesce(array_join(try(CAST(json_parse(old_value) AS ARRAY(VARCHAR))), ', '),
                json_extract_scalar(old_value, '$'))                        AS old_value,
       coalesce(array_join(try(CAST(json_parse(new_value) AS ARRAY(VARCHAR))), ', '),
                json_extract_scalar(new_value, '$'))                        AS new_value,
       result,
       target_id,
       id
FROM changes
ORDER BY attribute_set, attribute, activity_date_time, id
