//! A stand-in for AWS STS `GetWebIdentityToken` and the account's OIDC
//! issuer, on its own loopback port: the AWS side of secretless sign-in to
//! Entra (an IAM role asks STS for a JWT about itself and hands it to Entra
//! as a federated client assertion). moto, the AWS mock the workspace pins,
//! has no `GetWebIdentityToken`.
//!
//! ```text
//! POST /   Action=GetWebIdentityToken (STS Query protocol, SigV4 Authorization)
//!          ─► switches ─► action ─► Authorization ─► parameters ─► policy ─► feature
//!          ─► <GetWebIdentityTokenResponse> with an RS256 JWT, or <ErrorResponse>
//! GET  /issuer/.well-known/openid-configuration   discovery
//! GET  /issuer/.well-known/jwks.json              the issuer's public key
//! ```
//!
//! Takes an [`StsConfig`] (account, region, role, access key, optional
//! Lambda function) and the requests; hands back tokens a verifier can check
//! against the issuer's published key, and [`StsStats`]. Point an AWS SDK's
//! STS endpoint (`AWS_ENDPOINT_URL_STS`) at [`StsSim::url`] and give the
//! Entra side [`StsSim::issuer`] as a federated credential's issuer. Tokens
//! are never logged and never in the stats; [`StsSim::issued`] lists them so
//! tests can assert none leaks.
//!
//! Modules: `query` (the call's parameters and their validation), `sigv4`
//! (the Authorization header), `issuer` (key, tokens, discovery and key
//! set), `xml` (response documents), `control` (switches and stats).

mod control;
mod issuer;
mod query;
mod sigv4;
mod xml;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::generate::guid;
use crate::serving::Serving;
use issuer::{DISCOVERY_PATH, Issuer, JWKS_PATH, TokenClaims};
use query::{ACTION, GetWebIdentityToken, Raw};
use xml::{Fault, StsError};

pub use control::{StsRequest, StsStats, StsSwitches};

/// Path of the account's issuer under [`StsSim::url`].
const ISSUER_PATH: &str = "/issuer";
/// How far behind a skewed host's clock is under [`StsSwitches::expired`].
const SKEW: TimeDelta = TimeDelta::hours(1);
/// Seed of the request id and `jti` stream (deterministic per start).
const ID_SEED: u64 = 0x5757;

/// The simulated AWS account and caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsConfig {
    /// Account id, the tokens' `aws_account`. Default `123456789012`.
    pub account_id: String,
    /// The region STS is called in: the SigV4 scope must name it, and it is
    /// the tokens' `source_region`. Default `us-east-1`.
    pub region: String,
    /// The calling role's ARN: the tokens' `sub` and `principal_id`.
    /// Default `arn:aws:iam::123456789012:role/entra-archive-function`.
    pub role_arn: String,
    /// The access key id requests must be signed with. Default `testing`
    /// (moto's).
    pub access_key_id: String,
    /// The calling Lambda function's ARN, the tokens'
    /// `lambda_source_function_arn`. Default `None`: not a Lambda function.
    pub function_arn: Option<String>,
}

impl Default for StsConfig {
    fn default() -> Self {
        StsConfig {
            account_id: "123456789012".to_owned(),
            region: "us-east-1".to_owned(),
            role_arn: "arn:aws:iam::123456789012:role/entra-archive-function".to_owned(),
            access_key_id: "testing".to_owned(),
            function_arn: None,
        }
    }
}

/// What the stand-in remembers.
#[derive(Debug)]
struct State {
    switches: StsSwitches,
    stats: StsStats,
    issued: Vec<String>,
    rng: ChaCha20Rng,
}

/// Everything a handler needs.
#[derive(Clone, Debug)]
struct App {
    config: Arc<StsConfig>,
    issuer: Arc<Issuer>,
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running STS stand-in. Dropping it (or calling [`StsSim::shutdown`])
/// stops the server.
#[derive(Debug)]
pub struct StsSim {
    app: App,
    url: String,
    serving: Serving,
}

impl StsSim {
    /// Starts the stand-in on `127.0.0.1`, on a free port, with a fresh RSA
    /// 2048 signing key.
    pub async fn start(config: StsConfig) -> std::io::Result<StsSim> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let issuer = Issuer::generate(format!("{url}{ISSUER_PATH}"))?;
        let state = State {
            switches: StsSwitches::default(),
            stats: StsStats::default(),
            issued: Vec::new(),
            rng: ChaCha20Rng::seed_from_u64(ID_SEED),
        };
        let app = App { config: Arc::new(config), issuer: Arc::new(issuer), state: Arc::new(Mutex::new(state)) };
        let router = Router::new().fallback(dispatch).with_state(app.clone());
        Ok(StsSim { app, url, serving: Serving::spawn(listener, router) })
    }

    /// The STS endpoint, e.g. `http://127.0.0.1:53124`: what
    /// `AWS_ENDPOINT_URL_STS` points at.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The account's issuer URL, the tokens' `iss`:
    /// `{url}/issuer`, with discovery at
    /// `{issuer}/.well-known/openid-configuration` and the key set at
    /// `{issuer}/.well-known/jwks.json`.
    pub fn issuer(&self) -> String {
        self.app.issuer.url().to_owned()
    }

    /// The account the stand-in plays.
    pub fn config(&self) -> &StsConfig {
        &self.app.config
    }

    /// A well-formed SigV4 `Authorization` header for the configured access
    /// key and region (with a made-up signature, which the stand-in does not
    /// verify), for tests that post the Query protocol by hand.
    pub fn authorization_header(&self) -> String {
        sigv4::sample_header(&self.app.config.access_key_id, &self.app.config.region)
    }

    /// Changes the account's switches.
    pub fn set_switches(&self, f: impl FnOnce(&mut StsSwitches)) {
        f(&mut lock(&self.app.state).switches);
    }

    /// Counters and the calls received so far (never a token).
    pub fn stats(&self) -> StsStats {
        lock(&self.app.state).stats.clone()
    }

    /// Every JWT issued so far, by `GetWebIdentityToken`, [`StsSim::mint`]
    /// or [`StsSim::sign`], in order.
    pub fn issued(&self) -> Vec<String> {
        lock(&self.app.state).issued.clone()
    }

    /// A token about `subject` for `audience`, valid from now for
    /// `lifetime`, signed by the issuer's key with the account's claims, as
    /// an OIDC platform would write to a token file. Ignores the switches.
    pub fn mint(&self, subject: &str, audience: &str, lifetime: Duration) -> String {
        let lifetime_secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        let audiences = [audience.to_owned()];
        let mut s = lock(&self.app.state);
        let jti = guid(&mut s.rng);
        let token = token(&self.app, subject, &audiences, Utc::now(), lifetime_secs, jti, &Default::default());
        s.issued.push(token.clone());
        token
    }

    /// A token whose payload is exactly `claims` (any `iss`, `aud`, `nbf`
    /// a test needs), signed RS256 by the issuer's key with its `kid`.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let token = self.app.issuer.sign(claims);
        lock(&self.app.state).issued.push(token.clone());
        token
    }

    /// Stops accepting connections and waits (up to a few seconds) for
    /// in-flight requests to finish; the issuer is unreachable afterwards.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

/// A token from the account's role (or `subject`), issued at `at`.
fn token(
    app: &App,
    subject: &str,
    audiences: &[String],
    at: DateTime<Utc>,
    lifetime_secs: i64,
    jti: String,
    tags: &std::collections::BTreeMap<String, String>,
) -> String {
    let c = &app.config;
    app.issuer.token(&TokenClaims {
        subject,
        audiences,
        issued_at: at.timestamp(),
        lifetime_secs,
        jti,
        account_id: &c.account_id,
        region: &c.region,
        principal_arn: &c.role_arn,
        function_arn: c.function_arn.as_deref(),
        tags,
    })
}

async fn dispatch(
    AxumState(app): AxumState<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let response = if method == Method::GET && path == format!("{ISSUER_PATH}{DISCOVERY_PATH}") {
        json(app.issuer.discovery())
    } else if method == Method::GET && path == format!("{ISSUER_PATH}{JWKS_PATH}") {
        json(app.issuer.jwks())
    } else if method == Method::POST && path == "/" {
        api(&app, &headers, &body)
    } else {
        let mut r = Response::new("Not Found".into());
        *r.status_mut() = StatusCode::NOT_FOUND;
        r
    };
    tracing::info!(%method, path, status = response.status().as_u16(), "sts request served");
    response
}

fn json(value: serde_json::Value) -> Response {
    let mut r = Response::new(value.to_string().into());
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// One Query protocol call.
fn api(app: &App, headers: &HeaderMap, body: &[u8]) -> Response {
    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let raw = Raw::read(&form);
    let mut s = lock(&app.state);
    let request_id = guid(&mut s.rng);
    let outcome = answer(app, &mut s, headers, value("Action"), value("Version"), &raw);
    let (status, xml) = match outcome {
        Ok((token, expiration)) => {
            s.stats.tokens_issued += 1;
            let xml = xml::web_identity_token(&token, expiration, &request_id);
            s.issued.push(token);
            (StatusCode::OK, xml)
        }
        Err(e) => (e.status, e.to_xml(&request_id)),
    };
    if value("Action") == Some(ACTION) {
        s.stats.get_web_identity_token_requests += 1;
        s.stats.requests.push(StsRequest {
            audiences: raw.audiences.clone(),
            signing_algorithm: raw.signing_algorithm.clone(),
            duration_seconds: raw.duration_seconds(),
            status: status.as_u16(),
        });
    }
    let mut r = Response::new(xml.into());
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", id);
    }
    r
}

/// The checks in order, then the token and its expiry.
fn answer(
    app: &App,
    s: &mut State,
    headers: &HeaderMap,
    action: Option<&str>,
    version: Option<&str>,
    raw: &Raw,
) -> Result<(String, DateTime<Utc>), StsError> {
    if s.switches.unavailable {
        return Err(StsError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            fault: Fault::Receiver,
            code: "ServiceUnavailable",
            message: "The request has failed due to a temporary failure of the server.".to_owned(),
        });
    }
    query::check_action(action, version)?;
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    sigv4::check(authorization, &app.config.access_key_id, &app.config.region)?;
    let call: GetWebIdentityToken = raw.validate()?;
    if s.switches.access_denied {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:GetWebIdentityToken because no identity-based \
                 policy allows the sts:GetWebIdentityToken action",
                app.config.role_arn
            ),
        ));
    }
    if s.switches.federation_disabled {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "OutboundWebIdentityFederationDisabledException",
            "The outbound web identity federation feature is not enabled for this account. To use this \
             feature, you must first enable it through the AWS Management Console or API.",
        ));
    }
    if s.switches.session_seconds_left.is_some_and(|left| call.duration_secs > left) {
        return Err(StsError::sender(
            StatusCode::BAD_REQUEST,
            "SessionDurationEscalationException",
            "The requested token duration would extend the session beyond its original expiration time.",
        ));
    }
    let now = Utc::now();
    let at = if s.switches.expired { now - SKEW - TimeDelta::seconds(call.duration_secs) } else { now };
    let jti = guid(&mut s.rng);
    let token = token(app, &app.config.role_arn, &call.audiences, at, call.duration_secs, jti, &call.tags);
    Ok((token, at + TimeDelta::seconds(call.duration_secs)))
}
