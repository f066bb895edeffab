//! What a run did, for people and for machines.
//!
//! Takes the per-dataset outcomes of a pass and hands on a [`RunSummary`]:
//! JSON for `--json` (and the Lambda's answer), a short table for a terminal,
//! and the process exit status. Reasons for skipped or failed datasets are the
//! errors' own messages, which name the fix; they leave through `redact`, so
//! no credential a server echoed reaches the JSON or the table.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::redact::redact;

/// Exit status: every dataset archived, left to a run already at work, or
/// stopped at the deadline to resume next time (`complete` tells these apart).
pub const EXIT_OK: u8 = 0;
/// Exit status: the run or a dataset failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the settings are wrong (also clap's usage errors).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: some datasets archived, others skipped for a licence or
/// permission the tenant or app lacks.
pub const EXIT_PARTIAL: u8 = 3;

/// How one dataset ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Archived through the window's end.
    Ok,
    /// Not readable with this licence or these permissions; see `error`.
    Skipped,
    /// Selected through `all`, but the tenant is not licensed for it, is not
    /// of the kind it exists in, or the app was not given its optional
    /// permission: nothing to archive, and not a partial run. The next run
    /// tries again (a licence that appears is picked up). See `error`.
    NotApplicable,
    /// Another run holds the dataset's lease; this run left it alone.
    Busy,
    /// The run's deadline came first; committed queries stay committed and
    /// the next run resumes from the checkpoint.
    Stopped,
    /// Stopped by an error; committed queries stay committed.
    Failed,
}

/// A half-open time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

/// One dataset's part of a run.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    /// Dataset name.
    pub dataset: &'static str,
    /// How it ended.
    pub status: Status,
    /// The time range read from Graph (including the overlap re-read).
    pub window: Option<Window>,
    /// New records written.
    pub records: u64,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall-clock seconds spent.
    pub seconds: f64,
    /// Graph pages read.
    pub pages: u64,
    /// Graph 429 answers (throttled requests).
    pub throttled: u64,
    /// Requests repeated after a failure (429, 5xx, broken connection, bad page,
    /// or a 401 answered with a fresh token).
    pub retries: u64,
    /// The checkpoint after the run.
    pub archived_through: Option<DateTime<Utc>>,
    /// Why it was skipped or failed (credentials masked in JSON and text).
    #[serde(serialize_with = "masked")]
    pub error: Option<String>,
    /// Records Graph sent that the archive cannot take (no string `id`, no
    /// valid time, text that is not UTF-8), and damaged files found, each
    /// kept under `_quarantine/` with the reason: the run exits 3.
    pub quarantined: u64,
    /// What the operator should know though the dataset was archived
    /// (a record or file quarantined, and where).
    #[serde(serialize_with = "masked_all")]
    pub warnings: Vec<String>,
}

impl DatasetSummary {
    /// An empty summary for `dataset`, to be filled in.
    pub(crate) fn new(dataset: &'static str) -> Self {
        DatasetSummary {
            dataset,
            status: Status::Ok,
            window: None,
            records: 0,
            files: 0,
            bytes: 0,
            seconds: 0.0,
            pages: 0,
            throttled: 0,
            retries: 0,
            archived_through: None,
            error: None,
            quarantined: 0,
            warnings: Vec::new(),
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// This run's id (also in file metadata and the checkpoint).
    pub run_id: String,
    /// Tenant archived.
    pub tenant_id: String,
    /// Where the archive is.
    pub destination: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// Whether every dataset was archived through its window's end.
    pub complete: bool,
    /// Per dataset, in the order selected.
    pub datasets: Vec<DatasetSummary>,
    /// The process exit status this run maps to.
    pub exit_code: u8,
}

impl RunSummary {
    /// Builds the summary and derives `complete` and `exit_code`.
    pub(crate) fn new(
        run_id: String,
        tenant_id: String,
        destination: String,
        started_at: DateTime<Utc>,
        datasets: Vec<DatasetSummary>,
    ) -> Self {
        let complete = datasets.iter().all(|d| matches!(d.status, Status::Ok | Status::NotApplicable));
        let exit_code = exit_code(&datasets);
        RunSummary { run_id, tenant_id, destination, started_at, complete, datasets, exit_code }
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary always serialises")
    }

    /// A table for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "run {} · tenant {} · {}", self.run_id, self.tenant_id, self.destination);
        let w = self.datasets.iter().map(|d| d.dataset.len()).max().unwrap_or(0).max("dataset".len());
        let _ = writeln!(
            out,
            "{:<w$} {:<8} {:<43} {:>9} {:>6} {:>10} {:>8} {:>6} {:>5} {:>7}",
            "dataset", "status", "window (UTC)", "records", "files", "bytes", "seconds", "pages", "429s", "retries"
        );
        for d in &self.datasets {
            let window = d.window.map_or("-".to_string(), |w| format!("{} → {}", short(w.start), short(w.end)));
            let _ = writeln!(
                out,
                "{:<w$} {:<8} {:<43} {:>9} {:>6} {:>10} {:>8.2} {:>6} {:>5} {:>7}",
                d.dataset,
                status_word(d.status),
                window,
                d.records,
                d.files,
                human_bytes(d.bytes),
                d.seconds,
                d.pages,
                d.throttled,
                d.retries
            );
        }
        for d in &self.datasets {
            for warning in &d.warnings {
                let _ = writeln!(out, "\n{} warning: {}", d.dataset, redact(warning));
            }
        }
        for d in self.datasets.iter().filter(|d| d.error.is_some()) {
            let error = redact(d.error.as_deref().unwrap_or_default());
            let _ = writeln!(out, "\n{} {}: {error}", d.dataset, status_word(d.status));
        }
        out
    }
}

/// An error as it leaves the program: the last line of defence against a
/// credential a server echoed.
fn masked<S: Serializer>(error: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    error.as_deref().map(redact).serialize(serializer)
}

fn masked_all<S: Serializer>(warnings: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    warnings.iter().map(|w| redact(w)).collect::<Vec<_>>().serialize(serializer)
}

fn exit_code(datasets: &[DatasetSummary]) -> u8 {
    let any = |s: Status| datasets.iter().any(|d| d.status == s);
    if any(Status::Failed) || (any(Status::Skipped) && !any(Status::Ok)) {
        EXIT_FAILED
    } else if any(Status::Skipped) || datasets.iter().any(|d| d.quarantined > 0) {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Skipped => "skipped",
        Status::NotApplicable => "n/a",
        Status::Busy => "busy",
        Status::Stopped => "stopped",
        Status::Failed => "FAILED",
    }
}

fn short(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true).replace('T', " ").trim_end_matches('Z').to_string()
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(statuses: &[Status]) -> Vec<DatasetSummary> {
        statuses.iter().map(|&status| DatasetSummary { status, ..DatasetSummary::new("x") }).collect()
    }

    #[test]
    fn exit_codes_tell_ok_partial_and_failed_apart() {
        use Status::*;
        let table: &[(&[Status], u8)] = &[
            (&[Ok, Ok], EXIT_OK),
            (&[Ok, Busy], EXIT_OK),
            (&[Ok, Stopped], EXIT_OK),
            // Issue 15: a log this tenant cannot have does not make the run partial.
            (&[Ok, NotApplicable], EXIT_OK),
            (&[Skipped, NotApplicable, Ok], EXIT_PARTIAL),
            (&[Skipped, Ok], EXIT_PARTIAL),
            (&[Skipped], EXIT_FAILED),
            (&[Skipped, Busy], EXIT_FAILED),
            (&[Ok, Failed], EXIT_FAILED),
            (&[Skipped, Failed, Ok], EXIT_FAILED),
        ];
        for (statuses, code) in table {
            assert_eq!(exit_code(&with(statuses)), *code, "{statuses:?}");
        }
        // Issue 14, finding 10: a quarantined record makes the run partial.
        let mut quarantined = with(&[Ok, Ok]);
        quarantined[1].quarantined = 1;
        assert_eq!(exit_code(&quarantined), EXIT_PARTIAL);
    }

    #[test]
    fn text_and_json_carry_the_same_facts() {
        let mut d = DatasetSummary::new("signins");
        d.status = Status::Skipped;
        d.error = Some("needs a licence".into());
        let s = RunSummary::new("r1".into(), "t1".into(), "local folder a".into(), Utc::now(), vec![d]);
        let json: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(json["datasets"][0]["status"], "skipped");
        assert_eq!(json["exit_code"], EXIT_FAILED);
        assert_eq!(json["complete"], false);
        assert!(s.to_text().contains("signins skipped: needs a licence"));
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12), "12 B");
    }

    #[test]
    fn errors_leave_without_credentials() {
        let mut d = DatasetSummary::new("signins");
        d.status = Status::Failed;
        d.error = Some("Graph refused (echo: Authorization: Bearer eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.)".into());
        let s = RunSummary::new("r1".into(), "t1".into(), "d".into(), Utc::now(), vec![d]);
        for text in [s.to_json(), s.to_text(), serde_json::to_value(&s).unwrap().to_string()] {
            assert!(text.contains("Authorization: ***") && !text.contains("eyJ"), "{text}");
        }
    }
}
