"""DuckDB reads the archive straight from an S3 endpoint (the local moto server).

Usage: query_s3.py ENDPOINT BUCKET PREFIX → prints one JSON object {query: rows}.
DuckDB's httpfs extension normally downloads at run time; the duckdb-extension-httpfs
package ships it, so this works offline.
"""
import json
import sys
from urllib.parse import urlparse

import duckdb
from duckdb_extensions import import_extension

endpoint, bucket, prefix = sys.argv[1:4]
import_extension("httpfs")
con = duckdb.connect()
con.execute("LOAD httpfs")
con.execute("SET TimeZone = 'UTC'")
for setting, value in {
    "s3_endpoint": urlparse(endpoint).netloc,
    "s3_use_ssl": "false",
    "s3_url_style": "path",
    "s3_region": "us-east-1",
    "s3_access_key_id": "test",
    "s3_secret_access_key": "test",
}.items():
    con.execute(f"SET {setting} = '{value}'")


def scan(dataset):
    return f"read_parquet('s3://{bucket}/{prefix}/{dataset}/**/*.parquet', hive_partitioning = true)"


QUERIES = {
    "signins": f"SELECT count(*), count(DISTINCT id) FROM {scan('signins')}",
    "failed_signins_per_user": f"""
        SELECT user_principal_name, count(*) FROM {scan('signins')}
        WHERE status.error_code <> 0 GROUP BY ALL ORDER BY 1""",
    "audits_by_day": f"""
        SELECT CAST(date AS VARCHAR), count(*) FROM {scan('directory_audits')} GROUP BY ALL ORDER BY 1""",
}
print(json.dumps({name: [list(r) for r in con.execute(sql).fetchall()] for name, sql in QUERIES.items()}, default=str))
