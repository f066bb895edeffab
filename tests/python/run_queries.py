"""Runs the shipped DuckDB queries (queries/duckdb/*.sql) over an archive.

Usage: run_queries.py ARCHIVE_DIR [NAME ...]
The queries read `archive/<dataset>/**/*.parquet` relative to the working
directory (as from the repository root after `make demo`), so this runs them
from a temporary directory where `archive` links to ARCHIVE_DIR.
The DuckDB release is the one found on sys.path: PYTHONPATH=.venv/duckdb2
picks the current one the Makefile installs beside the venv's pinned one.
Prints one JSON object: {"duckdb": version, "queries": {query name:
{"columns": [...], "rows": [[...], ...]}}}.
A query that fails makes the script exit 1 naming it and the DuckDB release.
"""
import json
import os
import pathlib
import sys
import tempfile

import duckdb

QUERIES = pathlib.Path(__file__).resolve().parents[2] / "queries" / "duckdb"

archive, only = pathlib.Path(sys.argv[1]).resolve(), set(sys.argv[2:])
workdir = tempfile.mkdtemp()
os.symlink(archive, os.path.join(workdir, "archive"))
os.chdir(workdir)
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
results = {}
for path in sorted(QUERIES.glob("*.sql")):
    if only and path.stem not in only:
        continue
    try:
        cursor = con.execute(path.read_text())
        columns = [d[0] for d in cursor.description]
        rows = [list(row) for row in cursor.fetchall()]
    except duckdb.Error as e:
        print(f"{path.name} on DuckDB {duckdb.__version__}: {e}", file=sys.stderr)
        sys.exit(1)
    results[path.stem] = {"columns": columns, "rows": rows}
print(json.dumps({"duckdb": duckdb.__version__, "queries": results}, default=str))
