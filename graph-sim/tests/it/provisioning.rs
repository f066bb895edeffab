//! Provisioning over HTTP: `gt`/`lt` windows are exact exclusive bounds at
//! 100 ns ticks, `ge`/`le` are refused naming the operator, page sizes, and
//! `servicePrincipal` as one object on the wire.

use crate::common::*;
use chrono::TimeDelta;
use graph_sim::{Dataset, GraphSim, SimConfig};
use reqwest::StatusCode;

const PATH: &str = "/v1.0/auditLogs/provisioning";

async fn start_provisioning() -> GraphSim {
    GraphSim::start(SimConfig { provisioning: 450, ..config() }).await.unwrap()
}

fn window(lo: &str, hi: &str) -> String {
    format!("{PATH}?$filter=activityDateTime%20gt%20{lo}%20and%20activityDateTime%20lt%20{hi}&$top=40")
}

#[tokio::test]
async fn gt_lt_windows_are_exact_and_exclusive() {
    let sim = start_provisioning().await;
    let tok = token(&sim).await;
    let all = sim.records(Dataset::Provisioning);
    assert_eq!(all.len(), 450);
    // Bounds sit exactly on existing records: both are excluded.
    let (hi, lo) = (all[30].time, all[all.len() - 30].time);
    let (ids, pages) = walk(&sim, Dataset::Provisioning, &window(&ticks(lo), &ticks(hi)), &tok).await;
    let want: Vec<String> = all.iter().filter(|r| r.time > lo && r.time < hi).map(|r| r.id.clone()).collect();
    assert_eq!(ids, want);
    assert!(want.len() >= 450 - 2 * 30 - 1 - 4, "{}", want.len());
    assert_eq!(pages, want.len().div_ceil(40));
    assert!(!ids.contains(&all[30].id) && !ids.contains(&all[all.len() - 30].id));

    // One tick either side of a bound.
    let at = t("2026-11-23T10:00:00Z");
    for (id, time) in
        [("before", at - TimeDelta::nanoseconds(100)), ("on", at), ("after", at + TimeDelta::nanoseconds(100))]
    {
        sim.insert_raw(Dataset::Provisioning, &format!(r#"{{"id":"{id}","activityDateTime":"{}"}}"#, ticks(time)));
    }
    let narrow = |lo: &str, hi: &str| {
        let (sim, tok) = (&sim, &tok);
        let first = window(lo, hi);
        async move { walk(sim, Dataset::Provisioning, &first, tok).await.0 }
    };
    assert_eq!(narrow("2026-11-23T09:59:59.9999998Z", "2026-11-23T10:00:00.0000002Z").await, ["after", "on", "before"]);
    assert_eq!(narrow("2026-11-23T09:59:59.9999999Z", "2026-11-23T10:00:00.0000001Z").await, ["on"]);
    assert_eq!(narrow("2026-11-23T10:00:00Z", "2026-11-23T10:00:00.0000002Z").await, ["after"]);
    assert!(narrow("2026-11-23T10:00:00Z", "2026-11-23T10:00:00.0000001Z").await.is_empty());
    let eq = format!("{PATH}?$filter=activityDateTime%20eq%202026-11-23T10:00:00Z");
    assert_eq!(walk(&sim, Dataset::Provisioning, &eq, &tok).await.0, ["on"]);
}

#[tokio::test]
async fn ge_and_le_are_refused_naming_the_operator() {
    let sim = start_provisioning().await;
    let tok = token(&sim).await;
    for (op, filter) in [
        ("ge", "activityDateTime ge 2026-11-23T00:00:00Z"),
        ("le", "activityDateTime gt 2026-11-23T00:00:00Z and activityDateTime le 2026-11-23T12:00:00Z"),
    ] {
        let r = get(&sim, &format!("{PATH}?$filter={}", filter.replace(' ', "%20")), Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.error_code(), "BadRequest");
        let message = r.error_message();
        assert!(message.contains(&format!("operator '{op}'")), "{message}");
        assert!(message.contains("use eq, gt or lt"), "{message}");
    }
    // Other datasets keep ge/le and refuse gt/lt.
    let r =
        get(&sim, "/v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20gt%202026-11-23T00:00:00Z", Some(&tok))
            .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn page_sizes() {
    let sim = start_provisioning().await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await.json();
    assert_eq!(r["value"].as_array().unwrap().len(), 100, "default page");
    let next = r["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$top=100&"), "{next}");
    let (ids, pages) = walk(&sim, Dataset::Provisioning, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (450, 5));
    assert_eq!(
        get(&sim, &format!("{PATH}?$top=1000"), Some(&tok)).await.json()["value"].as_array().unwrap().len(),
        450
    );
    let r = get(&sim, &format!("{PATH}?$top=1001"), Some(&tok)).await;
    assert_eq!(r.error_message(), "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive.");
}

#[tokio::test]
async fn service_principal_is_one_object() {
    let sim = start_provisioning().await;
    let tok = token(&sim).await;
    let r = get(&sim, &format!("{PATH}?$top=1000"), Some(&tok)).await;
    assert_eq!(r.json()["@odata.context"], format!("{}/v1.0/$metadata#auditLogs/provisioning", sim.url()));
    let values = r.json()["value"].as_array().unwrap().clone();
    assert_eq!(values.len(), 450);
    for v in &values {
        let sp = &v["servicePrincipal"];
        assert!(sp.is_object() && sp["id"].is_string() && sp["displayName"].is_string(), "{v}");
    }
    assert!(values.iter().any(|v| v["provisioningStatusInfo"]["errorInformation"]["errorCode"].is_string()));
}
