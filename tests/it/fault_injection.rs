//! Randomized fault injection: many export passes against graph-sim and a
//! local folder or moto's S3, with crashes, throttling, server errors, slow,
//! truncated, malformed and dropped pages, tokens expiring mid-pagination,
//! deadlines mid-window, concurrent runs and late records inside the overlap.
//! After every scenario the archive must hold exactly the server's records
//! for the exported range: the same ids, none twice, raw bytes intact.
//!
//! `ENTRA_ARCHIVE_FAULT_SCENARIOS` sets how many scenarios run (default 200),
//! `ENTRA_ARCHIVE_FAULT_SEED` the seed (default: from the clock; printed), and
//! `ENTRA_ARCHIVE_FAULT_ONLY` replays one scenario of a seed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::common::moto::Moto;
use crate::common::*;
use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use entra_archive::config::Settings;
use entra_archive::{Archiver, Aws, Deadline, RetryPolicy, RunSummary};
use futures::StreamExt;
use graph_sim::{Dataset, Fault, GraphSim, SimConfig};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const DEFAULT_SCENARIOS: usize = 200;
const AT_ONCE: usize = 4;
const BUCKET: &str = "fault-injection";
const DATASETS: [(Dataset, &str); 2] = [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")];

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Where one scenario archives.
#[derive(Clone)]
enum Target {
    Local(PathBuf),
    S3 { aws: Box<SdkConfig>, endpoint: String, prefix: String },
}

impl Target {
    fn dest(&self) -> String {
        match self {
            Target::Local(path) => path.display().to_string(),
            Target::S3 { prefix, .. } => format!("s3://{BUCKET}/{prefix}"),
        }
    }
}

struct Scenario {
    id: usize,
    rng: StdRng,
    sim: GraphSim,
    target: Target,
    dir: tempfile::TempDir,
    /// The S3 archive's data files mirrored so far (key → ETag).
    mirrored: std::sync::Mutex<BTreeMap<String, String>>,
    log: Vec<String>,
    /// What this scenario exercised, for the report.
    tally: BTreeMap<String, usize>,
    /// Faults pushed so far (graph-sim counts those consumed).
    pushed: u64,
    /// `pushed` just after the last `ExpireTokens`: while fewer faults than
    /// that were consumed, it is still queued.
    expiry_queued_until: u64,
}

impl Scenario {
    fn count(&mut self, what: impl Into<String>) {
        *self.tally.entry(what.into()).or_default() += 1;
    }

    async fn archiver(&self, end: DateTime<Utc>) -> Archiver {
        let settings = Settings {
            deadline_margin: "0s".into(),
            file_size: "2KiB".into(),
            ..sim_settings(&self.sim, self.target.dest(), end, "100000/1s")
        };
        let aws = match &self.target {
            Target::Local(_) => Aws::standard(),
            Target::S3 { aws, .. } => Aws::given((**aws).clone()),
        };
        let retry = RetryPolicy {
            max_retries: 8,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            ..RetryPolicy::default()
        };
        archiver(settings, aws, retry).await
    }

    async fn pass(&self, end: DateTime<Utc>, deadline: Option<Deadline>) -> RunSummary {
        let archiver = self.archiver(end).await;
        let mut request = archiver.default_request();
        request.deadline = deadline;
        archiver.run(request).await.unwrap_or_else(|e| panic!("scenario {}: run failed: {e}", self.id))
    }

    /// The real binary, killed at a crash point.
    async fn crashing_pass(&self, end: DateTime<Utc>, point: &str) {
        let c = self.sim.config();
        let now = now_for_end(end);
        let mut cmd = binary(&self.sim, &self.target.dest());
        cmd.env("ENTRA_TENANT_ID", &c.tenant_id)
            .env("ENTRA_CLIENT_ID", &c.client_id)
            .env("ENTRA_CLIENT_SECRET", &c.client_secret)
            .env("ENTRA_ARCHIVE_CRASH_POINT", point)
            .args(["run", "-q", "--json", "--since", FROM, "--now", &now]);
        if let Target::S3 { endpoint, .. } = &self.target {
            cmd.env("AWS_ENDPOINT_URL", endpoint)
                .env("AWS_ACCESS_KEY_ID", crate::common::moto::ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", crate::common::moto::SECRET_KEY)
                .env("AWS_REGION", crate::common::moto::REGION);
        }
        let out = cmd.output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || stderr.contains("crash point"), "scenario {}: {stderr}", self.id);
    }

    /// Ages every lease past its expiry, as time would after a crash.
    async fn expire_leases(&self) {
        let expired = serde_json::json!({"run_id": "crashed", "expires_at": Utc::now() - chrono::Duration::minutes(1)});
        let body = serde_json::to_vec(&expired).unwrap();
        match &self.target {
            Target::Local(root) => {
                for path in walk(&root.join("_state")).into_iter().filter(|p| p.ends_with("lease.json")) {
                    std::fs::write(path, &body).unwrap();
                }
            }
            Target::S3 { aws, prefix, .. } => {
                let s3 = entra_archive::destination::s3_client(aws).await;
                let listed =
                    s3.list_objects_v2().bucket(BUCKET).prefix(format!("{prefix}/_state/")).send().await.unwrap();
                for object in listed.contents().iter().filter(|o| o.key().unwrap().ends_with("lease.json")) {
                    let key = object.key().unwrap();
                    s3.put_object().bucket(BUCKET).key(key).body(body.clone().into()).send().await.unwrap();
                }
            }
        }
    }

    /// The archive's data files as a local folder: a local archive itself;
    /// for S3, a mirror of its `.parquet` objects kept beside the scenario,
    /// which fetches only the objects that are new or changed since the last
    /// check (by ETag) and drops those that are gone.
    async fn local_copy(&self) -> PathBuf {
        let Target::S3 { aws, prefix, .. } = &self.target else {
            let Target::Local(root) = &self.target else { unreachable!() };
            return root.clone();
        };
        let root = self.dir.path().join("mirror");
        let s3 = entra_archive::destination::s3_client(aws).await;
        let strip = format!("{prefix}/");
        let mut listed = BTreeMap::new();
        let mut pages = s3.list_objects_v2().bucket(BUCKET).prefix(&strip).into_paginator().send();
        while let Some(page) = pages.next().await {
            for object in page.unwrap().contents() {
                let key = object.key().unwrap().strip_prefix(&strip).unwrap().to_string();
                if key.ends_with(".parquet") && !key.starts_with('_') {
                    listed.insert(key, object.e_tag().unwrap_or_default().to_string());
                }
            }
        }
        let stale: Vec<String> = {
            let mut mirrored = self.mirrored.lock().unwrap();
            let gone: Vec<String> = mirrored.keys().filter(|k| !listed.contains_key(*k)).cloned().collect();
            for key in &gone {
                mirrored.remove(key);
                std::fs::remove_file(root.join(key)).unwrap();
            }
            listed.iter().filter(|(k, etag)| mirrored.get(*k) != Some(etag)).map(|(k, _)| k.clone()).collect()
        };
        for key in stale {
            let got = s3.get_object().bucket(BUCKET).key(format!("{strip}{key}")).send().await.unwrap();
            let etag = got.e_tag().unwrap_or_default().to_string();
            let path = root.join(&key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, got.body.collect().await.unwrap().into_bytes()).unwrap();
            self.mirrored.lock().unwrap().insert(key, etag);
        }
        root
    }

    /// Exactly the server's records before `end`, none twice, raw intact;
    /// `complete: false` only checks that nothing is duplicated or invented.
    async fn check(&self, end: DateTime<Utc>, complete: bool) {
        let root = self.local_copy().await;
        for (ds, name) in DATASETS {
            let rows = rows_under(&root, name);
            let source: std::collections::HashMap<String, String> =
                self.sim.records(ds).into_iter().map(|r| (r.id, r.json)).collect();
            let mut seen = HashSet::new();
            for row in &rows {
                assert!(
                    seen.insert(row.id.clone()),
                    "scenario {}: {name} {} archived twice\n{}",
                    self.id,
                    row.id,
                    self.log.join("\n")
                );
                let raw = source
                    .get(&row.id)
                    .unwrap_or_else(|| panic!("scenario {}: {name} {} is not Graph's", self.id, row.id));
                assert_eq!(&row.raw, raw, "scenario {}: raw of {}", self.id, row.id);
            }
            if complete {
                let expected: HashSet<String> = self
                    .sim
                    .records(ds)
                    .into_iter()
                    .filter(|r| t(FROM) <= r.time && r.time < end)
                    .map(|r| r.id)
                    .collect();
                let missing: Vec<&String> = expected.difference(&seen).collect();
                let extra: Vec<&String> = seen.difference(&expected).collect();
                assert!(
                    missing.is_empty() && extra.is_empty(),
                    "scenario {}: {name} lost {missing:?}, has extra {extra:?}\n{}",
                    self.id,
                    self.log.join("\n")
                );
            }
        }
    }
}

fn random_fault(rng: &mut StdRng) -> Fault {
    match rng.random_range(0..100) {
        0..4 => Fault::TooManyRequests { retry_after: Some(1) },
        4..20 => Fault::TooManyRequests { retry_after: None },
        20..30 => Fault::ServiceUnavailable { retry_after: None },
        30..38 => Fault::GatewayTimeout,
        38..52 => Fault::TruncatedBody,
        52..62 => Fault::MalformedBody,
        62..74 => Fault::DropConnection,
        74..86 => Fault::ExpireTokens,
        _ => Fault::Delay(Duration::from_millis(rng.random_range(5..60))),
    }
}

async fn run_scenario(id: usize, seed: u64, moto: Arc<Moto>) -> BTreeMap<String, usize> {
    let mut rng = StdRng::seed_from_u64(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let dir = tempfile::tempdir().unwrap();
    let target = if rng.random_bool(0.25) {
        Target::S3 {
            aws: Box::new(moto.sdk_config().await),
            endpoint: moto.endpoint().to_string(),
            prefix: format!("s{id}"),
        }
    } else {
        Target::Local(dir.path().join("archive"))
    };
    let config = SimConfig {
        seed: rng.random(),
        from: t(FROM),
        to: t("2026-11-20T12:00:00Z"),
        signins: rng.random_range(20..120),
        directory_audits: rng.random_range(10..60),
        ..SimConfig::default()
    };
    let sim = GraphSim::start(config).await.unwrap();
    let page = rng.random_range(2..12);
    sim.set_switches(|s| s.max_page_size = Some(page));
    let log = vec![format!("seed {seed}, scenario {id}, page size {page}")];
    let mut s = Scenario {
        id,
        rng,
        sim,
        target,
        dir,
        mirrored: Default::default(),
        log,
        tally: BTreeMap::new(),
        pushed: 0,
        expiry_queued_until: 0,
    };
    s.count(match s.target {
        Target::Local(_) => "destination: local folder",
        Target::S3 { .. } => "destination: S3 (moto)",
    });

    let mut end = t(FROM) + chrono::Duration::minutes(s.rng.random_range(60..240));
    let passes = s.rng.random_range(3..7);
    for pass in 0..passes {
        // Late records inside the overlap of the pass before.
        if pass > 0 && s.rng.random_bool(0.4) {
            let n = s.rng.random_range(1..4);
            let late_from = end - chrono::Duration::minutes(55);
            s.sim.generate(Dataset::SignIns, n, late_from, end);
            s.log.push(format!("pass {pass}: {n} late sign-ins in [{late_from}, {end})"));
            s.count("late records inside the overlap");
        }
        // Never past graph-sim's last record (and the final pass's end): a
        // pass beyond it would leave a checkpoint the final pass must refuse.
        end = (end + chrono::Duration::minutes(s.rng.random_range(0..120))).min(t("2026-11-20T12:00:00Z"));
        let kind = s.rng.random_range(0..100);
        if kind < 15 {
            let point = match s.rng.random_range(0..2) {
                0 => format!("after-file:{}", s.rng.random_range(1..6)),
                _ => format!("before-checkpoint:{}", s.rng.random_range(1..6)),
            };
            s.log.push(format!("pass {pass} to {end}: crash at {point}"));
            s.count(format!("crash (process abort) {}", point.split(':').next().unwrap()));
            s.crashing_pass(end, &point).await;
            s.expire_leases().await;
        } else {
            // A token expiring twice within one page's retries is not a fault
            // Graph produces, and a 401 after a fresh token fails by design:
            // never queue a second expiry while one (perhaps left over from a
            // pass the deadline cut short) is still waiting.
            let mut expired = s.sim.stats().faults_injected < s.expiry_queued_until;
            for _ in 0..s.rng.random_range(0..4) {
                let fault = random_fault(&mut s.rng);
                let expiry = matches!(fault, Fault::ExpireTokens);
                if expiry && std::mem::replace(&mut expired, true) {
                    continue;
                }
                s.log.push(format!("pass {pass}: fault {fault:?}"));
                s.count(format!("fault {}", fault_name(&fault)));
                s.sim.push_fault(fault);
                s.pushed += 1;
                if expiry {
                    s.expiry_queued_until = s.pushed;
                }
                for _ in 0..s.rng.random_range(0..3) {
                    s.sim.push_fault(Fault::Delay(Duration::ZERO));
                    s.pushed += 1;
                }
            }
            if kind < 30 {
                let ms = s.rng.random_range(0..300);
                s.log.push(format!("pass {pass} to {end}: deadline after {ms} ms"));
                s.count("deadline mid-window");
                let summary = s.pass(end, Some(Deadline::within(Duration::from_millis(ms), Duration::ZERO))).await;
                assert_no_failures(&s, &summary);
            } else if kind < 50 {
                s.log.push(format!("pass {pass} to {end}: two runs at once"));
                s.count("two runs at once");
                let (a, b) = tokio::join!(s.pass(end, None), s.pass(end, None));
                assert_no_failures(&s, &a);
                assert_no_failures(&s, &b);
            } else {
                s.log.push(format!("pass {pass} to {end}"));
                let summary = s.pass(end, None).await;
                assert_no_failures(&s, &summary);
            }
        }
        s.check(end, false).await;
    }
    // Faults still queued hit the final pass, which must complete regardless.
    let end = end.min(t("2026-11-20T12:00:00Z"));
    s.log.push(format!("final pass to {end}"));
    let summary = s.pass(end, None).await;
    assert!(
        summary.complete,
        "scenario {id}: the final pass did not complete: {}\n{}",
        summary.to_json(),
        s.log.join("\n")
    );
    s.check(end, true).await;
    s.count("passes (incl. final)");
    *s.tally.get_mut("passes (incl. final)").unwrap() += passes;
    s.tally
}

fn fault_name(fault: &Fault) -> String {
    match fault {
        Fault::TooManyRequests { retry_after: Some(_) } => "429 with Retry-After".into(),
        Fault::TooManyRequests { retry_after: None } => "429 without Retry-After".into(),
        Fault::ServiceUnavailable { .. } => "503".into(),
        Fault::GatewayTimeout => "504".into(),
        Fault::TruncatedBody => "truncated body".into(),
        Fault::MalformedBody => "malformed body".into(),
        Fault::DropConnection => "connection dropped mid-body".into(),
        Fault::ExpireTokens => "token expired mid-pagination".into(),
        Fault::Delay(_) => "slow page".into(),
        other => format!("{other:?}"),
    }
}

fn assert_no_failures(s: &Scenario, summary: &RunSummary) {
    for d in &summary.datasets {
        assert!(
            !matches!(d.status, entra_archive::summary::Status::Failed | entra_archive::summary::Status::Skipped),
            "scenario {}: {} {:?}: {}\n{}",
            s.id,
            d.dataset,
            d.status,
            d.error.as_deref().unwrap_or_default(),
            s.log.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_record_is_lost_or_duplicated_under_faults() {
    let seed = env_number("ENTRA_ARCHIVE_FAULT_SEED").unwrap_or_else(|| rand::rng().random());
    let count = env_number("ENTRA_ARCHIVE_FAULT_SCENARIOS").map_or(DEFAULT_SCENARIOS, |n| n as usize);
    let only = env_number("ENTRA_ARCHIVE_FAULT_ONLY").map(|n| n as usize);
    eprintln!("fault injection: {count} scenarios, seed {seed} (replay: ENTRA_ARCHIVE_FAULT_SEED={seed})");
    let moto = Arc::new(Moto::start().await);
    moto.create_bucket(BUCKET).await;
    let ids: Vec<usize> = match only {
        Some(id) => vec![id],
        None => (0..count).collect(),
    };
    let results = futures::stream::iter(ids)
        .map(|id| {
            let moto = moto.clone();
            async move {
                let outcome = tokio::spawn(run_scenario(id, seed, moto)).await;
                (id, outcome)
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let failed: Vec<usize> = results.iter().filter(|(_, r)| r.is_err()).map(|(id, _)| *id).collect();
    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    for (_, tally) in results.iter().filter_map(|(id, r)| r.as_ref().ok().map(|t| (id, t))) {
        for (what, n) in tally {
            *total.entry(what.clone()).or_default() += n;
        }
    }
    let mut report = format!(
        "fault injection: {} scenarios passed of {}, seed {seed}\n",
        results.len() - failed.len(),
        results.len()
    );
    for (what, n) in &total {
        report.push_str(&format!("  {n:>6}  {what}\n"));
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-injection-report.txt");
    std::fs::write(&path, &report).unwrap();
    eprintln!("{report}(written to {})", path.display());
    assert!(
        failed.is_empty(),
        "scenarios {failed:?} failed; replay one with ENTRA_ARCHIVE_FAULT_SEED={seed} ENTRA_ARCHIVE_FAULT_ONLY=<id>"
    );
}
