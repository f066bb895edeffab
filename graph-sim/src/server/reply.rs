//! Response shapes: Graph's error envelope and headers, and the Entra token
//! endpoint's error body.
//!
//! Handlers build a [`Reply`] (status, content type, body, extra headers);
//! this module turns it into an HTTP response with the correlation headers
//! Microsoft sends. Error bodies carry ids and timestamps, never a secret or
//! a token (except the errors the `Echo` switch makes on purpose).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;

use super::state::Ids;

/// Content type of Graph data pages.
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
/// Content type of Graph error bodies.
pub const JSON: &str = "application/json";
/// Content type of token endpoint responses.
pub const AAD_JSON: &str = "application/json; charset=utf-8";

/// A response before correlation headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A 200 JSON reply.
    pub fn ok(content_type: &'static str, body: String) -> Self {
        Reply { status: StatusCode::OK, content_type, body, headers: vec![] }
    }

    /// Adds a header.
    pub fn with(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Converts to an HTTP response with Graph's correlation headers.
    pub fn into_graph_response(self, ids: &Ids) -> Response {
        self.with("request-id", ids.request_id.clone())
            .with("client-request-id", ids.client_request_id.clone())
            .with(
                "x-ms-ags-diagnostic",
                r#"{"ServerInfo":{"DataCenter":"Sim West","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"GRAPH-SIM"}}"#.to_owned(),
            )
            .with("strict-transport-security", "max-age=31536000".to_owned())
            .with("cache-control", "no-cache".to_owned())
            .into_response()
    }

    /// Converts to an HTTP response with the token endpoint's headers.
    pub fn into_aad_response(self, ids: &Ids) -> Response {
        self.with("x-ms-request-id", ids.request_id.clone())
            .with("client-request-id", ids.client_request_id.clone())
            .with("cache-control", "no-store, no-cache".to_owned())
            .with("pragma", "no-cache".to_owned())
            .into_response()
    }

    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(name, v);
            }
        }
        resp
    }
}

#[derive(Serialize)]
struct GraphErrorBody<'a> {
    error: GraphError<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GraphError<'a> {
    code: &'a str,
    message: &'a str,
    inner_error: InnerError<'a>,
}

#[derive(Serialize)]
struct InnerError<'a> {
    date: String,
    #[serde(rename = "request-id")]
    request_id: &'a str,
    #[serde(rename = "client-request-id")]
    client_request_id: &'a str,
}

/// Graph's error envelope:
/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
pub fn graph_error(status: StatusCode, code: &str, message: &str, ids: &Ids) -> Reply {
    let body = GraphErrorBody {
        error: GraphError {
            code,
            message,
            inner_error: InnerError {
                date: Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                request_id: &ids.request_id,
                client_request_id: &ids.client_request_id,
            },
        },
    };
    Reply {
        status,
        content_type: JSON,
        body: serde_json::to_string(&body).expect("error bodies serialize"),
        headers: vec![],
    }
}

/// A token endpoint failure, before ids and timestamps are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AadError {
    pub status: StatusCode,
    /// OAuth 2.0 `error`, e.g. `invalid_client`.
    pub error: &'static str,
    /// AADSTS number, e.g. 7000215.
    pub code: u32,
    /// Text after `AADSTS<code>: `.
    pub message: String,
}

#[derive(Serialize)]
struct AadErrorBody<'a> {
    error: &'a str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: &'a str,
    trace_id: &'a str,
    correlation_id: &'a str,
    error_uri: String,
}

impl AadError {
    /// A 400 error.
    pub fn bad_request(error: &'static str, code: u32, message: String) -> Self {
        AadError { status: StatusCode::BAD_REQUEST, error, code, message }
    }

    /// A 401 `invalid_client` error.
    pub fn invalid_client(code: u32, message: String) -> Self {
        AadError { status: StatusCode::UNAUTHORIZED, error: "invalid_client", code, message }
    }

    /// The body login.microsoftonline.com sends.
    pub fn into_reply(self, ids: &Ids) -> Reply {
        let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let body = AadErrorBody {
            error: self.error,
            error_description: format!(
                "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {timestamp}",
                self.code, self.message, ids.request_id, ids.client_request_id
            ),
            error_codes: [self.code],
            timestamp: &timestamp,
            trace_id: &ids.request_id,
            correlation_id: &ids.client_request_id,
            error_uri: format!("https://login.microsoftonline.com/error?code={}", self.code),
        };
        Reply {
            status: self.status,
            content_type: AAD_JSON,
            body: serde_json::to_string(&body).expect("error bodies serialize"),
            headers: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids {
        Ids {
            request_id: "11111111-1111-4111-8111-111111111111".to_owned(),
            client_request_id: "22222222-2222-4222-8222-222222222222".to_owned(),
        }
    }

    #[test]
    fn graph_error_envelope() {
        let r = graph_error(StatusCode::FORBIDDEN, "Code_X", "Some \"message\".", &ids());
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "Code_X");
        assert_eq!(v["error"]["message"], "Some \"message\".");
        assert_eq!(v["error"]["innerError"]["request-id"], ids().request_id);
        assert_eq!(v["error"]["innerError"]["client-request-id"], ids().client_request_id);
        let date = v["error"]["innerError"]["date"].as_str().unwrap();
        assert_eq!(date.len(), 19, "{date}");
    }

    #[test]
    fn aad_error_body() {
        let r = AadError::invalid_client(7000215, "Invalid client secret provided.".to_owned()).into_reply(&ids());
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"], "invalid_client");
        assert_eq!(v["error_codes"], serde_json::json!([7000215]));
        let d = v["error_description"].as_str().unwrap();
        assert!(d.starts_with("AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1111"));
        assert!(d.contains("\r\nCorrelation ID: 2222"));
        assert!(d.contains(&format!("\r\nTimestamp: {}", v["timestamp"].as_str().unwrap())));
        assert_eq!(v["error_uri"], "https://login.microsoftonline.com/error?code=7000215");
    }
}
