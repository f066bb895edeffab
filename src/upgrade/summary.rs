//! What an upgrade did, for people and for machines: per tenant and
//! dataset, files found and rewritten, rows, bytes before and after,
//! seconds; an exit status.

use std::fmt::Write as _;

use serde::Serialize;

use crate::error::Error;
use crate::summary::{EXIT_FAILED, EXIT_OK, Status};

/// One tenant's dataset.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetUpgrade {
    /// Dataset name.
    pub dataset: &'static str,
    /// Tenant whose files these are.
    pub tenant: String,
    /// `ok` (every file current), `stopped` (deadline; `remaining` left),
    /// `busy` (a run holds the dataset), `failed`.
    pub status: Status,
    /// Data files of the dataset.
    pub files: u64,
    /// Files found at an older schema version (with `--dry-run`: to upgrade).
    pub old: u64,
    /// Files rewritten in the current schema.
    pub upgraded: u64,
    /// Current files whose manifest was rewritten (a crash had left it old).
    pub manifests_rebuilt: u64,
    /// Rows in the rewritten files.
    pub rows: u64,
    /// Size of the old files.
    pub bytes_before: u64,
    /// Size of their replacements.
    pub bytes_after: u64,
    /// Old files left for the next upgrade (deadline).
    pub remaining: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why it failed or was left alone.
    pub error: Option<String>,
}

impl DatasetUpgrade {
    pub(super) fn new(dataset: &'static str, tenant: &str) -> DatasetUpgrade {
        DatasetUpgrade {
            dataset,
            tenant: tenant.to_string(),
            status: Status::Ok,
            files: 0,
            old: 0,
            upgraded: 0,
            manifests_rebuilt: 0,
            rows: 0,
            bytes_before: 0,
            bytes_after: 0,
            remaining: 0,
            seconds: 0.0,
            error: None,
        }
    }

    pub(super) fn failed(dataset: &'static str, tenant: &str, e: &Error) -> DatasetUpgrade {
        let mut out = DatasetUpgrade::new(dataset, tenant);
        out.fail(e);
        out
    }

    pub(super) fn fail(&mut self, e: &Error) {
        tracing::warn!(dataset = self.dataset, error = %e, "upgrade failed");
        self.status = Status::Failed;
        self.error = Some(crate::redact::redact(&e.to_string()).into_owned());
    }
}

/// What an upgrade did.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeSummary {
    /// The upgrade's run id (recorded in every file it rewrote).
    pub run_id: String,
    /// Where the archive is.
    pub dest: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// One entry per tenant and dataset.
    pub datasets: Vec<DatasetUpgrade>,
    /// 0 unless a dataset failed (1).
    pub exit_code: u8,
}

impl UpgradeSummary {
    pub(super) fn new(run_id: String, dest: String, dry_run: bool) -> UpgradeSummary {
        UpgradeSummary { run_id, dest, dry_run, datasets: Vec::new(), exit_code: EXIT_OK }
    }

    pub(super) fn finish(mut self) -> UpgradeSummary {
        let failed = self.datasets.iter().any(|d| d.status == Status::Failed);
        self.exit_code = if failed { EXIT_FAILED } else { EXIT_OK };
        self
    }

    /// Whether there is anything to tell: a file or manifest rewritten, old
    /// files left, or a dataset not done.
    pub fn worth_reporting(&self) -> bool {
        self.datasets.iter().any(|d| d.upgraded + d.manifests_rebuilt + d.remaining > 0 || d.status != Status::Ok)
    }

    /// Files rewritten, over every dataset.
    pub fn upgraded(&self) -> u64 {
        self.datasets.iter().map(|d| d.upgraded).sum()
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a summary serialises")
    }

    /// The summary as a table for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run { "would upgrade (dry run)" } else { "upgrade" };
        let _ = writeln!(out, "{verb} {} · {}", self.run_id, self.dest);
        let _ = writeln!(
            out,
            "{:<26} {:<9} {:>6} {:>6} {:>8} {:>9} {:>11} {:>11} {:>8} {:>9}",
            "dataset", "status", "files", "old", "upgraded", "rows", "before", "after", "seconds", "rows/s"
        );
        for d in &self.datasets {
            let rate = d.rows as f64 / d.seconds.max(1e-9);
            let _ = writeln!(
                out,
                "{:<26} {:<9} {:>6} {:>6} {:>8} {:>9} {:>11} {:>11} {:>8.2} {:>9.0}",
                d.dataset,
                format!("{:?}", d.status).to_lowercase(),
                d.files,
                d.old,
                d.upgraded,
                d.rows,
                d.bytes_before,
                d.bytes_after,
                d.seconds,
                rate
            );
            if let Some(e) = &d.error {
                let _ = writeln!(out, "  {}: {e}", d.dataset);
            }
            if d.remaining > 0 {
                let _ = writeln!(out, "  {}: {} old files left; run upgrade again", d.dataset, d.remaining);
            }
        }
        out
    }
}
