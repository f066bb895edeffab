//! Service principal risk detections over HTTP: `$top` (default 20, at most
//! 500), `lastUpdatedDateTime` windows exact and newest first, the
//! undocumented-filter switch, updates in place that move a detection to a
//! new time range, and the Identity Protection budget it shares with user
//! risk detections.

use std::time::Duration;

use crate::common::*;
use chrono::TimeDelta;
use graph_sim::{Dataset, GraphSim, RateLimit, SimConfig};
use reqwest::StatusCode;
use serde_json::Value;

const DS: Dataset = Dataset::ServicePrincipalRiskDetections;
const PATH: &str = "/v1.0/identityProtection/servicePrincipalRiskDetections";

async fn start_sp() -> GraphSim {
    GraphSim::start(SimConfig { service_principal_risk_detections: 300, ..config() }).await.unwrap()
}

#[tokio::test]
async fn page_sizes_are_20_by_default_and_at_most_500() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(
        v["@odata.context"],
        format!("{}/v1.0/$metadata#identityProtection/servicePrincipalRiskDetections", sim.url())
    );
    assert_eq!(v["value"].as_array().unwrap().len(), 20);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$top=20&"));
    assert_eq!(keys(DS, &get(&sim, &format!("{PATH}?$top=500"), Some(&tok)).await.json()).len(), 300);
    let r = get(&sim, &format!("{PATH}?$top=501"), Some(&tok)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "BadRequest".to_owned()));
    assert_eq!(r.error_message(), "Invalid page size specified: '501'. Must be between 1 and 500 inclusive.");
    let (ids, pages) = walk(&sim, DS, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (300, 15));
    let every: Vec<String> = sim.records(DS).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, every, "newest lastUpdatedDateTime first");
}

#[tokio::test]
async fn windows_on_last_updated_are_exact() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    let all = sim.records(DS);
    // Bounds on existing records: both included.
    let (hi, lo) = (all[30].time, all[all.len() - 30].time);
    let (ids, pages) = walk(&sim, DS, &between(DS, lo, hi, 37), &tok).await;
    let want = expected(&sim, DS, lo, hi);
    assert_eq!(ids, want);
    assert_eq!((ids.first(), ids.last()), (Some(&all[30].id), Some(&all[all.len() - 30].id)));
    assert_eq!(pages, want.len().div_ceil(37));
    // eq: exactly the records at that instant.
    let at = all[10].time;
    let (ids, _) = walk(&sim, DS, &format!("{PATH}?$filter=lastUpdatedDateTime%20eq%20{}", ticks(at)), &tok).await;
    assert_eq!(ids, expected(&sim, DS, at, at));
    // Other operators and properties are refused, naming them.
    for (bad, names) in [
        ("lastUpdatedDateTime%20gt%202026-11-23T00:00:00Z", "'gt'"),
        ("detectedDateTime%20ge%202026-11-23T00:00:00Z", "detectedDateTime"),
        ("servicePrincipalId%20eq%20'x'", "servicePrincipalId"),
    ] {
        let r = get(&sim, &format!("{PATH}?$filter={bad}"), Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.error_message().starts_with("Invalid filter clause: "), "{}", r.body);
        assert!(r.error_message().contains(names), "{}", r.body);
    }
}

#[tokio::test]
async fn refusing_undocumented_filters_turns_ge_and_le_into_400s() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    let window = between(DS, t("2026-11-23T00:00:00Z"), t("2026-11-23T12:00:00Z"), 50);
    assert_eq!(get(&sim, &window, Some(&tok)).await.status, StatusCode::OK);
    sim.set_switches(|s| s.refuse_undocumented_filters = true);
    let r = get(&sim, &window, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = r.json();
    assert_eq!(v["error"]["code"], "BadRequest");
    assert_eq!(
        v["error"]["message"],
        "Invalid filter clause: 'lastUpdatedDateTime ge 2026-11-23T00:00:00.0000000Z': operator 'ge' is not \
         supported on lastUpdatedDateTime; use eq"
    );
    let r = get(&sim, &format!("{PATH}?$filter=lastUpdatedDateTime%20le%202026-11-23T00:00:00Z"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("operator 'le'"), "{}", r.body);
    // eq, no filter, and other datasets' ge/le still work.
    let at = sim.records(DS)[3].time;
    let r = get(&sim, &format!("{PATH}?$filter=lastUpdatedDateTime%20eq%20{}", ticks(at)), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(keys(DS, &r.json()).contains(&sim.records(DS)[3].id));
    assert_eq!(get(&sim, PATH, Some(&tok)).await.status, StatusCode::OK);
    let risk = between(Dataset::RiskDetections, t("2026-11-23T00:00:00Z"), t("2026-11-23T12:00:00Z"), 50);
    assert_eq!(get(&sim, &risk, Some(&tok)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn updates_in_place_move_a_detection_to_its_new_time() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    let before = sim.records(DS);
    let at = t("2026-11-24T06:30:00.123456789Z");
    let updated = sim.update_records(DS, 4, at);
    assert_eq!(updated.len(), 4);
    let oldest_at_risk: Vec<&str> = before
        .iter()
        .rev()
        .filter(|r| r.json.contains("\"riskState\":\"atRisk\""))
        .take(4)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(updated.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), oldest_at_risk);
    for u in &updated {
        let new: Value = serde_json::from_str(&u.json).unwrap();
        assert_eq!(new["lastUpdatedDateTime"], "2026-11-24T06:30:00.1234567Z");
        assert!(["dismissed", "confirmedCompromised"].contains(&new["riskState"].as_str().unwrap()), "{new}");
    }
    assert_eq!(sim.records(DS).len(), 300, "still one record per id");
    // The old range no longer returns it; the new one does.
    let was = before.iter().find(|b| b.id == updated[0].id).unwrap().time;
    let (ids, _) = walk(&sim, DS, &between(DS, was - TimeDelta::hours(1), was, 100), &tok).await;
    assert!(!ids.contains(&updated[0].id));
    let at_tick = t("2026-11-24T06:30:00.1234567Z");
    let (ids, _) = walk(&sim, DS, &between(DS, at_tick, at_tick, 100), &tok).await;
    let mut want: Vec<String> = updated.iter().map(|r| r.id.clone()).collect();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, want);
    // Reviewed detections do not change again; other datasets never do.
    assert!(sim.update_record(DS, &updated[0].id, at + TimeDelta::hours(1)).is_none());
    assert!(sim.update_records(Dataset::SignUps, 3, at).is_empty());
}

#[tokio::test]
async fn an_update_during_a_walk_moves_the_detection_ahead_of_the_cursor() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    let first = get(&sim, &format!("{PATH}?$top=100"), Some(&tok)).await.json();
    let seen = keys(DS, &first);
    let updated = sim.update_records(DS, 3, t("2026-11-24T12:00:00Z"));
    assert!(updated.iter().all(|u| !seen.contains(&u.id)));
    let next = first["@odata.nextLink"].as_str().unwrap();
    let (rest, _) = walk(&sim, DS, &next[sim.url().len()..], &tok).await;
    assert_eq!(seen.len() + rest.len(), 300 - 3, "moved records are behind the walk, not served twice");
}

#[tokio::test]
async fn shares_the_identity_protection_budget_without_retry_after() {
    let sim = start_sp().await;
    let tok = token(&sim).await;
    sim.set_switches(|s| s.identity_protection_rate_limit = Some(RateLimit::IDENTITY_PROTECTION));
    assert_eq!(get(&sim, "/v1.0/identityProtection/riskDetections?$top=1", Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests".to_owned()));
    assert_eq!(r.header("retry-after"), None);
    // The /auditLogs budget is another one.
    assert_eq!(get(&sim, "/v1.0/auditLogs/directoryAudits?$top=1", Some(&tok)).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await.status, StatusCode::OK);
}
