//! Issue 17: `compact` merges each sealed day's hour files into day files.
//! Exact ids and raw bytes after, `verify` clean, one file per sealed day,
//! unsealed days untouched, idempotent; a crash at each step of the swap,
//! then compact again → exact; runs, late arrivals and backfills after
//! compaction → nothing twice; the same on S3 (moto).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::TimestampMicrosecondType;
use chrono::{DateTime, Utc};
use graph_sim::{Dataset, GraphSim, SimConfig};

use crate::common::world::World;
use crate::common::{Harness, Run, now_for_end, parquet_files_under, read_batches, rows_under, t, walk};

const START: &str = "2026-11-17T00:00:00Z";
const END: &str = "2026-11-21T00:00:00Z";
const DATASETS: [(Dataset, &str, &str); 2] = [
    (Dataset::SignIns, "signins", "created_date_time"),
    (Dataset::DirectoryAudits, "directory_audits", "activity_date_time"),
];
/// Days wholly before checkpoint (END) − overlap (1 h).
const SEALED: [&str; 3] = ["2026-11-17", "2026-11-18", "2026-11-19"];

fn config(seed: u64) -> SimConfig {
    SimConfig { seed, from: t(START), to: t(END), signins: 1500, directory_audits: 600, ..SimConfig::default() }
}

async fn run(h: &Harness, dest: &Path, end: DateTime<Utc>) -> Run {
    let now = now_for_end(end);
    let args = ["run", "--json", "--since", START, "--now", &now, "--lag", "10m"];
    let mut cmd = h.command(&args);
    cmd.env("ARCHIVE_DEST", dest);
    cmd.output().await.unwrap().into()
}

async fn compact(h: &Harness, dest: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = h.command(&["compact", "--json"]);
    cmd.env("ARCHIVE_DEST", dest);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap().into()
}

async fn verify_clean(h: &Harness, dest: &Path, what: &str) {
    let mut cmd = h.command(&["verify", "--json", "--dest", &dest.display().to_string()]);
    cmd.env("ARCHIVE_DEST", dest);
    let verified: Run = cmd.output().await.unwrap().into();
    assert_eq!(verified.code, Some(0), "{what}: verify is clean:\n{}\n{}", verified.stdout, verified.stderr);
}

/// id → raw of every row of `name` under `archive`; no id twice.
fn raw_by_id(archive: &Path, name: &str, what: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for row in rows_under(archive, name) {
        assert!(out.insert(row.id.clone(), row.raw).is_none(), "{what} {name}: {} archived twice", row.id);
    }
    out
}

/// Every record graph-sim holds in `[START, end)` is in the archive once.
fn assert_exact(sim: &GraphSim, archive: &Path, end: DateTime<Utc>, what: &str) {
    for (ds, name, _) in DATASETS {
        let archived = raw_by_id(archive, name, what);
        let expected: Vec<String> =
            sim.records(ds).into_iter().filter(|r| t(START) <= r.time && r.time < end).map(|r| r.id).collect();
        assert_eq!(archived.len(), expected.len(), "{what} {name}: archived {} of {}", archived.len(), expected.len());
        assert!(expected.iter().all(|id| archived.contains_key(id)), "{what} {name}: a record missing");
    }
}

/// Files of `name` per partition day.
fn files_per_day(archive: &Path, name: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in parquet_files_under(archive, name) {
        let day = file.parent().unwrap().file_name().unwrap().to_string_lossy().trim_start_matches("date=").to_string();
        out.entry(day).or_default().push(file.file_name().unwrap().to_string_lossy().into_owned());
    }
    out
}

/// The bytes of every file of an unsealed day, to prove it untouched.
fn unsealed_files(archive: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(archive)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("date=2026-11-20"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for file in walk(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

/// One file per sealed day, named for the day, its rows sorted by time.
fn assert_compacted(archive: &Path, tenant: &str, what: &str) {
    for (_, name, time_column) in DATASETS {
        let days = files_per_day(archive, name);
        for day in SEALED {
            let compact = day.replace('-', "");
            assert_eq!(days[day], [format!("{compact}-0000-{tenant}.parquet")], "{what} {name} {day}: one day file");
            let file = archive.join(name).join(format!("date={day}")).join(&days[day][0]);
            let times: Vec<i64> = read_batches(&file)
                .iter()
                .flat_map(|b| {
                    b.column_by_name(time_column).unwrap().as_primitive::<TimestampMicrosecondType>().values().to_vec()
                })
                .collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{what} {name} {day}: rows sorted by time");
        }
        assert!(days["2026-11-20"].len() > 1, "{what} {name}: the unsealed day keeps its hour files");
    }
}

/// Issue 17: a sealed day's hour files become one day file; ids, rows and
/// raw unchanged; verify clean; unsealed days untouched; compact again does
/// nothing; a late arrival for an unsealed day still lands; a backfill over a
/// compacted day writes nothing twice, and one with a record Graph made
/// visible late adds it, which the next compaction merges in.
#[tokio::test(flavor = "multi_thread")]
async fn sealed_days_become_day_files_and_everything_after_stays_exact() {
    let h = Harness::start(config(1701)).await;
    let tenant = h.sim.config().tenant_id.clone();
    run(&h, &h.archive, t(END)).await.assert_code(0);
    let before: Vec<_> = DATASETS.iter().map(|(_, name, _)| raw_by_id(&h.archive, name, "before")).collect();
    let unsealed = unsealed_files(&h.archive);
    let hour_files: usize = SEALED.iter().map(|d| files_per_day(&h.archive, "signins")[*d].len()).sum();
    assert!(hour_files >= 3 * 20, "hourly files before: {hour_files}");

    let compacted = compact(&h, &h.archive, &[]).await;
    compacted.assert_code(0);
    let summary = compacted.dataset("signins");
    assert_eq!((summary["days"].as_u64(), summary["files_after"].as_u64()), (Some(3), Some(3)), "{summary}");
    assert_eq!(summary["files_before"].as_u64(), Some(hour_files as u64), "{summary}");
    assert_compacted(&h.archive, &tenant, "compacted");
    for (i, (_, name, _)) in DATASETS.iter().enumerate() {
        assert_eq!(raw_by_id(&h.archive, name, "after"), before[i], "{name}: the same ids and raw bytes");
    }
    assert_eq!(unsealed_files(&h.archive), unsealed, "the unsealed day is untouched");
    verify_clean(&h, &h.archive, "after compact").await;

    // Idempotent.
    let snapshot = h.snapshot();
    let again = compact(&h, &h.archive, &[]).await;
    again.assert_code(0);
    assert_eq!(again.dataset("signins")["days"], 0);
    let after_again: BTreeMap<_, _> = h.snapshot().into_iter().filter(|(k, _)| !k.contains("lease")).collect();
    let snapshot: BTreeMap<_, _> = snapshot.into_iter().filter(|(k, _)| !k.contains("lease")).collect();
    assert_eq!(after_again, snapshot, "compact again changes nothing");

    // Late arrivals inside the overlap (the unsealed day), then the next run.
    h.sim.generate(Dataset::SignIns, 7, t("2026-11-20T23:05:00Z"), t(END));
    h.sim.generate(Dataset::SignIns, 5, t(END), t("2026-11-21T02:00:00Z"));
    run(&h, &h.archive, t("2026-11-21T02:00:00Z")).await.assert_code(0);
    assert_exact(&h.sim, &h.archive, t("2026-11-21T02:00:00Z"), "late arrivals after compaction");

    // A backfill over a compacted day: nothing twice.
    let now = now_for_end(t("2026-11-21T02:00:00Z"));
    let backfill = |from: &'static str, to: &'static str| {
        let mut cmd = h.command(&["backfill", "--json", "--from", from, "--to", to, "--now", &now, "--lag", "10m"]);
        cmd.env("ARCHIVE_DEST", &h.archive);
        cmd
    };
    let refilled: Run = backfill("2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z").output().await.unwrap().into();
    refilled.assert_code(0);
    assert_eq!(refilled.dataset("signins")["records"], 0, "{}", refilled.stdout);
    assert_exact(&h.sim, &h.archive, t("2026-11-21T02:00:00Z"), "backfill over a compacted day");

    // A record Graph made visible late inside a sealed day: a backfill adds
    // it as an hour file, and compact merges the day again.
    h.sim.generate(Dataset::SignIns, 3, t("2026-11-18T10:00:00Z"), t("2026-11-18T11:00:00Z"));
    let refilled: Run = backfill("2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z").output().await.unwrap().into();
    refilled.assert_code(0);
    assert_eq!(refilled.dataset("signins")["records"], 3, "{}", refilled.stdout);
    assert_eq!(files_per_day(&h.archive, "signins")["2026-11-18"].len(), 2, "the day file and the new hour file");
    let merged = compact(&h, &h.archive, &[]).await;
    merged.assert_code(0);
    assert_eq!(
        files_per_day(&h.archive, "signins")["2026-11-18"],
        [format!("20261118-0001-{tenant}.parquet")],
        "compacted again into the next part"
    );
    assert_exact(&h.sim, &h.archive, t("2026-11-21T02:00:00Z"), "compacted again");
    verify_clean(&h, &h.archive, "compacted again").await;
}

/// Issue 17: a crash at each step of the swap (after the journal, after a
/// day file is moved in, after the ledger entry, after the first and a later
/// input removed), then compact again: exact, verify clean, one file per
/// sealed day.
#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_each_step_of_the_swap_then_compact_again_is_exact() {
    let h = Harness::start(config(1702)).await;
    let tenant = h.sim.config().tenant_id.clone();
    run(&h, &h.archive, t(END)).await.assert_code(0);
    for point in
        ["compact-journal", "after-file", "after-file:2", "compact-ledger", "compact-remove", "compact-remove:30"]
    {
        let copy = h.dir.path().join(format!("copy-{}", point.replace(':', "-")));
        copy_dir(&h.archive, &copy);
        let crashed = compact(&h, &copy, &[("ENTRA_ARCHIVE_CRASH_POINT", point)]).await;
        assert_eq!(crashed.code, None, "{point}: the process died\n{}", crashed.stderr);
        let again = compact(&h, &copy, &[]).await;
        again.assert_code(0);
        let recovered: u64 =
            again.json()["datasets"].as_array().unwrap().iter().map(|d| d["recovered"].as_u64().unwrap()).sum();
        assert_eq!(recovered, 1, "{point}: the interrupted swap was finished or undone: {}", again.stdout);
        assert_exact(&h.sim, &copy, t(END), point);
        assert_compacted(&copy, &tenant, point);
        assert!(!walk(&copy).iter().any(|p| p.ends_with("compaction.json")), "{point}: no journal left");
        verify_clean(&h, &copy, point).await;
    }
}

/// Issue 17: the same on S3 (moto), through the Lambda handler's
/// `{"action":"compact"}`: one file per sealed day, exact, verify clean.
#[tokio::test(flavor = "multi_thread")]
async fn on_s3_sealed_days_become_day_files() {
    let world = World::start(config(1703), crate::common::world::secret_json).await;
    let now = now_for_end(t(END));
    let ran: Run =
        world.binary().args(["run", "--json", "--since", START, "--now", &now]).output().await.unwrap().into();
    ran.assert_code(0);
    // Through the function, as the daily schedule invokes it.
    let event: serde_json::Value = serde_json::from_str(include_str!("../../events/compact.json")).unwrap();
    let app = world.app(world.settings(t(END)));
    let summary = app.handle(event, None).await.expect("compaction succeeds");
    let signins = summary["datasets"].as_array().unwrap().iter().find(|d| d["dataset"] == "signins").unwrap();
    assert_eq!((signins["days"].as_u64(), signins["files_after"].as_u64()), (Some(3), Some(3)), "{summary}");
    let verified: Run = world.binary().args(["verify", "--json"]).output().await.unwrap().into();
    verified.assert_code(0);
    let dir = tempfile::tempdir().unwrap();
    world.download(dir.path()).await;
    assert_exact(&world.sim, dir.path(), t(END), "S3");
    assert_compacted(dir.path(), &world.sim.config().tenant_id, "S3");
}
