#!/usr/bin/env python3
"""Open every dataset of an archive folder the way analysts' engines do, with
their default settings, run the README's readers' guide recipe for the
engine (tests/python/readers_guide.py), and report what each saw as JSON on
stdout.

    check_readers.py ENGINE ARCHIVE

ENGINE is one of:
  pyarrow  every dataset read with hive partitioning; every row turned into
           Python objects (to_pylist); the type of every timestamp field,
           nested ones included.
  duckdb   the DuckDB found on sys.path (PYTHONPATH picks the release):
           row counts, and arithmetic on time columns — subtracting two,
           age(), epoch_ms() — which DuckDB 2.x refuses on nanoseconds;
           the recipe's answer.
  pyspark  Apache Spark (local, default settings) reads each dataset folder:
           row counts, the Spark type of each time column, and a value; the
           recipe's DataFrames counted, and what one read of the four
           sign-in folders does.
  polars   the recipe's frames: per-day answer, the sign-in kinds stacked.
  pandas   the recipe's frames: per-day answer, rows, types.
  athena   the recipe's query through the Trino check of the shipped
           Athena queries (tests/python/check_athena.py).

Engines run from a folder where `archive` links to ARCHIVE, as the recipes
expect. Errors are not caught: the engine's own message fails the caller's
test.
"""

import json
import re
import sys
from pathlib import Path

import readers_guide

SIGN_IN_KINDS = ["signins", "signins_noninteractive", "signins_service_principal", "signins_managed_identity"]

# Time columns the checks do arithmetic on, per dataset: (column, another).
TIME_PAIRS = {
    "signins": ("created_date_time", "created_date_time"),
    "signins_noninteractive": ("created_date_time", "created_date_time"),
    "signins_service_principal": ("created_date_time", "created_date_time"),
    "signins_managed_identity": ("created_date_time", "created_date_time"),
    "directory_audits": ("activity_date_time", "activity_date_time"),
    "provisioning": ("activity_date_time", "activity_date_time"),
    "risk_detections": ("last_updated_date_time", "detected_date_time"),
    "service_principal_risk_detections": ("last_updated_date_time", "detected_date_time"),
    "custom_security_attribute_audits": ("activity_date_time", "activity_date_time"),
    "signups": ("created_date_time", "created_date_time"),
    "network_access_traffic": ("created_date_time", "created_date_time"),
}


def datasets(archive):
    return sorted(p.name for p in Path(archive).iterdir() if p.is_dir() and not p.name.startswith("_"))


def timestamp_types(arrow_type, path, out):
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        out[path] = str(arrow_type)
    elif pa.types.is_struct(arrow_type):
        for i in range(arrow_type.num_fields):
            f = arrow_type.field(i)
            timestamp_types(f.type, f"{path}.{f.name}", out)
    elif pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        timestamp_types(arrow_type.value_type, f"{path}[]", out)


def with_pyarrow(archive):
    import pyarrow
    import pyarrow.dataset as ds

    out = {"engine": "pyarrow", "version": pyarrow.__version__, "datasets": {}}
    for name in datasets(archive):
        table = ds.dataset(Path(archive) / name, format="parquet", partitioning="hive").to_table()
        rows = table.to_pylist()  # raises on values Python cannot hold
        times = {}
        for field in table.schema:
            timestamp_types(field.type, field.name, times)
        out["datasets"][name] = {"rows": len(rows), "timestamps": times}
    return out


def with_duckdb(archive):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out = {"engine": "duckdb", "version": duckdb.__version__, "datasets": {}}
    for name in datasets(archive):
        a, b = TIME_PAIRS[name]
        source = f"read_parquet('{Path(archive) / name}/**/*.parquet', hive_partitioning = true)"
        rows, span, age, ms = con.execute(
            f"""SELECT count(*), max({a} - {b}), max(age({a}, {b})), max(epoch_ms({a})) FROM {source}"""
        ).fetchone()
        column_type = con.execute(f"SELECT typeof({a}) FROM {source} LIMIT 1").fetchone()[0]
        out["datasets"][name] = {"rows": rows, "type": column_type, "difference": str(span), "age": str(age), "epoch_ms": ms}
    cursor = duckdb.connect().execute(readers_guide.recipe("duckdb"))
    out["recipe"] = {"columns": [d[0] for d in cursor.description], "rows": [list(r) for r in cursor.fetchall()]}
    return out


def with_pyspark(archive):
    import pyspark
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("entra-archive readers check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    out = {"engine": "pyspark", "version": pyspark.__version__, "datasets": {}}
    for name in datasets(archive):
        df = spark.read.parquet(str(Path(archive) / name))
        a, _ = TIME_PAIRS[name]
        first = df.orderBy(a).select(a).first()[0]
        out["datasets"][name] = {
            "rows": df.count(),
            "type": df.schema[a].dataType.simpleString(),
            "first": first.isoformat() if first is not None else None,
            "partition": df.schema["date"].dataType.simpleString(),
        }
    out["recipe"] = spark_recipe(spark)
    spark.stop()
    return out


def spark_recipe(spark):
    ns = readers_guide.run_python("spark", {"spark": spark})
    union = ns["all_signins"]
    # The README says one read of the four folders fails, and how: Spark's error class.
    one_read = {}
    for merge_schema in ("true", "false"):
        try:
            spark.read.option("mergeSchema", merge_schema).parquet(*[f"archive/{k}" for k in SIGN_IN_KINDS]).count()
            one_read[merge_schema] = "read"
        except Exception as e:
            error_class = re.search(r"\[([A-Z_]+)\]", str(e))
            one_read[merge_schema] = error_class.group(1) if error_class else str(e)
    return {
        "signins": ns["signins"].count(),
        "all_signins": union.count(),
        "columns": union.columns,
        "date_type": union.schema["date"].dataType.simpleString(),
        "per_kind": [[str(r["date"]), r["kind"], r["count"]] for r in ns["per_kind"].collect()],
        "one_read_of_four_folders_merge_schema": one_read,
    }


def with_polars(archive):
    import polars as pl

    ns = readers_guide.run_python("polars")
    union = ns["all_signins"]
    schema = ns["signins"].collect_schema()
    return {
        "engine": "polars",
        "version": pl.__version__,
        "recipe": {
            "per_day": [[str(d), n, f] for d, n, f in ns["per_day"].iter_rows()],
            "all_signins": union.select(pl.len()).collect().item(),
            "columns": union.collect_schema().names(),
            "date_type": str(schema["date"]),
            "time_type": str(schema["created_date_time"]),
        },
    }


def with_pandas(archive):
    import pandas as pd

    ns = readers_guide.run_python("pandas")
    per_day = ns["per_day"]
    return {
        "engine": "pandas",
        "version": pd.__version__,
        "recipe": {
            "per_day": [[str(d), int(r["sign_ins"]), int(r["failures"])] for d, r in per_day.iterrows()],
            "rows": len(ns["df"]),
            "everything": len(ns["everything"]),
            "time_type": str(ns["df"]["created_date_time"].dtype),
        },
    }


def with_athena(archive):
    import tempfile

    import check_athena

    tables = check_athena.schema_columns()
    schema = {dataset: check_athena.trino_types(columns) for dataset, columns in tables.items()}
    path = Path(tempfile.mkdtemp()) / "readers_guide_athena.sql"
    path.write_text(readers_guide.recipe("athena"))
    # Exits 1 naming the problem if the query is not Trino SQL over the archive's tables.
    return {"engine": "athena", "recipe": {"datasets_read": check_athena.check(path, tables, schema)}}


if __name__ == "__main__":
    engine, archive = sys.argv[1], Path(sys.argv[2]).resolve()
    readers_guide.beside_archive(archive)
    check = {
        "pyarrow": with_pyarrow,
        "duckdb": with_duckdb,
        "pyspark": with_pyspark,
        "polars": with_polars,
        "pandas": with_pandas,
        "athena": with_athena,
    }[engine]
    print(json.dumps(check(archive), default=str))
