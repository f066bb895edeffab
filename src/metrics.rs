//! CloudWatch metrics of a run, as Embedded Metric Format (EMF) log lines.
//!
//! Takes a run's summary (or none, when the invocation failed before a run)
//! and hands back JSON lines that CloudWatch Logs turns into metrics when the
//! Lambda prints them: `RunSucceeded` (1 or 0, no dimensions) once per
//! invocation, and per dataset (dimension `Dataset`) `RecordsWritten`,
//! `FilesWritten`, `BytesWritten`, `Seconds`, `Pages`, `Throttled` (429s),
//! `Retries` and — for datasets the run
//! archived — `LagSeconds`, how far the archive is behind now. The alarms in
//! `infra/template.yaml` watch `RunSucceeded` and `LagSeconds`. Lines carry
//! numbers, dataset names and statuses only, never an error's text (which may
//! hold what a server echoed).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::summary::{RunSummary, Status};

/// Namespace used when `ARCHIVE_METRICS_NAMESPACE` is not set.
pub(crate) const DEFAULT_NAMESPACE: &str = "EntraArchive";

/// The EMF lines of one invocation. A run succeeded when it ran and no
/// dataset failed (skipped, busy and stopped datasets are not failures).
pub(crate) fn emf_lines(namespace: &str, summary: Option<&RunSummary>, now: DateTime<Utc>) -> Vec<String> {
    let timestamp = now.timestamp_millis();
    let succeeded = summary.is_some_and(|s| s.datasets.iter().all(|d| d.status != Status::Failed));
    let mut lines = vec![json!({
        "_aws": directive(namespace, timestamp, &[], &[("RunSucceeded", "Count")]),
        "RunSucceeded": u8::from(succeeded),
    })];
    for d in summary.map(|s| s.datasets.as_slice()).unwrap_or_default() {
        let mut metrics = vec![
            ("RecordsWritten", "Count"),
            ("FilesWritten", "Count"),
            ("BytesWritten", "Bytes"),
            ("Seconds", "Seconds"),
            ("Pages", "Count"),
            ("Throttled", "Count"),
            ("Retries", "Count"),
            ("Quarantined", "Count"),
        ];
        let lag = match (d.status, d.archived_through) {
            (Status::Ok | Status::Stopped, Some(through)) => Some((now - through).num_seconds().max(0)),
            _ => None,
        };
        if lag.is_some() {
            metrics.push(("LagSeconds", "Seconds"));
        }
        let mut line = json!({
            "_aws": directive(namespace, timestamp, &["Dataset"], &metrics),
            "Dataset": d.dataset,
            "Status": d.status,
            "RecordsWritten": d.records,
            "FilesWritten": d.files,
            "BytesWritten": d.bytes,
            "Seconds": d.seconds,
            "Pages": d.pages,
            "Throttled": d.throttled,
            "Retries": d.retries,
            "Quarantined": d.quarantined,
        });
        if let Some(lag) = lag {
            line["LagSeconds"] = json!(lag);
        }
        lines.push(line);
    }
    lines.iter().map(Value::to_string).collect()
}

fn directive(namespace: &str, timestamp: i64, dimensions: &[&str], metrics: &[(&str, &str)]) -> Value {
    json!({
        "Timestamp": timestamp,
        "CloudWatchMetrics": [{
            "Namespace": namespace,
            "Dimensions": [dimensions],
            "Metrics": metrics.iter().map(|(name, unit)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::DatasetSummary;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn summary(statuses: &[(&'static str, Status)]) -> RunSummary {
        let datasets = statuses
            .iter()
            .map(|&(name, status)| {
                let mut d = DatasetSummary::new(name);
                d.status = status;
                d.records = 7;
                d.archived_through = Some(t("2026-11-24T09:50:00Z"));
                d
            })
            .collect();
        RunSummary::new("r".into(), "t".into(), "d".into(), t("2026-11-24T10:00:00Z"), datasets)
    }

    fn parse(lines: &[String]) -> Vec<Value> {
        lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn a_run_gives_run_and_dataset_metrics_in_emf() {
        let s = summary(&[("signins", Status::Ok), ("risk_detections", Status::Skipped)]);
        let lines = parse(&emf_lines("Ns", Some(&s), t("2026-11-24T10:00:00Z")));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["RunSucceeded"], 1);
        assert_eq!(lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Ns");
        assert_eq!(lines[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
        assert_eq!(lines[0]["_aws"]["Timestamp"], t("2026-11-24T10:00:00Z").timestamp_millis());
        let signins = &lines[1];
        assert_eq!(signins["Dataset"], "signins");
        assert_eq!(signins["RecordsWritten"], 7);
        assert_eq!(signins["LagSeconds"], 600);
        assert_eq!(signins["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["Dataset"]]));
        let names: Vec<&str> = signins["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "RecordsWritten",
                "FilesWritten",
                "BytesWritten",
                "Seconds",
                "Pages",
                "Throttled",
                "Retries",
                "Quarantined",
                "LagSeconds"
            ]
        );
        // Every metric named in a directive is a member of its line.
        for line in &lines {
            for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap() {
                assert!(line.get(m["Name"].as_str().unwrap()).is_some(), "{line}");
            }
        }
        let skipped = &lines[2];
        assert!(skipped.get("LagSeconds").is_none(), "a skipped dataset reports no lag: it would hold the alarm");
    }

    #[test]
    fn lines_carry_no_error_text() {
        let mut s = summary(&[("signins", Status::Failed)]);
        s.datasets[0].error = Some("echo: client_secret=Leaky~Value.1 Bearer eyJhbGciOiJub25lIn0.e30.".into());
        for line in emf_lines("Ns", Some(&s), Utc::now()) {
            assert!(!line.contains("Leaky") && !line.contains("eyJ") && !line.contains("echo"), "{line}");
        }
    }

    #[test]
    fn a_failed_dataset_or_no_run_is_not_a_success() {
        let s = summary(&[("signins", Status::Ok), ("directory_audits", Status::Failed)]);
        assert_eq!(parse(&emf_lines("Ns", Some(&s), Utc::now()))[0]["RunSucceeded"], 0);
        let none = parse(&emf_lines("Ns", None, Utc::now()));
        assert_eq!(none.len(), 1);
        assert_eq!(none[0]["RunSucceeded"], 0);
        let busy = summary(&[("signins", Status::Busy), ("directory_audits", Status::Stopped)]);
        assert_eq!(parse(&emf_lines("Ns", Some(&busy), Utc::now()))[0]["RunSucceeded"], 1);
    }
}
