"""Typed queries an analyst runs over the archive, with DuckDB.

Usage: query_archive.py ARCHIVE_DIR  → prints one JSON object {query: rows}.
"""
import json
import sys

import duckdb

archive = sys.argv[1]


def scan(dataset):
    return f"read_parquet('{archive}/{dataset}/**/*.parquet', hive_partitioning = true)"


QUERIES = {
    # Failed sign-ins per user: status is a struct, error_code an integer.
    "failed_signins_per_user": f"""
        SELECT user_principal_name, count(*) AS failures
        FROM {scan('signins')}
        WHERE status.error_code <> 0
        GROUP BY ALL ORDER BY user_principal_name""",
    # Audit events by the user who initiated them.
    "audits_by_initiator": f"""
        SELECT initiated_by.user.user_principal_name AS upn, count(*) AS events
        FROM {scan('directory_audits')}
        WHERE initiated_by.user.user_principal_name IS NOT NULL
        GROUP BY ALL ORDER BY upn""",
    # The date partition is the record's own UTC day.
    "signins_in_wrong_partition": f"""
        SELECT count(*) FROM {scan('signins')}
        WHERE date <> CAST(timezone('UTC', created_date_time) AS DATE)""",
    "audits_in_wrong_partition": f"""
        SELECT count(*) FROM {scan('directory_audits')}
        WHERE date <> CAST(timezone('UTC', activity_date_time) AS DATE)""",
    # raw is the record itself: its id is the id column.
    "raw_id_mismatches": f"""
        SELECT count(*) FROM {scan('signins')} WHERE json_extract_string(raw, '$.id') <> id""",
    # Policies applied per sign-in: a list of structs, unnested.
    "ca_policy_results": f"""
        SELECT p.result AS result, count(*) AS n
        FROM (SELECT unnest(applied_conditional_access_policies) AS p FROM {scan('signins')})
        GROUP BY ALL ORDER BY result""",
    "column_types": f"""
        SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {scan('signins')})
        WHERE column_name IN ('created_date_time', 'date', 'status', 'is_interactive')
        ORDER BY column_name""",
}

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
results = {}
for name, sql in QUERIES.items():
    results[name] = [list(row) for row in con.execute(sql).fetchall()]
print(json.dumps(results, default=str))
