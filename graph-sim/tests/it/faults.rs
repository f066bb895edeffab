//! Each `Fault` over HTTP, FIFO consumption by data requests only, and the
//! page-delay switch.

use std::time::{Duration, Instant};

use crate::common::*;
use graph_sim::Fault;
use reqwest::StatusCode;

const PAGE: &str = "/v1.0/auditLogs/signIns?$top=20";

#[tokio::test]
async fn throttling_and_gateway_faults() {
    let sim = start().await;
    let tok = token(&sim).await;
    sim.push_fault(Fault::TooManyRequests { retry_after: Some(7) });
    sim.push_fault(Fault::TooManyRequests { retry_after: None });
    sim.push_fault(Fault::ServiceUnavailable { retry_after: Some(3) });
    sim.push_fault(Fault::ServiceUnavailable { retry_after: None });
    sim.push_fault(Fault::GatewayTimeout);

    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.error_code(), "TooManyRequests");

    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), None);

    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(r.error_code(), "ServiceUnavailable");

    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), None);

    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(r.error_code(), "GatewayTimeout");

    // Queue drained: back to normal.
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn faults_are_consumed_only_by_authenticated_data_requests() {
    let sim = start().await;
    sim.push_fault(Fault::GatewayTimeout);
    // Token requests, unauthenticated requests and 404s leave it queued.
    let tok = token(&sim).await;
    assert_eq!(get(&sim, PAGE, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&sim, "/v1.0/nothing", Some(&tok)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn truncated_body_is_half_the_real_page() {
    let sim = start().await;
    let tok = token(&sim).await;
    sim.push_fault(Fault::TruncatedBody);
    let cut = get(&sim, PAGE, Some(&tok)).await;
    let full = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.header("content-type"), full.header("content-type"));
    assert_eq!(cut.header("content-length").map(|l| l.parse::<usize>().unwrap()), Some(cut.body.len()));
    assert!(serde_json::from_str::<serde_json::Value>(&cut.body).is_err());
    assert!(full.body.starts_with(&cut.body));
    let half = full.body.len() / 2;
    assert!(cut.body.len() <= half && cut.body.len() + 4 > half);
}

#[tokio::test]
async fn malformed_body_is_html() {
    let sim = start().await;
    let tok = token(&sim).await;
    sim.push_fault(Fault::MalformedBody);
    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.body.contains("<html>"));
    assert!(serde_json::from_str::<serde_json::Value>(&r.body).is_err());
}

#[tokio::test]
async fn delay_fault_and_page_delay() {
    let sim = start().await;
    let tok = token(&sim).await;
    sim.push_fault(Fault::Delay(Duration::from_millis(300)));
    let t0 = Instant::now();
    let r = get(&sim, PAGE, Some(&tok)).await;
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 20);

    sim.set_switches(|s| s.page_delay = Duration::from_millis(200));
    let t0 = Instant::now();
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::OK);
    assert!(t0.elapsed() >= Duration::from_millis(200));
    // Token requests are not data responses.
    let t0 = Instant::now();
    token(&sim).await;
    assert!(t0.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn expire_tokens_invalidates_everything_issued_so_far() {
    let sim = start().await;
    let old = token(&sim).await;
    let older = token(&sim).await;
    sim.push_fault(Fault::ExpireTokens);
    let r = get(&sim, PAGE, Some(&old)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken");
    assert_eq!(r.error_message(), "Lifetime validation failed, the token is expired.");
    for tok in [&old, &older] {
        let r = get(&sim, PAGE, Some(tok)).await;
        assert_eq!(r.error_message(), "Lifetime validation failed, the token is expired.");
    }
    let fresh = token(&sim).await;
    assert_eq!(get(&sim, PAGE, Some(&fresh)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn drop_connection_fails_the_body_read_and_the_next_request_succeeds() {
    let sim = start().await;
    let tok = token(&sim).await;
    let url = format!("{}{PAGE}", sim.url());
    // One client, so the retry goes through the same connection pool.
    let client = client();
    sim.push_fault(Fault::DropConnection);

    let mut resp = client.get(&url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let promised: usize = resp.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let mut got = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => panic!("body completed ({} of {promised} bytes)", got.len()),
            Err(e) => break e,
        }
    };
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert_eq!(got.len(), promised / 2);

    // Plain `.text()` fails the same way.
    sim.push_fault(Fault::DropConnection);
    let resp = client.get(&url).bearer_auth(&tok).send().await.unwrap();
    assert!(resp.text().await.is_err());

    let resp = client.get(&url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert_eq!(body.len(), promised);
    assert!(body.as_bytes().starts_with(&got), "the cut body is a prefix of the real page");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["value"].as_array().unwrap().len(), 20);

    let stats = sim.stats();
    assert_eq!(stats.data_requests_with(200), 3, "a dropped response counts as the 200 it started");
    assert_eq!(stats.faults_injected, 2);
}
