//! `verify`: re-reads an archive offline and checks every data file against
//! its manifest.
//!
//! Takes a destination and the datasets to check; hands back a [`Report`]:
//! each problem (key, what, expected vs found) and a summary per dataset.
//! Per data file: its manifest exists; size and SHA-256 match; row count and
//! row-key hash match; no row key is in two files of the dataset (per
//! tenant); a file of an older schema version is a warning (`upgrade`
//! rewrites it). Per manifest: its data file exists. Files are read one at a
//! time; the row keys of the dataset being checked are held in memory for the
//! duplicate check (about 100 bytes per record). The ledger (`ledger`) is
//! checked too: its ranges join up, every file it names is there, and every
//! file is named. Needs no Entra credentials and never writes to the archive
//! (the CLI opens it read-only), but for [`rebuild_ledgers`] when asked.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::datasets::DatasetDef;
use crate::destination::Destination;
use crate::error::{Error, Result};
use crate::layout::{self, PARQUET_SUFFIX};
use crate::ledger;
use crate::manifest::{self, Manifest};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The archive is damaged or incomplete: verify exits 1.
    Problem,
    /// Worth knowing, nothing lost (a data file without its manifest: the
    /// next run over its cell writes it).
    Warning,
}

/// One finding about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Dataset.
    pub dataset: String,
    /// The object concerned.
    pub key: String,
    /// Problem or warning.
    pub severity: Severity,
    /// What is wrong, in a few words (`sha256 mismatch`, `duplicate row keys`, …).
    pub what: String,
    /// What the manifest (or the rule) says.
    pub expected: String,
    /// What the archive holds.
    pub found: String,
}

/// Totals of one dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatasetReport {
    /// Dataset.
    pub dataset: String,
    /// Data files read.
    pub files: u64,
    /// Manifests found.
    pub manifests: u64,
    /// Rows in the data files.
    pub rows: u64,
    /// Problems found.
    pub problems: u64,
    /// Warnings.
    pub warnings: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Where the archive is.
    pub dest: String,
    /// One entry per dataset checked.
    pub datasets: Vec<DatasetReport>,
    /// Every finding, in key order per dataset.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether no problem was found (warnings allowed).
    pub fn clean(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Problem)
    }

    /// 0 if clean, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.clean() { 0 } else { 1 }
    }

    /// The report as one JSON object (`clean`, `datasets`, `findings`).
    pub fn to_json(&self) -> String {
        let body = serde_json::json!({
            "dest": self.dest,
            "clean": self.clean(),
            "datasets": self.datasets,
            "findings": self.findings,
        });
        format!("{body:#}")
    }

    /// The report as a table for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "verified {}", self.dest);
        let _ = writeln!(
            out,
            "{:<28} {:>7} {:>9} {:>10} {:>8} {:>8}",
            "dataset", "files", "manifests", "rows", "problems", "warnings"
        );
        for d in &self.datasets {
            let _ = writeln!(
                out,
                "{:<28} {:>7} {:>9} {:>10} {:>8} {:>8}",
                d.dataset, d.files, d.manifests, d.rows, d.problems, d.warnings
            );
        }
        for f in &self.findings {
            let label = match f.severity {
                Severity::Problem => "PROBLEM",
                Severity::Warning => "warning",
            };
            let _ = writeln!(out, "{label} {}: {} (expected {}, found {})", f.key, f.what, f.expected, f.found);
        }
        let _ = writeln!(out, "{}", if self.clean() { "clean" } else { "problems found" });
        out
    }
}

/// Writes a ledger for every tenant's dataset of `datasets` that has none,
/// from its manifests (`verify --rebuild-ledger`); answers the entries written.
pub async fn rebuild_ledgers(
    dest: std::sync::Arc<dyn Destination>,
    datasets: &[&'static DatasetDef],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let mut written = 0;
    for def in datasets {
        written += ledger::rebuild(dest.clone(), def, now).await?.len();
    }
    Ok(written)
}

/// Checks every data file and manifest of `datasets` in `dest`.
pub async fn verify(dest: &dyn Destination, datasets: &[&'static DatasetDef]) -> Result<Report> {
    let mut report = Report { dest: dest.describe(), ..Report::default() };
    for def in datasets {
        let (summary, findings) = verify_dataset(dest, def).await?;
        report.datasets.push(summary);
        report.findings.extend(findings);
    }
    Ok(report)
}

/// Where each row key was first seen, per tenant: index into `files`.
#[derive(Default)]
struct Seen {
    files: Vec<String>,
    keys: HashMap<(String, String), u32>,
}

async fn verify_dataset(dest: &dyn Destination, def: &'static DatasetDef) -> Result<(DatasetReport, Vec<Finding>)> {
    let mut summary = DatasetReport { dataset: def.name.to_string(), ..DatasetReport::default() };
    let mut findings = Vec::new();
    let mut manifests: HashSet<String> =
        dest.list(&layout::manifest_prefix(def.name)).await?.into_iter().map(|m| m.key).collect();
    summary.manifests = manifests.len() as u64;
    let all_manifests = manifests.clone();
    let mut data_keys: HashSet<String> = HashSet::new();
    let mut seen = Seen::default();
    let mut found = |key: &str, severity, what: &str, expected: String, got: String| {
        findings.push(Finding {
            dataset: def.name.to_string(),
            key: key.to_string(),
            severity,
            what: what.to_string(),
            expected,
            found: got,
        })
    };
    for object in dest.list(&format!("{}/", def.name)).await? {
        if !object.key.ends_with(PARQUET_SUFFIX) {
            continue;
        }
        let Some(file) = dest.get(&object.key).await? else {
            continue; // deleted while we listed
        };
        summary.files += 1;
        data_keys.insert(object.key.clone());
        let manifest_key = layout::manifest_key(&object.key).expect("a .parquet key");
        let manifest = match manifests.remove(&manifest_key) {
            false => {
                found(&object.key, Severity::Warning, "file without manifest", manifest_key, "none".into());
                None
            }
            true => match dest.get(&manifest_key).await? {
                None => None,
                Some(m) => match Manifest::parse(&m.bytes) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        found(&manifest_key, Severity::Problem, "unreadable manifest", "manifest JSON".into(), e);
                        None
                    }
                },
            },
        };
        // Size and hash first: they hold even for a file too damaged to decode.
        if let Some(m) = &manifest {
            let (size, digest) = (file.bytes.len() as u64, manifest::file_digest(&file.bytes));
            if m.bytes != size {
                found(&object.key, Severity::Problem, "size mismatch", m.bytes.to_string(), size.to_string());
            }
            if m.sha256 != digest {
                found(&object.key, Severity::Problem, "sha256 mismatch", m.sha256.clone(), digest);
            }
        }
        let key = object.key.clone();
        let described =
            tokio::task::spawn_blocking(move || Manifest::describe(def, &key, file.bytes, chrono::Utc::now()))
                .await
                .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })?;
        let (actual, keys) = match described {
            Ok(d) => d,
            Err(e) => {
                found(&object.key, Severity::Problem, "unreadable Parquet", "a Parquet file".into(), e.to_string());
                continue;
            }
        };
        summary.rows += actual.records;
        if actual.schema_version < def.schema_version {
            found(
                &object.key,
                Severity::Warning,
                "older schema version",
                format!("schema version {}", def.schema_version),
                format!("{} (run `entra-archive upgrade`: it re-derives the file from raw)", actual.schema_version),
            );
        }
        if let Some(m) = &manifest {
            let checks = [
                ("row count mismatch", m.records.to_string(), actual.records.to_string()),
                ("row key count mismatch", m.row_keys.to_string(), actual.row_keys.to_string()),
                ("row key hash mismatch", m.row_keys_sha256.clone(), actual.row_keys_sha256.clone()),
                ("manifest names another file", m.data_key.clone(), actual.data_key.clone()),
            ];
            for (what, expected, got) in checks {
                if expected != got {
                    found(&object.key, Severity::Problem, what, expected, got);
                }
            }
        }
        let tenant = layout::tenant_of(&object.key).unwrap_or_default().to_string();
        let index = seen.files.len() as u32;
        seen.files.push(object.key.clone());
        // Duplicates grouped by the file that had the key first.
        let mut repeated: BTreeMap<u32, (u64, String)> = BTreeMap::new();
        for row_key in keys {
            match seen.keys.entry((tenant.clone(), row_key)) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(index);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    let entry = repeated.entry(*o.get()).or_insert_with(|| (0, o.key().1.clone()));
                    entry.0 += 1;
                }
            }
        }
        for (first, (count, example)) in repeated {
            let what = "duplicate row keys";
            let other = &seen.files[first as usize];
            let got = match first == index {
                true => format!("{count} row keys twice within the file (e.g. {example})"),
                false => format!("{count} row keys also in {other} (e.g. {example})"),
            };
            found(&object.key, Severity::Problem, what, "each row key in one file only".into(), got);
        }
    }
    let ledgers = ledger::load(dest, def).await?;
    for problem in check_ledger(&ledgers, &data_keys, &all_manifests) {
        let (key, severity, what, expected, got) = problem;
        found(&key, severity, what, expected, got);
    }
    let mut orphans: Vec<String> = manifests.into_iter().collect();
    orphans.sort();
    for manifest_key in orphans {
        let data = layout::data_key_of_manifest(&manifest_key).unwrap_or_default();
        found(&manifest_key, Severity::Problem, "manifest without data file", data, "none".into());
    }
    for f in &findings {
        match f.severity {
            Severity::Problem => summary.problems += 1,
            Severity::Warning => summary.warnings += 1,
        }
    }
    Ok((summary, findings))
}

/// A finding about the ledger: key, severity, what, expected, found.
type LedgerFinding = (String, Severity, &'static str, String, String);

/// What the ledger says against what the archive holds: ranges that join up
/// from the first run on, every file an entry names still there (or
/// archived again by a later pass: at least as many rows in its cell), and
/// no file the ledger does not name.
fn check_ledger(
    ledgers: &BTreeMap<String, Vec<ledger::Entry>>,
    data_keys: &HashSet<String>,
    manifests: &HashSet<String>,
) -> Vec<LedgerFinding> {
    let mut out = Vec::new();
    let present =
        |key: &str| data_keys.contains(key) && layout::manifest_key(key).is_some_and(|m| manifests.contains(&m));
    let mut named: HashSet<&str> = HashSet::new();
    // Files a compaction replaced, once every file it wrote is there or was
    // replaced in turn (a day compacted again).
    let compactions: Vec<&ledger::Entry> =
        ledgers.values().flatten().filter(|e| e.kind == ledger::Kind::Compacted).collect();
    let mut replaced: HashSet<&str> = HashSet::new();
    loop {
        let before = replaced.len();
        for entry in &compactions {
            if entry.files.iter().all(|f| present(&f.key) || replaced.contains(f.key.as_str())) {
                replaced.extend(entry.replaces.iter().map(|f| f.key.as_str()));
            }
        }
        if replaced.len() == before {
            break;
        }
    }
    for (tenant, entries) in ledgers {
        for (start, end) in ledger::gaps(entries) {
            out.push((
                format!("{}/{tenant}/…/ledger", layout::STATE_DIR),
                Severity::Problem,
                "gap in the ledger",
                "committed ranges that join up from the first run on".into(),
                format!(
                    "nothing committed for [{start}, {end}): run `entra-archive backfill --from {} --to {}`",
                    start.to_rfc3339(),
                    end.to_rfc3339()
                ),
            ));
        }
        for entry in entries {
            for file in &entry.files {
                named.insert(&file.key);
                if present(&file.key) || replaced.contains(file.key.as_str()) {
                    continue;
                }
                // Archived again since: a later entry wrote at least as many
                // rows into the same cell (a backfill over the range).
                let cell = ledger::cell_of_key(&file.key);
                let again: Vec<&ledger::FileRows> = entries
                    .iter()
                    .filter(|e| e.committed_at > entry.committed_at)
                    .flat_map(|e| e.files.iter())
                    .filter(|f| ledger::cell_of_key(&f.key) == cell && present(&f.key))
                    .collect();
                let committed =
                    format!("{} rows, committed by {} for [{}, {})", file.rows, entry.run_id, entry.start, entry.end);
                if !again.is_empty() && again.iter().map(|f| f.rows).sum::<u64>() >= file.rows {
                    let keys: Vec<&str> = again.iter().map(|f| f.key.as_str()).collect();
                    let got = format!("its cell's records were written again, to {}", keys.join(", "));
                    out.push((
                        file.key.clone(),
                        Severity::Warning,
                        "file in the ledger is gone, archived again",
                        committed,
                        got,
                    ));
                } else {
                    let got = "no such data file (or no manifest): run `entra-archive backfill` over its range while Graph still holds it";
                    out.push((
                        file.key.clone(),
                        Severity::Problem,
                        "file in the ledger is missing",
                        committed,
                        got.into(),
                    ));
                }
            }
        }
    }
    let mut unnamed: Vec<&String> = data_keys.iter().filter(|k| !named.contains(k.as_str())).collect();
    unnamed.sort();
    if ledgers.is_empty() && !unnamed.is_empty() {
        out.push((
            "ledger".into(),
            Severity::Warning,
            "no ledger",
            "a ledger of committed ranges (written by runs since it exists)".into(),
            format!("none for {} data files: run `entra-archive verify --rebuild-ledger` once", unnamed.len()),
        ));
    } else {
        for key in unnamed {
            out.push((
                key.clone(),
                Severity::Warning,
                "file not in the ledger",
                "named by a ledger entry".into(),
                "not named (an import, or a query a stop cut short, until the next run reads its cell)".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            dataset: "signins".into(),
            key: "signins/date=2026-11-24/x.parquet".into(),
            severity,
            what: "sha256 mismatch".into(),
            expected: "a".into(),
            found: "b".into(),
        }
    }

    #[test]
    fn warnings_alone_keep_the_report_clean() {
        let mut report = Report { dest: "/a".into(), ..Report::default() };
        assert_eq!(report.exit_code(), 0);
        report.findings.push(finding(Severity::Warning));
        assert!(report.clean());
        report.findings.push(finding(Severity::Problem));
        assert_eq!(report.exit_code(), 1);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["clean"], false);
        assert_eq!(json["findings"][1]["severity"], "problem");
        assert!(report.to_text().contains("PROBLEM signins/date=2026-11-24/x.parquet: sha256 mismatch"));
    }
}
