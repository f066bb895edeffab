//! Whether an issuer publishes the key that signed an assertion, as Entra
//! looks for it: `{iss}/.well-known/openid-configuration`, its `jwks_uri`,
//! and a key with the assertion's `kid` there (OpenID Connect Discovery 1.0;
//! AWS's outbound-federation issuer serves both, per
//! API_EnableOutboundWebIdentityFederation: "hosts the OpenID Connect (OIDC)
//! discovery endpoints at /.well-known/openid-configuration and
//! /.well-known/jwks.json").
//!
//! For `doctor` only: takes the HTTP client and the assertion's claims, hands
//! back what was found (the JWKS URL and key count) or what is wrong, with
//! the fix. Nothing here is a credential: discovery documents are public.

use serde_json::Value;

use super::AssertionClaims;

/// Fetches the issuer's discovery document and JWKS; `Ok` says where the
/// key was found, `Err` what is missing.
pub(crate) async fn issuer_keys(http: &reqwest::Client, claims: &AssertionClaims) -> Result<String, String> {
    let issuer = claims.issuer.trim_end_matches('/');
    if issuer.is_empty() {
        return Err("the token has no `iss` claim: Entra cannot match it to a federated credential".into());
    }
    let discovery_url = format!("{issuer}/.well-known/openid-configuration");
    let discovery = get_json(http, &discovery_url).await?;
    if discovery["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(issuer) {
        return Err(format!(
            "{discovery_url} names issuer {} instead of {issuer}: Entra refuses such an issuer",
            discovery["issuer"]
        ));
    }
    let Some(jwks_url) = discovery["jwks_uri"].as_str() else {
        return Err(format!("{discovery_url} has no jwks_uri"));
    };
    let jwks = get_json(http, jwks_url).await?;
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let found = match &claims.key_id {
        Some(kid) => keys.iter().any(|k| k["kid"].as_str() == Some(kid)),
        None => !keys.is_empty(),
    };
    if !found {
        return Err(format!(
            "{jwks_url} has no key {} ({} keys): Entra could not check the token's signature",
            claims.key_id.as_deref().unwrap_or("(the token names none)"),
            keys.len()
        ));
    }
    Ok(format!("discovery and JWKS reachable ({jwks_url}, {} keys, the token's key among them)", keys.len()))
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = http.get(url).send().await.map_err(|e| format!("{url} is unreachable: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered HTTP {}", status.as_u16()));
    }
    let body = response.text().await.map_err(|e| format!("{url}: {}", e.without_url()))?;
    serde_json::from_str(&body).map_err(|e| format!("{url} is not JSON: {e}"))
}
