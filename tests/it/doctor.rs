//! End-to-end: `entra-archive doctor` against graph-sim. Each failure users
//! hit makes the right check fail with the right fix while the others still
//! run, a healthy tenant passes every check, and no output ever holds the
//! client secret or a bearer token.

use crate::common::*;
use serde_json::Value;

const ARCHIVED_END: &str = "2026-11-20T12:00:00Z";
const OTHER_GUID: &str = "99999999-9999-4999-8999-999999999999";

/// `doctor --json` with the window ending at ARCHIVED_END, plus `env`.
async fn doctor(h: &Harness, env: &[(&str, &str)]) -> Run {
    let now = now_for_end(t(ARCHIVED_END));
    let mut cmd = h.command(&["doctor", "--json", "--now", &now, "--lag", "10m"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run: Run = cmd.output().await.unwrap().into();
    assert_no_secrets(h, &run);
    run
}

/// No output holds the secret or a JWT (graph-sim's tokens start `eyJ`).
fn assert_no_secrets(h: &Harness, run: &Run) {
    let text = format!("{}\n{}", run.stdout, run.stderr);
    assert!(!text.contains(&h.sim.config().client_secret), "the client secret was printed:\n{text}");
    assert!(!text.contains("eyJ"), "a bearer token was printed:\n{text}");
}

fn check(run: &Run, name: &str) -> Value {
    let json = run.json();
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no check {name:?} in {json:#}"))
}

fn assert_result(run: &Run, name: &str, result: &str) -> Value {
    let c = check(run, name);
    assert_eq!(c["result"], result, "{name}: {c:#}\nfull: {}", run.stdout);
    c
}

fn text_of(c: &Value) -> String {
    format!("{} {}", c["evidence"].as_str().unwrap(), c["fix"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_tenant_passes_every_check() {
    let h = Harness::start(sim_config(70)).await;
    h.run_to(t(ARCHIVED_END), &[]).await.assert_code(0);
    let run = doctor(&h, &[]).await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["exit_code"], 0);
    let checks = json["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["check"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "settings",
            "credentials",
            "token",
            "clock",
            "permissions",
            "licence signins",
            "licence directory_audits",
            "destination",
            "checkpoint signins",
            "lease signins",
            "schema signins",
            "checkpoint directory_audits",
            "lease directory_audits",
            "schema directory_audits",
        ]
    );
    for c in checks {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{c}");
        assert!(c["evidence"].is_string() && c["fix"].is_string(), "{c}");
        assert_eq!(c["result"], "ok", "{c:#}");
    }
    assert!(text_of(&check(&run, "credentials")).contains("value not shown"));
    assert!(text_of(&check(&run, "token")).contains("expires in"));
    assert!(text_of(&check(&run, "licence signins")).contains("readable (1 records"));
    assert!(text_of(&check(&run, "checkpoint signins")).contains("archived through 2026-11-20 12:00:00"));
    // The probe object is gone again.
    assert!(walk(&h.archive).iter().all(|p| !p.to_string_lossy().contains("/doctor/")), "probe left behind");

    // The people's table says the same.
    let now = now_for_end(t(ARCHIVED_END));
    let table: Run = h.command(&["doctor", "--now", &now, "--lag", "10m"]).output().await.unwrap().into();
    table.assert_code(0);
    assert_no_secrets(&h, &table);
    assert!(table.stdout.contains("licence signins") && table.stdout.contains("0 failed"), "{}", table.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_run_is_a_warning_not_a_failure() {
    let h = Harness::start(sim_config(71)).await;
    let run = doctor(&h, &[]).await;
    run.assert_code(0);
    let c = assert_result(&run, "checkpoint signins", "warn");
    assert!(text_of(&c).contains("no checkpoint yet"), "{c}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_errors_fail_the_token_check_with_their_fix() {
    let h = Harness::start(sim_config(72)).await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("wrong tenant", vec![("ENTRA_TENANT_ID", OTHER_GUID)], &["AADSTS90002", "ENTRA_TENANT_ID", "ENTRA_LOGIN_URL"]),
        ("wrong app", vec![("ENTRA_CLIENT_ID", OTHER_GUID)], &["AADSTS700016", "ENTRA_CLIENT_ID"]),
        (
            "secret id instead of value",
            vec![("ENTRA_CLIENT_SECRET", "the-secret-id-not-its-value")],
            &["AADSTS7000215", "not its Secret ID"],
        ),
    ];
    for (what, env, needles) in cases {
        let run = doctor(&h, &env).await;
        run.assert_code(1);
        let c = assert_result(&run, "token", "fail");
        for needle in needles {
            assert!(text_of(&c).contains(needle), "{what}: {needle:?} missing from {c:#}");
        }
        assert_result(&run, "credentials", "ok");
        assert_result(&run, "permissions", "skip");
        assert_result(&run, "licence signins", "skip");
        // The destination does not need a token: it is still checked.
        assert_result(&run, "destination", "ok");
        assert_result(&run, "checkpoint signins", "warn");
    }

    h.sim.set_switches(|s| s.secret_expired = true);
    let run = doctor(&h, &[]).await;
    run.assert_code(1);
    let c = assert_result(&run, "token", "fail");
    assert!(text_of(&c).contains("AADSTS7000222") && text_of(&c).contains("expired"), "{c:#}");
    assert_result(&run, "destination", "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_missing_permission_is_named_with_admin_consent() {
    let h = Harness::start(sim_config(73)).await;
    for permission in ["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All"] {
        h.sim.set_switches(|s| s.revoked_permissions = vec![permission.to_string()]);
        let run = doctor(&h, &[("ARCHIVE_DATASETS", "signins,directory_audits,risk_detections")]).await;
        run.assert_code(1);
        let c = assert_result(&run, "permissions", "fail");
        let text = text_of(&c);
        assert!(text.contains(permission), "{permission}: {c:#}");
        assert!(text.contains("application") && text.contains("admin consent"), "{permission}: {c:#}");
        assert_result(&run, "token", "ok");
        assert_result(&run, "destination", "ok");
    }
    // Graph itself refuses the datasets that need a revoked permission.
    h.sim.set_switches(|s| s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".to_string()]);
    let run = doctor(&h, &[("ARCHIVE_DATASETS", "directory_audits,risk_detections")]).await;
    let c = assert_result(&run, "licence risk_detections", "fail");
    assert!(text_of(&c).contains("IdentityRiskEvent.Read.All"), "{c:#}");
    assert_result(&run, "licence directory_audits", "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_without_p1_or_p2_fails_only_the_sign_in_probes() {
    let h = Harness::start(sim_config(74)).await;
    h.sim.set_switches(|s| s.unlicensed = true);
    let run = doctor(&h, &[]).await;
    run.assert_code(1);
    let c = assert_result(&run, "licence signins", "fail");
    assert!(text_of(&c).contains("P1 or P2"), "{c:#}");
    assert_result(&run, "licence directory_audits", "ok");
    assert_result(&run, "permissions", "ok");
    assert_result(&run, "destination", "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_destination_fails_and_the_rest_still_runs() {
    let h = Harness::start(sim_config(75)).await;
    // A folder under a regular file cannot be created, even by root.
    let file = h.dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let dest = file.join("archive");
    let run = doctor(&h, &[("ARCHIVE_DEST", dest.to_str().unwrap())]).await;
    run.assert_code(1);
    let c = assert_result(&run, "destination", "fail");
    assert!(text_of(&c).contains("not-a-folder"), "{c:#}");
    assert_result(&run, "checkpoint signins", "skip");
    assert_result(&run, "token", "ok");
    assert_result(&run, "licence signins", "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_exit_2_and_name_the_setting() {
    let h = Harness::start(sim_config(76)).await;
    let run = doctor(&h, &[("ARCHIVE_DATASETS", "logins")]).await;
    run.assert_code(2);
    let c = assert_result(&run, "settings", "fail");
    assert!(text_of(&c).contains("ARCHIVE_DATASETS"), "{c:#}");
    assert_result(&run, "token", "skip");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_doctor_action_returns_the_report_even_when_a_check_fails() {
    use crate::common::world::{World, certificate_json};
    let cert =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs/app.cert.pem")).unwrap();
    let sim = graph_sim::SimConfig { client_certificate_pem: Some(cert), ..sim_config(77) };
    let world = World::start(sim, certificate_json).await;
    let event = serde_json::json!({"action": "doctor"});
    let report = world.app(world.settings(t(ARCHIVED_END))).handle(event.clone(), None).await.unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    let find = |report: &Value, name: &str| -> Value {
        report["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).cloned().unwrap()
    };
    let creds = find(&report, "credentials");
    assert_eq!(creds["result"], "ok", "{creds:#}");
    assert!(
        creds["evidence"].as_str().unwrap().contains("certificate")
            && creds["evidence"].as_str().unwrap().contains("days left")
    );
    assert_eq!(find(&report, "destination")["result"], "ok", "{report:#}");
    assert!(!report.to_string().contains("eyJ") && !report.to_string().contains("PRIVATE KEY"));

    let mut settings = world.settings(t(ARCHIVED_END));
    settings.dest = "s3://no-such-bucket/x".into();
    let report = world.app(settings).handle(event, None).await.unwrap();
    assert_eq!(report["ok"], false);
    let dest = find(&report, "destination");
    assert_eq!(dest["result"], "fail", "{dest:#}");
    assert!(dest["evidence"].as_str().unwrap().contains("NoSuchBucket"), "{dest:#}");
    assert_eq!(find(&report, "token")["result"], "ok");

    // The certificate removed from the app registration: the token check names the fix.
    world.sim.set_client_certificate(None);
    let report =
        world.app(world.settings(t(ARCHIVED_END))).handle(serde_json::json!({"action": "doctor"}), None).await.unwrap();
    let token = find(&report, "token");
    assert_eq!(token["result"], "fail", "{token:#}");
    assert!(
        token["fix"].as_str().unwrap().contains("AADSTS700027")
            && token["fix"].as_str().unwrap().contains("Certificates & secrets"),
        "{token:#}"
    );
    assert_eq!(find(&report, "destination")["result"], "ok");
}

/// Issue 13: while files of an older schema version remain, doctor says how
/// many and the fix; after `upgrade`, it says all are current.
#[tokio::test(flavor = "multi_thread")]
async fn files_of_an_older_schema_version_are_counted_until_upgraded() {
    let h = Harness::start(sim_config(73)).await;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archive-v1");
    for path in walk(&fixture) {
        let target = h.archive.join(path.strip_prefix(&fixture).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, target).unwrap();
    }
    let run = doctor(&h, &[]).await;
    run.assert_code(0);
    let c = assert_result(&run, "schema signins", "warn");
    assert!(text_of(&c).contains("3 of 3 files") && text_of(&c).contains("entra-archive upgrade"), "{c}");

    let upgraded: Run = h.command(&["upgrade", "--dest", h.archive.to_str().unwrap()]).output().await.unwrap().into();
    upgraded.assert_code(0);
    let run = doctor(&h, &[]).await;
    let c = assert_result(&run, "schema signins", "ok");
    assert!(text_of(&c).contains("every file at schema version 2"), "{c}");
}
