//! Fetching an issuer's signing keys as Entra does: OpenID Connect
//! Discovery (`{issuer}/.well-known/openid-configuration`), then the key set
//! at its `jwks_uri`.
//!
//! Takes the HTTP client and the assertion's issuer; hands on the parsed
//! key set, or a reason it could not be had (unreachable, not 2xx, not the
//! expected JSON, a discovery document for another issuer), which the
//! caller answers with AADSTS50166. Each request is bounded by
//! [`FETCH_TIMEOUT`] (body included); nothing is cached between token requests, so a test
//! that changes the issuer's keys sees the change at once. Runs with the
//! simulator's state unlocked.

use std::time::Duration;

use serde::Deserialize;

use super::jwks::Jwks;

/// Bound on each of the two fetches.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The discovery document's path under the issuer (OpenID Connect
/// Discovery 1.0 §4).
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// The issuer's key set, or why it could not be fetched (for the log).
pub async fn fetch_keys(http: &reqwest::Client, issuer: &str) -> Result<Jwks, String> {
    let url = format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'));
    let body = get(http, &url).await?;
    let discovery: Discovery =
        serde_json::from_slice(&body).map_err(|e| format!("discovery document is not JSON: {e}"))?;
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the
    // one it was fetched for.
    if discovery.issuer.as_deref() != Some(issuer) {
        return Err(format!("discovery document names issuer {:?}", discovery.issuer));
    }
    let jwks_uri = discovery.jwks_uri.ok_or("discovery document has no jwks_uri")?;
    let body = get(http, &jwks_uri).await?;
    Jwks::parse(&body).ok_or_else(|| "jwks_uri did not return a key set".to_owned())
}

async fn get(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let response = http.get(url).timeout(FETCH_TIMEOUT).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: {status}"));
    }
    // The request's timeout covers the body too.
    let body = response.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    Ok(body.to_vec())
}
