//! Shared helpers for the HTTP tests: a small sim over a fixed window, a
//! token, and GETs that return status, headers and body.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use graph_sim::control::OPTIONAL_PERMISSIONS;
use graph_sim::{Dataset, GraphSim, Record, SimConfig};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};

pub const ODATA: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A small tenant over 2026-11-22..2026-11-24 so tests stay fast and exact.
pub fn config() -> SimConfig {
    SimConfig {
        from: t("2026-11-22T00:00:00Z"),
        to: t("2026-11-24T00:00:00Z"),
        signins: 600,
        directory_audits: 300,
        signins_noninteractive: 900,
        signins_service_principal: 150,
        signins_managed_identity: 90,
        provisioning: 300,
        risk_detections: 200,
        ..SimConfig::default()
    }
}

pub async fn start() -> GraphSim {
    GraphSim::start(config()).await.unwrap()
}

/// [`config`] for a tenant where every dataset answers: an External ID
/// tenant onboarded to Global Secure Access, whose app holds the optional
/// permissions too.
pub fn open_config() -> SimConfig {
    SimConfig {
        external_id_tenant: true,
        global_secure_access: true,
        extra_permissions: OPTIONAL_PERMISSIONS.iter().map(|p| (*p).to_owned()).collect(),
        ..config()
    }
}

pub fn client() -> Client {
    Client::new()
}

pub fn token_url(sim: &GraphSim) -> String {
    format!("{}/{}/oauth2/v2.0/token", sim.url(), sim.config().tenant_id)
}

/// The standard client-credentials form for `sim`.
pub fn token_form(sim: &GraphSim) -> Vec<(&'static str, String)> {
    let c = sim.config();
    vec![
        ("client_id", c.client_id.clone()),
        ("scope", GRAPH_SCOPE.to_owned()),
        ("client_secret", c.client_secret.clone()),
        ("grant_type", "client_credentials".to_owned()),
    ]
}

pub async fn post_token(sim: &GraphSim, form: &[(&'static str, String)]) -> (StatusCode, serde_json::Value) {
    let resp = client().post(token_url(sim)).form(form).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

pub async fn token(sim: &GraphSim) -> String {
    let (status, body) = post_token(sim, &token_form(sim)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }

    pub fn error_message(&self) -> String {
        self.json()["error"]["message"].as_str().unwrap().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// GET an absolute URL, with a bearer token when given.
pub async fn get_url(url: &str, token: Option<&str>) -> Resp {
    let mut req = client().get(url);
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    let resp = req.send().await.unwrap();
    Resp { status: resp.status(), headers: resp.headers().clone(), body: resp.text().await.unwrap() }
}

/// GET `path_and_query` on the sim.
pub async fn get(sim: &GraphSim, path_and_query: &str, token: Option<&str>) -> Resp {
    get_url(&format!("{}{path_and_query}", sim.url()), token).await
}

/// The `@odata.context` Graph sends with pages of `ds`: the collection
/// after the version's `$metadata` (traffic: after its entity set's, as
/// Microsoft's example prints it).
pub fn context_of(sim: &GraphSim, ds: Dataset) -> String {
    if ds == Dataset::NetworkAccessTraffic {
        return format!("{}/beta/networkAccess/logs/$metadata#traffic", sim.url());
    }
    let (version, collection) = ds.path()[1..].split_once('/').unwrap();
    format!("{}/{version}/$metadata#{collection}", sim.url())
}

/// The keys (`id`, or `transactionId`) of a page's records, in order.
pub fn keys(ds: Dataset, page: &serde_json::Value) -> Vec<String> {
    let key = ds.key_property();
    page["value"].as_array().unwrap().iter().map(|r| r[key].as_str().unwrap().to_owned()).collect()
}

/// Follows nextLinks verbatim from `first`; returns the keys (ids) in order
/// and the number of pages. Each page's `value` must be the stored JSON of
/// its records joined by commas, byte for byte.
pub async fn walk(sim: &GraphSim, ds: Dataset, first: &str, token: &str) -> (Vec<String>, usize) {
    let stored: HashMap<String, Record> = sim.records(ds).into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut url = format!("{}{first}", sim.url());
    let (mut ids, mut pages) = (Vec::new(), 0);
    loop {
        let resp = get_url(&url, Some(token)).await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        assert_eq!(resp.header("content-type"), Some(ODATA));
        pages += 1;
        let v = resp.json();
        let page_ids = keys(ds, &v);
        let joined: Vec<&str> = page_ids.iter().map(|id| stored[id].json.as_str()).collect();
        let expected_tail = format!("\"value\":[{}]}}", joined.join(","));
        assert!(resp.body.ends_with(&expected_tail), "page {pages} is not byte-exact");
        assert_eq!(v["@odata.context"], context_of(sim, ds));
        ids.extend(page_ids);
        match v["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&format!("{}{}?", sim.url(), ds.path())), "{next}");
                url = next.to_owned();
            }
            None => return (ids, pages),
        }
    }
}

/// The first page of `ds` between `lo` and `hi` (both inclusive, `ge`/`le`
/// on its time field), `top` records a page.
pub fn between(ds: Dataset, lo: DateTime<Utc>, hi: DateTime<Utc>, top: usize) -> String {
    let field = ds.time_field();
    format!("{}?$filter={field}%20ge%20{}%20and%20{field}%20le%20{}&$top={top}", ds.path(), ticks(lo), ticks(hi))
}

/// The keys of `ds` whose time lies in `[lo, hi]`, newest first.
pub fn expected(sim: &GraphSim, ds: Dataset, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<String> {
    sim.records(ds).into_iter().filter(|r| r.time >= lo && r.time <= hi).map(|r| r.id).collect()
}

/// Graph's seven-digit form.
pub fn ticks(t: DateTime<Utc>) -> String {
    format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100)
}
