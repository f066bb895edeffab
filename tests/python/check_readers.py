#!/usr/bin/env python3
"""Open every dataset of an archive folder the way analysts' engines do, with
their default settings, and report what each saw as JSON on stdout.

    check_readers.py ENGINE ARCHIVE

ENGINE is one of:
  pyarrow  every dataset read with hive partitioning; every row turned into
           Python objects (to_pylist); the type of every timestamp field,
           nested ones included.
  duckdb   the DuckDB found on sys.path (PYTHONPATH picks the release):
           row counts, and arithmetic on time columns — subtracting two,
           age(), epoch_ms() — which DuckDB 2.x refuses on nanoseconds.
  pyspark  Apache Spark (local, default settings) reads each dataset folder:
           row counts, the Spark type of each time column, and a value.

Errors are not caught: the engine's own message fails the caller's test.
"""

import json
import sys
from pathlib import Path

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
    spark.stop()
    return out


if __name__ == "__main__":
    engine, archive = sys.argv[1], sys.argv[2]
    check = {"pyarrow": with_pyarrow, "duckdb": with_duckdb, "pyspark": with_pyspark}[engine]
    print(json.dumps(check(archive), default=str))
