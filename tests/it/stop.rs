//! Issue 16: a run stopped by a signal, or killed, never blocks the next.
//! SIGINT and SIGTERM stop the CLI gracefully (no new request, what is
//! complete written, the checkpoint moved, the leases released, a `stopped`
//! summary, exit 130 or 143); a second signal quits at once; a SIGKILLed
//! holder's lease is taken over at once on a local folder (its OS lock died
//! with it) and within its two-minute lifetime on S3. Every signal lands at
//! a random (seeded) point of a run slowed by graph-sim, and an immediate
//! rerun then finishes the archive, every record exactly once.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::common::world::{World, secret_json};
use crate::common::*;
use chrono::{DateTime, Utc};
use graph_sim::{Dataset, GraphSim};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const DATASETS: [(Dataset, &str); 2] = [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")];
/// The window's end: a day of records, read 50 to a page.
const END: &str = "2026-11-21T00:00:00Z";

/// How a run is interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interrupt {
    /// One signal: a graceful stop.
    Signal(&'static str),
    /// Two SIGINTs in a row, the second while a slow page is in flight.
    TwoSigints,
    /// SIGKILL: no chance to hand anything back.
    Kill,
}

/// Slows graph-sim down (pages of 50 records, each answered after `delay`)
/// so that a run takes some seconds and a signal lands in its middle.
fn slow(sim: &GraphSim, delay: Duration) {
    sim.set_switches(|s| {
        s.page_delay = delay;
        s.max_page_size = Some(50);
    });
}

fn fast(sim: &GraphSim) {
    sim.set_switches(|s| s.page_delay = Duration::ZERO);
}

fn data_requests(sim: &GraphSim) -> u64 {
    sim.stats().data_requests_total()
}

/// Waits until graph-sim has answered `n` more data requests than `from`:
/// the run is at work (its signal handling is in place).
async fn served(sim: &GraphSim, from: u64, n: u64) {
    let began = Instant::now();
    while data_requests(sim) < from + n {
        assert!(began.elapsed() < Duration::from_secs(60), "the run never got to work");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().expect("still running").to_string();
    let sent = std::process::Command::new("kill").args(["-s", name, &pid]).status().unwrap();
    assert!(sent.success(), "kill -s {name} {pid}");
}

/// The run's output, and how long after `since` it ended.
async fn finish(child: tokio::process::Child, since: Instant) -> (Run, ExitStatus, Duration) {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the run ends after a signal")
        .unwrap();
    let status = out.status;
    (Run::from(out), status, since.elapsed())
}

/// `run --json` to `end`, output captured.
fn spawn(mut cmd: tokio::process::Command, end: DateTime<Utc>) -> tokio::process::Child {
    let now = now_for_end(end);
    cmd.args(["run", "--json", "--since", FROM, "--now", &now, "--lag", "10m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every record of `[FROM, end)` is in the archive at `archive` once.
fn assert_exact(sim: &GraphSim, archive: &std::path::Path, end: DateTime<Utc>, what: &str) {
    for (ds, name) in DATASETS {
        let ids: Vec<String> = rows_under(archive, name).into_iter().map(|r| r.id).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{what} {name}: a record archived twice");
        let expected: HashSet<String> =
            sim.records(ds).into_iter().filter(|r| t(FROM) <= r.time && r.time < end).map(|r| r.id).collect();
        assert_eq!(unique.len(), expected.len(), "{what} {name}: archived {} of {}", unique.len(), expected.len());
        assert!(ids.iter().all(|id| expected.contains(id)), "{what} {name}: a record outside the window");
    }
}

fn statuses(run: &Run) -> Vec<String> {
    run.json()["datasets"].as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap().to_string()).collect()
}

/// Each lease in a local archive, as (dataset folder, expires_at).
fn local_leases(archive: &std::path::Path) -> Vec<(String, DateTime<Utc>)> {
    walk(&archive.join("_state"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "lease.json"))
        .map(|p| {
            let body: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            let dataset = p.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
            (dataset, body["expires_at"].as_str().unwrap().parse().unwrap())
        })
        .collect()
}

/// One run interrupted at a random point by `how`, then an immediate rerun.
async fn interrupted_then_rerun(seed: u64, how: Interrupt) {
    let mut rng = StdRng::seed_from_u64(seed);
    let h = Harness::start(sim_config(seed)).await;
    let end = t(END);
    let what = format!("seed {seed}, {how:?}");
    let delay = match how {
        Interrupt::TwoSigints => Duration::from_secs(5),
        _ => Duration::from_millis(150),
    };
    slow(&h.sim, delay);
    let before = data_requests(&h.sim);
    let child = spawn(h.command(&[]), end);
    // At a random page: after 1 to 20 pages (of some 40).
    let pages = match how {
        Interrupt::TwoSigints => 1,
        _ => rng.random_range(1..20),
    };
    served(&h.sim, before, pages).await;
    if how != Interrupt::TwoSigints {
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..150))).await;
    }
    let at_signal = data_requests(&h.sim);
    let sent = Instant::now();
    let (run, status, took) = match how {
        Interrupt::Signal(name) => {
            signal(&child, name);
            finish(child, sent).await
        }
        Interrupt::TwoSigints => {
            signal(&child, "INT");
            tokio::time::sleep(Duration::from_millis(200)).await;
            let second = Instant::now();
            signal(&child, "INT");
            finish(child, second).await
        }
        Interrupt::Kill => {
            let mut child = child;
            child.start_kill().unwrap();
            finish(child, sent).await
        }
    };
    assert!(!run.stderr.contains('\x1b'), "{what}: no colour codes in piped logs:\n{}", run.stderr);
    match how {
        Interrupt::Signal(name) => {
            let code = if name == "INT" { 130 } else { 143 };
            run.assert_code(code);
            let summary = run.json();
            assert_eq!(summary["exit_code"], code, "{what}: the summary says how the run ended: {summary}");
            assert_eq!(summary["complete"], false, "{what}: {summary}");
            assert!(statuses(&run).iter().any(|s| s == "stopped"), "{what}: a dataset stopped: {summary}");
            assert!(!statuses(&run).iter().any(|s| s == "failed"), "{what}: nothing failed: {summary}");
            assert!(run.stderr.contains("stopping"), "{what}: the stop is logged:\n{}", run.stderr);
            assert!(took < Duration::from_secs(20), "{what}: stopped promptly ({took:?})");
            // No new request once the signal came: the one in flight, and
            // at most one whose check had passed.
            let after = data_requests(&h.sim) - at_signal;
            assert!(after <= 2, "{what}: {after} requests after the signal");
            let released = local_leases(&h.archive);
            assert!(!released.is_empty(), "{what}: a lease was taken");
            for (dataset, expires_at) in released {
                assert!(expires_at <= Utc::now(), "{what}: the lease of {dataset} was handed back");
            }
        }
        Interrupt::TwoSigints => {
            assert_eq!(run.code, Some(130), "{what}\n{}", run.stderr);
            assert!(took < Duration::from_secs(3), "{what}: the second signal quits at once ({took:?})");
            assert!(run.stderr.contains("quitting at once"), "{what}:\n{}", run.stderr);
        }
        Interrupt::Kill => assert_eq!(status.signal(), Some(9), "{what}: killed"),
    }

    // At once, the next run: never busy on a local folder, and it finishes.
    let orphaned = local_leases(&h.archive).into_iter().any(|(_, expires_at)| expires_at > Utc::now());
    if orphaned {
        // doctor tells a dead holder's lease from a live one's.
        let now = end.to_rfc3339();
        let doctor: Run = h.command(&["doctor", "--json", "--now", &now]).output().await.unwrap().into();
        let report = doctor.json();
        let leases: Vec<_> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check"].as_str().unwrap_or("").starts_with("lease "))
            .collect();
        assert!(!leases.is_empty(), "{what}: doctor checks the leases: {report}");
        for lease in leases {
            assert_eq!(lease["result"], "ok", "{what}: a dead holder's lease is free: {lease}");
        }
    }
    fast(&h.sim);
    let rerun = h.run_to(end, &[]).await;
    rerun.assert_code(0);
    assert!(statuses(&rerun).iter().all(|s| s == "ok"), "{what}: never busy: {}", rerun.stdout);
    if orphaned {
        assert!(how != Interrupt::Signal("INT") && how != Interrupt::Signal("TERM"), "{what}: a lease left held");
        assert!(rerun.stderr.contains("taking the lease over"), "{what}: the dead run's lease was taken over");
    }
    assert_exact(&h.sim, &h.archive, end, &what);
}

/// Issue 16: Ctrl-C stops a run gracefully — exit 130, a `stopped`
/// summary, the leases handed back — and the next run, started at once,
/// archives the rest: every record once.
#[tokio::test(flavor = "multi_thread")]
async fn sigint_stops_gracefully_and_the_next_run_finishes_the_archive() {
    for seed in [1601, 1602] {
        interrupted_then_rerun(seed, Interrupt::Signal("INT")).await;
    }
}

/// Issue 16: SIGTERM likewise, with exit 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_gracefully_and_the_next_run_finishes_the_archive() {
    for seed in [1611, 1612] {
        interrupted_then_rerun(seed, Interrupt::Signal("TERM")).await;
    }
}

/// Issue 16: a second Ctrl-C quits at once, even with a slow page in
/// flight; nothing durable is lost, and the next run is not kept waiting.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_quits_at_once_and_loses_nothing() {
    interrupted_then_rerun(1621, Interrupt::TwoSigints).await;
}

/// Issue 16: a SIGKILLed run left its dataset `busy` for 15 minutes; on a
/// local folder its lease dies with it (an OS lock), so the next run,
/// started at once, takes it over and finishes the archive.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_runs_local_lease_is_taken_over_at_once() {
    for seed in [1631, 1632] {
        interrupted_then_rerun(seed, Interrupt::Kill).await;
    }
}

/// The leases under the moto archive, as (dataset, expires_at).
async fn s3_leases(world: &World) -> Vec<(String, DateTime<Utc>)> {
    let tenant = world.sim.config().tenant_id.clone();
    let mut out = Vec::new();
    for (_, name) in DATASETS {
        if let Some(bytes) = world.object(&format!("_state/{tenant}/{name}/lease.json")).await {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            out.push((name.to_string(), body["expires_at"].as_str().unwrap().parse().unwrap()));
        }
    }
    out
}

async fn s3_assert_exact(world: &World, end: DateTime<Utc>, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    world.download(dir.path()).await;
    assert_exact(&world.sim, dir.path(), end, what);
}

/// Issue 16: on S3, SIGTERM hands the lease back (exit 143, `stopped`):
/// the next run, started at once, is not `busy`.
#[tokio::test(flavor = "multi_thread")]
async fn on_s3_sigterm_hands_the_lease_back() {
    let world = World::start(sim_config(1641), secret_json).await;
    let end = t("2026-11-20T16:00:00Z");
    slow(&world.sim, Duration::from_millis(150));
    let child = spawn(world.binary(), end);
    served(&world.sim, 0, 5).await;
    signal(&child, "TERM");
    let (run, _, _) = finish(child, Instant::now()).await;
    run.assert_code(143);
    assert!(statuses(&run).iter().any(|s| s == "stopped"), "{}", run.stdout);
    for (dataset, expires_at) in s3_leases(&world).await {
        assert!(expires_at <= Utc::now(), "the lease of {dataset} was handed back");
    }
    fast(&world.sim);
    let mut cmd = world.binary();
    cmd.args(["run", "--json", "--since", FROM, "--now", &now_for_end(end)]);
    let rerun: Run = cmd.output().await.unwrap().into();
    rerun.assert_code(0);
    assert!(statuses(&rerun).iter().all(|s| s == "ok"), "never busy: {}", rerun.stdout);
    s3_assert_exact(&world, end, "S3 after SIGTERM").await;
}

/// Issue 16: on S3 nothing dies with a process, so a SIGKILLed holder's
/// lease stands until it runs out — but it lasts two minutes (renewed in
/// the background while its run lives), not 15: a run a little over two
/// minutes later takes the dataset over and finishes the archive.
#[tokio::test(flavor = "multi_thread")]
async fn on_s3_a_killed_holders_lease_runs_out_within_two_minutes() {
    let mut rng = StdRng::seed_from_u64(1651);
    let world = World::start(sim_config(1651), secret_json).await;
    let end = t("2026-11-20T16:00:00Z");
    slow(&world.sim, Duration::from_millis(150));
    let mut child = spawn(world.binary(), end);
    served(&world.sim, 0, rng.random_range(2..12)).await;
    child.start_kill().unwrap();
    let (_, status, _) = finish(child, Instant::now()).await;
    assert_eq!(status.signal(), Some(9));
    let killed_at = Utc::now();
    fast(&world.sim);
    let rerun = || async {
        let mut cmd = world.binary();
        cmd.args(["run", "--json", "--since", FROM, "--now", &now_for_end(end)]);
        Run::from(cmd.output().await.unwrap())
    };

    // At once: the dead holder's lease still stands (S3 cannot tell it is dead)…
    let held: Vec<_> = s3_leases(&world).await.into_iter().filter(|(_, e)| *e > Utc::now()).collect();
    assert_eq!(held.len(), 1, "the killed run held one dataset: {held:?}");
    let (dataset, expires_at) = held[0].clone();
    assert!(expires_at <= killed_at + chrono::Duration::seconds(125), "a short lease: until {expires_at}");
    let blocked = rerun().await;
    blocked.assert_code(0);
    let busy = blocked.dataset(&dataset);
    assert_eq!(busy["status"], "busy", "{}", blocked.stdout);

    // …until it runs out, two minutes at most after the kill.
    let wait = (expires_at - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(2);
    tokio::time::sleep(wait).await;
    let resumed = rerun().await;
    resumed.assert_code(0);
    assert!(statuses(&resumed).iter().all(|s| s == "ok"), "{}", resumed.stdout);
    s3_assert_exact(&world, end, "S3 after SIGKILL").await;
}

/// Issue 16: a stop ends a retry wait in progress at once: a run waiting
/// out Graph's ten-minute `Retry-After` stops within moments of Ctrl-C.
#[tokio::test(flavor = "multi_thread")]
async fn a_stop_ends_a_retry_wait_at_once() {
    let h = Harness::start(sim_config(1661)).await;
    let end = t(END);
    slow(&h.sim, Duration::from_millis(50));
    h.sim.push_fault(graph_sim::Fault::TooManyRequests { retry_after: Some(600) });
    let child = spawn(h.command(&[]), end);
    let began = Instant::now();
    while h.sim.stats().data_requests_with(429) == 0 {
        assert!(began.elapsed() < Duration::from_secs(60), "the run never met the 429");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&child, "INT");
    let (run, _, took) = finish(child, Instant::now()).await;
    run.assert_code(130);
    assert!(took < Duration::from_secs(5), "the 600 s wait ended with the stop ({took:?})");
    assert!(statuses(&run).iter().all(|s| s == "stopped"), "{}", run.stdout);
    fast(&h.sim);
    h.run_to(end, &[]).await.assert_code(0);
    assert_exact(&h.sim, &h.archive, end, "after a stop in a retry wait");
}
