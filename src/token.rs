//! OAuth2 client-credentials tokens for Microsoft Graph.
//!
//! Takes the app's credentials from a [`CredentialSource`], posts them
//! form-encoded to `{login}/{tenant}/oauth2/v2.0/token` with scope
//! `{graph}/.default` — a client secret, a client assertion signed with the
//! app's certificate, or a federated assertion fetched anew for each request
//! (`federation`: STS or a token file) — and hands out the bearer token,
//! reused until shortly before it expires. When Entra rejects the
//! credentials, the source is asked to read them again once (a rotated
//! secret); when it does not know a federated credential yet (AADSTS70021,
//! right after one was created), the request is repeated for a while. Token
//! errors become [`Error::Token`], whose message names the fix for the AADSTS
//! codes people actually hit; the endpoint's own failures (5xx, an
//! unreadable answer) become [`Error::TokenEndpoint`]. Whatever the endpoint
//! answers passes `redact` before it is kept, so an error that echoes the
//! request shows no credential. Never logs or returns the secret, the
//! assertion or the token.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info, instrument};
use url::Url;

use crate::credentials::{Credential, CredentialSource};
use crate::error::{Error, Result, TokenRejection};
use crate::federation::{self, Assertions};
use crate::redact::{self, redact};
use crate::secret::Secret;

/// `client_assertion_type` of a certificate credential.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Refresh this long before expiry, at most.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// AADSTS70021: no federated credential matches the assertion — also what
/// Entra answers while a new federated credential propagates.
const NO_MATCHING_FEDERATED_RECORD: u32 = 70021;
/// How long a federated credential Entra does not know yet is waited for:
/// Microsoft documents that a new one takes a short while to propagate.
const PROPAGATION_WAIT: Duration = Duration::from_secs(120);
/// First wait before asking again (doubled each time, at most 15 s).
const PROPAGATION_FIRST_DELAY: Duration = Duration::from_secs(1);

/// Gets and caches access tokens for one app in one tenant.
#[derive(Debug)]
pub(crate) struct TokenClient {
    http: reqwest::Client,
    login_url: Url,
    scope: String,
    source: Arc<dyn CredentialSource>,
    assertions: Arc<Assertions>,
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// A token as the endpoint issued it, with what `doctor` reports about it.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    /// The bearer token.
    pub token: Secret,
    /// How long it is valid (`expires_in`).
    pub lifetime: Duration,
    /// The token endpoint's `Date` header, if it sent one (clock-skew check).
    pub server_date: Option<chrono::DateTime<Utc>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: StringOrNumber,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    Number(u64),
    String(String),
}

#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
}

/// `{login}/{tenant}/oauth2/v2.0/token`.
pub(crate) fn token_endpoint(login_url: &Url, tenant_id: &str) -> Url {
    let mut url = login_url.clone();
    url.path_segments_mut()
        .expect("validated http(s) URL")
        .pop_if_empty()
        .extend([tenant_id, "oauth2", "v2.0", "token"]);
    url
}

/// `{graph}/.default`: all application permissions granted to the app.
pub(crate) fn graph_scope(graph_url: &Url) -> String {
    format!("{}/.default", graph_url.as_str().trim_end_matches('/'))
}

/// How long before expiry a token is replaced: a tenth of its lifetime, at
/// most five minutes.
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(MAX_REFRESH_MARGIN)
}

impl TokenClient {
    /// A client for the credentials `source` gives (federated assertions
    /// from `assertions`), against the given login and Graph base URLs.
    pub(crate) fn new(
        http: reqwest::Client,
        login_url: &Url,
        graph_url: &Url,
        source: Arc<dyn CredentialSource>,
        assertions: Arc<Assertions>,
    ) -> Self {
        TokenClient {
            http,
            login_url: login_url.clone(),
            scope: graph_scope(graph_url),
            source,
            assertions,
            cached: Mutex::new(None),
        }
    }

    /// A valid bearer token, from the cache when it is not about to expire.
    pub(crate) async fn bearer(&self) -> Result<Secret> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let issued = self.request().await?;
        let refresh_at = Instant::now() + issued.lifetime.saturating_sub(refresh_margin(issued.lifetime));
        *cached = Some(Cached { token: issued.token.clone(), refresh_at });
        Ok(issued.token)
    }

    /// Asks the endpoint for a new token now (bypassing and then filling the
    /// cache), and returns it with its lifetime and the endpoint's `Date`.
    pub(crate) async fn issue(&self) -> Result<Issued> {
        let mut cached = self.cached.lock().await;
        let issued = self.request().await?;
        let refresh_at = Instant::now() + issued.lifetime.saturating_sub(refresh_margin(issued.lifetime));
        *cached = Some(Cached { token: issued.token.clone(), refresh_at });
        Ok(issued)
    }

    /// Forgets the cached token, so the next [`bearer`](Self::bearer) asks anew
    /// (after Graph answered 401).
    pub(crate) async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn request(&self) -> Result<Issued> {
        let result = match self.request_once().await {
            Err(e @ Error::Token(_)) if !not_propagated(&e) => {
                if !self.source.refresh().await {
                    return Err(e);
                }
                info!("Entra rejected the credentials; reading them again in case they were rotated");
                self.request_once().await
            }
            other => other,
        };
        self.await_propagation(result).await
    }

    /// Repeats a request Entra answered AADSTS70021 for a federated
    /// assertion — no matching federated credential, which is also what it
    /// says while a new one propagates — for up to [`PROPAGATION_WAIT`].
    async fn await_propagation(&self, mut result: Result<Issued>) -> Result<Issued> {
        let started = Instant::now();
        let mut delay = PROPAGATION_FIRST_DELAY;
        while let Err(e) = &result {
            if !not_propagated(e) || started.elapsed() + delay > PROPAGATION_WAIT {
                break;
            }
            tracing::warn!(
                "Entra knows no federated credential matching the assertion yet (AADSTS70021); a new one takes a little while to propagate: asking again in {}s",
                delay.as_secs()
            );
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(15));
            result = self.request_once().await;
        }
        result
    }

    #[instrument(skip(self))]
    async fn request_once(&self) -> Result<Issued> {
        let creds = self.source.credentials().await?;
        let endpoint = token_endpoint(&self.login_url, &creds.tenant_id);
        let assertion;
        let mut federated = None;
        let mut form = vec![
            ("client_id", creds.client_id.as_str()),
            ("scope", self.scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        match &creds.credential {
            Credential::Secret(secret) => {
                redact::remember(secret.expose());
                form.push(("client_secret", secret.expose()));
            }
            Credential::Certificate(certificate) => {
                assertion = certificate.client_assertion(&creds.client_id, endpoint.as_str(), Utc::now());
                form.push(("client_assertion_type", JWT_BEARER));
                form.push(("client_assertion", assertion.expose()));
            }
            Credential::Federated(source) => {
                // Boxed: the STS SDK's future is deep, and every Graph request's holds this one.
                assertion = Box::pin(self.assertions.fetch(source)).await?;
                federated = Some(federation::peek(assertion.expose()).unwrap_or_default());
                form.push(("client_assertion_type", JWT_BEARER));
                form.push(("client_assertion", assertion.expose()));
            }
        }
        let url = endpoint.to_string();
        let response = self
            .http
            .post(endpoint.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::Http { url: url.clone(), source: e.without_url() })?;
        let status = response.status();
        if status.is_redirection() {
            // Never followed: it would carry the secret or assertion elsewhere.
            let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
            let location = location.and_then(|l| url::Url::parse(l).ok()).map_or_else(
                || "an unreadable location".to_string(),
                |l| format!("{}{}", l.origin().ascii_serialization(), l.path()),
            );
            let path = endpoint.path().to_string();
            return Err(Error::Redirected { server: "the token endpoint", status: status.as_u16(), location, path });
        }
        let server_date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc));
        let body = response.text().await.map_err(|e| Error::Http { url: url.clone(), source: e.without_url() })?;
        if status.is_server_error() {
            let said = first_line(&redact(&body)).to_string();
            let problem = if said.is_empty() { "no error text".to_string() } else { said };
            return Err(Error::TokenEndpoint { url, status: status.as_u16(), problem });
        }
        if !status.is_success() {
            let parsed: Option<TokenErrorBody> = serde_json::from_str(&body).ok();
            let (error, codes, description) = match parsed {
                Some(p) => (p.error, p.error_codes, p.error_description),
                None => (String::new(), Vec::new(), body),
            };
            return Err(Error::Token(Box::new(TokenRejection {
                status: status.as_u16(),
                error: redact(&error).into_owned(),
                codes,
                description: first_line(&redact(&description)).into(),
                tenant_id: creds.tenant_id,
                client_id: creds.client_id,
                federated,
            })));
        }
        let parsed: TokenResponse = serde_json::from_str(&body).map_err(|e| Error::TokenEndpoint {
            url: url.clone(),
            status: status.as_u16(),
            problem: redact(&format!("not the expected token response: {e}")).into_owned(),
        })?;
        let seconds = match parsed.expires_in {
            StringOrNumber::Number(n) => n,
            StringOrNumber::String(s) => s.parse().unwrap_or(0),
        };
        debug!(expires_in = seconds, "token acquired");
        Ok(Issued { token: Secret::new(parsed.access_token), lifetime: Duration::from_secs(seconds), server_date })
    }
}

/// Whether Entra found no federated credential for a federated assertion.
fn not_propagated(error: &Error) -> bool {
    matches!(error, Error::Token(r) if r.federated.is_some() && r.codes.contains(&NO_MATCHING_FEDERATED_RECORD))
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(300) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_and_scope_follow_the_configured_cloud() {
        let login: Url = "https://login.microsoftonline.us/".parse().unwrap();
        let graph: Url = "https://graph.microsoft.us".parse().unwrap();
        assert_eq!(
            token_endpoint(&login, "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5").as_str(),
            "https://login.microsoftonline.us/6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5/oauth2/v2.0/token"
        );
        assert_eq!(graph_scope(&graph), "https://graph.microsoft.us/.default");
        let sim: Url = "http://127.0.0.1:8400/".parse().unwrap();
        assert_eq!(graph_scope(&sim), "http://127.0.0.1:8400/.default");
    }

    #[test]
    fn tokens_are_refreshed_before_they_expire() {
        assert_eq!(refresh_margin(Duration::from_secs(3599)), Duration::from_secs(300));
        assert_eq!(refresh_margin(Duration::from_secs(60)), Duration::from_secs(6));
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn long_descriptions_are_cut_to_their_first_line() {
        assert_eq!(first_line("AADSTS1: a\r\nTrace ID: x"), "AADSTS1: a");
        assert_eq!(first_line(&"é".repeat(400)).chars().count(), 300);
    }
}
