//! The data endpoints over HTTP: authentication, query validation, 404s,
//! licence and permission switches, determinism, the request log, records
//! added at runtime and shutdown.

use std::time::Duration;

use crate::common::*;
use graph_sim::{Dataset, GraphSim, SimConfig};
use reqwest::StatusCode;

#[tokio::test]
async fn authentication_failures() {
    let mut config = config();
    config.token_lifetime = Duration::ZERO;
    let sim = GraphSim::start(config).await.unwrap();
    let path = "/v1.0/auditLogs/signIns";

    let r = get(&sim, path, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken");
    assert_eq!(r.error_message(), "Access token is empty.");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer realm="));

    let r = get(&sim, path, Some("eyJ0eXAiOiJKV1QifQ.e30.forged")).await;
    assert_eq!(r.error_message(), "Invalid JWT token.");

    let basic = client().get(format!("{}{path}", sim.url())).basic_auth("a", Some("b")).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let expired = token(&sim).await;
    let r = get(&sim, path, Some(&expired)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_message(), "Lifetime validation failed, the token is expired.");

    // The envelope carries ids matching the headers.
    let inner = &r.json()["error"]["innerError"];
    assert_eq!(inner["request-id"], r.header("request-id").unwrap());
    assert_eq!(inner["client-request-id"], r.header("client-request-id").unwrap());
    assert!(inner["date"].as_str().unwrap().starts_with("20"));
}

#[tokio::test]
async fn query_validation() {
    let sim = start().await;
    let tok = token(&sim).await;
    let bad = |q: &'static str| {
        let (sim, tok) = (&sim, &tok);
        async move {
            let r = get(sim, &format!("/v1.0/auditLogs/signIns?{q}"), Some(tok)).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
            assert_eq!(r.error_code(), "BadRequest");
            r.error_message()
        }
    };
    assert_eq!(bad("$top=0").await, "Invalid page size specified: '0'. Must be between 1 and 1000 inclusive.");
    assert_eq!(bad("$top=1001").await, "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive.");
    assert!(bad("$top=ten").await.contains("'ten'"));
    assert!(
        bad("$filter=createdDateTime%20gt%202026-11-23T00:00:00Z")
            .await
            .contains("createdDateTime gt 2026-11-23T00:00:00Z")
    );
    assert!(bad("$filter=createdDateTime+lt+2026-11-23T00:00:00Z").await.starts_with("Invalid filter clause"));
    assert!(bad("$filter=activityDateTime+ge+2026-11-23T00:00:00Z").await.contains("activityDateTime"));
    assert!(bad("$expand=foo").await.contains("Unknown query option"));
    assert_eq!(bad("$skiptoken=00ff").await, "Invalid skip token");

    for ok in ["$top=1", "$top=1000", "$select=id,createdDateTime", "$orderby=createdDateTime%20desc&$top=3"] {
        let r = get(&sim, &format!("/v1.0/auditLogs/signIns?{ok}"), Some(&tok)).await;
        assert_eq!(r.status, StatusCode::OK, "{ok}: {}", r.body);
    }
    let r = get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&tok)).await;
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 1);
    let r = get(&sim, "/v1.0/auditLogs/signIns", Some(&tok)).await;
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 600);
    assert!(r.json().get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn unknown_paths_are_graph_404s_and_paths_ignore_case() {
    let sim = start().await;
    let tok = token(&sim).await;
    for missing in ["/v1.0/identityProtection/riskyUsers", "/beta/auditLogs/directoryAudits", "/v1.0/auditLogs/signUps"]
    {
        let r = get(&sim, missing, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(r.error_code(), "ResourceNotFound");
    }
    let r = get(&sim, "/v1.0/auditlogs/signins?$top=2", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(&sim, "/V1.0/AuditLogs/DirectoryAudits?$top=2", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn licence_and_permission_switches() {
    let sim = GraphSim::start(open_config()).await.unwrap();
    let tok = token(&sim).await;
    sim.set_switches(|s| s.unlicensed = true);
    let r = get(&sim, "/v1.0/auditLogs/signIns", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "Authentication_RequestFromNonPremiumTenantOrB2CTenant");
    assert_eq!(r.error_message(), "Neither tenant is B2C or tenant doesn't have premium license");
    let r = get(&sim, "/v1.0/auditLogs/directoryAudits?$top=3", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);

    sim.set_switches(|s| {
        s.unlicensed = false;
        s.missing_permission = true;
    });
    for &ds in Dataset::all() {
        let r = get(&sim, ds.path(), Some(&tok)).await;
        if ds.permission() != "AuditLog.Read.All" {
            assert_eq!(r.status, StatusCode::OK, "{ds}");
            continue;
        }
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error_code(), "Authentication_MSGraphPermissionMissing");
        assert_eq!(r.error_message(), "Calling principal does not have required MSGraph permissions AuditLog.Read.All");
    }
    sim.set_switches(|s| s.missing_permission = false);
    assert_eq!(get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&tok)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn same_seed_same_records_and_request_log() {
    let a = start().await;
    let b = start().await;
    for &ds in Dataset::all() {
        assert_eq!(a.records(ds), b.records(ds));
    }
    let other = GraphSim::start(SimConfig { seed: 7, ..config() }).await.unwrap();
    assert_ne!(a.records(Dataset::SignIns), other.records(Dataset::SignIns));

    let extra_a = a.generate(Dataset::SignIns, 5, t("2026-11-24T00:00:00Z"), t("2026-11-24T01:00:00Z"));
    let extra_b = b.generate(Dataset::SignIns, 5, t("2026-11-24T00:00:00Z"), t("2026-11-24T01:00:00Z"));
    assert_eq!(extra_a, extra_b);
    assert_eq!(a.records(Dataset::SignIns)[..5], extra_a[..]);

    let tok = token(&a).await;
    get(&a, "/v1.0/auditLogs/signIns?$top=1&client-secret-should-not-matter=1", Some(&tok)).await;
    get(&a, "/nope", Some(&tok)).await;
    let log = a.requests();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 404]);
    assert_eq!(log[1].method, "GET");
    assert_eq!(log[1].path_and_query, "/v1.0/auditLogs/signIns?$top=1&client-secret-should-not-matter=1");
    a.shutdown().await;
}

#[tokio::test]
async fn insert_raw_is_served_verbatim() {
    let sim = start().await;
    let tok = token(&sim).await;
    let json = r#"{"id":"hand-1","createdDateTime":"2026-11-25T00:00:00.1234567Z","userDisplayName":"Zoë \"raw\" ✓","extra":{"nested":[1,2.50,null]}}"#;
    let rec = sim.insert_raw(Dataset::SignIns, json);
    assert_eq!(rec.id, "hand-1");
    assert_eq!(rec.time, t("2026-11-25T00:00:00.1234567Z"));
    let r = get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&tok)).await;
    assert!(r.body.ends_with(&format!("\"value\":[{json}]}}")), "{}", r.body);
}

#[tokio::test]
#[should_panic(expected = "createdDateTime")]
async fn insert_raw_panics_without_time() {
    let sim = start().await;
    sim.insert_raw(Dataset::SignIns, r#"{"id":"x"}"#);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sim = start().await;
    let url = sim.url();
    sim.shutdown().await;
    assert!(client().get(format!("{url}/v1.0/auditLogs/signIns")).send().await.is_err());

    let dropped = start().await;
    let url = dropped.url();
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(client().get(format!("{url}/v1.0/auditLogs/signIns")).send().await.is_err());
}
