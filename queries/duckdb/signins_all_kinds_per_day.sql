-- All four sign-in datasets at once: sign-ins per UTC day and kind.
-- union_by_name lines the v1.0 (signins) and beta columns up by name; the
-- beta-only columns are NULL for interactive rows.
SELECT date,
       coalesce(sign_in_event_types[1], 'interactiveUser') AS kind,
       count(*)                                          AS sign_ins,
       count(*) FILTER (WHERE status.error_code <> 0)    AS failures
FROM read_parquet([
        'archive/signins/**/*.parquet',
        'archive/signins_noninteractive/**/*.parquet',
        'archive/signins_service_principal/**/*.parquet',
        'archive/signins_managed_identity/**/*.parquet'
     ], hive_partitioning = true, union_by_name = true)
GROUP BY ALL
ORDER BY date, kind;
