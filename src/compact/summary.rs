//! What a compaction did, for people and for machines: per tenant and
//! dataset, days compacted, files before and after, rows, bytes, seconds;
//! an exit status.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::summary::{EXIT_FAILED, EXIT_OK, Status};

/// One tenant's dataset.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetCompaction {
    /// Dataset name.
    pub dataset: &'static str,
    /// Tenant whose files these are.
    pub tenant: String,
    /// `ok`, `stopped` (deadline; `remaining` days left), `busy` (a run
    /// holds the dataset), `failed`.
    pub status: Status,
    /// Days before this time are sealed (checkpoint − overlap).
    pub sealed_until: Option<DateTime<Utc>>,
    /// Days compacted.
    pub days: u64,
    /// Their files before (hour files, and day files compacted again).
    pub files_before: u64,
    /// Their day files after.
    pub files_after: u64,
    /// Rows in the day files written.
    pub rows: u64,
    /// Size of the files replaced.
    pub bytes_before: u64,
    /// Size of the day files.
    pub bytes_after: u64,
    /// Swaps a crash had interrupted, finished or undone first.
    pub recovered: u64,
    /// Sealed days left for the next compaction (deadline).
    pub remaining: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why nothing was done (no checkpoint yet).
    pub note: Option<String>,
    /// Why it failed or was left alone.
    pub error: Option<String>,
}

impl DatasetCompaction {
    pub(super) fn new(dataset: &'static str, tenant: &str) -> DatasetCompaction {
        DatasetCompaction {
            dataset,
            tenant: tenant.to_string(),
            status: Status::Ok,
            sealed_until: None,
            days: 0,
            files_before: 0,
            files_after: 0,
            rows: 0,
            bytes_before: 0,
            bytes_after: 0,
            recovered: 0,
            remaining: 0,
            seconds: 0.0,
            note: None,
            error: None,
        }
    }

    pub(super) fn failed(dataset: &'static str, tenant: &str, e: &Error) -> DatasetCompaction {
        let mut out = DatasetCompaction::new(dataset, tenant);
        out.fail(e);
        out
    }

    pub(super) fn fail(&mut self, e: &Error) {
        tracing::warn!(dataset = self.dataset, error = %e, "compaction failed");
        self.status = Status::Failed;
        self.error = Some(crate::redact::redact(&e.to_string()).into_owned());
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Serialize)]
pub struct CompactSummary {
    /// The compaction's run id (recorded in every day file).
    pub run_id: String,
    /// Where the archive is.
    pub dest: String,
    /// One entry per tenant and dataset.
    pub datasets: Vec<DatasetCompaction>,
    /// 0 unless a dataset failed (1).
    pub exit_code: u8,
}

impl CompactSummary {
    pub(super) fn new(run_id: String, dest: String) -> CompactSummary {
        CompactSummary { run_id, dest, datasets: Vec::new(), exit_code: EXIT_OK }
    }

    pub(super) fn finish(mut self) -> CompactSummary {
        let failed = self.datasets.iter().any(|d| d.status == Status::Failed);
        self.exit_code = if failed { EXIT_FAILED } else { EXIT_OK };
        self
    }

    /// Days compacted, over every dataset.
    pub fn days(&self) -> u64 {
        self.datasets.iter().map(|d| d.days).sum()
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a summary serialises")
    }

    /// The summary as a table for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "compact {} · {}", self.run_id, self.dest);
        let _ = writeln!(
            out,
            "{:<26} {:<9} {:>5} {:>7} {:>6} {:>10} {:>12} {:>12} {:>8}",
            "dataset", "status", "days", "files", "after", "rows", "bytes before", "bytes after", "seconds"
        );
        for d in &self.datasets {
            let _ = writeln!(
                out,
                "{:<26} {:<9} {:>5} {:>7} {:>6} {:>10} {:>12} {:>12} {:>8.2}",
                d.dataset,
                format!("{:?}", d.status).to_lowercase(),
                d.days,
                d.files_before,
                d.files_after,
                d.rows,
                d.bytes_before,
                d.bytes_after,
                d.seconds
            );
            for line in [&d.error, &d.note].into_iter().flatten() {
                let _ = writeln!(out, "  {}: {line}", d.dataset);
            }
            if d.remaining > 0 {
                let _ = writeln!(out, "  {}: {} sealed days left; run compact again", d.dataset, d.remaining);
            }
        }
        out
    }
}
