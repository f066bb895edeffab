//! End-to-end, every dataset: the real binary archives each Graph activity log
//! graph-sim serves — v1.0 sign-ins, the three beta sign-in streams,
//! directory audits, provisioning and risk detections — over several pages,
//! and what it wrote is compared with what the server holds. Also the
//! per-dataset licence and permission degradation, and the separate
//! identity-protection budget.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use graph_sim::{Dataset, RateLimit, Record, SignInEventType, SimConfig};
use serde_json::Value;

/// Where each archive dataset comes from in graph-sim, and its time column.
#[derive(Clone, Copy)]
enum Source {
    Plain(Dataset),
    SignIns(SignInEventType),
}

const DATASETS: [(&str, Source, &str); 11] = [
    ("signins", Source::Plain(Dataset::SignIns), "created_date_time"),
    ("signins_noninteractive", Source::SignIns(SignInEventType::NonInteractiveUser), "created_date_time"),
    ("signins_service_principal", Source::SignIns(SignInEventType::ServicePrincipal), "created_date_time"),
    ("signins_managed_identity", Source::SignIns(SignInEventType::ManagedIdentity), "created_date_time"),
    ("directory_audits", Source::Plain(Dataset::DirectoryAudits), "activity_date_time"),
    ("provisioning", Source::Plain(Dataset::Provisioning), "activity_date_time"),
    ("risk_detections", Source::Plain(Dataset::RiskDetections), "last_updated_date_time"),
    (
        "service_principal_risk_detections",
        Source::Plain(Dataset::ServicePrincipalRiskDetections),
        "last_updated_date_time",
    ),
    ("custom_security_attribute_audits", Source::Plain(Dataset::CustomSecurityAttributeAudits), "activity_date_time"),
    ("signups", Source::Plain(Dataset::SignUps), "created_date_time"),
    ("network_access_traffic", Source::Plain(Dataset::NetworkAccessTraffic), "created_date_time"),
];

/// A tenant with every dataset, each with one hour busy enough for several
/// pages of its endpoint (1,000 records; risk detections 500).
async fn busy_tenant(seed: u64) -> Harness {
    let config = SimConfig {
        signins_noninteractive: 900,
        signins_service_principal: 300,
        signins_managed_identity: 200,
        provisioning: 300,
        risk_detections: 400,
        ..tenant_with_everything(sim_config(seed))
    };
    let h = Harness::start(config).await;
    let (a, b) = (t("2026-11-20T05:00:00Z"), t("2026-11-20T06:00:00Z"));
    h.sim.generate(Dataset::SignIns, 1100, a, b);
    h.sim.generate(Dataset::DirectoryAudits, 1100, a, b);
    h.sim.generate_signins(SignInEventType::NonInteractiveUser, 2100, a, b);
    h.sim.generate_signins(SignInEventType::ServicePrincipal, 1050, a, b);
    h.sim.generate_signins(SignInEventType::ManagedIdentity, 1020, a, b);
    h.sim.generate(Dataset::Provisioning, 1100, a, b);
    h.sim.generate(Dataset::RiskDetections, 700, a, b);
    h.sim.generate(Dataset::ServicePrincipalRiskDetections, 700, a, b);
    h.sim.generate(Dataset::CustomSecurityAttributeAudits, 250, a, b);
    h.sim.generate(Dataset::SignUps, 1100, a, b);
    h.sim.generate(Dataset::NetworkAccessTraffic, 1100, a, b);
    h
}

fn held(h: &Harness, source: Source) -> Vec<Record> {
    match source {
        Source::Plain(ds) => h.sim.records(ds),
        Source::SignIns(kind) => h.sim.signins_of_type(kind),
    }
}

fn in_window(records: Vec<Record>, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Record> {
    records.into_iter().filter(|r| start <= r.time && r.time < end).collect()
}

/// A row's identity: the id, and for risk detections its version time too.
fn row_key(name: &str, id: &str, time: DateTime<Utc>) -> String {
    // Typed times are microseconds: versions are told apart to the microsecond here.
    if name.ends_with("risk_detections") { format!("{id}@{}", time.timestamp_micros()) } else { id.to_string() }
}

fn row_time(row: &Row, time_column: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(row.typed[time_column].as_str().unwrap()).unwrap().to_utc()
}

/// The archive holds exactly `expected` for `name`: same rows once each, raw
/// bytes identical, typed values equal, each in its own time's partition.
fn assert_dataset_holds(h: &Harness, name: &str, time_column: &str, expected: &[Record]) {
    let rows = h.rows(name);
    let mut keys = HashSet::new();
    for row in &rows {
        assert!(keys.insert(row_key(name, &row.id, row_time(row, time_column))), "{name}: {} archived twice", row.id);
    }
    let by_key: HashMap<String, &Record> = expected.iter().map(|r| (row_key(name, &r.id, r.time), r)).collect();
    assert_eq!(rows.len(), expected.len(), "{name}: archived {} rows, Graph holds {}", rows.len(), expected.len());
    let mut leaves = 0;
    for row in &rows {
        let key = row_key(name, &row.id, row_time(row, time_column));
        let source = by_key.get(&key).unwrap_or_else(|| panic!("{name}: {key} is not in the window"));
        assert_eq!(row.raw, source.json, "{name}: raw of {} differs from what Graph sent", row.id);
        let json: Value = serde_json::from_str(&source.json).unwrap();
        leaves += assert_typed_matches(&row.typed, &json, &format!("{name}[{}]", row.id));
        assert_eq!(partition_date(&row.file), source.time.format("%Y-%m-%d").to_string(), "{name}: {key} partition");
    }
    assert!(leaves > expected.len() * 8, "{name}: only {leaves} typed values compared");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_dataset_is_archived_exactly_over_several_pages() {
    let h = busy_tenant(51).await;
    let end = t(TO);
    let run = h.run_to(end, &["--datasets", "all"]).await;
    run.assert_code(0);
    let summary = run.json();
    let names: Vec<&str> =
        summary["datasets"].as_array().unwrap().iter().map(|d| d["dataset"].as_str().unwrap()).collect();
    assert_eq!(names, DATASETS.iter().map(|d| d.0).collect::<Vec<_>>(), "all = every dataset, in order");

    for (name, source, time_column) in DATASETS {
        let expected = in_window(held(&h, source), t(FROM), end);
        let page = if name == "custom_security_attribute_audits" {
            100
        } else if name.contains("risk") {
            500
        } else {
            1000
        };
        assert!(expected.len() > page, "{name}: the busy hour gives several pages ({})", expected.len());
        assert_dataset_holds(&h, name, time_column, &expected);
        if let Source::SignIns(kind) = source {
            for row in h.rows(name) {
                assert_eq!(row.typed["sign_in_event_types"], serde_json::json!([kind.as_str()]), "{name}: {}", row.id);
            }
        }
    }

    // A second pass finds nothing new anywhere.
    let again = h.run_to(end, &["--datasets", "all"]).await;
    again.assert_code(0);
    for d in again.json()["datasets"].as_array().unwrap() {
        assert_eq!(d["records"], 0, "{d}");
    }

    // v1.0 never returns the sign-ins that only beta has.
    let v1_ids: HashSet<String> = h.rows("signins").into_iter().map(|r| r.id).collect();
    for name in ["signins_noninteractive", "signins_service_principal", "signins_managed_identity"] {
        assert!(h.rows(name).iter().all(|r| !v1_ids.contains(&r.id)), "{name} rows in v1.0 signins");
    }
    assert!(h.rows("signins").iter().all(|r| r.typed["is_interactive"] == true));

    // What each endpoint was asked: the documented operators, the beta type
    // filter, risk detections' page size.
    let queries: Vec<String> =
        h.sim.requests().into_iter().map(|r| r.path_and_query).filter(|p| p.contains("%24filter")).collect();
    let decoded: Vec<String> = queries.iter().map(|q| percent_decode(q)).collect();
    assert!(
        decoded
            .iter()
            .any(|q| q.starts_with("/v1.0/auditLogs/provisioning?") && q.contains(" gt ") && q.contains(" lt "))
    );
    assert!(
        decoded.iter().any(|q| q.starts_with("/beta/auditLogs/signIns?")
            && q.contains("signInEventTypes/any(t: t eq 'managedIdentity')"))
    );
    assert!(
        decoded
            .iter()
            .filter(|q| q.contains("iskDetections"))
            .all(|q| q.contains("$top=500") && q.contains("lastUpdatedDateTime ge"))
    );
    // Issue 15: custom security attribute audits never ask for more than 100.
    let audits: Vec<&String> = decoded.iter().filter(|q| q.contains("customSecurityAttributeAudits")).collect();
    assert!(!audits.is_empty() && audits.iter().all(|q| q.contains("$top=100")), "{audits:?}");
}

/// `path?query` with the query decoded (`+` and `%XX`), as Graph reads it.
fn percent_decode(s: &str) -> String {
    let (path, query) = s.split_once('?').unwrap_or((s, ""));
    let pairs: Vec<String> = url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| format!("{k}={v}")).collect();
    format!("{path}?{}", pairs.join("&"))
}

#[tokio::test(flavor = "multi_thread")]
async fn risk_detection_updates_are_kept_as_new_rows_never_twice() {
    let h = Harness::start(SimConfig { risk_detections: 120, ..sim_config(52) }).await;
    let first_end = t("2026-11-20T20:00:00Z");
    h.run_to(first_end, &["--datasets", "risk_detections"]).await.assert_code(0);
    let before = in_window(h.sim.records(Dataset::RiskDetections), t(FROM), first_end);
    assert!(before.len() > 50);

    // Twenty detections change state after the first run, five of them
    // inside the overlap the next run re-reads, so they meet their own
    // earlier rows there.
    let updated: Vec<Record> =
        (0..4).flat_map(|i| h.sim.update_risk_detections(5, first_end + Duration::minutes(i * 40 - 30))).collect();
    assert_eq!(updated.len(), 20);
    let second_end = t("2026-11-21T00:00:00Z");
    let run = h.run_to(second_end, &["--datasets", "risk_detections"]).await;
    run.assert_code(0);
    h.run_to(second_end, &["--datasets", "risk_detections"]).await.assert_code(0);

    // Every state seen: the first run's rows plus each update's, once each.
    let now_held = in_window(h.sim.records(Dataset::RiskDetections), t(FROM), second_end);
    let mut expected: Vec<Record> = before.clone();
    let seen: HashSet<String> = before.iter().map(|r| row_key("risk_detections", &r.id, r.time)).collect();
    expected.extend(now_held.into_iter().filter(|r| !seen.contains(&row_key("risk_detections", &r.id, r.time))));
    assert!(expected.len() >= before.len() + 20);
    assert_dataset_holds(&h, "risk_detections", "last_updated_date_time", &expected);
    let updated_ids: BTreeSet<&str> = updated.iter().map(|r| r.id.as_str()).collect();
    let rows = h.rows("risk_detections");
    for id in &updated_ids {
        let states: Vec<&str> =
            rows.iter().filter(|r| r.id == *id).map(|r| r.typed["risk_state"].as_str().unwrap()).collect();
        assert_eq!(states.len(), 2, "{id}: the first state and the update are two rows: {states:?}");
        assert!(states.contains(&"atRisk"), "{id}: {states:?}");
    }
}

/// Issue 15: a free tenant's default run (every dataset, through `all`)
/// archives what it can and says what does not apply, exit 0; naming the
/// datasets it cannot read keeps the strict rule: skipped, exit 3.
#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_without_a_licence_archives_what_it_can() {
    let h = Harness::start(SimConfig { provisioning: 80, ..sim_config(53) }).await;
    h.sim.set_switches(|s| s.unlicensed = true);
    let run = h.run_to(t(TO), &["--datasets", "all"]).await;
    run.assert_code(0);
    for name in ["directory_audits", "provisioning"] {
        let d = run.dataset(name);
        assert_eq!(d["status"], "ok", "{d}");
        assert!(d["records"].as_u64().unwrap() > 0);
    }
    let not_applicable = [
        "signins",
        "signins_noninteractive",
        "signins_service_principal",
        "signins_managed_identity",
        "risk_detections",
    ];
    for name in not_applicable {
        let d = run.dataset(name);
        assert_eq!(d["status"], "not_applicable", "{d}");
        let reason = d["error"].as_str().unwrap();
        assert!(reason.contains("P1") && reason.contains(name), "{name}: {reason}");
        assert!(h.parquet_files(name).is_empty(), "{name}: nothing written");
    }
    assert!(run.json()["complete"].as_bool().unwrap(), "nothing left to do: {}", run.stdout);
    let audits = in_window(h.sim.records(Dataset::DirectoryAudits), t(FROM), t(TO));
    assert_dataset_holds(&h, "directory_audits", "activity_date_time", &audits);

    let named = h.run_to(t(TO), &["--datasets", "signins,directory_audits"]).await;
    named.assert_code(3);
    assert_eq!(named.dataset("signins")["status"], "skipped", "{}", named.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_without_identity_risk_permission_gets_the_rest_and_is_told_what_to_add() {
    let h = Harness::start(SimConfig { risk_detections: 40, ..sim_config(54) }).await;
    h.sim.set_switches(|s| s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".into()]);
    let run = h.run_to(t(TO), &["--datasets", "signins,risk_detections,provisioning"]).await;
    run.assert_code(3);
    assert_eq!(run.dataset("signins")["status"], "ok");
    assert_eq!(run.dataset("provisioning")["status"], "ok");
    let risk = run.dataset("risk_detections");
    assert_eq!(risk["status"], "skipped", "{risk}");
    let reason = risk["error"].as_str().unwrap();
    assert!(reason.contains("IdentityRiskEvent.Read.All") && reason.contains("admin consent"), "{reason}");
    assert!(h.parquet_files("risk_detections").is_empty());

    // The text summary says the same to a person.
    let text = h
        .command(&["run", "--since", FROM, "--now", &now_for_end(t(TO)), "--datasets", "risk_detections"])
        .output()
        .await
        .unwrap();
    assert_eq!(text.status.code(), Some(1), "only skipped datasets: nothing archived is a failure");
    let out = String::from_utf8_lossy(&text.stdout).to_string() + &String::from_utf8_lossy(&text.stderr);
    assert!(out.contains("IdentityRiskEvent.Read.All"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn risk_detections_pace_to_their_own_budget_and_provoke_no_429() {
    let h = Harness::start(SimConfig { risk_detections: 30, ..sim_config(55) }).await;
    // Graph's limits on both groups; audit-log budget generous in the
    // client so only the identity-protection budget is exercised.
    h.sim.set_switches(|s| {
        s.identity_protection_rate_limit = Some(RateLimit::IDENTITY_PROTECTION);
        s.rate_limit = Some(RateLimit { requests: 1000, window: std::time::Duration::from_secs(1) });
        // Short pages, so the window takes several requests.
        s.max_page_size = Some(5);
    });
    let end = t(TO);
    let started = std::time::Instant::now();
    let run = h
        .run_with_env(end, &["--datasets", "risk_detections"], &[("ARCHIVE_IDENTITY_PROTECTION_BUDGET", "1/1s")])
        .await;
    run.assert_code(0);
    let stats = h.sim.stats();
    assert_eq!(stats.rate_limited, 0, "paced under 1 request per second: no 429");
    let requests = stats.data_requests_total();
    let records = h.rows("risk_detections").len() as u64;
    assert!(records > 10, "{records} records");
    assert!(requests >= records.div_ceil(5), "{records} records in pages of five: {requests} requests");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(requests - 1),
        "{requests} requests at 1/s took {:?}",
        started.elapsed()
    );
}
