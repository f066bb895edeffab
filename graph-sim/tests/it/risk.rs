//! Risk detections over HTTP: `$top` (default 20, at most 500), filters on
//! `lastUpdatedDateTime` and `detectedDateTime` ordered by the field filtered,
//! updates in place that move a detection to a new time range, and the
//! Identity Protection throttle budget (separate, no `Retry-After`).

use std::time::Duration;

use crate::common::*;
use chrono::{DateTime, TimeDelta, Utc};
use graph_sim::{Dataset, GraphSim, RateLimit, SimConfig};
use reqwest::StatusCode;
use serde_json::Value;

const PATH: &str = "/v1.0/identityProtection/riskDetections";

async fn start_risk() -> GraphSim {
    GraphSim::start(SimConfig { risk_detections: 400, ..config() }).await.unwrap()
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn time_of(v: &Value, field: &str) -> DateTime<Utc> {
    t(v[field].as_str().unwrap())
}

fn between(field: &str, lo: DateTime<Utc>, hi: DateTime<Utc>) -> String {
    format!("{PATH}?$filter={field}%20ge%20{}%20and%20{field}%20le%20{}&$top=37", ticks(lo), ticks(hi))
}

#[tokio::test]
async fn page_sizes_are_20_by_default_and_at_most_500() {
    let sim = start_risk().await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["@odata.context"], format!("{}/v1.0/$metadata#identityProtection/riskDetections", sim.url()));
    assert_eq!(v["value"].as_array().unwrap().len(), 20);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$top=20&"));
    let r = get(&sim, &format!("{PATH}?$top=500"), Some(&tok)).await;
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 400);
    let r = get(&sim, &format!("{PATH}?$top=501"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "BadRequest");
    assert_eq!(r.error_message(), "Invalid page size specified: '501'. Must be between 1 and 500 inclusive.");
    let (ids, pages) = walk(&sim, Dataset::RiskDetections, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (400, 20));
}

#[tokio::test]
async fn filters_on_either_time_field_are_exact_and_ordered_by_it() {
    let sim = start_risk().await;
    let tok = token(&sim).await;
    let all: Vec<Value> = sim.records(Dataset::RiskDetections).iter().map(|r| parse(&r.json)).collect();
    for field in ["lastUpdatedDateTime", "detectedDateTime"] {
        let (lo, hi) = (t("2026-11-22T09:00:00Z"), t("2026-11-23T15:00:00Z"));
        let (ids, pages) = walk(&sim, Dataset::RiskDetections, &between(field, lo, hi), &tok).await;
        let mut want: Vec<(DateTime<Utc>, String)> = all
            .iter()
            .map(|v| (time_of(v, field), v["id"].as_str().unwrap().to_owned()))
            .filter(|(time, _)| *time >= lo && *time <= hi)
            .collect();
        want.sort_by(|a, b| b.cmp(a));
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        assert!(want.len() > 100, "{field}: {}", want.len());
        assert_eq!(ids, want, "{field}");
        assert_eq!(pages, want.len().div_ceil(37));
    }
    // The two orders differ (offline detections are detected hours later).
    let by = |field: &str| {
        let mut v: Vec<(DateTime<Utc>, &str)> =
            all.iter().map(|v| (time_of(v, field), v["id"].as_str().unwrap())).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, id)| id.to_owned()).collect::<Vec<_>>()
    };
    assert_ne!(by("lastUpdatedDateTime"), by("detectedDateTime"));
    // Default order: lastUpdatedDateTime, newest first.
    let (ids, _) = walk(&sim, Dataset::RiskDetections, &format!("{PATH}?$top=500"), &tok).await;
    assert_eq!(ids, by("lastUpdatedDateTime"));
    // Other properties and mixed fields are refused.
    for bad in [
        "activityDateTime%20ge%202026-11-23T00:00:00Z",
        "lastUpdatedDateTime%20ge%202026-11-23T00:00:00Z%20and%20detectedDateTime%20le%202026-11-24T00:00:00Z",
        "lastUpdatedDateTime%20gt%202026-11-23T00:00:00Z",
    ] {
        let r = get(&sim, &format!("{PATH}?$filter={bad}"), Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn updates_in_place_move_a_detection_to_its_new_time() {
    let sim = start_risk().await;
    let tok = token(&sim).await;
    let before = sim.records(Dataset::RiskDetections);
    let at = t("2026-11-24T06:30:00.123456789Z");
    let updated = sim.update_risk_detections(5, at);
    assert_eq!(updated.len(), 5);
    let at_tick = t("2026-11-24T06:30:00.1234567Z");
    let old: Vec<Value> = updated.iter().map(|u| parse(&before.iter().find(|b| b.id == u.id).unwrap().json)).collect();
    for (u, old) in updated.iter().zip(&old) {
        let new = parse(&u.json);
        assert_eq!(u.time, at_tick);
        assert_eq!(new["lastUpdatedDateTime"], "2026-11-24T06:30:00.1234567Z");
        assert_eq!(old["riskState"], "atRisk");
        let state = new["riskState"].as_str().unwrap();
        assert!(["remediated", "dismissed", "confirmedCompromised"].contains(&state), "{state}");
        assert_ne!(new["riskDetail"], "none");
        assert_eq!(new["detectedDateTime"], old["detectedDateTime"]);
    }
    // The oldest atRisk detections went first.
    let oldest_at_risk: Vec<&str> = before
        .iter()
        .rev()
        .filter(|r| r.json.contains("\"riskState\":\"atRisk\""))
        .take(5)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(updated.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), oldest_at_risk);

    // Still one record per id; the old range no longer returns them, the new one does.
    assert_eq!(sim.records(Dataset::RiskDetections).len(), 400);
    let first = &old[0];
    let was = time_of(first, "lastUpdatedDateTime");
    let (ids, _) =
        walk(&sim, Dataset::RiskDetections, &between("lastUpdatedDateTime", was - TimeDelta::hours(1), was), &tok)
            .await;
    assert!(!ids.contains(&updated[0].id));
    let (ids, _) = walk(&sim, Dataset::RiskDetections, &between("lastUpdatedDateTime", at_tick, at_tick), &tok).await;
    let mut want: Vec<String> = updated.iter().map(|r| r.id.clone()).collect();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, want);
    // Filtering on detectedDateTime still finds it where it was detected.
    let detected = time_of(first, "detectedDateTime");
    let (ids, _) = walk(&sim, Dataset::RiskDetections, &between("detectedDateTime", detected, detected), &tok).await;
    assert!(ids.contains(&updated[0].id));
    let served = get(&sim, &between("detectedDateTime", detected, detected), Some(&tok)).await.json();
    let served =
        served["value"].as_array().unwrap().iter().find(|v| v["id"] == updated[0].id.as_str()).unwrap().clone();
    assert_eq!(served["lastUpdatedDateTime"], "2026-11-24T06:30:00.1234567Z", "only the latest state is served");

    // A closed detection does not change again; by id, an atRisk one does.
    assert!(sim.update_record(Dataset::RiskDetections, &updated[0].id, at + TimeDelta::hours(1)).is_none());
    let next = sim.records(Dataset::RiskDetections).into_iter().rev().find(|r| r.json.contains("\"atRisk\"")).unwrap();
    let moved = sim.update_record(Dataset::RiskDetections, &next.id, at).unwrap();
    assert_eq!(moved.id, next.id);
    assert!(sim.update_record(Dataset::SignIns, &sim.records(Dataset::SignIns)[0].id, at).is_none());
}

#[tokio::test]
async fn an_update_during_a_walk_moves_the_detection_ahead_of_the_cursor() {
    let sim = start_risk().await;
    let tok = token(&sim).await;
    let first = get(&sim, &format!("{PATH}?$top=100"), Some(&tok)).await.json();
    let seen: Vec<String> =
        first["value"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
    let updated = sim.update_risk_detections(3, t("2026-11-24T12:00:00Z"));
    assert!(updated.iter().all(|u| !seen.contains(&u.id)), "the oldest are not on the first page");
    let next = first["@odata.nextLink"].as_str().unwrap();
    let (rest, _) = walk(&sim, Dataset::RiskDetections, &next[sim.url().len()..], &tok).await;
    assert_eq!(seen.len() + rest.len(), 400 - 3, "moved records are behind the walk, not served twice");
    assert!(updated.iter().all(|u| !rest.contains(&u.id)));
}

#[tokio::test]
async fn identity_protection_has_its_own_budget_and_no_retry_after() {
    let sim = start_risk().await;
    let tok = token(&sim).await;
    sim.set_switches(|s| {
        s.rate_limit = Some(RateLimit { requests: 1, window: Duration::from_secs(60) });
        s.identity_protection_rate_limit = Some(RateLimit { requests: 1, window: Duration::from_secs(60) });
    });
    let audits = "/v1.0/auditLogs/directoryAudits?$top=1";
    let risk = format!("{PATH}?$top=1");
    assert_eq!(get(&sim, audits, Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, "/beta/auditLogs/signIns?$top=1", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "beta shares the /auditLogs budget");
    assert!(r.header("retry-after").is_some());
    // The audit-logs budget is spent; identity protection's is not.
    assert_eq!(get(&sim, &risk, Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, &risk, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "TooManyRequests");
    assert_eq!(r.header("retry-after"), None, "identityProtection 429s carry no Retry-After");
    assert_eq!(sim.stats().rate_limited, 2);

    // Graph's documented budget: one per second.
    sim.set_switches(|s| {
        s.rate_limit = None;
        s.identity_protection_rate_limit = Some(RateLimit::IDENTITY_PROTECTION);
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let pair = [get(&sim, &risk, Some(&tok)).await, get(&sim, &risk, Some(&tok)).await];
    assert_eq!(pair[0].status, StatusCode::OK);
    assert_eq!(pair[1].status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(pair[1].header("retry-after"), None);
    assert_eq!(get(&sim, audits, Some(&tok)).await.status, StatusCode::OK, "no audit-logs limit now");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&sim, &risk, Some(&tok)).await.status, StatusCode::OK);
}
