//! Client assertions (certificate credentials), checked as Entra checks them.
//!
//! Takes `client_assertion_type`, the `client_assertion` JWT, the app's
//! registered certificate, the request's client id, the accepted audiences and
//! the current time; answers `Ok(())` or the AADSTS error Entra sends. Order:
//! assertion type, JWT shape, a registered certificate, the thumbprint header
//! (`x5t#S256`, or legacy `x5t`) and `alg` (PS256, or legacy RS256), key lookup
//! by thumbprint, the RSA signature, then the claims: `aud`, `iss`/`sub`, `jti`,
//! and `nbf`/`exp` with five minutes of clock skew. The assertion itself is
//! never logged or echoed; errors carry only its thumbprint and times.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, RsaParameters, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::certificate::ClientCertificate;
use super::reply::AadError;

/// The only `client_assertion_type` Entra accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on `nbf` and `exp`, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 300;
/// Where Entra's assertion errors send the developer.
const CERT_DOCS: &str = "Review the documentation at \
    https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";

/// What a valid assertion must match.
#[derive(Debug)]
pub struct Expected<'a> {
    /// The request's `client_id` (already matched to the app).
    pub client_id: &'a str,
    /// Accepted `aud` values (compared ignoring ASCII case).
    pub audiences: &'a [String],
    /// The app's registered certificate, if any.
    pub certificate: Option<&'a ClientCertificate>,
    /// The current time.
    pub now: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    x5t: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

/// The thumbprint the client named, by hash.
enum Thumbprint {
    Sha256(Vec<u8>),
    Sha1(Vec<u8>),
}

impl Thumbprint {
    fn bytes(&self) -> &[u8] {
        match self {
            Thumbprint::Sha256(b) | Thumbprint::Sha1(b) => b,
        }
    }

    fn matches(&self, cert: &ClientCertificate) -> bool {
        match self {
            Thumbprint::Sha256(b) => *b == cert.sha256,
            Thumbprint::Sha1(b) => *b == cert.sha1,
        }
    }
}

/// Checks one client assertion.
pub fn verify(kind: Option<&str>, assertion: &str, expected: &Expected<'_>) -> Result<(), AadError> {
    match kind {
        None => {
            return Err(AadError::bad_request(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_assertion_type'.".to_owned(),
            ));
        }
        Some(k) if k != JWT_BEARER => {
            return Err(AadError::bad_request(
                "invalid_request",
                90011,
                "Unexpected client assertion type.".to_owned(),
            ));
        }
        Some(_) => {}
    }

    let mut parts = assertion.split('.');
    let (Some(header_b64), Some(claims_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unparseable());
    };
    let header: Header = decode_json(header_b64)?;
    let claims: Map<String, Value> = decode_json(claims_b64)?;
    let signature = URL_SAFE_NO_PAD.decode(sig_b64).map_err(|_| unparseable())?;
    let thumbprint = thumbprint(&header)?;

    let Some(cert) = expected.certificate else {
        return Err(key_not_found(thumbprint.as_ref(), expected.client_id));
    };
    let Some(thumbprint) = thumbprint else {
        return Err(malformed("Invalid JWT token. No certificate thumbprint specified in token header."));
    };
    if !thumbprint.matches(cert) {
        return Err(key_not_found(Some(&thumbprint), expected.client_id));
    }
    let params: &'static RsaParameters = match header.alg.as_deref() {
        Some("PS256") => &RSA_PSS_2048_8192_SHA256,
        Some("RS256") => &RSA_PKCS1_2048_8192_SHA256,
        _ => {
            return Err(invalid_signature(
                "The token's signing algorithm is not supported; sign with PS256 (or RS256)",
                &thumbprint,
                cert,
            ));
        }
    };
    let signed = &assertion[..header_b64.len() + 1 + claims_b64.len()];
    UnparsedPublicKey::new(params, &cert.public_key).verify(signed.as_bytes(), &signature).map_err(|_| {
        invalid_signature("The provided signature value did not match the expected signature value", &thumbprint, cert)
    })?;

    check_claims(&claims, expected)
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), AadError> {
    let aud = match claims.get("aud") {
        Some(Value::String(aud)) => aud,
        None => "",
        Some(_) => return Err(unparseable()),
    };
    if !expected.audiences.iter().any(|a| a.eq_ignore_ascii_case(aud)) {
        return Err(AadError::invalid_client(
            700023,
            format!("Client assertion audience claim does not match Realm issuer. {CERT_DOCS}"),
        ));
    }

    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if !iss.eq_ignore_ascii_case(expected.client_id) {
        return Err(AadError::invalid_client(
            700021,
            format!(
                "Client assertion application identifier doesn't match 'client_id' parameter. \
                 {CERT_DOCS}"
            ),
        ));
    }
    if claims.get("sub").and_then(Value::as_str) != Some(iss) {
        return Err(AadError::invalid_client(
            50048,
            "Subject mismatches Issuer claim in the client assertion.".to_owned(),
        ));
    }
    if claims.get("jti").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(malformed("Invalid JWT token. The token does not contain a 'jti' claim."));
    }

    let exp = match claims.get("exp") {
        Some(v) => seconds(v)?,
        None => {
            return Err(malformed("Invalid JWT token. The token does not contain an 'exp' claim."));
        }
    };
    // Entra reports a missing `nbf` as "valid from 1970-01-01T00:00:00".
    let nbf = claims.get("nbf").map(seconds).transpose()?.unwrap_or(0);
    let now = expected.now.timestamp();
    if nbf.saturating_sub(CLOCK_SKEW_SECS) > now || exp.saturating_add(CLOCK_SKEW_SECS) <= now {
        return Err(outside_valid_time(expected.now, nbf, exp));
    }
    Ok(())
}

/// AADSTS700024, which Entra sends for a client assertion (certificate or
/// federated) used outside `[nbf, exp)`.
pub fn outside_valid_time(now: DateTime<Utc>, nbf: i64, exp: i64) -> AadError {
    AadError::invalid_client(
        700024,
        format!(
            "Client assertion is not within its valid time range. Current time: {}, \
             assertion valid from {}, expiry time of assertion {}. {CERT_DOCS}",
            entra_time(now),
            entra_time(from_secs(nbf)),
            entra_time(from_secs(exp)),
        ),
    )
}

/// A JWT part (base64url JSON) decoded; AADSTS50027 when it is not one.
/// Certificate and federated assertions alike.
pub fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, AadError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| unparseable())?;
    serde_json::from_slice(&bytes).map_err(|_| unparseable())
}

/// The thumbprint header, preferring `x5t#S256` over the legacy `x5t`.
fn thumbprint(header: &Header) -> Result<Option<Thumbprint>, AadError> {
    let decode =
        |b64: &str, len: usize| {
            URL_SAFE_NO_PAD.decode(b64).ok().filter(|b| b.len() == len).ok_or_else(|| {
                malformed("Invalid JWT token. The certificate thumbprint in the token header is not valid.")
            })
        };
    Ok(match (&header.x5t_s256, &header.x5t) {
        (Some(s256), _) => Some(Thumbprint::Sha256(decode(s256, 32)?)),
        (None, Some(sha1)) => Some(Thumbprint::Sha1(decode(sha1, 20)?)),
        (None, None) => None,
    })
}

/// A NumericDate: integer or fractional seconds since the epoch.
pub fn seconds(v: &Value) -> Result<i64, AadError> {
    v.as_i64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.is_finite())
                // Truncation is what a NumericDate with a fraction means here.
                .map(|f| f as i64)
        })
        .ok_or_else(unparseable)
}

fn from_secs(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// Times as Entra prints them: `2024-10-02T22:05:03.6755165Z` (100 ns ticks).
fn entra_time(t: DateTime<Utc>) -> String {
    format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100)
}

/// Entra's AADSTS50027 for a JWT it cannot parse at all.
pub fn unparseable() -> AadError {
    malformed("JWT token is invalid or malformed.")
}

fn malformed(message: &str) -> AadError {
    AadError::invalid_client(50027, message.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn key_not_found(thumbprint: Option<&Thumbprint>, client_id: &str) -> AadError {
    let used = thumbprint.map_or_else(String::new, |t| hex(t.bytes()));
    AadError::invalid_client(
        700027,
        format!(
            "Client assertion contains an invalid signature. [Reason - The key was not found., \
             Thumbprint of key used by client: '{used}', Please visit the Azure Portal, Graph \
             Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'. \
             Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to \
             determine the corresponding service endpoint and \
             https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http \
             to build a query request URL, such as \
             'https://graph.microsoft.com/beta/applications/{client_id}']."
        ),
    )
}

fn invalid_signature(reason: &str, thumbprint: &Thumbprint, cert: &ClientCertificate) -> AadError {
    let found = |t: DateTime<Utc>| t.format("%m/%d/%Y %H:%M:%S").to_string();
    AadError::invalid_client(
        700027,
        format!(
            "Client assertion contains an invalid signature. [Reason - {reason}., Thumbprint of \
             key used by client: '{}', Found key 'Start={}, End={}']",
            hex(thumbprint.bytes()),
            found(cert.not_before),
            found(cert.not_after),
        ),
    )
}

#[cfg(test)]
mod tests;
