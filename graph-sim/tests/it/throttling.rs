//! The rate-limit switch over HTTP: bursts get exactly the 429s the sliding
//! window implies, with honest `Retry-After`; paced clients get none; all of
//! `/auditLogs` shares one budget; and `GraphSim::stats` counts it all.

use std::time::{Duration, Instant};

use crate::common::*;
use graph_sim::{Dataset, Fault, GraphSim, RateLimit};
use reqwest::StatusCode;

const SIGNINS: &str = "/v1.0/auditLogs/signIns?$top=5";
const AUDITS: &str = "/v1.0/auditLogs/directoryAudits?$top=5";

/// Asserts a rate limiter's `Retry-After` for a `window` whose oldest start
/// was at or after `t0`: whole seconds, at most the window, and at least what
/// is left of it now.
fn assert_retry_after(r: &Resp, window: Duration, t0: Instant) -> u64 {
    let secs: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    let left = window.saturating_sub(t0.elapsed()).as_secs_f64();
    assert!(secs <= window.as_secs().max(1) && secs as f64 >= left, "Retry-After {secs}, {left} s left");
    secs
}

async fn limited(limit: RateLimit) -> GraphSim {
    let sim = start().await;
    sim.set_switches(|s| s.rate_limit = Some(limit));
    sim
}

#[tokio::test]
async fn a_burst_gets_exactly_the_requests_over_the_limit_throttled() {
    let sim = limited(RateLimit::AUDIT_LOGS).await;
    let tok = token(&sim).await;
    // Alternating datasets: both spend the one /auditLogs budget.
    let t0 = Instant::now();
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = get(&sim, if i % 2 == 0 { SIGNINS } else { AUDITS }, Some(&tok)).await;
        statuses.push(r.status.as_u16());
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.error_code(), "TooManyRequests");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert!(r.header("request-id").is_some());
            // Until the first start leaves the window: 10 s less the
            // burst so far, rounded up.
            assert_retry_after(&r, RateLimit::AUDIT_LOGS.window, t0);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);

    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 3);
    assert_eq!(stats.data_requests_with(200), 5);
    assert_eq!(stats.data_requests_with(429), 3);
    assert_eq!(stats.faults_injected, 0);
    // The request log sees the same answers.
    let logged: Vec<u16> =
        sim.requests().iter().filter(|r| r.path_and_query.contains("auditLogs")).map(|r| r.status).collect();
    assert_eq!(logged, statuses);
}

#[tokio::test]
async fn a_concurrent_burst_is_admitted_up_to_the_limit() {
    let window = Duration::from_secs(30);
    let sim = limited(RateLimit { requests: 4, window }).await;
    let tok = token(&sim).await;
    let t0 = Instant::now();
    let url = format!("{}{SIGNINS}", sim.url());
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (url, tok) = (url.clone(), tok.clone());
            tokio::spawn(async move { get_url(&url, Some(&tok)).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_retry_after(&r, window, t0);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 4);
    assert_eq!(sim.stats().rate_limited, 8);
}

#[tokio::test]
async fn waiting_retry_after_is_enough_and_rejections_take_no_slot() {
    let window = Duration::from_secs(2);
    let sim = limited(RateLimit { requests: 2, window }).await;
    let tok = token(&sim).await;
    let t0 = Instant::now();
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::OK);
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::OK);
    // Hammering while throttled does not push the free slot back: the
    // suggested wait only shrinks, and waiting it once is enough.
    let mut secs = u64::MAX;
    for _ in 0..4 {
        let r = get(&sim, SIGNINS, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let now = assert_retry_after(&r, window, t0);
        assert!(now <= secs);
        secs = now;
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::OK);
    assert_eq!(sim.stats().rate_limited, 4);
}

#[tokio::test]
async fn requests_paced_under_the_limit_are_never_throttled() {
    // 2 per 400 ms, one request every 210 ms: no 400 ms holds three starts.
    let sim = limited(RateLimit { requests: 2, window: Duration::from_millis(400) }).await;
    let tok = token(&sim).await;
    for i in 0..8 {
        let r = get(&sim, if i % 3 == 0 { AUDITS } else { SIGNINS }, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {}", r.body);
        tokio::time::sleep(Duration::from_millis(210)).await;
    }
    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.data_requests_with(200), 8);
}

#[tokio::test]
async fn only_authenticated_data_requests_spend_the_budget() {
    let sim = limited(RateLimit { requests: 1, window: Duration::from_secs(60) }).await;
    // Token requests, unauthenticated requests and 404s are free.
    let tok = token(&sim).await;
    token(&sim).await;
    assert_eq!(get(&sim, SIGNINS, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&sim, "/v1.0/nothing", Some(&tok)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::OK);

    // A throttled request leaves the queued fault for the next admitted one.
    sim.push_fault(Fault::GatewayTimeout);
    assert_eq!(get(&sim, AUDITS, Some(&tok)).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sim.stats().faults_injected, 0);
    sim.set_switches(|s| s.rate_limit = None);
    assert_eq!(get(&sim, AUDITS, Some(&tok)).await.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(get(&sim, AUDITS, Some(&tok)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn stats_count_every_kind_of_answer() {
    let sim = start().await;
    let tok = token(&sim).await;
    let mut bad_secret = token_form(&sim);
    bad_secret[2].1 = "wrong".to_owned();
    assert_eq!(post_token(&sim, &bad_secret).await.0, StatusCode::UNAUTHORIZED);

    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::OK);
    assert_eq!(get(&sim, AUDITS, Some(&tok)).await.status, StatusCode::OK);
    assert_eq!(get(&sim, SIGNINS, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&sim, "/v1.0/auditLogs/signIns?$top=0", Some(&tok)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&sim, "/v1.0/nothing", Some(&tok)).await.status, StatusCode::NOT_FOUND);
    // An injected 429 is a 429 answered, but not the rate limiter's.
    sim.push_fault(Fault::TooManyRequests { retry_after: Some(2) });
    sim.push_fault(Fault::ServiceUnavailable { retry_after: None });
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(get(&sim, SIGNINS, Some(&tok)).await.status, StatusCode::SERVICE_UNAVAILABLE);

    let stats = sim.stats();
    let by_status: Vec<(u16, u64)> = stats.data_requests.iter().map(|(&s, &n)| (s, n)).collect();
    assert_eq!(by_status, [(200, 2), (400, 1), (401, 1), (429, 1), (503, 1)]);
    assert_eq!(stats.data_requests_total(), 6);
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.tokens_issued, 1);
    // Stats are a snapshot: later requests don't change a copy.
    get(&sim, SIGNINS, Some(&tok)).await;
    assert_eq!(stats.data_requests_with(200), 2);
    assert_eq!(sim.stats().data_requests_with(200), 3);
    // Datasets are irrelevant to the counts; the request log still has them.
    assert!(sim.requests().iter().any(|r| r.path_and_query.starts_with(Dataset::DirectoryAudits.path())));
}
