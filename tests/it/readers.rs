//! Issue 13: the analysts' own engines open what a run wrote, with their
//! default settings — Apache Spark (as Databricks, Glue ETL and EMR run it),
//! DuckDB (the current release and the one used for S3), pyarrow — and see
//! timestamps they can compute with. Spark refused nanosecond timestamps and
//! DuckDB 2.x could not subtract them; pyarrow's `to_pylist` raised.
//!
//! Issue 17: the README's readers' guide — its recipes for DuckDB, Athena,
//! Spark, polars and pandas, taken from the README itself — answers what the
//! archive holds (DuckDB on S3: `s3_archive.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;
use serde_json::{Value, json};

/// The four sign-in datasets and the kind of sign-in each holds.
const SIGN_IN_KINDS: [(&str, &str); 4] = [
    ("signins", "interactiveUser"),
    ("signins_noninteractive", "nonInteractiveUser"),
    ("signins_service_principal", "servicePrincipal"),
    ("signins_managed_identity", "managedIdentity"),
];

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

/// What the recipes' per-day query answers: `[date, sign-ins, failures]` of
/// the archived interactive sign-ins, by partition.
fn sign_ins_per_day(h: &Harness) -> Value {
    let mut days: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in h.rows("signins") {
        let day = days.entry(partition_date(&row.file)).or_default();
        day.0 += 1;
        day.1 += u64::from(row.typed["status"]["error_code"] != 0);
    }
    assert!(days.values().any(|d| d.1 > 0), "some sign-ins failed: {days:?}");
    days.into_iter().map(|(day, (n, failed))| json!([day, n, failed])).collect()
}

/// Every column of the four sign-in datasets (the union of their schemas).
fn sign_in_columns(h: &Harness) -> BTreeSet<String> {
    let mut columns: BTreeSet<String> = ["raw", "date"].map(String::from).into();
    for (dataset, _) in SIGN_IN_KINDS {
        columns.extend(h.rows(dataset)[0].typed.as_object().unwrap().keys().cloned());
    }
    columns
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn spark_duckdb_polars_pandas_and_pyarrow_open_every_dataset_and_the_readers_guide_runs() {
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

    let per_day = sign_ins_per_day(&h);
    let columns = sign_in_columns(&h);
    let all_sign_ins: u64 = SIGN_IN_KINDS.iter().map(|(d, _)| rows[*d]).sum();

    for (duckdb2, release) in [(false, "1."), (true, "2.")] {
        let duck = readers("duckdb", &h.archive, duckdb2);
        assert_eq!(duck["recipe"]["columns"], json!(["date", "sign_ins", "failures"]), "duckdb {release}");
        assert_eq!(duck["recipe"]["rows"], per_day, "duckdb {release}: the readers' guide recipe");
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
    // The recipe: one dataset, and the four sign-in datasets unioned by name.
    let recipe = &spark["recipe"];
    assert_eq!(recipe["signins"].as_u64(), Some(rows["signins"]), "{recipe}");
    assert_eq!(recipe["all_signins"].as_u64(), Some(all_sign_ins), "the union holds every sign-in once");
    assert_eq!(names(&recipe["columns"]), columns, "the union has every column of the four");
    assert_eq!(recipe["date_type"], "date");
    let mut per_kind: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for (dataset, kind) in SIGN_IN_KINDS {
        for row in h.rows(dataset) {
            *per_kind.entry((partition_date(&row.file), kind)).or_default() += 1;
        }
    }
    let per_kind: Value = per_kind.into_iter().map(|((day, kind), n)| json!([day, kind, n])).collect();
    assert_eq!(recipe["per_kind"], per_kind);
    // What the README says of reading the four folders at once.
    let one_read = &recipe["one_read_of_four_folders_merge_schema"];
    assert_eq!(
        one_read,
        &json!({"true": "CONFLICTING_DIRECTORY_STRUCTURES", "false": "CONFLICTING_DIRECTORY_STRUCTURES"})
    );

    let polars = &readers("polars", &h.archive, false)["recipe"];
    assert_eq!(polars["per_day"], per_day, "polars");
    assert_eq!(polars["all_signins"].as_u64(), Some(all_sign_ins), "polars: the four kinds stacked");
    assert_eq!(names(&polars["columns"]), columns, "polars");
    assert_eq!(polars["date_type"], "Date", "polars: the Hive partition is a date");
    assert_eq!(polars["time_type"], "Datetime(time_unit='us', time_zone='UTC')", "polars");

    let pandas = &readers("pandas", &h.archive, false)["recipe"];
    assert_eq!(pandas["per_day"], per_day, "pandas");
    assert_eq!(pandas["rows"].as_u64(), Some(rows["signins"]), "pandas");
    assert_eq!(pandas["everything"].as_u64(), Some(rows["signins"]), "pandas: pd.read_parquet of the folder");
    assert_eq!(pandas["time_type"], "datetime64[us, UTC]", "pandas");

    // Athena: the recipe passes the Trino check of the shipped queries.
    let athena = &readers("athena", &h.archive, false)["recipe"];
    assert_eq!(athena["datasets_read"], 1, "{athena}");
}
