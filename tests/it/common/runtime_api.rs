//! A Lambda Runtime API on loopback (the HTTP interface the Lambda service
//! offers a function's runtime), so the real binary can run as a Lambda
//! function in a test: it hands out queued events and records each
//! invocation's response or error.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler returned this JSON.
    Response(Value),
    /// The handler failed: Lambda's `errorType` and `errorMessage`.
    Error { error_type: String, message: String },
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, Value)>,
    outcomes: Vec<(String, Outcome)>,
    init_error: Option<String>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serves `events`, one per invocation, in order.
    pub async fn start(events: Vec<Value>) -> RuntimeApi {
        let mut inner = Inner::default();
        for (i, event) in events.into_iter().enumerate() {
            inner.queue.push_back((format!("request-{i}"), event));
        }
        let shared: Shared = Arc::new(Mutex::new(inner));
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RuntimeApi { addr, shared, server }
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits until `count` invocations have ended (or the function reported
    /// an init error), and returns the outcomes in order.
    pub async fn outcomes(&self, count: usize, timeout: Duration) -> Result<Vec<Outcome>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let inner = self.shared.lock().unwrap();
                if let Some(e) = &inner.init_error {
                    return Err(format!("init error: {e}"));
                }
                if inner.outcomes.len() >= count {
                    return Ok(inner.outcomes.iter().map(|(_, o)| o.clone()).collect());
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err("timed out waiting for invocations".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Shared>) -> impl IntoResponse {
    // Like Lambda, hold the request until there is an event.
    loop {
        let item = shared.lock().unwrap().queue.pop_front();
        if let Some((id, event)) = item {
            let deadline = chrono::Utc::now().timestamp_millis() + 900_000;
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_str(&id).unwrap());
            headers.insert("lambda-runtime-deadline-ms", HeaderValue::from_str(&deadline.to_string()).unwrap());
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:entra-archive"),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                HeaderValue::from_static("Root=1-5759e988-bd862e3fe1be46a994272793"),
            );
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            return (StatusCode::OK, headers, event.to_string());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    shared.lock().unwrap().outcomes.push((id, Outcome::Response(value)));
    StatusCode::ACCEPTED
}

async fn error(State(shared): State<Shared>, Path(id): Path<String>, body: String) -> StatusCode {
    let value: Value = serde_json::from_str(&body).unwrap_or_default();
    let outcome = Outcome::Error {
        error_type: value["errorType"].as_str().unwrap_or_default().to_string(),
        message: value["errorMessage"].as_str().unwrap_or_default().to_string(),
    };
    shared.lock().unwrap().outcomes.push((id, outcome));
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Shared>, body: String) -> StatusCode {
    shared.lock().unwrap().init_error = Some(body);
    StatusCode::ACCEPTED
}
