"""DuckDB reads the archive straight from an S3 endpoint (the local moto server).

Usage: query_s3.py ENDPOINT BUCKET PREFIX → prints one JSON object {query: rows}.
DuckDB's httpfs extension normally downloads at run time; the duckdb-extension-httpfs
package ships it, so this works offline.

"readers_guide" is the README's DuckDB-on-S3 recipe (tests/python/readers_guide.py),
run as written but for the bucket and prefix, and its credential-chain secret: offline
there is no `aws` extension, so a secret with moto's endpoint and keys stands in.
"""
import json
import sys
from urllib.parse import urlparse

import duckdb
import readers_guide
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


def readme_recipe():
    code = readers_guide.recipe("duckdb-s3")
    for placeholder, here in {
        "s3://my-bucket/entra/": f"s3://{bucket}/{prefix}/",
        "CREATE SECRET (TYPE s3, PROVIDER credential_chain)": (
            "CREATE SECRET (TYPE s3, KEY_ID 'test', SECRET 'test', REGION 'us-east-1', "
            f"ENDPOINT '{urlparse(endpoint).netloc}', USE_SSL false, URL_STYLE 'path')"
        ),
    }.items():
        if placeholder not in code:
            sys.exit(f"query_s3: the README's recipe:duckdb-s3 no longer has {placeholder!r}")
        code = code.replace(placeholder, here)
    return duckdb.connect().execute(code).fetchall()


answers = {name: [list(r) for r in con.execute(sql).fetchall()] for name, sql in QUERIES.items()}
answers["readers_guide"] = [list(r) for r in readme_recipe()]
print(json.dumps(answers, default=str))
