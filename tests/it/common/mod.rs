//! Shared set-up for the end-to-end tests: a graph-sim on loopback, a fresh
//! archive folder, the real `entra-archive` binary as a child process, and
//! readers for what it wrote.

#![allow(dead_code)]

pub mod moto;
pub mod runtime_api;
pub mod world;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use chrono::{DateTime, Duration, Utc};
use entra_archive::config::{Config, Settings};
use entra_archive::{Archiver, Aws, RetryPolicy, Secret, Services};
use graph_sim::{Dataset, GraphSim, Record, SimConfig};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// Records live between these instants in every test tenant.
pub const FROM: &str = "2026-11-20T00:00:00Z";
/// Every dataset the archive knows, by name.
pub const DATASET_NAMES: [&str; 11] = [
    "signins",
    "signins_noninteractive",
    "signins_service_principal",
    "signins_managed_identity",
    "directory_audits",
    "provisioning",
    "risk_detections",
    "service_principal_risk_detections",
    "custom_security_attribute_audits",
    "signups",
    "network_access_traffic",
];

/// The optional application permissions (`register-app.sh --with …`).
pub const OPTIONAL_PERMISSIONS: [&str; 2] = ["CustomSecAttributeAuditLogs.Read.All", "NetworkAccess-Reports.Read.All"];

/// A tenant that has every log: the optional permissions granted, an
/// External ID tenant with Global Secure Access (and Workload ID Premium).
pub fn tenant_with_everything(config: SimConfig) -> SimConfig {
    SimConfig {
        extra_permissions: OPTIONAL_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        external_id_tenant: true,
        global_secure_access: true,
        workload_id_premium: true,
        ..config
    }
}
pub const TO: &str = "2026-11-21T00:00:00Z";
/// The lag the tests pass.
pub const LAG_MINUTES: i64 = 10;

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A `--now` that makes the window end exactly at `end`.
pub fn now_for_end(end: DateTime<Utc>) -> String {
    (end + Duration::minutes(LAG_MINUTES)).to_rfc3339()
}

/// Settings for a run against `sim` into `dest`: sign-ins and directory
/// audits from [`FROM`], the window ending at `end`, both Graph budgets
/// `budget`, graph-sim's app and secret.
pub fn sim_settings(sim: &GraphSim, dest: String, end: DateTime<Utc>, budget: &str) -> Settings {
    let c = sim.config();
    Settings {
        tenant_id: Some(c.tenant_id.clone()),
        client_id: Some(c.client_id.clone()),
        client_secret: Some(Secret::new(c.client_secret.clone())),
        dest,
        datasets: "signins,directory_audits".into(),
        graph_url: sim.url(),
        login_url: sim.url(),
        since: Some(FROM.into()),
        now: Some(now_for_end(end)),
        graph_budget: budget.into(),
        identity_protection_budget: budget.into(),
        ..Settings::defaults()
    }
}

/// An archiver for `settings`, built as every face builds one.
pub async fn archiver(settings: Settings, aws: Aws, retry: RetryPolicy) -> Archiver {
    let config = Config::from_settings(settings).expect("valid settings");
    let services = Services::new(config, aws, retry, Arc::new(Utc::now)).await.expect("services");
    Archiver::connect(services).await.expect("archiver")
}

/// The real `entra-archive` with an empty environment but for what every
/// test gives it: graph-sim as Graph and the token endpoint, the archive at
/// `dest`, the two datasets most tests are about (datasets.rs covers the
/// rest), and no pacing (graph-sim is local). Credentials are the caller's.
pub fn binary(sim: &GraphSim, dest: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    cmd.env_clear()
        .env("GRAPH_BASE_URL", sim.url())
        .env("ENTRA_LOGIN_URL", sim.url())
        .env("ARCHIVE_DEST", dest)
        .env("ARCHIVE_DATASETS", "signins,directory_audits")
        .env("ARCHIVE_GRAPH_BUDGET", "100000/1s")
        .env("ARCHIVE_IDENTITY_PROTECTION_BUDGET", "100000/1s")
        .kill_on_drop(true);
    cmd
}

pub fn sim_config(seed: u64) -> SimConfig {
    SimConfig { seed, from: t(FROM), to: t(TO), signins: 1200, directory_audits: 700, ..SimConfig::default() }
}

pub struct Harness {
    pub sim: GraphSim,
    pub dir: tempfile::TempDir,
    pub archive: PathBuf,
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    pub fn dataset(&self, name: &str) -> Value {
        let json = self.json();
        json["datasets"].as_array().unwrap().iter().find(|d| d["dataset"] == name).cloned().unwrap()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit status\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Harness {
    /// Settings for a run in this process against this graph-sim into this
    /// archive: sign-ins and directory audits from [`FROM`], the window
    /// ending at `end`, both Graph budgets `budget`, graph-sim's app and
    /// secret.
    pub fn settings(&self, end: DateTime<Utc>, budget: &str) -> Settings {
        sim_settings(&self.sim, self.archive.display().to_string(), end, budget)
    }

    /// An archiver for `settings` (local AWS settings are never needed).
    pub async fn archiver(&self, settings: Settings) -> Archiver {
        archiver(settings, Aws::standard(), RetryPolicy::default()).await
    }

    pub async fn start(config: SimConfig) -> Harness {
        let sim = GraphSim::start(config).await.expect("graph-sim starts");
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        Harness { sim, dir, archive }
    }

    /// The command with the sim's tenant, app, secret and URLs in its environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = binary(&self.sim, &self.archive.display().to_string());
        cmd.env("ENTRA_TENANT_ID", &self.sim.config().tenant_id)
            .env("ENTRA_CLIENT_ID", &self.sim.config().client_id)
            .env("ENTRA_CLIENT_SECRET", &self.sim.config().client_secret)
            .args(args);
        cmd
    }

    /// `run --json --since FROM --now <end + lag>` plus `extra`.
    pub async fn run_to(&self, end: DateTime<Utc>, extra: &[&str]) -> Run {
        let now = now_for_end(end);
        let mut args = vec!["run", "--json", "--since", FROM, "--now", &now, "--lag", "10m"];
        args.extend_from_slice(extra);
        self.command(&args).output().await.unwrap().into()
    }

    pub async fn run_with_env(&self, end: DateTime<Utc>, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let now = now_for_end(end);
        let mut args = vec!["run", "--json", "--since", FROM, "--now", &now, "--lag", "10m"];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().await.unwrap().into()
    }

    /// Every file under the archive, with its bytes: a snapshot to compare.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for path in walk(&self.archive) {
            let key = path.strip_prefix(&self.archive).unwrap().to_string_lossy().into_owned();
            out.insert(key, std::fs::read(&path).unwrap());
        }
        out
    }

    pub fn state_snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        self.snapshot()
            .into_iter()
            .filter(|(k, _)| k.starts_with("_state/") && k.ends_with("checkpoint.json"))
            .collect()
    }

    pub fn parquet_files(&self, dataset: &str) -> Vec<PathBuf> {
        parquet_files_under(&self.archive, dataset)
    }

    /// Every row of a dataset, with the file it came from.
    pub fn rows(&self, dataset: &str) -> Vec<Row> {
        rows_under(&self.archive, dataset)
    }

    pub fn expected(&self, ds: Dataset, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Record> {
        self.sim.records(ds).into_iter().filter(|r| start <= r.time && r.time < end).collect()
    }
}

/// The Parquet files of a dataset in an archive folder, sorted.
pub fn parquet_files_under(archive: &Path, dataset: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        walk(&archive.join(dataset)).into_iter().filter(|p| p.extension().is_some_and(|e| e == "parquet")).collect();
    files.sort();
    files
}

/// Every row of a dataset in an archive folder, with the file it came from.
pub fn rows_under(archive: &Path, dataset: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in parquet_files_under(archive, dataset) {
        for batch in read_batches(&file) {
            rows.extend(rows_of(&file, &batch));
        }
    }
    rows
}

/// The archive under `dir` holds exactly graph-sim's sign-ins and
/// directory audits from [`FROM`] to `end`: each once, raw bytes unchanged.
pub fn assert_archive_exact(sim: &GraphSim, dir: &Path, end: DateTime<Utc>) {
    for (ds, name) in [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")] {
        let rows = rows_under(dir, name);
        let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rows.len(), "{name}: a record is archived twice");
        let source: Vec<_> = sim.records(ds).into_iter().filter(|r| t(FROM) <= r.time && r.time < end).collect();
        let expected: HashSet<&str> = source.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, expected, "{name}: archived ids differ from Graph's");
        for row in &rows {
            let record = source.iter().find(|r| r.id == row.id).unwrap();
            assert_eq!(row.raw, record.json, "{name}: raw of {}", row.id);
        }
    }
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn read_batches(file: &Path) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file).unwrap()).unwrap().build().unwrap();
    reader.map(|b| b.unwrap()).collect()
}

/// One archived row: its id, raw text, the row's typed columns as JSON, and
/// where it was found.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub raw: String,
    pub typed: Value,
    pub file: PathBuf,
}

fn rows_of(file: &Path, batch: &RecordBatch) -> Vec<Row> {
    // The key column: `id`, or `transaction_id` for traffic logs (no `id`).
    let key = batch.column_by_name("id").or_else(|| batch.column_by_name("transaction_id")).unwrap();
    let ids = key.as_string::<i32>().clone();
    let raws = batch.column_by_name("raw").unwrap().as_string::<i32>().clone();
    let typed_batch = batch.project(&(0..batch.num_columns() - 1).collect::<Vec<_>>()).unwrap();
    let mut buffer = Vec::new();
    let mut writer = arrow::json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, arrow::json::writer::JsonArray>(&mut buffer);
    writer.write(&typed_batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    let typed: Vec<Value> = if buffer.is_empty() { vec![] } else { serde_json::from_slice(&buffer).unwrap() };
    (0..batch.num_rows())
        .map(|i| Row {
            id: ids.value(i).to_string(),
            raw: raws.value(i).to_string(),
            typed: typed[i].clone(),
            file: file.to_path_buf(),
        })
        .collect()
}

fn normalise(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

fn as_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}

/// Checks, without using the exporter's schema, that every typed value equals
/// the source JSON and every source property has a column. Returns how many
/// non-null leaves matched, so callers can tell the check was not vacuous.
pub fn assert_typed_matches(typed: &Value, source: &Value, path: &str) -> usize {
    match (typed, source) {
        (Value::Object(columns), Value::Object(props)) => {
            let mut matched = 0;
            let by_name: HashMap<String, &Value> = props.iter().map(|(k, v)| (normalise(k), v)).collect();
            let column_names: HashSet<String> = columns.keys().map(|c| normalise(c)).collect();
            for (column, value) in columns {
                let here = format!("{path}.{column}");
                match by_name.get(&normalise(column)) {
                    None | Some(Value::Null) => {
                        assert!(value.is_null(), "{here}: source has no value but column has {value}")
                    }
                    Some(p) => matched += assert_typed_matches(value, p, &here),
                }
            }
            // OData annotations (`@odata.type` on a derived type's value) are not properties.
            for key in props.keys().filter(|k| !k.starts_with('@')) {
                assert!(column_names.contains(&normalise(key)), "{path}.{key}: source property has no column");
            }
            matched
        }
        (Value::Array(items), Value::Array(props)) => {
            assert_eq!(items.len(), props.len(), "{path}: list length");
            items
                .iter()
                .zip(props)
                .enumerate()
                .map(|(i, (a, b))| assert_typed_matches(a, b, &format!("{path}[{i}]")))
                .sum()
        }
        // One object where the schema has a list of objects: a one-item list.
        (Value::Array(items), Value::Object(_)) => {
            assert_eq!(items.len(), 1, "{path}: a single object is a one-item list");
            assert_typed_matches(&items[0], source, &format!("{path}[0]"))
        }
        (Value::Null, other) => panic!("{path}: column is null but source has {other}"),
        (Value::String(a), Value::String(b)) => {
            if a != b {
                // Times are kept to the microsecond (Graph's 7th digit is in raw).
                let micros = |t: DateTime<Utc>| t.timestamp_micros();
                let (ta, tb) = (as_time(typed).map(micros), as_time(source).map(micros));
                let json_text = serde_json::from_str::<Value>(a).ok().is_some_and(|v| &v == source);
                assert!(json_text || (ta.is_some() && ta == tb), "{path}: {a:?} != {b:?}");
            }
            1
        }
        // A free-form value stored as JSON text.
        (Value::String(a), Value::Object(_) | Value::Array(_)) => {
            let parsed: Value = serde_json::from_str(a).unwrap_or_else(|e| panic!("{path}: {a:?} is not JSON: {e}"));
            assert_eq!(&parsed, source, "{path}");
            1
        }
        (Value::Number(a), Value::Number(b)) => {
            assert_eq!(a.as_f64(), b.as_f64(), "{path}");
            1
        }
        (Value::Bool(a), Value::Bool(b)) => {
            assert_eq!(a, b, "{path}");
            1
        }
        (a, b) => panic!("{path}: column {a} vs source {b}"),
    }
}

/// The partition date of a file (`.../date=YYYY-MM-DD/file.parquet`).
pub fn partition_date(file: &Path) -> String {
    let dir = file.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    dir.strip_prefix("date=").unwrap_or_else(|| panic!("{dir} is not a date partition")).to_string()
}

/// The Python of the venv the Makefile builds (override with ENTRA_ARCHIVE_PYTHON).
pub fn python() -> PathBuf {
    std::env::var_os("ENTRA_ARCHIVE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}
