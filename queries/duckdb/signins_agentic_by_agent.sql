-- signins_noninteractive + signins_service_principal + signins_managed_identity:
-- what each AI agent did — agentic sign-ins per agent, per type of agent
-- identity and per kind of subject the token was for. An agent identity
-- (Entra Agent ID) signs in for a user (on-behalf-of: the subject is the
-- user, agent_subject_type 'notAgentic') or as itself; a review asks which
-- agents act, for how many users, on which resources, and how often they fail.
--
-- Only beta sign-ins have the agent struct (agent_type, agent_subject_type,
-- agent_subject_parent_id: the agent identity or its blueprint,
-- parent_app_id: the blueprint's app). A sign-in is agentic when either the
-- identity or the subject is; Graph may send agent_type 'notAgentic' for the
-- others, or no agent at all. union_by_name lines the three datasets up by name.
SELECT app_display_name                                    AS agent,
       app_id                                              AS agent_app_id,
       agent.parent_app_id                                 AS blueprint_app_id,
       agent.agent_type                                    AS agent_type,
       agent.agent_subject_type                            AS subject_type,
       sign_in_event_types[1]                              AS kind,
       count(*)                                            AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)      AS failures,
       count(DISTINCT nullif(user_id, ''))                 AS users,
       list(DISTINCT resource_display_name ORDER BY resource_display_name) AS resources,
       min(created_date_time)                              AS first_seen,
       max(created_date_time)                              AS last_seen
FROM read_parquet([
        'archive/signins_noninteractive/**/*.parquet',
        'archive/signins_service_principal/**/*.parquet',
        'archive/signins_managed_identity/**/*.parquet'
     ], hive_partitioning = true, union_by_name = true)
WHERE coalesce(agent.agent_type, 'notAgentic') <> 'notAgentic'
   OR coalesce(agent.agent_subject_type, 'notAgentic') <> 'notAgentic'
GROUP BY ALL
ORDER BY sign_ins DESC, agent, subject_type, kind;
