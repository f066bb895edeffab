//! End-to-end: the real binary exports from graph-sim over loopback HTTP into
//! a local archive, and what it wrote is read back and compared with what the
//! server holds.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::common::*;
use graph_sim::Dataset;

const DATASETS: [(Dataset, &str, &str); 2] = [
    (Dataset::SignIns, "signins", "created_date_time"),
    (Dataset::DirectoryAudits, "directory_audits", "activity_date_time"),
];

/// Checks that the archive holds exactly `expected`'s records for each
/// dataset: same ids, once each, raw bytes identical, typed values equal,
/// each in the partition of its own UTC day, each file within its hour.
fn assert_archive_holds(h: &Harness, end: chrono::DateTime<chrono::Utc>) {
    for (ds, name, time_column) in DATASETS {
        let expected = h.expected(ds, t(FROM), end);
        let rows = h.rows(name);
        let mut seen = HashSet::new();
        for row in &rows {
            assert!(seen.insert(row.id.clone()), "{name}: {} archived twice", row.id);
        }
        let by_id: HashMap<&str, &graph_sim::Record> = expected.iter().map(|r| (r.id.as_str(), r)).collect();
        assert_eq!(rows.len(), expected.len(), "{name}: archived {} of {} records", rows.len(), expected.len());
        let mut leaves = 0;
        for row in &rows {
            let source =
                by_id.get(row.id.as_str()).unwrap_or_else(|| panic!("{name}: {} is not in the window", row.id));
            assert_eq!(row.raw, source.json, "{name}: raw of {} differs from what Graph sent", row.id);
            let json: serde_json::Value = serde_json::from_str(&source.json).unwrap();
            leaves += assert_typed_matches(&row.typed, &json, &format!("{name}[{}]", row.id));
            assert_eq!(
                partition_date(&row.file),
                source.time.format("%Y-%m-%d").to_string(),
                "{name}: {} partition",
                row.id
            );
        }
        assert!(leaves > expected.len() * 10, "{name}: only {leaves} typed values compared");
        for file in h.parquet_files(name) {
            let stem = file.file_name().unwrap().to_str().unwrap();
            let hour = chrono::NaiveDateTime::parse_from_str(&format!("{}00", &stem[..11]), "%Y%m%dT%H%M").unwrap();
            let start = hour.and_utc().timestamp_micros();
            for batch in read_batches(&file) {
                let c = batch.column_by_name(time_column).unwrap();
                let times = arrow::array::AsArray::as_primitive::<arrow::datatypes::TimestampMicrosecondType>(c);
                let outside = times.values().iter().find(|&&t| t < start || t >= start + 3_600_000_000);
                assert!(outside.is_none(), "{}: a record outside its hour", file.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_page_export_holds_every_record_exactly_once() {
    let h = Harness::start(sim_config(1)).await;
    // A busy hour: several 1000-record pages in one slice.
    h.sim.generate(Dataset::SignIns, 2600, t("2026-11-20T05:00:00Z"), t("2026-11-20T06:00:00Z"));
    h.sim.generate(Dataset::DirectoryAudits, 1300, t("2026-11-20T07:00:00Z"), t("2026-11-20T08:00:00Z"));
    // Records exactly on the window's start, on an hour boundary, just
    // before the end, and exactly on the end (which belongs to the next run).
    let end = t("2026-11-20T18:00:00Z");
    for (i, at) in
        ["2026-11-20T00:00:00Z", "2026-11-20T09:00:00Z", "2026-11-20T17:59:59.9999999Z", "2026-11-20T18:00:00Z"]
            .iter()
            .enumerate()
    {
        h.sim.insert_raw(
            Dataset::SignIns,
            &format!(r#"{{"id":"boundary-{i}","createdDateTime":"{at}","userDisplayName":"Zoë Ångström","userId":"u{i}","status":{{"errorCode":0}}}}"#),
        );
    }

    let run = h.run_to(end, &[]).await;
    run.assert_code(0);
    let summary = run.json();
    assert_eq!(summary["complete"], true);
    for (ds, name, _) in DATASETS {
        let d = run.dataset(name);
        assert_eq!(d["status"], "ok");
        assert_eq!(d["records"].as_u64().unwrap() as usize, h.expected(ds, t(FROM), end).len());
        assert_eq!(d["window"]["start"], "2026-11-20T00:00:00Z");
        assert_eq!(d["window"]["end"], "2026-11-20T18:00:00Z");
        assert!(d["files"].as_u64().unwrap() >= 18, "{d}");
        assert!(d["bytes"].as_u64().unwrap() > 0);
    }
    let paged = h.sim.requests().iter().filter(|r| r.path_and_query.contains("skiptoken")).count();
    assert!(paged >= 3, "the busy hours were read over several pages ({paged} follow-up requests)");
    assert_archive_holds(&h, end);
    let ids: HashSet<String> = h.rows("signins").into_iter().map(|r| r.id).collect();
    assert!(ids.contains("boundary-0") && ids.contains("boundary-1") && ids.contains("boundary-2"));
    assert!(!ids.contains("boundary-3"), "a record at the window's end waits for the next run");

    // The next run picks the end record up, and nothing else twice.
    let later = t("2026-11-21T00:00:00Z");
    h.run_to(later, &[]).await.assert_code(0);
    assert_archive_holds(&h, later);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_writes_nothing_and_a_later_one_only_the_new_records() {
    let h = Harness::start(sim_config(2)).await;
    let end = t("2026-11-20T12:00:00Z");
    h.run_to(end, &[]).await.assert_code(0);
    let first = h.snapshot();

    let again = h.run_to(end, &[]).await;
    again.assert_code(0);
    for (_, name, _) in DATASETS {
        let d = again.dataset(name);
        assert_eq!((d["records"].as_u64(), d["files"].as_u64()), (Some(0), Some(0)), "{d}");
        assert_eq!(d["window"]["start"], "2026-11-20T11:00:00Z", "re-reads the 1h overlap");
    }
    let data = |s: &BTreeMap<String, Vec<u8>>| {
        s.iter()
            .filter(|(k, _)| !k.starts_with("_state"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(data(&h.snapshot()), data(&first), "no data file changed");
    assert_eq!(
        h.state_snapshot(),
        first.iter().filter(|(k, _)| k.ends_with("checkpoint.json")).map(|(k, v)| (k.clone(), v.clone())).collect(),
        "checkpoints untouched"
    );

    // New records after the end, and late arrivals inside the last hour.
    let fresh = h.sim.generate(Dataset::SignIns, 40, t("2026-11-20T12:00:00Z"), t("2026-11-20T13:00:00Z"));
    let late = h.sim.generate(Dataset::SignIns, 5, t("2026-11-20T11:10:00Z"), t("2026-11-20T11:50:00Z"));
    let later = t("2026-11-20T13:00:00Z");
    let third = h.run_to(later, &[]).await;
    third.assert_code(0);
    let new_files: Vec<String> =
        h.snapshot().keys().filter(|k| !first.contains_key(*k) && k.ends_with(".parquet")).cloned().collect();
    let new_ids: HashSet<String> = new_files
        .iter()
        .flat_map(|k| read_batches(&h.archive.join(k)))
        .flat_map(|b| {
            arrow::array::AsArray::as_string::<i32>(b.column_by_name("id").unwrap())
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // New: everything the server holds in [12:00, 13:00) (including what was
    // generated at start-up) and the late arrivals inside the overlap.
    let mut expected_new: HashSet<String> = late.iter().map(|r| r.id.clone()).collect();
    for (ds, _, _) in DATASETS {
        expected_new.extend(h.expected(ds, end, later).into_iter().map(|r| r.id));
    }
    assert!(fresh.iter().all(|r| expected_new.contains(&r.id)));
    assert_eq!(new_ids, expected_new, "the new files hold exactly the new and late records");
    let written: u64 = DATASETS.iter().map(|(_, name, _)| third.dataset(name)["records"].as_u64().unwrap()).sum();
    assert_eq!(written as usize, expected_new.len());
    assert_archive_holds(&h, later);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_files_and_checkpoint_loses_and_repeats_nothing() {
    for point in ["before-checkpoint", "after-file:3", "before-checkpoint:2"] {
        let h = Harness::start(sim_config(3)).await;
        let end = t("2026-11-20T20:00:00Z");
        let crashed = h.run_with_env(end, &[], &[("ENTRA_ARCHIVE_CRASH_POINT", point)]).await;
        assert_ne!(crashed.code, Some(0), "{point}: the run must die\n{}", crashed.stderr);
        assert!(crashed.stderr.contains("crash point"), "{}", crashed.stderr);
        let left = h.snapshot();
        assert!(left.keys().any(|k| k.ends_with(".parquet")), "{point}: some files were written before the crash");
        assert!(
            !left.keys().any(|k| k.contains(".tmp") || k.contains(".partial")),
            "{point}: no partial file is visible"
        );

        // The crash left a lease behind, but its holder is gone (its OS lock
        // died with it): the next run takes it over at once and finishes.
        let resumed = h.run_with_env(end, &[], &[]).await;
        resumed.assert_code(0);
        let busy = resumed.json()["datasets"].as_array().unwrap().iter().any(|d| d["status"] == "busy");
        assert!(!busy, "{point}: a dead run's lease blocks nothing\n{}", resumed.stdout);
        assert_archive_holds(&h, end);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_server_errors_and_truncated_pages_are_retried_from_the_same_page() {
    let h = Harness::start(sim_config(4)).await;
    // One fault per page (a normal answer in between), so each page retries once.
    use graph_sim::Fault::*;
    let faults = [
        TooManyRequests { retry_after: Some(1) },
        TruncatedBody,
        ServiceUnavailable { retry_after: None },
        MalformedBody,
        GatewayTimeout,
        // The token expires mid-pagination: one 401, a fresh token, and on.
        ExpireTokens,
    ];
    for fault in faults {
        h.sim.push_fault(fault);
        h.sim.push_fault(Delay(std::time::Duration::ZERO));
    }
    // Pages of 50: the window's few hundred sign-ins take several.
    h.sim.set_switches(|s| s.max_page_size = Some(50));
    let end = t("2026-11-20T08:00:00Z");
    let run = h.run_to(end, &["--datasets", "signins"]).await;
    run.assert_code(0);
    let statuses: Vec<u16> =
        h.sim.requests().iter().filter(|r| r.path_and_query.contains("auditLogs")).map(|r| r.status).collect();
    assert_eq!(&statuses[..2], &[429, 200], "{statuses:?}");
    for status in [503, 504, 401] {
        assert!(statuses.contains(&status), "{status} in {statuses:?}");
    }
    let token_requests = h.sim.requests().iter().filter(|r| r.path_and_query.contains("oauth2")).count();
    assert_eq!(token_requests, 2, "one token, one refresh after the 401");
    let ids: Vec<String> = h.rows("signins").into_iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), h.expected(Dataset::SignIns, t(FROM), end).len());
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());

    // The summary counts what happened on the wire.
    let d = run.dataset("signins");
    let ok_pages = statuses.iter().filter(|&&s| s == 200).count() as u64;
    assert_eq!(d["throttled"], 1, "one 429: {d}");
    assert_eq!(
        d["retries"], 6,
        "429, truncated, 503, malformed, 504 and the 401 (after a fresh token) each repeated once: {d}"
    );
    // Truncated and malformed bodies are 200s on the wire but not pages.
    assert_eq!(d["pages"].as_u64().unwrap(), ok_pages - 2, "{d}");
}

/// With a small `--file-size`, a busy hour becomes several files; every
/// record is still there once, each file has its manifest and `verify`
/// passes, and a second run over the same hours adds nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_busy_hour_rolls_over_into_several_files() {
    let h = Harness::start(sim_config(40)).await;
    let end = t("2026-11-20T06:00:00Z");
    let run = h.run_to(end, &["--file-size", "8KiB"]).await;
    run.assert_code(0);
    assert_archive_holds(&h, end);
    let files = h.parquet_files("signins");
    let mut per_hour: std::collections::BTreeMap<String, usize> = Default::default();
    for file in &files {
        *per_hour.entry(file.file_name().unwrap().to_str().unwrap()[..11].to_string()).or_default() += 1;
    }
    assert!(per_hour.values().any(|&n| n >= 3), "no hour rolled over: {per_hour:?}");
    assert_eq!(run.dataset("signins")["files"].as_u64().unwrap() as usize, files.len());
    h.command(&["verify"]).output().await.map(|o| assert!(o.status.success(), "{o:?}")).unwrap();
    // A re-read of the same hours (a backfill) finds every record archived.
    let again = h.run_to(end, &["--file-size", "8KiB"]).await;
    again.assert_code(0);
    assert_eq!(again.dataset("signins")["records"], 0);
    assert_eq!(h.parquet_files("signins").len(), files.len());
}
