-- signups: where customers drop out of self-service sign-up over the last 30
-- days, and why (Microsoft Entra External ID tenants). Each stage of a sign-up
-- is a record — credential collection and validation (email one-time
-- passcode, email with password) or federation (Google, Facebook, Apple),
-- attribute collection, consent, user creation — so per app and identity
-- provider the stages read as a funnel: how many records reached each stage,
-- how many failed there, and why. A stage that starts failing after a change
-- (a custom authentication extension answering errors, an identity provider
-- that stops sending email addresses) shows here first.
-- Trino's array_agg keeps NULLs: the FILTER clauses leave them out.
SELECT app_display_name,
       sign_up_identity_provider,
       sign_up_stage,
       count(*)                                                     AS records,
       count_if(status.error_code <> 0)                             AS failures,
       count(DISTINCT nullif(user_id, ''))                          AS users_created,
       array_sort(array_agg(DISTINCT status.error_code) FILTER (WHERE status.error_code <> 0)) AS error_codes,
       array_sort(array_agg(DISTINCT status.failure_reason)
           FILTER (WHERE status.error_code <> 0 AND status.failure_reason IS NOT NULL))        AS failure_reasons
FROM signups
WHERE "date" >= current_date - INTERVAL '30' DAY
GROUP BY app_display_name, sign_up_identity_provider, sign_up_stage
ORDER BY app_display_name, sign_up_identity_provider, records DESC, sign_up_stage
