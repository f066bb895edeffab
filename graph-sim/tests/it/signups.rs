//! Self-service sign-ups over HTTP: pages of 1,000 by default and at most,
//! newest first, `createdDateTime` windows exact, late arrivals, and the
//! answer on a workforce tenant.

use crate::common::*;
use graph_sim::{Dataset, GraphSim, SimConfig};
use reqwest::StatusCode;

const DS: Dataset = Dataset::SignUps;
const PATH: &str = "/beta/auditLogs/signUps";

async fn start_signups(n: usize) -> GraphSim {
    GraphSim::start(SimConfig { signups: n, ..open_config() }).await.unwrap()
}

#[tokio::test]
async fn pages_of_1000_newest_first() {
    let sim = start_signups(2300).await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["@odata.context"], format!("{}/beta/$metadata#auditLogs/signUps", sim.url()));
    assert_eq!(keys(DS, &v).len(), 1000);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$top=1000&"));
    let (ids, pages) = walk(&sim, DS, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (2300, 3));
    let every: Vec<String> = sim.records(DS).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, every, "most recent first");
    let r = get(&sim, &format!("{PATH}?$top=1001"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_message(), "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive.");
}

#[tokio::test]
async fn windows_on_created_time_are_exact() {
    let sim = start_signups(600).await;
    let tok = token(&sim).await;
    let all = sim.records(DS);
    let (hi, lo) = (all[50].time, all[all.len() - 50].time);
    let (ids, pages) = walk(&sim, DS, &between(DS, lo, hi, 120), &tok).await;
    let want = expected(&sim, DS, lo, hi);
    assert_eq!(ids, want);
    assert_eq!(pages, want.len().div_ceil(120));
    let at = all[7].time;
    let (ids, _) = walk(&sim, DS, &format!("{PATH}?$filter=createdDateTime%20eq%20{}", ticks(at)), &tok).await;
    assert_eq!(ids, expected(&sim, DS, at, at));
    for bad in ["createdDateTime%20lt%202026-11-23T00:00:00Z", "signUpStage%20eq%20'userCreation'"] {
        assert_eq!(get(&sim, &format!("{PATH}?$filter={bad}"), Some(&tok)).await.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn late_arrivals_show_up_in_a_window_read_again() {
    let sim = start_signups(300).await;
    let tok = token(&sim).await;
    let (lo, hi) = (t("2026-11-22T12:00:00Z"), t("2026-11-23T12:00:00Z"));
    let (first, _) = walk(&sim, DS, &between(DS, lo, hi, 1000), &tok).await;
    let late = sim.generate(DS, 5, lo, hi);
    let (again, _) = walk(&sim, DS, &between(DS, lo, hi, 1000), &tok).await;
    assert_eq!(again.len(), first.len() + 5);
    assert!(late.iter().all(|r| again.contains(&r.id) && !first.contains(&r.id)));
}

#[tokio::test]
async fn a_workforce_tenant_has_no_sign_up_log() {
    let sim = GraphSim::start(SimConfig { signups: 10, ..config() }).await.unwrap();
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = r.json();
    assert_eq!(v["error"]["code"], "Authentication_RequestFromUnsupportedTenantType");
    assert_eq!(v["error"]["message"], "Sign-up logs are only available in external (customer) tenants.");
    assert_eq!(sim.records(DS).len(), 10, "the records exist; the tenant kind closes the log");
}
