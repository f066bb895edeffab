//! The running simulator: an axum server on loopback and the [`GraphSim`]
//! handle tests hold.
//!
//! One fallback handler routes by hand — the token endpoint by its path
//! shape, data endpoints by case-insensitive path, anything else to Graph's
//! 404 — so that path matching behaves like Microsoft's rather than like a
//! router's. Every answered request is appended to the request log, counted
//! in the stats and traced as one line (method, path, status); bodies, secrets,
//! assertions and bearer tokens never reach any of them. A token request
//! with a federated assertion is answered in two steps around the fetch of
//! its issuer's keys, with the state unlocked in between (`token`).

mod assertion;
mod certificate;
mod credential;
mod federation;
mod graph;
mod jwt;
mod registration;
mod reply;
mod state;
mod token;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::config::SimConfig;
use crate::control::{Fault, RequestLog, SimStats, Switches};
use crate::dataset::{Dataset, SignInEventType};
use crate::record::Record;
use crate::serving::Serving;
use reply::graph_error;
use state::{Shared, State, lock};
use token::Step;

/// A running simulated tenant. Dropping it (or calling
/// [`GraphSim::shutdown`]) stops the server.
#[derive(Debug)]
pub struct GraphSim {
    shared: Shared,
    config: SimConfig,
    url: String,
    serving: Serving,
}

/// What every request handler shares: the state, and the HTTP client that
/// fetches federated issuers' keys.
#[derive(Clone)]
struct App {
    shared: Shared,
    http: reqwest::Client,
}

/// `Some(tenant)` when `path` is `/{tenant}/oauth2/v2.0/token`.
fn token_tenant(path: &str) -> Option<&str> {
    let (tenant, rest) = path.strip_prefix('/')?.split_once('/')?;
    (!tenant.is_empty() && rest.eq_ignore_ascii_case("oauth2/v2.0/token")).then_some(tenant)
}

async fn dispatch(
    AxumState(App { shared, http }): AxumState<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let (response, logged, route) = if let Some(tenant) = token_tenant(path) {
        let (response, federated) = token_request(&shared, &http, tenant, &method, &headers, &body).await;
        (response, path.to_owned(), Route::Token { federated })
    } else if let Some(ds) = Dataset::from_path(path) {
        let response = graph::handle(&shared, ds, &method, &uri, &headers).await;
        (response, path_and_query(&uri), Route::Data)
    } else {
        let ids = lock(&shared).ids(&headers);
        let message =
            format!("Resource not found for the segment '{}'.", path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(""));
        let reply = graph_error(StatusCode::NOT_FOUND, "ResourceNotFound", &message, &ids);
        (reply.into_graph_response(&ids), path_and_query(&uri), Route::Other)
    };
    let status = response.status().as_u16();
    tracing::info!(%method, path = %logged, status, "request served");
    let mut s = lock(&shared);
    match route {
        Route::Token { federated } => {
            let issued = u64::from(status == 200);
            s.stats.token_requests += 1;
            s.stats.tokens_issued += issued;
            if federated {
                s.stats.federated_token_requests += 1;
                s.stats.federated_tokens_issued += issued;
            }
        }
        Route::Data => *s.stats.data_requests.entry(status).or_default() += 1,
        Route::Other => {}
    }
    s.log.push(RequestLog { method: method.to_string(), path_and_query: logged, status });
    response
}

/// Answers a token request: at once, or (a federated assertion) after
/// fetching the issuer's keys with the state unlocked. Also says whether
/// the request carried a federated assertion.
async fn token_request(
    shared: &Shared,
    http: &reqwest::Client,
    tenant: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, bool) {
    let (step, ids) = {
        let mut s = lock(shared);
        let ids = s.ids(headers);
        (token::begin(&mut s, tenant, method, headers, body, &ids), ids)
    };
    match step {
        Step::Done { reply, federated } => (reply.into_aad_response(&ids), federated),
        Step::Federated(pending) => {
            let keys = federation::fetch_keys(http, pending.issuer()).await;
            let reply = token::resume(&mut lock(shared), &pending, keys, &ids);
            (reply.into_aad_response(&ids), true)
        }
    }
}

/// Which counters a request moves.
enum Route {
    Token { federated: bool },
    Data,
    Other,
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

impl GraphSim {
    /// Starts a simulator on `127.0.0.1`, on a free port.
    pub async fn start(config: SimConfig) -> std::io::Result<GraphSim> {
        GraphSim::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a simulator on `addr`. Fails with `ErrorKind::InvalidInput` when
    /// `config.client_certificate_pem` is not a usable RSA certificate,
    /// `config.extra_permissions` names a permission the sim does not model,
    /// or `config.federated_credentials` holds more than Entra allows
    /// ([`crate::config::MAX_FEDERATED_CREDENTIALS`]) or one it would refuse.
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> std::io::Result<GraphSim> {
        config.check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let http = reqwest::Client::builder().build().map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = State::new(config.clone(), url.clone())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("client certificate: {e}")))?;
        let shared: Shared = Arc::new(Mutex::new(state));
        let app = Router::new().fallback(dispatch).with_state(App { shared: Arc::clone(&shared), http });
        Ok(GraphSim { shared, config, url, serving: Serving::spawn(listener, app) })
    }

    /// Base URL for both Graph and login, e.g. `http://127.0.0.1:53124`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The configuration the simulator started with. Credentials changed
    /// later ([`GraphSim::set_client_secret`],
    /// [`GraphSim::set_client_certificate`],
    /// [`GraphSim::add_federated_credential`]) and permissions granted later
    /// ([`GraphSim::grant_permission`]) are not reflected here.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Every record held for `ds`, newest first (by [`Dataset::time_field`],
    /// ties by id descending). For [`Dataset::SignInsBeta`], sign-ins of
    /// every kind; see [`GraphSim::signins_of_type`] for one kind.
    pub fn records(&self, ds: Dataset) -> Vec<Record> {
        let mut s = lock(&self.shared);
        s.ensure(ds);
        s.store.all(ds)
    }

    /// The beta sign-ins of one kind, newest first: exactly what
    /// `/beta/auditLogs/signIns` serves for
    /// `signInEventTypes/any(t: t eq '<kind>')`. The `InteractiveUser` ones
    /// are the [`Dataset::SignIns`] records (same ids and times) in the beta
    /// shape.
    pub fn signins_of_type(&self, kind: SignInEventType) -> Vec<Record> {
        let mut s = lock(&self.shared);
        s.ensure(Dataset::SignInsBeta);
        s.store.segment(Dataset::SignInsBeta, kind.segment())
    }

    /// Adds `count` realistic records of `ds` in `[from, to)` and returns
    /// them, newest first. Deterministic given the seed and call sequence.
    /// New [`Dataset::SignIns`] records are interactive sign-ins that beta
    /// serves too; new [`Dataset::SignInsBeta`] records are beta-only
    /// sign-ins in their natural mix (mostly non-interactive; use
    /// [`GraphSim::generate_signins`] to choose the kind).
    pub fn generate(&self, ds: Dataset, count: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Record> {
        let mut guard = lock(&self.shared);
        guard.ensure(ds);
        let s = &mut *guard;
        s.generator.generate(&mut s.store, ds, None, count, from, to)
    }

    /// Adds `count` sign-ins of one kind in `[from, to)` and returns them as
    /// beta serves them, newest first. `InteractiveUser` sign-ins are added
    /// to v1.0 too (as [`GraphSim::generate`] on [`Dataset::SignIns`] does).
    pub fn generate_signins(
        &self,
        kind: SignInEventType,
        count: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Record> {
        let mut guard = lock(&self.shared);
        guard.ensure(Dataset::SignInsBeta);
        let s = &mut *guard;
        if kind != SignInEventType::InteractiveUser {
            return s.generator.generate(&mut s.store, Dataset::SignInsBeta, Some(kind.segment()), count, from, to);
        }
        let v1 = s.generator.generate(&mut s.store, Dataset::SignIns, None, count, from, to);
        v1.iter().filter_map(|r| s.store.get(Dataset::SignInsBeta, &r.id).cloned()).collect()
    }

    /// Updates up to `n` risk detections in place at `at`, as Identity
    /// Protection does when a risk is remediated, dismissed or confirmed:
    /// the `atRisk` detections last updated longest ago (before `at`) move to
    /// `remediated`, `dismissed` or `confirmedCompromised` (with a matching
    /// `riskDetail`; confirmed compromise raises `riskLevel` to high), and
    /// their `lastUpdatedDateTime` becomes `at` (truncated to a 100 ns
    /// tick). Ids stay; only the new state is served. Returns the updated
    /// records, oldest first. Deterministic given the seed and call sequence.
    pub fn update_risk_detections(&self, n: usize, at: DateTime<Utc>) -> Vec<Record> {
        self.update_records(Dataset::RiskDetections, n, at)
    }

    /// Updates up to `n` records of `ds` in place at `at`: those that can
    /// still change, last updated longest ago first, as
    /// [`GraphSim::update_risk_detections`] does for user risk detections.
    /// Service principal risk detections move from `atRisk` to `dismissed`
    /// or `confirmedCompromised`. Returns the updated records, oldest first;
    /// none for a dataset whose records never change.
    pub fn update_records(&self, ds: Dataset, n: usize, at: DateTime<Utc>) -> Vec<Record> {
        let mut guard = lock(&self.shared);
        guard.ensure(ds);
        let s = &mut *guard;
        let mut out = Vec::new();
        if ds.spec().update.is_none() {
            return out;
        }
        for old in s.store.all(ds).iter().rev() {
            if out.len() == n {
                break;
            }
            if let Some(new) = s.generator.update(&mut s.store, ds, &old.id, at) {
                out.push(new);
            }
        }
        out
    }

    /// Updates one record in place at `at`, as [`GraphSim::update_records`]
    /// does; `None` when `ds` has no such record, its records never change
    /// (everything but the two risk detection datasets), or this one cannot
    /// change (any more, or not at that time).
    pub fn update_record(&self, ds: Dataset, id: &str, at: DateTime<Utc>) -> Option<Record> {
        let mut guard = lock(&self.shared);
        guard.ensure(ds);
        let s = &mut *guard;
        s.generator.update(&mut s.store, ds, id, at)
    }

    /// Inserts a hand-written record verbatim, replacing any record of `ds`
    /// with the same id; its id ([`Dataset::key_property`]: `transactionId`
    /// for network access traffic) and times are read from the JSON. A beta
    /// sign-in's kind is the first of its `signInEventTypes` (interactive
    /// when absent). The record is served by `ds` only (a hand-written v1.0
    /// sign-in gets no beta twin).
    ///
    /// # Panics
    /// If `json` is not a JSON object with a string key property and an RFC
    /// 3339 string in each of the dataset's time fields, or names an unknown
    /// `signInEventTypes` value.
    pub fn insert_raw(&self, ds: Dataset, json: &str) -> Record {
        let value: serde_json::Value = serde_json::from_str(json).expect("insert_raw: record is not valid JSON");
        let key = ds.key_property();
        let id = value[key].as_str().unwrap_or_else(|| panic!("insert_raw: record has no string \"{key}\"")).to_owned();
        let times: Vec<DateTime<Utc>> = ds
            .time_fields()
            .iter()
            .map(|field| {
                value[*field]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .unwrap_or_else(|| panic!("insert_raw: record has no RFC 3339 \"{field}\""))
                    .to_utc()
            })
            .collect();
        let segment = ds.spec().filter.segments.as_ref().map_or(0, |seg| {
            match value[seg.property].get(0).and_then(|v| v.as_str()) {
                None => seg.default,
                Some(v) => seg
                    .values
                    .iter()
                    .position(|s| *s == v)
                    .unwrap_or_else(|| panic!("insert_raw: unknown {} value \"{v}\"", seg.property)),
            }
        });
        let record = Record { id, time: times[0], json: json.to_owned() };
        let mut s = lock(&self.shared);
        s.ensure(ds);
        s.store.insert(ds, record.clone(), segment);
        record
    }

    /// Changes the tenant's switches.
    pub fn set_switches(&self, f: impl FnOnce(&mut Switches)) {
        f(&mut lock(&self.shared).switches);
    }

    /// Queues a one-shot fault for the next Graph data request.
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared).faults.push_back(fault);
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RequestLog> {
        lock(&self.shared).log.clone()
    }

    /// Counters of everything answered so far.
    pub fn stats(&self) -> SimStats {
        lock(&self.shared).stats.clone()
    }

    /// Stops accepting connections and waits (up to a few seconds) for
    /// in-flight requests to finish.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths() {
        assert_eq!(token_tenant("/abc/oauth2/v2.0/token"), Some("abc"));
        assert_eq!(token_tenant("/abc/OAuth2/V2.0/Token"), Some("abc"));
        assert_eq!(token_tenant("//oauth2/v2.0/token"), None);
        assert_eq!(token_tenant("/abc/oauth2/token"), None);
        assert_eq!(token_tenant("/v1.0/auditLogs/signIns"), None);
    }
}
