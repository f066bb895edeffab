//! Issue 14: servers that misbehave in ways graph-sim does not — a Graph on
//! loopback (axum) whose paging never ends or that redirects elsewhere —
//! against the real binary: the dataset fails with the reason (exit 1), the
//! checkpoint does not move, and the tenant's request budget is not spent
//! without end.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::common::*;

const TENANT: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";
const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

/// How the fake Graph answers `/v1.0/auditLogs/signIns`.
#[derive(Clone, Copy)]
enum Behaviour {
    /// A page whose `@odata.nextLink` is the URL just requested.
    LinkToItself,
    /// Empty pages, each linking to a new one.
    EmptyForEver,
    /// A 302 to another origin.
    RedirectElsewhere,
    /// Two good records and three the archive cannot take: no `id`, a leap
    /// second, text that is not UTF-8.
    BadRecords,
    /// The token endpoint answers 307 to another origin.
    TokenRedirect,
}

struct Fake {
    behaviour: Behaviour,
    base: String,
    elsewhere: String,
    requests: AtomicUsize,
}

async fn token(State(fake): State<Arc<Fake>>) -> Response {
    if let Behaviour::TokenRedirect = fake.behaviour {
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, format!("{}/steal/token", fake.elsewhere).parse().unwrap());
        return (StatusCode::TEMPORARY_REDIRECT, headers).into_response();
    }
    axum::Json(serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "fake-token"}))
        .into_response()
}

async fn signins(State(fake): State<Arc<Fake>>, RawQuery(query): RawQuery) -> Response {
    let n = fake.requests.fetch_add(1, Ordering::SeqCst);
    let here = format!("{}/v1.0/auditLogs/signIns?{}", fake.base, query.unwrap_or_default());
    match fake.behaviour {
        Behaviour::LinkToItself => {
            let record = r#"{"id":"a","createdDateTime":"2026-11-20T00:30:00Z"}"#;
            let body = format!(r#"{{"value":[{record}],"@odata.nextLink":"{here}"}}"#);
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Behaviour::EmptyForEver => {
            let next = format!("{}/v1.0/auditLogs/signIns?$skiptoken=page{n}", fake.base);
            let body = format!(r#"{{"value":[],"@odata.nextLink":"{next}"}}"#);
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Behaviour::BadRecords => {
            let mut body = br#"{"value":[{"id":"good-1","createdDateTime":"2026-11-20T00:30:00Z"},"#.to_vec();
            body.extend_from_slice(br#"{"createdDateTime":"2026-11-20T00:31:00Z"},"#);
            body.extend_from_slice(br#"{"id":"leap","createdDateTime":"2026-11-20T00:59:60Z"},"#);
            body.extend_from_slice(
                b"{\"id\":\"latin1\",\"createdDateTime\":\"2026-11-20T00:32:00Z\",\"userDisplayName\":\"Zo\xeb\"},",
            );
            body.extend_from_slice(br#"{"id":"good-2","createdDateTime":"2026-11-20T00:33:00Z"}]}"#);
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Behaviour::TokenRedirect => StatusCode::NOT_FOUND.into_response(),
        Behaviour::RedirectElsewhere => {
            let mut headers = HeaderMap::new();
            let location = format!("{}/v1.0/auditLogs/signIns?stolen=1", fake.elsewhere);
            headers.insert(header::LOCATION, location.parse().unwrap());
            (StatusCode::FOUND, headers).into_response()
        }
    }
}

/// Serves a fake Graph (and token endpoint) on loopback; answers its URL
/// and the shared state (request count).
async fn serve(behaviour: Behaviour, elsewhere: String) -> Arc<Fake> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let fake = Arc::new(Fake { behaviour, base, elsewhere, requests: AtomicUsize::new(0) });
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/auditLogs/signIns", get(signins))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake
}

/// A server that counts what it is sent and answers 200 (where a redirect
/// must never lead).
async fn elsewhere() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { axum::Json(serde_json::json!({"value": []})) }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

async fn run_against(graph: &str, archive: &std::path::Path) -> Run {
    let now = now_for_end(t("2026-11-20T02:00:00Z"));
    tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("ENTRA_TENANT_ID", TENANT)
        .env("ENTRA_CLIENT_ID", CLIENT)
        .env("ENTRA_CLIENT_SECRET", "a-client-secret-value-0123456789")
        .env("GRAPH_BASE_URL", graph)
        .env("ENTRA_LOGIN_URL", graph)
        .env("ARCHIVE_GRAPH_BUDGET", "1000/1s")
        .args(["run", "--json", "--datasets", "signins", "--dest", archive.to_str().unwrap()])
        .args(["--since", "2026-11-20T00:00:00Z", "--now", &now])
        .output()
        .await
        .unwrap()
        .into()
}

fn assert_failed_without_checkpoint(run: &Run, archive: &std::path::Path, reason: &str) {
    run.assert_code(1);
    let signins = run.dataset("signins");
    assert_eq!(signins["status"], "failed", "{}", run.stdout);
    let error = signins["error"].as_str().unwrap();
    assert!(error.contains(reason), "{error}");
    let checkpoint = archive.join(format!("_state/{TENANT}/signins/checkpoint.json"));
    assert!(!checkpoint.exists(), "the checkpoint must not move");
}

/// Issue 14, finding 5: a nextLink back to the page just read is not
/// followed for ever (it was: 1,434 requests in 45 s).
#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_that_loops_fails_the_dataset_at_once() {
    let fake = serve(Behaviour::LinkToItself, String::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_against(&fake.base, dir.path()).await;
    assert_failed_without_checkpoint(&run, dir.path(), "the chain loops");
    assert!(run.dataset("signins")["error"].as_str().unwrap().contains("/v1.0/auditLogs/signIns?"));
    assert_eq!(fake.requests.load(Ordering::SeqCst), 1, "one request, then the loop is seen");
}

/// Issue 14, finding 5: a chain of empty pages that never ends is cut off.
#[tokio::test(flavor = "multi_thread")]
async fn endless_empty_pages_fail_the_dataset() {
    let fake = serve(Behaviour::EmptyForEver, String::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_against(&fake.base, dir.path()).await;
    assert_failed_without_checkpoint(&run, dir.path(), "without a record");
    assert_eq!(fake.requests.load(Ordering::SeqCst), 20);
}

/// Issue 14, finding 9: a redirect to another origin is not followed (its
/// answer was trusted: slice ok, checkpoint moved).
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_refused_and_never_followed() {
    let (other, hits) = elsewhere().await;
    let fake = serve(Behaviour::RedirectElsewhere, other.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_against(&fake.base, dir.path()).await;
    assert_failed_without_checkpoint(&run, dir.path(), "follows no redirects");
    assert!(run.dataset("signins")["error"].as_str().unwrap().contains(&other));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the other origin got nothing");
}

/// Issue 14, finding 10 (and 12, bytes that are not UTF-8): one record the
/// archive cannot take no longer fails every run for ever; it is kept in
/// `_quarantine/` with the reason, the rest of the window is archived, and
/// the run exits 3 naming it. Read again by a later run, it is not kept twice.
#[tokio::test(flavor = "multi_thread")]
async fn records_the_archive_cannot_take_are_quarantined_and_the_rest_archived() {
    let fake = serve(Behaviour::BadRecords, String::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_against(&fake.base, dir.path()).await;
    run.assert_code(3);
    let signins = run.dataset("signins");
    assert_eq!((signins["status"].as_str(), signins["records"].as_u64()), (Some("ok"), Some(2)), "{}", run.stdout);
    assert_eq!(signins["quarantined"], 3, "{}", run.stdout);
    let warnings = signins["warnings"].to_string();
    for reason in ["\\\"id\\\"", "leap second", "not UTF-8"] {
        assert!(warnings.contains(reason), "{reason} in {warnings}");
    }
    let kept: Vec<_> = walk(&dir.path().join("_quarantine/signins")).into_iter().collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    let latin1 = kept
        .iter()
        .map(|p| serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).unwrap()).unwrap())
        .find(|q| q["record"].is_null())
        .expect("the record that is not UTF-8 is kept as base64");
    assert!(latin1["record_base64"].as_str().unwrap().len() > 40, "{latin1}");
    let ids: Vec<String> = rows_under(dir.path(), "signins").into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["good-1", "good-2"]);

    let again = run_against(&fake.base, dir.path()).await;
    again.assert_code(0);
    assert_eq!(again.dataset("signins")["quarantined"], 0, "kept once: {}", again.stdout);
    assert_eq!(walk(&dir.path().join("_quarantine/signins")).len(), 3);
}

/// Issue 14, finding 10: a corrupt or empty Parquet file in a cell being
/// read again is moved aside to `_quarantine/` with the reason; the cell's
/// records are read again from Graph and the archive ends exact.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_file_in_a_cell_read_again_is_quarantined_and_its_records_read_again() {
    let h = Harness::start(sim_config(141)).await;
    let end = t("2026-11-20T12:00:00Z");
    h.run_to(end, &[]).await.assert_code(0);
    let files = h.parquet_files("signins");
    let victim = files.iter().find(|f| f.to_string_lossy().contains("20261120T11-0000")).expect("the last hour's file");
    std::fs::write(victim, b"").unwrap();

    let run = h.run_to(end + chrono::Duration::hours(1), &[]).await;
    run.assert_code(3);
    let signins = run.dataset("signins");
    assert_eq!(signins["quarantined"], 1, "{}", run.stdout);
    assert!(signins["warnings"].to_string().contains("read again from Graph"), "{}", run.stdout);
    let aside = h.archive.join("_quarantine/signins/files").join(victim.strip_prefix(&h.archive).unwrap());
    assert!(aside.exists() && aside.with_extension("parquet.reason.json").exists(), "{}", aside.display());
    let expected = h.expected(graph_sim::Dataset::SignIns, t(FROM), end + chrono::Duration::hours(1));
    let mut ids: Vec<String> = h.rows("signins").into_iter().map(|r| r.id).collect();
    ids.sort();
    let mut want: Vec<String> = expected.into_iter().map(|r| r.id).collect();
    want.sort();
    assert_eq!(ids, want, "every record once, the unreadable file's read again");
    let verified: Run = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"))
        .args(["verify", "--dest", h.archive.to_str().unwrap()])
        .output()
        .await
        .unwrap()
        .into();
    verified.assert_code(0);
}

/// Issue 14, finding 1: a lease expiring far in the future (a host with its
/// clock ahead) blocked its dataset for ever, every run `busy` with exit 0.
/// Runs take it over; doctor says whose clock to fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_lease_from_the_future_does_not_block_the_dataset() {
    let h = Harness::start(sim_config(142)).await;
    let tenant = &h.sim.config().tenant_id;
    let lease = h.archive.join(format!("_state/{tenant}/signins/lease.json"));
    std::fs::create_dir_all(lease.parent().unwrap()).unwrap();
    std::fs::write(&lease, br#"{"run_id":"clock-ahead","expires_at":"2027-06-01T00:00:00Z"}"#).unwrap();
    let now = now_for_end(t("2026-11-20T06:00:00Z"));
    let doctor: Run = h.command(&["doctor", "--json", "--now", &now]).output().await.unwrap().into();
    let check =
        doctor.json()["checks"].as_array().unwrap().iter().find(|c| c["check"] == "lease signins").cloned().unwrap();
    assert_eq!(check["result"], "warn", "{check}");
    assert!(check["evidence"].as_str().unwrap().contains("further ahead than any lease lasts"), "{check}");
    let run = h.run_to(t("2026-11-20T06:00:00Z"), &[]).await;
    run.assert_code(0);
    assert_eq!(run.dataset("signins")["status"], "ok", "{}", run.stdout);
    assert!(run.stderr.contains("taking it over"), "{}", run.stderr);
}

/// Issue 14, finding 2: a checkpoint in the future was accepted (empty
/// window, `ok`, exit 0, for ever). Runs refuse it with the fix, doctor
/// fails it, and `entra-archive checkpoint --set` puts it back.
#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_from_the_future_is_refused_until_set_back() {
    let h = Harness::start(sim_config(143)).await;
    let end = t("2026-11-20T06:00:00Z");
    h.run_to(end, &[]).await.assert_code(0);
    let tenant = h.sim.config().tenant_id.clone();
    let key = h.archive.join(format!("_state/{tenant}/signins/checkpoint.json"));
    let mut checkpoint: serde_json::Value = serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
    checkpoint["archived_through"] = "2027-06-01T00:00:00Z".into();
    std::fs::write(&key, serde_json::to_vec(&checkpoint).unwrap()).unwrap();

    let later = end + chrono::Duration::hours(2);
    let run = h.run_to(later, &[]).await;
    run.assert_code(1);
    let error = run.dataset("signins")["error"].as_str().unwrap().to_string();
    assert!(error.contains("later than now minus the lag") && error.contains("entra-archive checkpoint"), "{error}");
    let now = now_for_end(later);
    let doctor: Run = h.command(&["doctor", "--json", "--now", &now]).output().await.unwrap().into();
    doctor.assert_code(1);
    let check = doctor.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "checkpoint signins")
        .cloned()
        .unwrap();
    assert_eq!(check["result"], "fail", "{check}");

    let set: Run = h
        .command(&[
            "checkpoint",
            "--dataset",
            "signins",
            "--set",
            &end.to_rfc3339(),
            "--dest",
            h.archive.to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap()
        .into();
    set.assert_code(0);
    let run = h.run_to(later, &[]).await;
    run.assert_code(0);
    let expected = h.expected(graph_sim::Dataset::SignIns, t(FROM), later).len();
    assert_eq!(h.rows("signins").len(), expected, "exact after the checkpoint was set back");
}

/// Issue 14, finding 9: the token endpoint's redirect is not followed
/// either (a 307 would carry the client secret in the form to the new
/// origin); the run fails naming where it pointed.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_endpoint_redirect_is_refused_and_the_secret_goes_nowhere() {
    let (other, hits) = elsewhere().await;
    let fake = serve(Behaviour::TokenRedirect, other.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_against(&fake.base, dir.path()).await;
    run.assert_code(1);
    let error = run.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.contains("the token endpoint") && error.contains("follows no redirects") && error.contains(&other),
        "{}",
        run.stdout
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the other origin got nothing");
}
