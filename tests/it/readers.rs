//! Issue 13: the analysts' own engines open what a run wrote, with their
//! default settings — Apache Spark (as Databricks, Glue ETL and EMR run it),
//! DuckDB (the current release and the one used for S3), pyarrow — and see
//! timestamps they can compute with. Spark refused nanosecond timestamps and
//! DuckDB 2.x could not subtract them; pyarrow's `to_pylist` raised.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;
use serde_json::Value;

/// What `tests/python/check_readers.py ENGINE` says about `archive`; the
/// DuckDB release is picked with `PYTHONPATH` (`duckdb2`: the current one,
/// installed beside the venv's by the Makefile).
fn readers(engine: &str, archive: &Path, duckdb2: bool) -> Value {
    let mut cmd = std::process::Command::new(python());
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_readers.py")).arg(engine).arg(archive);
    if duckdb2 {
        let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
        cmd.env("PYTHONPATH", venv.join("duckdb2"));
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {} ({e}); run `make venv` first", python().display()));
    assert!(out.status.success(), "{engine} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn spark_duckdb_and_pyarrow_open_every_dataset_with_their_defaults() {
    let h = Harness::start(tenant_with_everything(sim_config(131))).await;
    h.run_to(t(TO), &["--datasets", "all"]).await.assert_code(0);
    let rows: BTreeMap<String, u64> = DATASET_NAMES.iter().map(|d| (d.to_string(), h.rows(d).len() as u64)).collect();
    assert!(rows.values().all(|&n| n > 0), "{rows:?}");

    let arrow = readers("pyarrow", &h.archive, false);
    for (name, n) in &rows {
        let seen = &arrow["datasets"][name];
        assert_eq!(seen["rows"].as_u64(), Some(*n), "pyarrow {name}");
        let times = seen["timestamps"].as_object().unwrap();
        assert!(!times.is_empty(), "{name}");
        for (column, ty) in times {
            assert_eq!(ty, "timestamp[us, tz=UTC]", "{name}.{column}: every time column, nested ones too");
        }
    }

    for (duckdb2, release) in [(false, "1."), (true, "2.")] {
        let duck = readers("duckdb", &h.archive, duckdb2);
        assert!(duck["version"].as_str().unwrap().starts_with(release), "{duck}");
        for (name, n) in &rows {
            let seen = &duck["datasets"][name];
            assert_eq!(seen["rows"].as_u64(), Some(*n), "duckdb {release} {name}");
            assert_eq!(seen["type"], "TIMESTAMP WITH TIME ZONE", "duckdb {release} {name}");
            assert!(seen["epoch_ms"].as_i64().unwrap() > 1_700_000_000_000, "duckdb {release} {name}: {seen}");
        }
        let risk = &duck["datasets"]["risk_detections"];
        assert_ne!(risk["difference"], "0:00:00", "detections are updated after they are detected: {risk}");
    }

    let spark = readers("pyspark", &h.archive, false);
    for (name, n) in &rows {
        let seen = &spark["datasets"][name];
        assert_eq!(seen["rows"].as_u64(), Some(*n), "spark {name}");
        assert_eq!(seen["type"], "timestamp", "spark {name}");
        assert!(seen["first"].as_str().unwrap().starts_with("2026-11-20T"), "spark {name}: {seen}");
        assert_eq!(seen["partition"], "date", "spark {name}: the Hive partition is a date");
    }
}
