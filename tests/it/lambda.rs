//! The Lambda handler, invoked in-process with the sample events of
//! `events/`, against graph-sim (Entra and Graph) and moto (S3 and Secrets
//! Manager) over real HTTP on loopback.

use crate::common::world::{World, certificate_json, secret_json};
use crate::common::*;
use entra_archive::lambda::{REJECTED_EVENT, RUN_FAILED, SETUP_FAILED};
use graph_sim::{Dataset, Fault, SimConfig};
use serde_json::Value;

const END: &str = "2026-11-20T12:00:00Z";

fn event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn status(summary: &Value, dataset: &str) -> String {
    let d = summary["datasets"].as_array().unwrap().iter().find(|d| d["dataset"] == dataset);
    d.map_or("absent".into(), |d| d["status"].as_str().unwrap().to_string())
}

/// Downloads the archive and checks it holds exactly the sim's records before `end`.
async fn assert_exactly_once(world: &World, end: chrono::DateTime<chrono::Utc>) {
    let dir = tempfile::tempdir().unwrap();
    world.download(dir.path()).await;
    assert_archive_exact(&world.sim, dir.path(), end);
}

#[tokio::test(flavor = "multi_thread")]
async fn sample_events_run_the_archive_into_s3() {
    let world = World::start(sim_config(40), secret_json).await;
    let app = world.app(world.settings(t(END)));

    // EventBridge Scheduler: an incremental run of every configured dataset.
    let summary = app.handle(event("eventbridge-scheduler.json"), None).await.unwrap();
    assert_eq!(summary["complete"], true, "{summary}");
    for name in ["signins", "directory_audits"] {
        assert_eq!(status(&summary, name), "ok");
    }
    let signins = world.sim.records(Dataset::SignIns).into_iter().filter(|r| r.time < t(END)).count();
    assert_eq!(summary["datasets"][0]["records"].as_u64().unwrap() as usize, signins);
    let tenant = &world.sim.config().tenant_id;
    let keys = world.download(tempfile::tempdir().unwrap().path()).await;
    assert!(keys.contains(&format!("signins/date=2026-11-20/20261120T05-0000-{tenant}.parquet")), "{keys:?}");
    let checkpoint_key = format!("_state/{tenant}/signins/checkpoint.json");
    let checkpoint: Value = serde_json::from_slice(&world.object(&checkpoint_key).await.unwrap()).unwrap();
    assert_eq!(checkpoint["archived_through"], END);

    // EventBridge rule: nothing new since.
    let again = app.handle(event("eventbridge-rule-scheduled.json"), None).await.unwrap();
    assert_eq!(again["datasets"][0]["records"], 0);
    // A custom run of one dataset.
    let one = app.handle(event("run-signins.json"), None).await.unwrap();
    assert_eq!(one["datasets"].as_array().unwrap().len(), 1);
    assert_eq!(status(&one, "signins"), "ok");
    app.handle(event("run.json"), None).await.unwrap();

    // A record that turns up long after its time (beyond the overlap):
    // incremental runs leave it; a backfill of its day archives it and
    // leaves the checkpoint alone.
    let before = world.object(&checkpoint_key).await;
    let late = world.sim.generate(Dataset::SignIns, 1, t("2026-11-20T03:00:00Z"), t("2026-11-20T03:30:00Z"));
    let backfill = app.handle(event("backfill.json"), None).await.unwrap();
    assert_eq!(backfill["datasets"][0]["records"], 1, "{backfill}");
    assert_eq!(backfill["datasets"][0]["window"]["end"], END, "a backfill stops at now − lag");
    assert_eq!(world.object(&checkpoint_key).await, before, "backfill leaves the checkpoint");
    assert_eq!(late.len(), 1);
    assert_exactly_once(&world, t(END)).await;

    for invalid in ["invalid-unknown-action.json", "invalid-s3-notification.json"] {
        let e = app.handle(event(invalid), None).await.unwrap_err();
        assert_eq!(e.kind, REJECTED_EVENT, "{invalid}");
        assert!(e.message.contains("expected"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_in_the_secret_signs_in_with_a_client_assertion() {
    let cert =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs/app.cert.pem")).unwrap();
    let sim = SimConfig { client_certificate_pem: Some(cert), ..sim_config(41) };
    let world = World::start(sim, certificate_json).await;
    let summary = world.app(world.settings(t(END))).handle(event("run.json"), None).await.unwrap();
    assert_eq!(summary["complete"], true, "{summary}");
    assert_exactly_once(&world, t(END)).await;

    // The same app with the certificate removed from Entra: the token request fails clearly.
    world.sim.set_client_certificate(None);
    let e = world.app(world.settings(t(END))).handle(event("run.json"), None).await.unwrap_err();
    assert!(e.message.contains("AADSTS700027"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_secret_is_picked_up_after_the_old_one_is_rejected() {
    let world = World::start(sim_config(42), secret_json).await;
    let app = world.app(world.settings(t("2026-11-20T06:00:00Z")));
    app.handle(event("run.json"), None).await.unwrap();

    // Rotate: Entra accepts only the new secret, Secrets Manager holds it,
    // and the warm function's cached token is made to expire.
    let rotated = SimConfig { client_secret: "rotated~Secret.Value_9876543210".into(), ..world.sim.config().clone() };
    world.sim.set_client_secret(&rotated.client_secret);
    world.put_secret(&secret_json(&rotated)).await;
    world.sim.push_fault(Fault::ExpireTokens);
    let summary = app.handle(event("run.json"), None).await.unwrap();
    assert_eq!(summary["complete"], true, "{summary}");
    let token_calls = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("oauth2"))
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(token_calls, [200, 401, 200], "first token, rejection of the old secret, success with the new one");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_at_once_never_both_write_a_dataset() {
    let world = World::start(sim_config(43), secret_json).await;
    world.sim.set_switches(|s| s.page_delay = std::time::Duration::from_millis(30));
    let (a, b) = (world.app(world.settings(t(END))), world.app(world.settings(t(END))));
    // Same dataset, same moment: one holds the lease and archives, the other stands down.
    let (ra, rb) = tokio::join!(a.handle(event("run-signins.json"), None), b.handle(event("run-signins.json"), None));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut statuses = [status(&ra, "signins"), status(&rb, "signins")];
    statuses.sort();
    assert_eq!(statuses, ["busy", "ok"], "\n{ra}\n{rb}");
    let busy = if status(&ra, "signins") == "busy" { &ra } else { &rb };
    assert!(busy["datasets"][0]["error"].as_str().unwrap().contains("another run"), "{busy}");

    // Every dataset at once, twice over.
    let (ra, rb) = tokio::join!(a.handle(event("run.json"), None), b.handle(event("run.json"), None));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    // A run that finds a dataset's lease held leaves it alone; one that comes
    // to it after the other finished finds nothing new. Either way the
    // records of a dataset are written by one run only.
    let records = |r: &Value, name: &str| {
        r["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["dataset"] == name)
            .map_or(0, |d| d["records"].as_u64().unwrap())
    };
    for name in ["signins", "directory_audits"] {
        let (a, b) = (records(&ra, name), records(&rb, name));
        assert!(a == 0 || b == 0, "{name}: both runs wrote records ({a} and {b})\n{ra}\n{rb}");
        assert!(name == "signins" || a + b > 0, "{name}: one of them archived it");
    }
    assert_exactly_once(&world, t(END)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_secrets_fail_clearly_and_write_nothing() {
    let canary = "Canary~Secret.Value_0a9b8c7d";
    let cases: [(String, &str); 3] = [
        (format!("{{\"tenant_id\": \"x\", \"client_secret\": \"{canary}\""), "not valid JSON"),
        (format!(r#"{{"tenant_id":"6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5","client_secret":"{canary}"}}"#), "\"client_id\" is missing"),
        (r#"{"tenant_id":"6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5","client_id":"0a1b2c3d-1111-4222-8333-444455556666","certificate_pem":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----","private_key_pem":"nope"}"#.to_string(), "\"private_key_pem\" is not a PEM private key"),
    ];
    for (secret, needle) in cases {
        let world = World::start(sim_config(44), |_| secret.clone()).await;
        let e = world.app(world.settings(t(END))).handle(event("run.json"), None).await.unwrap_err();
        assert_eq!(e.kind, SETUP_FAILED);
        assert!(e.message.contains(needle) && e.message.contains(&world.secret_arn), "{needle}: {e}");
        assert!(!e.message.contains(canary), "the secret's content was echoed: {e}");
        assert!(world.download(tempfile::tempdir().unwrap().path()).await.is_empty(), "nothing was written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_or_a_denied_write_fails_clearly_and_moves_nothing() {
    let world = World::start(sim_config(45), secret_json).await;
    let mut settings = world.settings(t(END));
    settings.dest = "s3://no-such-bucket/x".into();
    let e = world.app(settings).handle(event("run.json"), None).await.unwrap_err();
    assert_eq!(e.kind, RUN_FAILED);
    assert!(e.message.contains("NoSuchBucket") && e.message.contains("ARCHIVE_DEST"), "{e}");

    // Archive once, then take write access away.
    world.app(world.settings(t("2026-11-20T06:00:00Z"))).handle(event("run.json"), None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let before = world.download(dir.path()).await;
    let (key_id, secret) = read_only_user(&world).await;
    let denied = world.moto.sdk_config_as(&key_id, &secret).await;
    let app = world.app_as(world.settings(t(END)), denied);
    let e = app.handle(event("run.json"), None).await.unwrap_err();
    assert!(e.message.contains("AccessDenied") && e.message.contains("s3:PutObject"), "{e}");
    let reader = world.moto.sdk_config_as(&key_id, &secret).await;
    let after = world.download_with(&reader, tempfile::tempdir().unwrap().path()).await;
    assert_eq!(after, before, "no object was added or changed");
}

/// An IAM user that may read the secret and the bucket but not write.
async fn read_only_user(world: &World) -> (String, String) {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","secretsmanager:GetSecretValue"],"Resource":"*"}]}"#;
    let user = [("UserName", "reader"), ("Version", "2010-05-08")];
    world.moto.aws_query("iam", &[&user[..], &[("Action", "CreateUser")]].concat()).await;
    let put_policy = [("Action", "PutUserPolicy"), ("PolicyName", "read-only"), ("PolicyDocument", policy)];
    world.moto.aws_query("iam", &[&user[..], &put_policy[..]].concat()).await;
    let created = world.moto.aws_query("iam", &[&user[..], &[("Action", "CreateAccessKey")]].concat()).await;
    let key = crate::common::moto::xml_text(&created, "AccessKeyId").unwrap().to_string();
    let secret = crate::common::moto::xml_text(&created, "SecretAccessKey").unwrap().to_string();
    world.moto.require_iam_auth().await;
    (key, secret)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invocation_stops_at_its_deadline_and_the_next_resumes() {
    let world = World::start(sim_config(46), secret_json).await;
    // Pages of 20 records, 25 ms each: the day's sign-ins take 60 of them.
    world.sim.set_switches(|s| {
        s.page_delay = std::time::Duration::from_millis(25);
        s.max_page_size = Some(20);
    });
    let mut settings = world.settings(t(END));
    settings.deadline_margin = "100ms".into();
    let app = world.app(settings);
    // 400 ms to live, 100 ms kept to commit: the queries are sized to the
    // time left, and a few of them fit.
    let first = app.handle(event("run.json"), Some(std::time::Duration::from_millis(400))).await.unwrap();
    assert_eq!(first["complete"], false, "{first}");
    assert_eq!(status(&first, "signins"), "stopped");
    let through = first["datasets"][0]["archived_through"].as_str().unwrap().to_string();
    assert!(through.as_str() > FROM && through.as_str() < END, "progress was committed: {through}");
    assert_eq!(status(&first, "directory_audits"), "stopped", "not started after the deadline");
    let second = app.handle(event("run.json"), None).await.unwrap();
    assert_eq!(second["complete"], true, "{second}");
    assert_exactly_once(&world, t(END)).await;
}

/// Issue 13: after a scheduled run, files an older release wrote are
/// upgraded in the invocation's remaining time, so a deployed stack
/// converges by itself; once they are, runs carry no upgrade. The `upgrade`
/// action answers with the upgrade's summary.
#[tokio::test(flavor = "multi_thread")]
async fn scheduled_runs_upgrade_files_of_an_older_schema_version() {
    let world = World::start(sim_config(43), secret_json).await;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archive-v1");
    let s3 = world.moto.s3().await;
    for path in walk(&fixture).into_iter().filter(|p| p.extension().is_some_and(|e| e == "parquet" || e == "json")) {
        let relative = path.strip_prefix(&fixture).unwrap().display().to_string();
        if relative.starts_with("_state") {
            continue;
        }
        let body = aws_sdk_s3::primitives::ByteStream::from(std::fs::read(&path).unwrap());
        let key = format!("{}/{relative}", crate::common::world::PREFIX);
        s3.put_object().bucket(crate::common::world::BUCKET).key(key).body(body).send().await.unwrap();
    }
    let app = world.app(world.settings(t(END)));
    let summary = app.handle(event("eventbridge-scheduler.json"), None).await.unwrap();
    let upgrade = &summary["upgrade"];
    let upgraded: Vec<(String, u64)> = upgrade["datasets"]
        .as_array()
        .unwrap_or_else(|| panic!("no upgrade after the run: {summary}"))
        .iter()
        .map(|d| (d["dataset"].as_str().unwrap().to_string(), d["upgraded"].as_u64().unwrap()))
        .collect();
    assert_eq!(upgraded, [("signins".to_string(), 3), ("directory_audits".to_string(), 3)], "{upgrade}");

    let next = app.handle(event("run.json"), None).await.unwrap();
    assert!(next.get("upgrade").is_none(), "nothing left to upgrade: {next}");
    let asked = app.handle(event("upgrade.json"), None).await.unwrap();
    assert_eq!(asked["dry_run"], false, "{asked}");
    assert!(asked["datasets"].as_array().unwrap().iter().all(|d| d["status"] == "ok" && d["old"] == 0), "{asked}");
}
