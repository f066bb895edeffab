//! Custom security attribute audits over HTTP: `$top` at most 100 (the
//! default too), `activityDateTime` windows exact and newest first, late
//! arrivals, the optional permission's 403, and the `/auditLogs` budget.

use std::time::Duration;

use crate::common::*;
use graph_sim::{Dataset, GraphSim, RateLimit, SimConfig};
use reqwest::StatusCode;

const DS: Dataset = Dataset::CustomSecurityAttributeAudits;
const PATH: &str = "/beta/auditLogs/customSecurityAttributeAudits";

async fn start_audits() -> GraphSim {
    GraphSim::start(SimConfig { custom_security_attribute_audits: 350, ..open_config() }).await.unwrap()
}

#[tokio::test]
async fn top_defaults_to_100_and_refuses_more() {
    let sim = start_audits().await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["@odata.context"], format!("{}/beta/$metadata#auditLogs/customSecurityAttributeAudits", sim.url()));
    assert_eq!(keys(DS, &v).len(), 100);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$top=100&"));
    assert_eq!(keys(DS, &get(&sim, &format!("{PATH}?$top=100"), Some(&tok)).await.json()).len(), 100);
    for bad in ["101", "1000", "0"] {
        let r = get(&sim, &format!("{PATH}?$top={bad}"), Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        let v = r.json();
        assert_eq!(v["error"]["code"], "BadRequest");
        assert_eq!(
            v["error"]["message"],
            format!("Invalid page size specified: '{bad}'. Must be between 1 and 100 inclusive.")
        );
        assert!(v["error"]["innerError"]["request-id"].is_string());
    }
    // Unfiltered: every record, newest first, in pages of exactly 100.
    let (ids, pages) = walk(&sim, DS, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (350, 4));
    let every: Vec<String> = sim.records(DS).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, every);
}

#[tokio::test]
async fn windows_on_activity_time_are_exact() {
    let sim = start_audits().await;
    let tok = token(&sim).await;
    let all = sim.records(DS);
    let (hi, lo) = (all[20].time, all[all.len() - 20].time);
    let (ids, pages) = walk(&sim, DS, &between(DS, lo, hi, 37), &tok).await;
    let want = expected(&sim, DS, lo, hi);
    assert_eq!(ids, want);
    assert_eq!(pages, want.len().div_ceil(37));
    let at = all[5].time;
    let (ids, _) = walk(&sim, DS, &format!("{PATH}?$filter=activityDateTime%20eq%20{}", ticks(at)), &tok).await;
    assert_eq!(ids, expected(&sim, DS, at, at));
    let r = get(&sim, &format!("{PATH}?$filter=activityDateTime%20gt%202026-11-23T00:00:00Z"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("operator 'gt' is not supported on activityDateTime; use eq, ge or le"));
    // Documented operators are not refused under the strict switch.
    sim.set_switches(|s| s.refuse_undocumented_filters = true);
    assert_eq!(walk(&sim, DS, &between(DS, lo, hi, 100), &tok).await.0, want);
}

#[tokio::test]
async fn late_arrivals_show_up_in_a_window_read_again() {
    let sim = start_audits().await;
    let tok = token(&sim).await;
    let (lo, hi) = (t("2026-11-23T00:00:00Z"), t("2026-11-23T06:00:00Z"));
    let (first, _) = walk(&sim, DS, &between(DS, lo, hi, 100), &tok).await;
    let late = sim.generate(DS, 3, lo, hi);
    let (again, _) = walk(&sim, DS, &between(DS, lo, hi, 100), &tok).await;
    assert_eq!(again.len(), first.len() + 3);
    assert!(late.iter().all(|r| again.contains(&r.id) && !first.contains(&r.id)));
    assert_eq!(again, expected(&sim, DS, lo, hi));
}

#[tokio::test]
async fn the_permission_is_optional_and_named_when_missing() {
    let sim = GraphSim::start(SimConfig { custom_security_attribute_audits: 10, ..config() }).await.unwrap();
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = r.json();
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        v["error"]["message"],
        "Insufficient privileges to complete the operation. The application requires the \
         CustomSecAttributeAuditLogs.Read.All permission."
    );
    sim.grant_permission("CustomSecAttributeAuditLogs.Read.All");
    assert_eq!(keys(DS, &get(&sim, PATH, Some(&tok)).await.json()).len(), 10);
}

#[tokio::test]
async fn spends_the_audit_logs_budget() {
    let sim = start_audits().await;
    let tok = token(&sim).await;
    sim.set_switches(|s| s.rate_limit = Some(RateLimit { requests: 1, window: Duration::from_secs(60) }));
    assert_eq!(get(&sim, "/v1.0/auditLogs/directoryAudits?$top=1", Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
}
