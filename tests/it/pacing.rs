//! Client-side pacing against a graph-sim that throttles as Graph does (a
//! sliding window of requests per tenant, 429 with Retry-After beyond it).
//! The window is scaled down from Graph's 5 per 10 s to keep the test short;
//! the arithmetic is the same.

use std::time::{Duration, Instant};

use crate::common::*;
use entra_archive::RunSummary;
use graph_sim::{Dataset, RateLimit};

async fn export(h: &Harness, budget: &str) -> (RunSummary, Duration) {
    let archiver = h.archiver(h.settings(t("2026-11-20T04:00:00Z"), budget)).await;
    let began = Instant::now();
    let summary = archiver.run(archiver.default_request()).await.unwrap();
    (summary, began.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paced_run_stays_under_the_budget_and_provokes_no_429() {
    let h = Harness::start(sim_config(60)).await;
    // 4 hours × 2 datasets in pages of 20: over a dozen requests at 5 per 500 ms.
    h.sim.set_switches(|s| {
        s.rate_limit = Some(RateLimit { requests: 5, window: Duration::from_millis(500) });
        s.max_page_size = Some(20);
    });
    let (summary, took) = export(&h, "5/500ms").await;
    assert!(summary.complete, "{}", summary.to_json());
    let stats = h.sim.stats();
    assert_eq!(stats.rate_limited, 0, "no 429 from the server's limiter: {stats:?}");
    let requests = stats.data_requests_total();
    assert!(requests >= 10, "{requests} requests");
    // As fast as the budget allows, and no faster: n requests need (n−1)/5 windows.
    let floor = Duration::from_millis(500) * ((requests as u32 - 1) / 5);
    assert!(took >= floor, "{requests} requests in {took:?}, faster than the budget allows");
    assert!(took < floor + Duration::from_secs(3), "{requests} requests in {took:?}: idle time between requests");
    let records = h.rows("signins").len() + h.rows("directory_audits").len();
    let expected = h.expected(Dataset::SignIns, t(FROM), t("2026-11-20T04:00:00Z")).len()
        + h.expected(Dataset::DirectoryAudits, t(FROM), t("2026-11-20T04:00:00Z")).len();
    assert_eq!(records, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpaced_run_is_throttled_and_still_archives_everything() {
    let h = Harness::start(sim_config(61)).await;
    // Pages of 10: some thirty requests, far more than 4 a second.
    h.sim.set_switches(|s| {
        s.rate_limit = Some(RateLimit { requests: 4, window: Duration::from_secs(1) });
        s.max_page_size = Some(10);
    });
    let (summary, _) = export(&h, "1000/1s").await;
    assert!(summary.complete, "{}", summary.to_json());
    assert!(h.sim.stats().rate_limited > 0, "the server throttled the unpaced client");
    let expected = h.expected(Dataset::SignIns, t(FROM), t("2026-11-20T04:00:00Z")).len();
    assert_eq!(h.rows("signins").len(), expected, "every 429 was retried after Retry-After");
}
