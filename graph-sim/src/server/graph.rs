//! `GET` on a data endpoint (`/v1.0/auditLogs/…`, `/beta/auditLogs/…`,
//! `/v1.0/identityProtection/…`, `/beta/networkAccess/logs/traffic`): one
//! page of records, or the error Graph would give instead.
//!
//! Order of checks: method, page delay, bearer token, rate limit (of the
//! dataset's throttle group), the echo switch ([`Echo::Graph`]), queued
//! fault, the app's permission, then the tenant's licence (or kind), query
//! options (strict about `$filter` operators under
//! `refuse_undocumented_filters`), page (capped by `max_page_size`). The
//! page body
//! is built by concatenating stored record JSON verbatim. Datasets with a
//! `Link` notice (beta) carry it on every response. The state lock is taken
//! in short sections and never held across a sleep.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::StreamExt as _;
use futures_util::stream;

use super::reply::{ODATA_JSON, Reply, graph_error};
use super::state::{Ids, Shared, State, lock};
use crate::control::{Echo, Fault};
use crate::dataset::Dataset;
use crate::query::{next_link, parse_query};
use crate::throttle::retry_after_secs;

const EXPIRED: &str = "Lifetime validation failed, the token is expired.";
const WWW_AUTHENTICATE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#;

/// How long a dropped connection holds its half body before the cut, so the
/// headers and the first half reach the client as separate events.
const DROP_PAUSE: Duration = Duration::from_millis(50);

const HTML_ERROR_PAGE: &str = "<!DOCTYPE html>\r\n<html><head><title>Service Unavailable</title></head>\
<body><h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p></body></html>\r\n";

fn unauthorized(message: &str, ids: &Ids) -> Reply {
    graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message, ids)
        .with("www-authenticate", WWW_AUTHENTICATE.to_owned())
}

/// Checks the bearer token.
fn authenticate(state: &State, headers: &HeaderMap, ids: &Ids) -> Result<(), Reply> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized("Access token is empty.", ids));
    };
    match state.tokens.get(token) {
        None => Err(unauthorized("Invalid JWT token.", ids)),
        Some(t) if t.revoked || std::time::Instant::now() >= t.expires_at => Err(unauthorized(EXPIRED, ids)),
        Some(_) => Ok(()),
    }
}

/// Spends a slot of the dataset's throttle group when a rate limit is set;
/// the 429 Graph would send when none is free.
fn admit(state: &mut State, ds: Dataset, ids: &Ids) -> Result<(), Reply> {
    let group = ds.spec().throttle;
    let Some(limit) = group.limit(&state.switches) else {
        return Ok(());
    };
    let Err(wait) = state.throttle.try_start(group, tokio::time::Instant::now(), limit) else {
        return Ok(());
    };
    state.stats.rate_limited += 1;
    let retry_after = retry_after_secs(wait);
    tracing::debug!(dataset = %ds, %limit, retry_after, "rate limited");
    let reply = graph_error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", "Too many requests.", ids);
    Err(if group.sends_retry_after() { reply.with("retry-after", retry_after.to_string()) } else { reply })
}

fn fault_reply(fault: &Fault, ids: &Ids) -> Option<Reply> {
    let with_retry = |status, code, message, retry_after: &Option<u64>| {
        let reply = graph_error(status, code, message, ids);
        match retry_after {
            Some(secs) => reply.with("retry-after", secs.to_string()),
            None => reply,
        }
    };
    Some(match fault {
        Fault::TooManyRequests { retry_after } => {
            with_retry(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", "Too many requests.", retry_after)
        }
        Fault::ServiceUnavailable { retry_after } => {
            with_retry(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Service unavailable.", retry_after)
        }
        Fault::GatewayTimeout => {
            graph_error(StatusCode::GATEWAY_TIMEOUT, "GatewayTimeout", "The operation has timed out.", ids)
        }
        Fault::MalformedBody => Reply::ok("text/html", HTML_ERROR_PAGE.to_owned()),
        Fault::Error { status, code, message } => {
            graph_error(StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), code, message, ids)
        }
        Fault::TruncatedBody | Fault::DropConnection | Fault::Delay(_) | Fault::ExpireTokens => return None,
    })
}

/// The error [`Echo::Graph`] asks for: `status`, with the request's
/// `Authorization` header (the bearer token) in Graph's error message.
fn echo(status: u16, headers: &HeaderMap, ids: &Ids) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = if status.is_server_error() { "InternalServerError" } else { "BadRequest" };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    graph_error(status, code, &format!("echo: Authorization: {authorization}"), ids)
}

/// Switches, query and page: everything after authentication and faults.
fn serve(state: &mut State, ds: Dataset, uri: &Uri, ids: &Ids) -> Reply {
    let spec = ds.spec();
    if !state.grants(spec.permission) {
        let (code, message) = spec.denial.error(spec.permission);
        return graph_error(StatusCode::FORBIDDEN, code, &message, ids);
    }
    if let Some(licence) = spec.licence.filter(|l| !l.held(&state.config, &state.switches)) {
        let (code, message) = licence.error();
        return graph_error(StatusCode::FORBIDDEN, code, message, ids);
    }
    let strict = state.switches.refuse_undocumented_filters;
    let q = match parse_query(uri.query(), spec, &state.skip_key, strict) {
        Ok(q) => q,
        Err(e) => {
            return graph_error(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string(), ids);
        }
    };
    state.ensure(ds);
    // The nextLink keeps the client's $top; only this page is shorter.
    let size = state.switches.max_page_size.map_or(q.top, |cap| q.top.min(cap.max(1)));
    let page = state.store.page(ds, &q.selection, q.cursor.as_ref(), size);
    let next = page.next.as_ref().map(|c| next_link(&state.base_url, spec, &q, c, &state.skip_key));

    let len: usize = page.records.iter().map(|r| r.json.len() + 1).sum();
    let mut body = String::with_capacity(len + 512);
    body.push_str("{\"@odata.context\":");
    body.push_str(&json_string(&format!("{}{}", state.base_url, spec.context)));
    if let Some(next) = next {
        body.push_str(",\"@odata.nextLink\":");
        body.push_str(&json_string(&next));
    }
    body.push_str(",\"value\":[");
    for (i, r) in page.records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&r.json);
    }
    body.push_str("]}");
    Reply::ok(ODATA_JSON, body)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// Cuts a body to about half its length, on a character boundary.
fn truncate_half(mut reply: Reply) -> Reply {
    let mut cut = reply.body.len() / 2;
    while !reply.body.is_char_boundary(cut) {
        cut -= 1;
    }
    reply.body.truncate(cut);
    reply
}

/// Sends `reply`'s status and headers with the full `Content-Length`, then
/// about half its body, then fails the body stream so hyper aborts the
/// connection mid-body.
fn drop_midway(mut reply: Reply, ids: &Ids) -> Response {
    let mut body = Bytes::from(std::mem::take(&mut reply.body));
    let len = body.len();
    let first = body.split_to(len / 2);
    let chunks = stream::iter([Ok(first)]).chain(stream::once(async {
        tokio::time::sleep(DROP_PAUSE).await;
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "connection dropped by Fault::DropConnection"))
    }));
    let mut response = reply.into_graph_response(ids);
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    *response.body_mut() = Body::from_stream(chunks);
    response
}

/// Answers one data request, with the dataset's `Link` notice if it has one.
pub async fn handle(shared: &Shared, ds: Dataset, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let mut response = respond(shared, ds, method, uri, headers).await;
    if let Some(link) = ds.spec().link {
        response.headers_mut().append(header::LINK, HeaderValue::from_static(link));
    }
    response
}

async fn respond(shared: &Shared, ds: Dataset, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let (ids, delay) = {
        let mut s = lock(shared);
        (s.ids(headers), s.switches.page_delay)
    };
    if method != Method::GET {
        return graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "Specified HTTP method is not allowed for the request target.",
            &ids,
        )
        .into_graph_response(&ids);
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fault = {
        let mut s = lock(shared);
        if let Err(reply) = authenticate(&s, headers, &ids).and_then(|()| admit(&mut s, ds, &ids)) {
            return reply.into_graph_response(&ids);
        }
        if let Some(Echo::Graph(status)) = s.switches.echo_request {
            return echo(status, headers, &ids).into_graph_response(&ids);
        }
        let fault = s.faults.pop_front();
        s.stats.faults_injected += u64::from(fault.is_some());
        fault
    };
    if let Some(reply) = fault.as_ref().and_then(|f| fault_reply(f, &ids)) {
        return reply.into_graph_response(&ids);
    }
    match fault {
        Some(Fault::ExpireTokens) => {
            let mut s = lock(shared);
            for t in s.tokens.values_mut() {
                t.revoked = true;
            }
            return unauthorized(EXPIRED, &ids).into_graph_response(&ids);
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    let reply = serve(&mut lock(shared), ds, uri, &ids);
    match fault {
        Some(Fault::TruncatedBody) => truncate_half(reply).into_graph_response(&ids),
        Some(Fault::DropConnection) => drop_midway(reply, &ids),
        _ => reply.into_graph_response(&ids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_utf8() {
        let r = truncate_half(Reply::ok(ODATA_JSON, "ab€€€€".to_owned()));
        assert!(r.body.len() <= 7);
        assert!(r.body.starts_with("ab"));
        assert!(serde_json::from_str::<serde_json::Value>("{\"value\":[").is_err());
    }
}
