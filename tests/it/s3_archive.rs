//! The real binary archiving into S3 (moto) with credentials from Secrets
//! Manager: a crash between uploads and the checkpoint loses and repeats
//! nothing, and DuckDB reads the archive straight from S3 — the README's
//! DuckDB-on-S3 recipe too.

use std::collections::{BTreeMap, HashSet};

use crate::common::world::{BUCKET, PREFIX, World, secret_json};
use crate::common::*;
use graph_sim::Dataset;
use serde_json::Value;

const END: &str = "2026-11-20T16:00:00Z";

/// `entra-archive run` as a deployed function would be configured, via the CLI.
async fn run_binary(world: &World, env: &[(&str, &str)]) -> Run {
    let now = now_for_end(t(END));
    let mut cmd = world.binary();
    cmd.args(["run", "--json", "--since", FROM, "--now", &now]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap().into()
}

async fn pending_uploads(world: &World) -> usize {
    let s3 = world.moto.s3().await;
    let listed = s3.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
    listed.uploads().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_uploads_before_the_checkpoint_loses_and_repeats_nothing() {
    for point in ["after-file:3", "before-checkpoint:2"] {
        let world = World::start(sim_config(50), secret_json).await;
        let crashed = run_binary(&world, &[("ENTRA_ARCHIVE_CRASH_POINT", point)]).await;
        assert_ne!(crashed.code, Some(0), "{point}: the run must die\n{}", crashed.stderr);
        let dir = tempfile::tempdir().unwrap();
        let keys = world.download(dir.path()).await;
        assert!(
            keys.iter().filter(|k| k.ends_with(".parquet")).count() >= 2,
            "{point}: files were uploaded first: {keys:?}"
        );
        assert_eq!(pending_uploads(&world).await, 0, "{point}: no partial upload is left");

        // The crashed run's lease still holds the dataset…
        let blocked = run_binary(&world, &[]).await;
        assert!(
            blocked.json()["datasets"].as_array().unwrap().iter().any(|d| d["status"] == "busy"),
            "{}",
            blocked.stdout
        );
        // …until it expires.
        expire_leases(&world, &keys).await;
        let tmp = tempfile::tempdir().unwrap();
        let resumed = run_binary(&world, &[("TMPDIR", tmp.path().to_str().unwrap())]).await;
        resumed.assert_code(0);
        let staged: Vec<_> = std::fs::read_dir(tmp.path().join("entra-archive-staging")).unwrap().collect();
        assert!(staged.is_empty(), "{point}: uploaded files are not left in the staging folder: {staged:?}");
        let dir = tempfile::tempdir().unwrap();
        world.download(dir.path()).await;
        for (ds, name) in [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")] {
            let ids: Vec<String> = rows_under(dir.path(), name).into_iter().map(|r| r.id).collect();
            let unique: HashSet<&String> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "{point} {name}: duplicates");
            let expected = world.sim.records(ds).into_iter().filter(|r| r.time < t(END)).count();
            assert_eq!(ids.len(), expected, "{point} {name}: every record once");
        }
    }
}

/// Rewrites every lease under the prefix as expired, as time would.
async fn expire_leases(world: &World, keys: &[String]) {
    let s3 = world.moto.s3().await;
    for key in keys.iter().filter(|k| k.ends_with("lease.json")) {
        let expired = serde_json::json!({ "run_id": "crashed", "expires_at": (chrono::Utc::now() - chrono::Duration::minutes(1)) });
        s3.put_object()
            .bucket(BUCKET)
            .key(format!("{PREFIX}/{key}"))
            .body(serde_json::to_vec(&expired).unwrap().into())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn duckdb_reads_the_archive_straight_from_s3() {
    let world = World::start(sim_config(51), secret_json).await;
    run_binary(&world, &[]).await.assert_code(0);
    let out = std::process::Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/query_s3.py"))
        .args([world.moto.endpoint(), BUCKET, PREFIX])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}); run `make venv` first", python().display()));
    assert!(out.status.success(), "duckdb failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();

    let signins: Vec<Value> = world
        .sim
        .records(Dataset::SignIns)
        .into_iter()
        .filter(|r| r.time < t(END))
        .map(|r| serde_json::from_str(&r.json).unwrap())
        .collect();
    assert_eq!(results["signins"], serde_json::json!([[signins.len(), signins.len()]]));
    let mut failed: BTreeMap<String, i64> = BTreeMap::new();
    for s in signins.iter().filter(|s| s["status"]["errorCode"] != 0) {
        *failed.entry(s["userPrincipalName"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let got: BTreeMap<String, i64> = results["failed_signins_per_user"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap()))
        .collect();
    assert_eq!(got, failed);
    let audit_days: i64 = results["audits_by_day"].as_array().unwrap().iter().map(|r| r[1].as_i64().unwrap()).sum();
    let audits = world.sim.records(Dataset::DirectoryAudits).into_iter().filter(|r| r.time < t(END)).count();
    assert_eq!(audit_days as usize, audits);

    // The readers' guide: sign-ins and failures per day.
    let mut per_day: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in &signins {
        let day = per_day.entry(s["createdDateTime"].as_str().unwrap()[..10].to_string()).or_default();
        day.0 += 1;
        day.1 += u64::from(s["status"]["errorCode"] != 0);
    }
    let per_day: Value = per_day.into_iter().map(|(day, (n, failed))| serde_json::json!([day, n, failed])).collect();
    assert_eq!(results["readers_guide"], per_day, "the README's DuckDB-on-S3 recipe");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_invocations_under_the_lambda_runtime_api() {
    let world = World::start(sim_config(52), secret_json).await;
    let events = ["eventbridge-scheduler.json", "invalid-unknown-action.json", "run-signins.json"]
        .iter()
        .map(|name| {
            serde_json::from_str(
                &std::fs::read_to_string(format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let api = crate::common::runtime_api::RuntimeApi::start(events).await;
    // A deployed function archives up to now; graph-sim's records here end at TO.
    let mut child = world
        .binary()
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "entra-archive")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("ARCHIVE_METRICS_NAMESPACE", "EntraArchiveTest")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let outcomes = api.outcomes(3, std::time::Duration::from_secs(120)).await;
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let outcomes = outcomes.unwrap_or_else(|e| panic!("{e}\n{logs}"));

    use crate::common::runtime_api::Outcome;
    let Outcome::Response(first) = &outcomes[0] else { panic!("scheduled run failed: {outcomes:?}\n{logs}") };
    assert_eq!(first["complete"], true, "{first}");
    assert!(first["datasets"][0]["records"].as_u64().unwrap() > 0);
    let Outcome::Error { error_type, message } = &outcomes[1] else { panic!("{outcomes:?}") };
    assert_eq!(error_type, "EntraArchive.RejectedEvent");
    assert!(message.contains("unknown action"), "{message}");
    let Outcome::Response(third) = &outcomes[2] else { panic!("{outcomes:?}") };
    assert_eq!(third["datasets"].as_array().unwrap().len(), 1);

    // Logs are JSON lines, one per dataset per run at least, never the secret.
    let lines: Vec<Value> = logs.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty(), "logs are JSON lines:\n{logs}");
    let done = lines.iter().filter(|l| l["fields"]["message"] == "dataset done").count();
    assert_eq!(done, 3, "one line per dataset per run:\n{logs}");
    assert!(!logs.contains(&world.sim.config().client_secret));

    // CloudWatch metrics (EMF): one RunSucceeded per invocation, in order;
    // per-dataset lines with the lag of what was archived.
    let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    let runs: Vec<i64> = emf.iter().filter_map(|l| l["RunSucceeded"].as_i64()).collect();
    assert_eq!(runs, [1, 0, 1], "scheduled run ok, rejected event, custom run ok:\n{logs}");
    assert!(emf.iter().all(|l| l["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "EntraArchiveTest"));
    let signins = emf.iter().find(|l| l["Dataset"] == "signins").expect("a signins metrics line");
    assert!(signins["RecordsWritten"].as_u64().unwrap() > 0, "{signins}");
    assert!(signins["LagSeconds"].as_i64().is_some(), "{signins}");
}
