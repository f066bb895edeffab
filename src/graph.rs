//! Paged GETs against Microsoft Graph's activity-report endpoints.
//!
//! Takes a dataset and a time slice, builds the `$filter` query, and hands on
//! a stream of pages, each the exact JSON text of its records plus the
//! `@odata.nextLink` to follow (verbatim, never rebuilt). A page is accepted
//! only once it parses completely; throttling, server errors, broken
//! connections and truncated bodies are retried from the same URL (see
//! `retry`); a 401 fetches a fresh token once. Every request waits for a slot
//! in the tenant's request budget (`pace`). HTTP answers become [`Error`] variants keyed on Graph's
//! `error.code`. The page stream ([`Pages`]) counts the requests it made, so
//! whoever reads it learns what reading cost. The bearer token is never
//! logged.

use std::collections::HashSet;
use std::ops::AddAssign;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::debug;
use url::{Position, Url};

use crate::datasets::{DatasetDef, RangeOps};
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::pace::Pacers;
use crate::quarantine::Rejected;
use crate::retry::{RetryPolicy, retrying};
use crate::token::TokenClient;

/// Graph's paging link.
pub(crate) const NEXT_LINK: &str = "@odata.nextLink";
/// Pages in a row without a record, each pointing to yet another page,
/// after which a chain counts as endless.
const MAX_EMPTY_PAGES: u32 = 20;

/// One page of a collection.
#[derive(Debug)]
pub(crate) struct Page {
    /// Each record's JSON text, exactly as sent.
    pub records: Vec<Box<RawValue>>,
    /// Records whose bytes are not UTF-8 text: `raw` could not hold them
    /// exactly, so they go to quarantine, never altered.
    pub rejected: Vec<Rejected>,
    /// The next page, if any.
    pub next_link: Option<Url>,
}

/// Requests made for one dataset (the summary's and metrics' counters).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestStats {
    /// Pages received and parsed.
    pub pages: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Requests repeated after a failure (retried, or after a fresh token).
    pub retries: u64,
}

impl AddAssign for RequestStats {
    fn add_assign(&mut self, other: RequestStats) {
        self.pages += other.pages;
        self.throttled += other.throttled;
        self.retries += other.retries;
    }
}

/// The pages of one query, read one at a time, following `@odata.nextLink`
/// until it is absent; every request they take is counted in the caller's
/// [`RequestStats`] as it ends, so the count survives an error or a dropped
/// stream.
pub(crate) struct Pages<'a> {
    graph: &'a GraphClient,
    def: &'static DatasetDef,
    next: Option<Url>,
    deadline: Option<&'a Deadline>,
    requests: &'a mut RequestStats,
    /// Every page URL followed so far: a link back to one is a loop.
    followed: HashSet<Url>,
    /// Pages in a row that held no record.
    empty_in_a_row: u32,
}

impl Pages<'_> {
    /// The next page, or `None` after the last. A chain that loops (a
    /// `@odata.nextLink` to a page already read) or runs on without records
    /// is an error, so a misbehaving server cannot spend the tenant's
    /// request budget without end.
    pub(crate) async fn next(&mut self) -> Result<Option<Page>> {
        let Some(url) = self.next.take() else { return Ok(None) };
        let page = self.graph.get_page(self.def, &url, self.deadline, self.requests).await;
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                self.next = Some(url);
                return Err(e);
            }
        };
        self.followed.insert(url.clone());
        self.empty_in_a_row = if page.records.is_empty() { self.empty_in_a_row + 1 } else { 0 };
        let problem = match &page.next_link {
            Some(next) if self.followed.contains(next) => {
                Some("sent a @odata.nextLink to a page it had sent before: the chain loops".to_string())
            }
            Some(_) if self.empty_in_a_row >= MAX_EMPTY_PAGES => Some(format!(
                "sent {MAX_EMPTY_PAGES} pages in a row without a record, each pointing to yet another page"
            )),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Error::PagingLoop { path: query_pattern(&url), problem });
        }
        self.next = page.next_link.clone();
        Ok(Some(page))
    }
}

/// A page URL as a pattern for messages: its path and query with the value
/// of the paging token left out.
fn query_pattern(url: &Url) -> String {
    let mut pattern = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| match k.eq_ignore_ascii_case("$skiptoken") {
            true => (k.into_owned(), "…".to_string()),
            false => (k.into_owned(), v.into_owned()),
        })
        .collect();
    pattern.query_pairs_mut().clear().extend_pairs(pairs);
    display_path(&pattern)
}

/// Reads pages from Graph.
#[derive(Debug, Clone)]
pub(crate) struct GraphClient {
    http: reqwest::Client,
    base: Url,
    tokens: Arc<TokenClient>,
    retry: RetryPolicy,
    pacers: Arc<Pacers>,
}

#[derive(Deserialize)]
struct WirePage {
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    value: Vec<Box<RawValue>>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Formats a time as Graph's filters take it: UTC, `Z`, and only as many
/// fractional digits as needed (at most 7, Graph's precision).
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_nanos() == 0 {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        let ticks = t.timestamp_subsec_nanos() / 100;
        format!("{}.{ticks:07}Z", t.format("%Y-%m-%dT%H:%M:%S"))
    }
}

/// The first page URL for `[start, end]` of a dataset. Both bounds are
/// inclusive (Graph documents only `ge`/`le` on these fields); callers drop
/// records outside their half-open slice.
pub(crate) fn slice_url(base: &Url, def: &DatasetDef, start: DateTime<Utc>, end: DateTime<Utc>) -> Url {
    let mut url = base.clone();
    url.path_segments_mut().expect("validated http(s) URL").pop_if_empty().extend(def.path.split('/'));
    let field = def.time_field;
    let range = match def.range {
        RangeOps::GeLe => format!("{field} ge {} and {field} le {}", format_time(start), format_time(end)),
        RangeOps::GtLt => {
            let before = start - chrono::TimeDelta::nanoseconds(100);
            format!("{field} gt {} and {field} lt {}", format_time(before), format_time(end))
        }
    };
    let filter = match def.filter {
        Some(clause) => format!("({range}) and {clause}"),
        None => range,
    };
    url.query_pairs_mut().append_pair("$filter", &filter).append_pair("$top", &def.page_size.to_string());
    url
}

/// Parses a collection page. Fails unless the whole body is a JSON object
/// with a `value` array (a truncated body fails here).
pub(crate) fn parse_page(body: &str) -> std::result::Result<(Vec<Box<RawValue>>, Option<String>), String> {
    let page: WirePage = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok((page.value, page.next_link))
}

/// A page's records, the records set aside, and its `@odata.nextLink`.
pub(crate) type PageParts = (Vec<Box<RawValue>>, Vec<Rejected>, Option<String>);

/// Parses a page's bytes: as [`parse_page`] when they are UTF-8 (always,
/// from a sound server); otherwise each record whose own bytes are not UTF-8
/// is set aside whole ([`Rejected`]) and the others are kept exactly. Never
/// replaces a byte of a record that is kept.
pub(crate) fn parse_page_bytes(body: &[u8]) -> std::result::Result<PageParts, String> {
    if let Ok(text) = std::str::from_utf8(body) {
        return parse_page(text).map(|(records, next)| (records, Vec::new(), next));
    }
    // Stand each invalid byte in for a '?' (one byte for one, so offsets
    // hold), parse that, and take each record's bytes from the original.
    let mut masked = body.to_vec();
    let mut at = 0;
    while let Err(e) = std::str::from_utf8(&masked[at..]) {
        let bad = at + e.valid_up_to();
        let len = e.error_len().unwrap_or(masked.len() - bad);
        masked[bad..bad + len].fill(b'?');
        at = bad + len;
    }
    let masked = String::from_utf8(masked).expect("every invalid byte was replaced");
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        #[serde(rename = "@odata.nextLink")]
        next_link: Option<String>,
        #[serde(borrow)]
        value: Vec<&'a RawValue>,
    }
    let page: Borrowed = serde_json::from_str(&masked).map_err(|e| e.to_string())?;
    let (mut records, mut rejected) = (Vec::new(), Vec::new());
    for raw in page.value {
        let start = raw.get().as_ptr() as usize - masked.as_ptr() as usize;
        let original = &body[start..start + raw.get().len()];
        match std::str::from_utf8(original) {
            Ok(text) => records.push(RawValue::from_string(text.to_string()).map_err(|e| e.to_string())?),
            Err(e) => rejected.push(Rejected {
                bytes: original.to_vec(),
                reason: format!(
                    "the record's text is not UTF-8 (byte {} of it): raw could not hold it exactly",
                    e.valid_up_to()
                ),
            }),
        }
    }
    Ok((records, rejected, page.next_link))
}

/// `Retry-After` in seconds, as sent (the retry loop bounds the waits).
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Turns a non-success answer into the error a caller can act on.
fn classify(def: &DatasetDef, status: StatusCode, headers: &HeaderMap, body: &str, path: String) -> Error {
    let ErrorDetail { code, message } = serde_json::from_str::<ErrorBody>(body).unwrap_or_default().error;
    // What Graph says may echo the request (its bearer token): masked before it becomes a message.
    let mask = crate::redact::redacted;
    let (code, message, path) = (mask(&code), mask(&message), mask(&path));
    let status_code = status.as_u16();
    match status_code {
        429 | 503 | 504 => Error::Throttled { status: status_code, retry_after: parse_retry_after(headers), path },
        401 => Error::Unauthorized { code, message, path },
        // No licence for the log, or a tenant of another kind (sign-ups
        // exist only in External ID tenants).
        403 if matches!(
            code.as_str(),
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant" | "Authentication_RequestFromUnsupportedTenantType"
        ) =>
        {
            Error::Licence { dataset: def.name, licence: def.licence.unwrap_or("Microsoft Entra ID P1 or P2"), code }
        }
        // A time filter Microsoft does not document for this endpoint.
        400 if !def.filter_documented && path.contains("$filter=") => {
            let filter = path.split("$filter=").nth(1).unwrap_or_default();
            let filter = filter.split("&$").next().unwrap_or(filter).to_string();
            Error::FilterRefused { dataset: def.name, filter, message: non_empty(message, body) }
        }
        403 if matches!(
            code.as_str(),
            "Authentication_MSGraphPermissionMissing"
                | "Authorization_RequestDenied"
                | "Authentication_ApplicationHasNoReadAuditLogDataAccess"
                | "Authentication_ApplicationHasNoDirectoryReadAccess"
        ) =>
        {
            Error::Permission { dataset: def.name, permissions: def.permissions, code, message }
        }
        500..=599 => Error::Server { status: status_code, code, message, path },
        _ => Error::Refused { status: status_code, code, message: non_empty(message, body), path },
    }
}

fn non_empty(message: String, body: &str) -> String {
    if message.is_empty() { crate::redact::redact(body).chars().take(300).collect() } else { message }
}

/// A URL's origin and path, without its query (where tokens could be).
fn display_path_of(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

fn display_path(url: &Url) -> String {
    let text = &url[Position::BeforePath..];
    percent_decode(text)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('&', "%26")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_string())
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

impl GraphClient {
    /// A client for Graph at `base`.
    pub(crate) fn new(
        http: reqwest::Client,
        base: Url,
        tokens: Arc<TokenClient>,
        retry: RetryPolicy,
        pacers: Arc<Pacers>,
    ) -> Self {
        GraphClient { http, base, tokens, retry, pacers }
    }

    /// The Graph base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The pages of the query starting at `first`; the requests they take
    /// are added to `requests`.
    pub(crate) fn pages<'a>(
        &'a self,
        def: &'static DatasetDef,
        first: Url,
        deadline: Option<&'a Deadline>,
        requests: &'a mut RequestStats,
    ) -> Pages<'a> {
        Pages { graph: self, def, next: Some(first), deadline, requests, followed: HashSet::new(), empty_in_a_row: 0 }
    }

    /// One page, retried as the policy says (never past the deadline); a 401
    /// refreshes the token once. Every request made is counted in `requests`.
    pub(crate) async fn get_page(
        &self,
        def: &'static DatasetDef,
        url: &Url,
        deadline: Option<&Deadline>,
        requests: &mut RequestStats,
    ) -> Result<Page> {
        let (attempts, throttled) = (AtomicU64::new(0), AtomicU64::new(0));
        let mut refreshed = false;
        let result = loop {
            let attempt = || async {
                attempts.fetch_add(1, Ordering::Relaxed);
                let result = self.get_once(def, url, deadline).await;
                if matches!(result, Err(Error::Throttled { status: 429, .. })) {
                    throttled.fetch_add(1, Ordering::Relaxed);
                }
                result
            };
            match retrying(&self.retry, deadline, def.name, attempt).await {
                Err(Error::Unauthorized { .. }) if !refreshed => {
                    debug!(dataset = def.name, "Graph answered 401; fetching a new token");
                    self.tokens.invalidate().await;
                    refreshed = true;
                }
                other => break other,
            }
        };
        *requests += RequestStats {
            pages: result.is_ok() as u64,
            throttled: throttled.into_inner(),
            retries: attempts.into_inner().saturating_sub(1),
        };
        result
    }

    async fn get_once(&self, def: &'static DatasetDef, url: &Url, deadline: Option<&Deadline>) -> Result<Page> {
        let path = display_path(url);
        // The slot in the budget first (a stop ends the wait), then the
        // token, fresh for the request about to leave.
        let slot = self.pacers.of(def.throttle).wait();
        match deadline {
            Some(deadline) => deadline.unless_stopped(slot).await.ok_or(Error::Stopped)?,
            None => slot.await,
        }
        let token = self.tokens.bearer().await?;
        let http_error = |e: reqwest::Error| Error::Http { url: path.clone(), source: e.without_url() };
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(token.expose())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(http_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_redirection() {
            let location = headers.get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("nowhere");
            let location = Url::parse(location).map_or_else(|_| location.to_string(), |l| display_path_of(&l));
            return Err(Error::Redirected { server: "Graph", status: status.as_u16(), location, path });
        }
        let body = response.bytes().await.map_err(http_error)?;
        if !status.is_success() {
            return Err(classify(def, status, &headers, &String::from_utf8_lossy(&body), path));
        }
        let (records, rejected, next) =
            parse_page_bytes(&body).map_err(|problem| Error::MalformedPage { path: path.clone(), problem })?;
        let next_link = match next {
            None => None,
            Some(link) => {
                let next = Url::parse(&link).map_err(|e| Error::MalformedPage {
                    path: path.clone(),
                    problem: format!("{NEXT_LINK} is not a URL: {e}"),
                })?;
                if !same_origin(&next, &self.base) {
                    return Err(Error::Refused {
                        status: status.as_u16(),
                        code: "UnexpectedNextLink".into(),
                        message: format!(
                            "{NEXT_LINK} points to {}, not to GRAPH_BASE_URL {}; refusing to send the token there",
                            next.origin().ascii_serialization(),
                            self.base.origin().ascii_serialization()
                        ),
                        path,
                    });
                }
                Some(next)
            }
        };
        debug!(dataset = def.name, records = records.len(), more = next_link.is_some(), "page");
        Ok(Page { records, rejected, next_link })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;
    use reqwest::header::HeaderValue;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn times_use_graph_precision() {
        assert_eq!(format_time(t("2026-11-24T09:00:00Z")), "2026-11-24T09:00:00Z");
        assert_eq!(format_time(t("2026-11-24T09:00:00.6195833Z")), "2026-11-24T09:00:00.6195833Z");
        assert_eq!(format_time(t("2026-11-24T09:00:00.5Z")), "2026-11-24T09:00:00.5000000Z");
    }

    #[test]
    fn slice_urls_filter_on_the_datasets_time_field() {
        let base: Url = "https://graph.microsoft.com".parse().unwrap();
        let url = slice_url(
            &base,
            by_name("directory_audits").unwrap(),
            t("2026-11-24T08:00:00Z"),
            t("2026-11-24T09:00:00Z"),
        );
        assert_eq!(url.path(), "/v1.0/auditLogs/directoryAudits");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                (
                    "$filter".into(),
                    "activityDateTime ge 2026-11-24T08:00:00Z and activityDateTime le 2026-11-24T09:00:00Z".into()
                ),
                ("$top".into(), "1000".into())
            ]
        );
        let url = slice_url(
            &base,
            by_name("signins_service_principal").unwrap(),
            t("2026-11-24T08:00:00Z"),
            t("2026-11-24T09:00:00Z"),
        );
        assert_eq!(url.path(), "/beta/auditLogs/signIns");
        assert_eq!(
            url.query_pairs().next().unwrap().1,
            "(createdDateTime ge 2026-11-24T08:00:00Z and createdDateTime le 2026-11-24T09:00:00Z) \
             and signInEventTypes/any(t: t eq 'servicePrincipal')"
        );
        let url =
            slice_url(&base, by_name("provisioning").unwrap(), t("2026-11-24T08:00:00Z"), t("2026-11-24T09:00:00Z"));
        assert_eq!(
            url.query_pairs().next().unwrap().1,
            "activityDateTime gt 2026-11-24T07:59:59.9999999Z and activityDateTime lt 2026-11-24T09:00:00Z",
            "provisioning documents gt/lt only: exactly [start, end) at 100 ns"
        );
        let with_path: Url = "http://127.0.0.1:9/prefix/".parse().unwrap();
        let url =
            slice_url(&with_path, by_name("signins").unwrap(), t("2026-11-24T08:00:00Z"), t("2026-11-24T09:00:00Z"));
        assert_eq!(url.path(), "/prefix/v1.0/auditLogs/signIns");
    }

    #[test]
    fn microsoft_example_page_parses_with_its_next_link() {
        let body = include_str!("../tests/fixtures/signins_v1_doc_example.json");
        let (records, next) = parse_page(body).unwrap();
        assert_eq!(records.len(), 1);
        assert!(records[0].get().starts_with("{\n            \"id\": \"66ea54eb"));
        assert!(next.unwrap().contains("$skiptoken=70f66c08"));
        let (records, next) =
            parse_page(include_str!("../tests/fixtures/directory_audits_v1_doc_example.json")).unwrap();
        assert_eq!((records.len(), next), (1, None));
    }

    #[test]
    fn truncated_or_foreign_bodies_are_rejected() {
        let body = include_str!("../tests/fixtures/signins_v1_doc_example.json");
        for cut in [body.len() / 2, body.len() - 3, 1] {
            assert!(parse_page(&body[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse_page("<html>Service Unavailable</html>").is_err());
        assert!(parse_page(r#"{"error":{"code":"x"}}"#).is_err());
    }

    fn graph_error(code: &str) -> String {
        format!(r#"{{"error":{{"code":"{code}","message":"msg for {code}","innerError":{{"request-id":"r"}}}}}}"#)
    }

    #[test]
    fn errors_are_classified_by_status_and_code() {
        let signins = by_name("signins").unwrap();
        let none = HeaderMap::new();
        let path = || "/v1.0/auditLogs/signIns?x".to_string();
        let c = |status: u16, body: &str, headers: &HeaderMap| {
            classify(signins, StatusCode::from_u16(status).unwrap(), headers, body, path())
        };
        assert!(matches!(
            c(403, &graph_error("Authentication_RequestFromNonPremiumTenantOrB2CTenant"), &none),
            Error::Licence { .. }
        ));
        for code in ["Authentication_MSGraphPermissionMissing", "Authorization_RequestDenied"] {
            let e = c(403, &graph_error(code), &none);
            assert!(matches!(e, Error::Permission { .. }), "{code}");
            assert!(e.to_string().contains("AuditLog.Read.All and Directory.Read.All"), "{e}");
        }
        let e = c(400, &graph_error("BadRequest"), &none);
        assert!(matches!(e, Error::Refused { status: 400, .. }) && !e.is_retryable());
        assert!(
            e.to_string().contains("msg for BadRequest") && e.to_string().contains("/v1.0/auditLogs/signIns"),
            "{e}"
        );
        assert!(matches!(c(401, &graph_error("InvalidAuthenticationToken"), &none), Error::Unauthorized { .. }));
        let mut retry = HeaderMap::new();
        retry.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let e = c(429, "", &retry);
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(c(503, "", &none).retry_after(), None);
        assert!(
            c(503, "", &none).is_retryable() && c(504, "", &none).is_retryable() && c(500, "", &none).is_retryable()
        );
        assert!(!c(403, &graph_error("Other"), &none).is_retryable());
        assert!(c(404, "<html>", &none).to_string().contains("<html>"));
    }

    /// Issue 14, finding 12: text that is not UTF-8 is never altered into
    /// `raw`: the record is set aside, the others kept byte for byte.
    #[test]
    fn a_record_that_is_not_utf8_is_set_aside_and_the_others_kept_exactly() {
        let body = b"{\"value\":[{\"id\":\"a\",\"n\":\"Zo\xc3\xab\"},{\"id\":\"b\",\"n\":\"\xff\xfe\"},{\"id\":\"c\"}],\"@odata.nextLink\":\"https://g/x\"}";
        let (records, rejected, next) = parse_page_bytes(body).unwrap();
        let kept: Vec<&str> = records.iter().map(|r| r.get()).collect();
        assert_eq!(kept, ["{\"id\":\"a\",\"n\":\"Zoë\"}", "{\"id\":\"c\"}"]);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].bytes, b"{\"id\":\"b\",\"n\":\"\xff\xfe\"}");
        assert!(rejected[0].reason.contains("not UTF-8"), "{}", rejected[0].reason);
        assert_eq!(next.as_deref(), Some("https://g/x"));
        assert!(parse_page_bytes(b"{\"value\":[\xff]}").is_err(), "outside a record: a malformed page");
    }

    #[test]
    fn retry_after_is_read_as_sent_and_only_in_seconds() {
        // The retry loop bounds what it waits (`RetryPolicy::max_wait`).
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("100000"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(100_000)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn paths_in_messages_are_readable() {
        let url: Url = "https://graph.microsoft.com/v1.0/auditLogs/signIns?%24filter=createdDateTime+ge+2026-11-24T08%3A00%3A00Z&%24top=1000".parse().unwrap();
        assert_eq!(
            display_path(&url),
            "/v1.0/auditLogs/signIns?$filter=createdDateTime ge 2026-11-24T08:00:00Z&$top=1000"
        );
    }

    #[test]
    fn next_links_must_stay_on_the_graph_host() {
        let base: Url = "https://graph.microsoft.com".parse().unwrap();
        assert!(same_origin(&base, &"https://graph.microsoft.com:443/v1.0/x?$skiptoken=1".parse().unwrap()));
        assert!(!same_origin(&base, &"https://evil.example/v1.0/x".parse().unwrap()));
        assert!(!same_origin(&base, &"http://graph.microsoft.com/v1.0/x".parse().unwrap()));
    }
}
