//! Client authentication at the token endpoint: which credential a request
//! carries, and checking the app's own credentials (a client secret, or a
//! client assertion signed with its certificate's key).
//!
//! Takes the request form and `Authorization` header; hands on one
//! [`Credential`] (RFC 6749 §2.3: never more than one) and answers the
//! AADSTS error Entra sends for a missing, doubled, expired or wrong one.
//! Federated assertions are told apart and checked in `federation`. The
//! secret is compared in constant time and never logged or echoed.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use super::assertion::{self, Expected};
use super::reply::AadError;
use super::state::State;

/// Entra's token endpoint; assertions may name it as their audience.
const ENTRA_LOGIN: &str = "https://login.microsoftonline.com";

/// How the client proves who it is.
pub enum Credential {
    /// `client_secret` in the body or HTTP Basic.
    Secret(String),
    /// `client_assertion`: a signed JWT, by the app's certificate or by an
    /// external identity provider the app federates with.
    Assertion {
        /// `client_assertion_type`.
        kind: Option<String>,
        assertion: String,
    },
}

impl Credential {
    /// `appidacr` of tokens issued for this kind of credential: "1" for a
    /// secret, "2" for an assertion (certificate or federated). Microsoft's
    /// access token reference
    /// (<https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>)
    /// documents "2" for a client certificate; a federated assertion is a
    /// client assertion too.
    pub fn appidacr(&self) -> &'static str {
        match self {
            Credential::Secret(_) => "1",
            Credential::Assertion { .. } => "2",
        }
    }
}

/// The value of `name` in the form, if present.
pub fn form_value(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Client id and secret from `Authorization: Basic` (RFC 6749 §2.3.1: each
/// part form-urlencoded before base64).
pub fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

/// The one client credential the request carries (RFC 6749 §2.3: a client
/// must not use more than one authentication method in a request).
pub fn credential(form: &[(String, String)], basic: Option<(String, String)>) -> Result<Credential, AadError> {
    let secret = form_value(form, "client_secret").or_else(|| basic.map(|(_, secret)| secret));
    match (form_value(form, "client_assertion"), secret) {
        (Some(_), Some(_)) => Err(AadError::bad_request(
            "invalid_request",
            90023,
            "The request must authenticate the client one way only: it contains both \
             'client_assertion' and a client secret."
                .to_owned(),
        )),
        (Some(assertion), None) => {
            Ok(Credential::Assertion { kind: form_value(form, "client_assertion_type"), assertion })
        }
        (None, Some(secret)) => Ok(Credential::Secret(secret)),
        (None, None) => Err(AadError::invalid_client(
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'."
                .to_owned(),
        )),
    }
}

/// Checks the app's own credential (a secret, or a certificate assertion)
/// at `now`.
pub fn verify(state: &State, client_id: &str, credential: &Credential, now: DateTime<Utc>) -> Result<(), AadError> {
    match credential {
        Credential::Assertion { kind, assertion } => {
            let tenant = &state.config.tenant_id;
            let audiences = [
                format!("{}/{tenant}/oauth2/v2.0/token", state.base_url),
                format!("{ENTRA_LOGIN}/{tenant}/oauth2/v2.0/token"),
            ];
            let expected = Expected { client_id, audiences: &audiences, certificate: state.certificate.as_ref(), now };
            assertion::verify(kind.as_deref(), assertion, &expected)
        }
        Credential::Secret(secret) => {
            if state.switches.secret_expired {
                return Err(AadError::invalid_client(
                    7000222,
                    format!(
                        "The provided client secret keys for app '{client_id}' are expired. \
                         Visit the Azure portal to create new keys for your app: \
                         https://aka.ms/NewClientSecret, or consider using certificate \
                         credentials for added security: https://aka.ms/certCreds."
                    ),
                ));
            }
            if !constant_time_eq(secret.as_bytes(), state.config.client_secret.as_bytes()) {
                return Err(AadError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the \
                         request is the client secret value, not the client secret ID, for a \
                         secret added to app '{client_id}'."
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn one_credential_only() {
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let both = form(&[("client_assertion", "a"), ("client_secret", "s")]);
        assert_eq!(credential(&both, None).err().unwrap().code, 90023);
        let basic = Some(("id".to_owned(), "s".to_owned()));
        assert_eq!(credential(&form(&[("client_assertion", "a")]), basic).err().unwrap().code, 90023);
        assert_eq!(credential(&form(&[]), None).err().unwrap().code, 7000218);
        assert_eq!(credential(&form(&[("client_secret", "s")]), None).unwrap().appidacr(), "1");
        assert_eq!(credential(&form(&[("client_assertion", "a")]), None).unwrap().appidacr(), "2");
    }
}
