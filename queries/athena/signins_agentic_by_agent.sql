-- signins_noninteractive + signins_service_principal + signins_managed_identity:
-- what each AI agent did over the last 30 days — agentic sign-ins per agent,
-- per type of agent identity and per kind of subject the token was for. An
-- agent identity (Entra Agent ID) signs in for a user (on-behalf-of: the
-- subject is the user, agent_subject_type 'notAgentic') or as itself; a review
-- asks which agents act, for how many users, on which resources, and how
-- often they fail.
--
-- Only beta sign-ins have the agent struct (agent_type, agent_subject_type,
-- agent_subject_parent_id: the agent identity or its blueprint,
-- parent_app_id: the blueprint's app). A sign-in is agentic when either the
-- identity or the subject is; Graph may send agent_type 'notAgentic' for the
-- others, or no agent at all.
-- Athena has no union_by_name: each table contributes the columns the query
-- needs, named alike, and UNION ALL stacks them (scalars taken out of the
-- agent struct first). Each beta dataset holds one kind of sign-in.
WITH sign_ins AS (
    SELECT app_display_name, app_id, agent.parent_app_id AS blueprint_app_id, agent.agent_type AS agent_type,
           agent.agent_subject_type AS subject_type, 'nonInteractiveUser' AS kind, status.error_code AS error_code,
           user_id, resource_display_name, created_date_time
    FROM signins_noninteractive
    WHERE "date" >= current_date - INTERVAL '30' DAY
    UNION ALL
    SELECT app_display_name, app_id, agent.parent_app_id, agent.agent_type,
           agent.agent_subject_type, 'servicePrincipal', status.error_code,
           user_id, resource_display_name, created_date_time
    FROM signins_service_principal
    WHERE "date" >= current_date - INTERVAL '30' DAY
    UNION ALL
    SELECT app_display_name, app_id, agent.parent_app_id, agent.agent_type,
           agent.agent_subject_type, 'managedIdentity', status.error_code,
           user_id, resource_display_name, created_date_time
    FROM signins_managed_identity
    WHERE "date" >= current_date - INTERVAL '30' DAY
)
SELECT app_display_name                              AS agent,
       app_id                                        AS agent_app_id,
       blueprint_app_id,
       agent_type,
       subject_type,
       kind,
       count(*)                                      AS sign_ins,
       count_if(error_code <> 0)                     AS failures,
       count(DISTINCT nullif(user_id, ''))           AS users,
       array_sort(array_agg(DISTINCT resource_display_name)) AS resources,
       min(created_date_time)                        AS first_seen,
       max(created_date_time)                        AS last_seen
FROM sign_ins
WHERE coalesce(agent_type, 'notAgentic') <> 'notAgentic'
   OR coalesce(subject_type, 'notAgentic') <> 'notAgentic'
GROUP BY app_display_name, app_id, blueprint_app_id, agent_type, subject_type, kind
ORDER BY sign_ins DESC, agent, subject_type, kind
