"""Runs the shipped DuckDB queries (queries/duckdb/*.sql) over an archive.

Usage: run_queries.py ARCHIVE [NAME ...]
Prints one JSON object: {query name: {"columns": [...], "rows": [[...], ...]}}.
A query that fails makes the script exit 1 naming it. The archive may be a
folder or an s3:// URL (with DuckDB's httpfs configured by the caller).
"""
import json
import pathlib
import sys

import duckdb

QUERIES = pathlib.Path(__file__).resolve().parents[2] / "queries" / "duckdb"

archive, only = sys.argv[1], set(sys.argv[2:])
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET VARIABLE archive = ?", [archive.rstrip("/")])
results = {}
for path in sorted(QUERIES.glob("*.sql")):
    if only and path.stem not in only:
        continue
    try:
        cursor = con.execute(path.read_text())
        columns = [d[0] for d in cursor.description]
        rows = [list(row) for row in cursor.fetchall()]
    except duckdb.Error as e:
        print(f"{path.name}: {e}", file=sys.stderr)
        sys.exit(1)
    results[path.stem] = {"columns": columns, "rows": rows}
print(json.dumps(results, default=str))
