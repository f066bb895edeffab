-- directory_audits: who was added to which directory role, by whom, over the
-- last 90 days. A new Global Administrator is the change every review starts
-- with.
-- modified_properties values are JSON-encoded strings (Graph sends
-- "\"Global Administrator\""); json_extract_scalar(value, '$') decodes them.
-- Trino's UNNEST expands an array of ROWs into one column per field, so the
-- query never unnests target_resources itself: filter() and transform() turn
-- it into arrays of plain strings first (role names, assignee UPNs), which
-- unnest into one column each.
SELECT a.activity_date_time,
       coalesce(a.initiated_by."user".user_principal_name, a.initiated_by.app.display_name) AS initiated_by,
       u.assignee,
       r.role,
       a.result
FROM directory_audits AS a
CROSS JOIN UNNEST(
    -- the decoded Role.DisplayName of every Role target
    flatten(transform(
        filter(a.target_resources, t -> t.type = 'Role'),
        t -> transform(
            filter(t.modified_properties, m -> m.display_name = 'Role.DisplayName'),
            m -> json_extract_scalar(m.new_value, '$'))))
) AS r (role)
CROSS JOIN UNNEST(
    transform(filter(a.target_resources, t -> t.type = 'User'), t -> t.user_principal_name)
) AS u (assignee)
WHERE a."date" >= current_date - INTERVAL '90' DAY
  AND a.activity_display_name = 'Add member to role'
ORDER BY a.activity_date_time, u.assignee
