//! Federated identity credentials at the token endpoint: a client assertion
//! issued by an external identity provider, accepted when one of the app's
//! federated credentials trusts its issuer, subject and audience.
//!
//! Takes the assertion, the app's credentials, the issuer's key set (fetched
//! over HTTP with the state unlocked) and the clock; answers `Ok(())` or the
//! AADSTS error Entra sends, checking in Entra's order:
//!
//! ```text
//! decode (50027) ─► issuer (700211) ─► fetch discovery + JWKS (50166)
//!   ─► key by kid (7000272) ─► RS256 signature (500126) ─► exp/nbf (700024)
//!   ─► subject (700213) ─► audience (700212) ─► propagated (70021)
//! ```
//!
//! The check is split where the fetch happens: [`begin`] runs under the
//! state lock and needs no network, [`fetch_keys`] runs unlocked, [`finish`]
//! judges the rest. `exp` and `nbf` get no clock leeway: Microsoft documents
//! five minutes of skew for certificate assertions only. The assertion is
//! never logged or echoed; errors carry only its issuer, subject, audience
//! and key id.
//!
//! Modules: `assertion` (decoding, and telling federated assertions from
//! certificate ones), `matching` (the registered credentials and claim
//! matching), `discovery` (the fetch), `jwks` (keys and the signature),
//! `errors` (the AADSTS texts and their sources).

mod assertion;
mod discovery;
mod errors;
mod jwks;
mod matching;

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::assertion::outside_valid_time;
use super::reply::AadError;
use assertion::FederatedAssertion;

pub use assertion::is_federated;
pub use discovery::fetch_keys;
pub use jwks::Jwks;
pub use matching::Registered;

/// A federated assertion that passed the checks made before the issuer's
/// keys are fetched, with the credentials it was checked against.
pub struct Pending {
    assertion: FederatedAssertion,
    credentials: Vec<Registered>,
}

impl Pending {
    /// The issuer whose keys must be fetched.
    pub fn issuer(&self) -> &str {
        &self.assertion.issuer
    }
}

/// The first checks, under the state lock: the assertion decodes
/// (AADSTS50027) and some credential has its issuer (AADSTS700211).
pub fn begin(assertion: &str, credentials: &[Registered]) -> Result<Pending, AadError> {
    let assertion = assertion::decode(assertion)?;
    matching::check_issuer(credentials, &assertion.issuer)?;
    Ok(Pending { assertion, credentials: credentials.to_vec() })
}

/// The remaining checks, given the issuer's keys (or why they could not be
/// fetched), the time and the instant.
pub fn finish(
    pending: &Pending,
    keys: Result<Jwks, String>,
    now: DateTime<Utc>,
    instant: Instant,
) -> Result<(), AadError> {
    let a = &pending.assertion;
    let keys = keys.map_err(|reason| {
        tracing::warn!(issuer = %a.issuer, %reason, "federated assertion: the issuer's keys could not be fetched");
        errors::issuer_unreachable()
    })?;
    keys.verify(a)?;
    let Some(exp) = a.expires else {
        return Err(AadError::invalid_client(
            50027,
            "Invalid JWT token. The token does not contain an 'exp' claim.".to_owned(),
        ));
    };
    // Entra reports a missing `nbf` as "valid from 1970-01-01T00:00:00".
    let nbf = a.not_before.unwrap_or(0);
    let t = now.timestamp();
    if nbf > t || exp <= t {
        return Err(outside_valid_time(now, nbf, exp));
    }
    let subject = a.subject.as_deref().unwrap_or("");
    matching::check_match(&pending.credentials, &a.issuer, subject, &a.audiences, instant)
}
