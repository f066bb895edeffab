//! Issue 16: a request takes its token when it is about to leave, after
//! its wait for a slot in the request budget (`graph` and `token` together,
//! against a bare loopback Entra and Graph on a paused clock).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::credentials::Credential;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::token::TokenClient;

/// Issue 16: a token is taken when its request is about to leave, after
/// the wait for a slot in the request budget. A token that was fresh
/// before a long pacer wait but would expire during it is not sent: the
/// request gets a fresh one.
#[tokio::test(start_paused = true)]
async fn a_token_that_expires_during_the_pacer_wait_is_not_sent() {
    use crate::graph::{GraphClient, RequestStats};
    use crate::pace::{Budget, Pacers};

    // Tokens live 600 s (refreshed 60 s before); one request per 600 s
    // (612 s apart): the second request leaves after the first token died.
    let (base, log) = loopback_entra(Duration::from_secs(600)).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let creds = crate::credentials::ClientCredentials {
        tenant_id: "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5".into(),
        client_id: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d".into(),
        credential: Credential::Secret(Secret::new("s3cret-value")),
    };
    let source = Arc::new(crate::credentials::StaticCredentials(creds));
    let assertions = Arc::new(crate::federation::Assertions::new(crate::aws::Aws::standard(), "unused"));
    let tokens = Arc::new(TokenClient::new(http.clone(), &base, &base, source, assertions));
    let budget = Budget { requests: 1, window: Duration::from_secs(600) };
    let pacers = Arc::new(Pacers::new((budget, budget, budget)));
    let graph = GraphClient::new(http, base.clone(), tokens, RetryPolicy::default(), pacers);
    let def = crate::datasets::by_name("directory_audits").unwrap();
    let url = base.join("v1.0/auditLogs/directoryAudits").unwrap();
    let began = Instant::now();
    for _ in 0..2 {
        graph.get_page(def, &url, None, &mut RequestStats::default()).await.unwrap();
    }
    assert!(began.elapsed() >= Duration::from_secs(612), "the second request waited for the budget");
    let log = log.lock().unwrap();
    assert_eq!(log.issued, 2, "a fresh token for the second request");
    assert_eq!(log.sent, [("t1".to_string(), true), ("t2".to_string(), true)], "never an expired token");
}

/// What [`loopback_entra`] saw.
#[derive(Debug, Default)]
struct EntraLog {
    /// Tokens issued: `t1`, `t2`, …
    issued: usize,
    /// When each token expires (Tokio's clock).
    expiry: std::collections::HashMap<String, Instant>,
    /// Each data request's token, and whether it was still valid.
    sent: Vec<(String, bool)>,
}

/// A token endpoint and a Graph collection (always empty) on a loopback
/// port: a bare HTTP/1.1 server with no timers of its own, so a paused
/// clock moves only for the client's waits.
async fn loopback_entra(lifetime: Duration) -> (Url, Arc<std::sync::Mutex<EntraLog>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
    let log = Arc::new(std::sync::Mutex::new(EntraLog::default()));
    let served = log.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                let n = socket.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
                if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
            };
            let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            while request.len() < head_end + length {
                let n = socket.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            let body = {
                let mut log = served.lock().unwrap();
                if head.starts_with("post ") && head.contains("/oauth2/v2.0/token") {
                    log.issued += 1;
                    let token = format!("t{}", log.issued);
                    log.expiry.insert(token.clone(), Instant::now() + lifetime);
                    format!(r#"{{"access_token":"{token}","expires_in":{},"token_type":"Bearer"}}"#, lifetime.as_secs())
                } else {
                    let token = head.lines().find_map(|l| l.strip_prefix("authorization: bearer ")).unwrap();
                    let valid = log.expiry.get(token.trim()).is_some_and(|&e| Instant::now() < e);
                    log.sent.push((token.trim().to_string(), valid));
                    r#"{"value":[]}"#.to_string()
                }
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
        }
    });
    (base, log)
}
