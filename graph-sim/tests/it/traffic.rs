//! Global Secure Access traffic over HTTP: records keyed by `transactionId`,
//! pages of 1,000 by default and at most, `createdDateTime` windows exact,
//! the undocumented-filter switch, hand-written records and late arrivals,
//! the licence and permission answers, and its own throttle budget.

use std::time::Duration;

use crate::common::*;
use graph_sim::{Dataset, GraphSim, RateLimit, SimConfig};
use reqwest::StatusCode;

const DS: Dataset = Dataset::NetworkAccessTraffic;
const PATH: &str = "/beta/networkAccess/logs/traffic";

async fn start_traffic(n: usize) -> GraphSim {
    GraphSim::start(SimConfig { network_access_traffic: n, ..open_config() }).await.unwrap()
}

#[tokio::test]
async fn records_are_keyed_by_transaction_id_in_pages_of_1000() {
    let sim = start_traffic(2500).await;
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["@odata.context"], format!("{}/beta/networkAccess/logs/$metadata#traffic", sim.url()));
    let page = v["value"].as_array().unwrap();
    assert_eq!(page.len(), 1000);
    assert!(page.iter().all(|r| r.get("id").is_none() && r["transactionId"].is_string()));
    assert_eq!(DS.key_property(), "transactionId");
    let (ids, pages) = walk(&sim, DS, PATH, &tok).await;
    assert_eq!((ids.len(), pages), (2500, 3));
    let every: Vec<String> = sim.records(DS).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, every, "newest first");
    let r = get(&sim, &format!("{PATH}?$top=1001"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_message(), "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive.");
}

#[tokio::test]
async fn windows_on_created_time_are_exact() {
    let sim = start_traffic(1500).await;
    let tok = token(&sim).await;
    let all = sim.records(DS);
    let (hi, lo) = (all[100].time, all[all.len() - 100].time);
    let (ids, pages) = walk(&sim, DS, &between(DS, lo, hi, 333), &tok).await;
    let want = expected(&sim, DS, lo, hi);
    assert_eq!(ids, want);
    assert_eq!(pages, want.len().div_ceil(333));
    let at = all[9].time;
    let (ids, _) = walk(&sim, DS, &format!("{PATH}?$filter=createdDateTime%20eq%20{}", ticks(at)), &tok).await;
    assert_eq!(ids, expected(&sim, DS, at, at));
}

#[tokio::test]
async fn refusing_undocumented_filters_leaves_only_eq() {
    let sim = start_traffic(500).await;
    let tok = token(&sim).await;
    sim.set_switches(|s| s.refuse_undocumented_filters = true);
    let r = get(&sim, &between(DS, t("2026-11-23T00:00:00Z"), t("2026-11-23T06:00:00Z"), 100), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = r.json();
    assert_eq!(v["error"]["code"], "BadRequest");
    assert_eq!(
        v["error"]["message"],
        "Invalid filter clause: 'createdDateTime ge 2026-11-23T00:00:00.0000000Z': operator 'ge' is not supported \
         on createdDateTime; use eq"
    );
    let r = get(&sim, &format!("{PATH}?$filter=createdDateTime%20le%202026-11-23T06:00:00Z"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("operator 'le'"));
    // eq still answers, paging included; so do the other datasets' ge/le.
    for (i, tx) in ["tx-b", "tx-a", "tx-c"].iter().enumerate() {
        let ip = format!("10.0.0.{i}");
        sim.insert_raw(
            DS,
            &format!(
                r#"{{"transactionId":"{tx}","createdDateTime":"2026-11-23T10:00:00.0000000Z","sourceIp":"{ip}"}}"#
            ),
        );
    }
    let eq = format!("{PATH}?$filter=createdDateTime%20eq%202026-11-23T10:00:00Z&$top=2");
    assert_eq!(walk(&sim, DS, &eq, &tok).await, (vec!["tx-c".into(), "tx-b".into(), "tx-a".into()], 2));
    let audits = between(Dataset::DirectoryAudits, t("2026-11-23T00:00:00Z"), t("2026-11-23T06:00:00Z"), 10);
    assert_eq!(get(&sim, &audits, Some(&tok)).await.status, StatusCode::OK);
    sim.set_switches(|s| s.refuse_undocumented_filters = false);
    assert_eq!(
        get(&sim, &format!("{PATH}?$filter=createdDateTime%20le%202026-11-23T06:00:00Z"), Some(&tok)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn late_arrivals_show_up_in_a_window_read_again() {
    let sim = start_traffic(800).await;
    let tok = token(&sim).await;
    let (lo, hi) = (t("2026-11-22T18:00:00Z"), t("2026-11-23T02:00:00Z"));
    let (first, _) = walk(&sim, DS, &between(DS, lo, hi, 1000), &tok).await;
    let late = sim.generate(DS, 7, lo, hi);
    let (again, _) = walk(&sim, DS, &between(DS, lo, hi, 1000), &tok).await;
    assert_eq!(again.len(), first.len() + 7);
    assert!(late.iter().all(|r| again.contains(&r.id) && !first.contains(&r.id)));
    assert_eq!(again, expected(&sim, DS, lo, hi));
}

#[tokio::test]
async fn permission_then_licence() {
    let sim = GraphSim::start(SimConfig { network_access_traffic: 10, ..config() }).await.unwrap();
    let tok = token(&sim).await;
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "Authorization_RequestDenied".to_owned()));
    assert!(r.error_message().contains("NetworkAccess-Reports.Read.All"), "{}", r.body);
    sim.grant_permission("NetworkAccess-Reports.Read.All");
    let r = get(&sim, PATH, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = r.json();
    assert_eq!(v["error"]["code"], "Authentication_RequestFromNonPremiumTenantOrB2CTenant");
    assert!(v["error"]["message"].as_str().unwrap().contains("Global Secure Access"), "{v}");
}

#[tokio::test]
async fn has_a_budget_of_its_own() {
    let sim = start_traffic(50).await;
    let tok = token(&sim).await;
    // Not limited by default, not by the /auditLogs budget.
    sim.set_switches(|s| s.rate_limit = Some(RateLimit { requests: 1, window: Duration::from_secs(60) }));
    for _ in 0..3 {
        assert_eq!(get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await.status, StatusCode::OK);
    }
    sim.set_switches(|s| {
        s.network_access_rate_limit = Some(RateLimit { requests: 1, window: Duration::from_secs(60) })
    });
    assert_eq!(get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, &format!("{PATH}?$top=1"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some(), "Graph's global throttling sends Retry-After");
    assert_eq!(get(&sim, "/v1.0/auditLogs/directoryAudits?$top=1", Some(&tok)).await.status, StatusCode::OK);
}
