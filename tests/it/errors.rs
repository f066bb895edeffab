//! End-to-end: each failure users hit gives a message naming the fix and a
//! non-zero exit, and leaves the checkpoint and the data exactly as they were.

use crate::common::*;
use graph_sim::Dataset;

const FIRST_END: &str = "2026-11-20T06:00:00Z";
const SECOND_END: &str = "2026-11-20T12:00:00Z";

/// A tenant archived up to FIRST_END, so there is a checkpoint to protect.
async fn archived_once(seed: u64) -> Harness {
    let h = Harness::start(sim_config(seed)).await;
    h.run_to(t(FIRST_END), &[]).await.assert_code(0);
    h
}

fn assert_no_partial_files(h: &Harness) {
    for path in walk(&h.archive) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp") && !name.ends_with(".partial"), "partial file left: {}", path.display());
    }
}

fn message(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn token_errors_name_the_fix_and_write_nothing() {
    let h = archived_once(10).await;
    let before = h.snapshot();
    const OTHER_GUID: &str = "99999999-9999-4999-8999-999999999999";
    let other_guid = OTHER_GUID;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "wrong secret",
            vec![("ENTRA_CLIENT_SECRET", "the-secret-id-not-its-value")],
            &["AADSTS7000215", "Value", "not its Secret ID"],
        ),
        ("unknown app", vec![("ENTRA_CLIENT_ID", other_guid)], &["AADSTS700016", "ENTRA_CLIENT_ID", OTHER_GUID]),
        (
            "unknown tenant",
            vec![("ENTRA_TENANT_ID", other_guid)],
            &["AADSTS90002", "ENTRA_TENANT_ID", "ENTRA_LOGIN_URL"],
        ),
    ];
    for (what, env, needles) in cases {
        let run = h.run_with_env(t(SECOND_END), &[], &env).await;
        run.assert_code(1);
        let text = message(&run);
        for needle in needles {
            assert!(text.contains(needle), "{what}: {needle:?} missing from\n{text}");
        }
        assert_eq!(run.json()["complete"], false);
        assert_eq!(h.snapshot(), before, "{what}: the archive changed");
    }

    h.sim.set_switches(|s| s.secret_expired = true);
    let run = h.run_to(t(SECOND_END), &[]).await;
    run.assert_code(1);
    let text = message(&run);
    assert!(
        text.contains("AADSTS7000222") && text.contains("expired") && text.contains("Certificates & secrets"),
        "{text}"
    );
    assert_eq!(h.snapshot(), before, "expired secret: the archive changed");
    assert_no_partial_files(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_without_p1_or_p2_still_gets_its_audit_log_archived() {
    let h = archived_once(11).await;
    let before = h.state_snapshot();
    h.sim.set_switches(|s| s.unlicensed = true);
    let run = h.run_to(t(SECOND_END), &[]).await;
    run.assert_code(3);
    let signins = run.dataset("signins");
    assert_eq!(signins["status"], "skipped");
    let reason = signins["error"].as_str().unwrap();
    assert!(
        reason.contains("P1 or P2") && reason.contains("Authentication_RequestFromNonPremiumTenantOrB2CTenant"),
        "{reason}"
    );
    assert_eq!(run.dataset("directory_audits")["status"], "ok");
    let after = h.state_snapshot();
    let key = |d: &str| after.keys().find(|k| k.contains(&format!("/{d}/"))).unwrap().clone();
    assert_eq!(after[&key("signins")], before[&key("signins")], "the sign-in checkpoint did not move");
    assert_ne!(after[&key("directory_audits")], before[&key("directory_audits")], "the audit checkpoint moved");
    let audits = h.rows("directory_audits").len();
    assert_eq!(audits, h.expected(Dataset::DirectoryAudits, t(FROM), t(SECOND_END)).len());
    assert_eq!(h.rows("signins").len(), h.expected(Dataset::SignIns, t(FROM), t(FIRST_END)).len());
    assert_no_partial_files(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_permission_names_the_permissions_and_admin_consent() {
    let h = archived_once(12).await;
    let before = h.snapshot();
    h.sim.set_switches(|s| s.missing_permission = true);
    let run = h.run_to(t(SECOND_END), &[]).await;
    run.assert_code(1);
    for name in ["signins", "directory_audits"] {
        let d = run.dataset(name);
        assert_eq!(d["status"], "skipped");
        let reason = d["error"].as_str().unwrap();
        for needle in [
            "AuditLog.Read.All",
            "Directory.Read.All",
            "Grant admin consent",
            "Authentication_MSGraphPermissionMissing",
        ] {
            assert!(reason.contains(needle), "{needle:?} missing from {reason}");
        }
    }
    let data = |s: &std::collections::BTreeMap<String, Vec<u8>>| {
        s.iter().filter(|(k, _)| !k.ends_with("lease.json")).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()
    };
    assert_eq!(data(&h.snapshot()), data(&before), "nothing but leases changed");
    assert_no_partial_files(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_exit_2_and_name_the_variable() {
    let h = Harness::start(sim_config(13)).await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("ENTRA_TENANT_ID", "contoso.onmicrosoft.com")], "ENTRA_TENANT_ID"),
        (&[("ARCHIVE_DATASETS", "signins,logins")], "unknown dataset \"logins\""),
        (&[("GRAPH_BASE_URL", "http://graph.example.com")], "GRAPH_BASE_URL"),
    ];
    for (env, needle) in cases {
        let run = h.run_with_env(t(SECOND_END), &[], env).await;
        run.assert_code(2);
        assert!(message(&run).contains(needle), "{needle}: {}", message(&run));
    }
    let mut cmd = h.command(&["run"]);
    cmd.env_remove("ENTRA_CLIENT_SECRET");
    let run: Run = cmd.output().await.unwrap().into();
    run.assert_code(2);
    assert!(run.stderr.contains("ENTRA_CLIENT_SECRET: not set"), "{}", run.stderr);
    // The test hook too: a crash point that names no point is refused, not ignored.
    let run = h.run_with_env(t(SECOND_END), &[], &[("ENTRA_ARCHIVE_CRASH_POINT", "nowhere")]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("ENTRA_ARCHIVE_CRASH_POINT") && run.stderr.contains("after-file"), "{}", run.stderr);
    assert!(!h.archive.exists(), "nothing is created before the settings are valid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_request_shows_graphs_message_and_the_path_and_is_not_retried() {
    let h = archived_once(14).await;
    let before = h.state_snapshot();
    let message = "Invalid filter clause: The operator 'le' is not supported for this property.";
    h.sim.push_fault(graph_sim::Fault::Error { status: 400, code: "BadRequest".into(), message: message.into() });
    let served = h.sim.requests().len();
    let run = h.run_to(t(SECOND_END), &["--datasets", "signins"]).await;
    run.assert_code(1);
    let d = run.dataset("signins");
    assert_eq!(d["status"], "failed");
    let reason = d["error"].as_str().unwrap();
    assert!(
        reason.contains(message) && reason.contains("/v1.0/auditLogs/signIns?$filter=createdDateTime ge "),
        "{reason}"
    );
    let data_requests = h.sim.requests()[served..].iter().filter(|r| r.path_and_query.contains("auditLogs")).count();
    assert_eq!(data_requests, 1, "a 400 is not retried");
    assert_eq!(h.state_snapshot(), before, "the checkpoint did not move");
    assert_no_partial_files(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_finished_before_a_failure_keep_their_progress() {
    // A quiet tenant: two sign-ins, then a busy end of the second window.
    let h = Harness::start(graph_sim::SimConfig { signins: 0, ..sim_config(15) }).await;
    for (id, at) in [("early", "2026-11-20T02:00:00Z"), ("late", "2026-11-20T10:30:00Z")] {
        h.sim.insert_raw(Dataset::SignIns, &format!(r#"{{"id":"{id}","createdDateTime":"{at}"}}"#));
    }
    h.run_to(t(FIRST_END), &["--datasets", "signins"]).await.assert_code(0);
    // 600 sign-ins in the second window's last 20 minutes, in pages of ten:
    // its first query is cut short by its dense first page, and the quiet
    // hours before are read in queries of their own.
    let busy = t("2026-11-20T11:40:00Z");
    for i in 0..600 {
        let at = (busy + chrono::Duration::seconds(2 * i)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        h.sim.insert_raw(Dataset::SignIns, &format!(r#"{{"id":"busy-{i:03}","createdDateTime":"{at}"}}"#));
    }
    h.sim.set_switches(|s| s.max_page_size = Some(10));
    // The cut-short query and two quiet ones answer; the next request fails.
    for _ in 0..3 {
        h.sim.push_fault(graph_sim::Fault::Delay(std::time::Duration::ZERO));
    }
    h.sim.push_fault(graph_sim::Fault::Error { status: 400, code: "BadRequest".into(), message: "nope".into() });
    let run = h.run_to(t(SECOND_END), &["--datasets", "signins"]).await;
    run.assert_code(1);
    let through: chrono::DateTime<chrono::Utc> =
        run.dataset("signins")["archived_through"].as_str().unwrap().parse().unwrap();
    assert!(t(FIRST_END) < through && through < t(SECOND_END), "the quiet queries' progress is kept: {through}");
    h.run_to(t(SECOND_END), &["--datasets", "signins"]).await.assert_code(0);
    let mut ids: Vec<String> = h.rows("signins").into_iter().map(|r| r.id).collect();
    ids.sort();
    let mut expected: Vec<String> = (0..600).map(|i| format!("busy-{i:03}")).collect();
    expected.extend(["early".to_string(), "late".to_string()]);
    assert_eq!(ids, expected, "each record once");
}
