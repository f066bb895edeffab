-- signups: where customers drop out of self-service sign-up, and why
-- (Microsoft Entra External ID tenants). Each stage of a sign-up is a record —
-- credential collection and validation (email one-time passcode, email with
-- password) or federation (Google, Facebook, Apple), attribute collection,
-- consent, user creation — so per app and identity provider the stages read
-- as a funnel: fewer records at each later stage, the failures of each stage,
-- and their reasons. A stage that starts failing after a change (a custom
-- authentication extension answering errors, an identity provider that stops
-- sending email addresses) shows here first.
SELECT app_display_name,
       sign_up_identity_provider,
       sign_up_stage,
       count(*)                                              AS records,
       count(*) FILTER (WHERE status.error_code <> 0)        AS failures,
       count(DISTINCT nullif(user_id, ''))                   AS users_created,
       list(DISTINCT status.error_code ORDER BY status.error_code)
           FILTER (WHERE status.error_code <> 0)             AS error_codes,
       list(DISTINCT status.failure_reason ORDER BY status.failure_reason)
           FILTER (WHERE status.error_code <> 0 AND status.failure_reason IS NOT NULL) AS failure_reasons
FROM read_parquet('archive/signups/**/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY app_display_name, sign_up_identity_provider, records DESC, sign_up_stage;
