-- directory_audits: who was added to which directory role, by whom.
-- modified_properties values are JSON-encoded strings (Graph sends
-- "\"Global Administrator\""); json_extract_string(value, '$') decodes them.
SELECT a.activity_date_time,
       coalesce(a.initiated_by.user.user_principal_name, a.initiated_by.app.display_name) AS initiated_by,
       u.user_principal_name                                   AS assignee,
       json_extract_string(p.new_value, '$')                   AS role,
       a.result
FROM read_parquet('archive/directory_audits/**/*.parquet', hive_partitioning = true) AS a,
     unnest(a.target_resources) AS r(role_target),
     unnest(role_target.modified_properties) AS m(p),
     unnest(a.target_resources) AS t(u)
WHERE a.activity_display_name = 'Add member to role'
  AND role_target.type = 'Role'
  AND p.display_name = 'Role.DisplayName'
  AND u.type = 'User'
ORDER BY a.activity_date_time, assignee;
