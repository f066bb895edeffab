//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant as
//! login.microsoftonline.com answers it.
//!
//! Takes the tenant path segment, headers and form body; checks them in the
//! order Entra does (method, tenant, grant type, client, credential, scope)
//! and answers either a token or an AADSTS error body. Client authentication
//! is a [`Credential`]: a secret (body or HTTP Basic) compared here, or a
//! certificate-signed client assertion checked by `assertion`. Neither the
//! secret nor the assertion is ever logged, nor echoed unless the
//! [`Echo`] switch asks for an error that echoes the request.

use std::time::Instant;

use axum::http::{HeaderMap, Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::assertion::{self, Expected};
use super::jwt::{self, TokenSpec};
use super::reply::{AAD_JSON, AadError, Reply};
use super::state::{Ids, Issued, State};
use crate::control::Echo;

const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Entra's token endpoint; assertions may name it as their audience.
const ENTRA_LOGIN: &str = "https://login.microsoftonline.com";

/// How the client proves who it is.
enum Credential {
    /// `client_secret` in the body or HTTP Basic.
    Secret(String),
    /// `client_assertion` (a signed JWT, for certificate credentials).
    Assertion {
        /// `client_assertion_type`.
        kind: Option<String>,
        assertion: String,
    },
}

impl Credential {
    /// `appidacr` of tokens issued for this kind of credential.
    fn appidacr(&self) -> &'static str {
        match self {
            Credential::Secret(_) => "1",
            Credential::Assertion { .. } => "2",
        }
    }
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    token_type: &'a str,
    expires_in: u64,
    ext_expires_in: u64,
    access_token: &'a str,
}

fn form_value(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Client id and secret from `Authorization: Basic` (RFC 6749 §2.3.1: each
/// part form-urlencoded before base64).
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
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

/// Answers one token request.
pub fn handle(state: &mut State, tenant: &str, method: &Method, headers: &HeaderMap, body: &[u8], ids: &Ids) -> Reply {
    if let Some(reply) = echo(state.switches.echo_request, body, ids) {
        return reply;
    }
    issue(state, tenant, method, headers, body).unwrap_or_else(|e| e.into_reply(ids))
}

/// The error that echoes the request's form body, when [`Echo`] asks for one.
fn echo(echo: Option<Echo>, body: &[u8], ids: &Ids) -> Option<Reply> {
    let echo = echo?;
    let form = String::from_utf8_lossy(body).into_owned();
    match echo {
        Echo::TokenServerError => Some(Reply {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content_type: "text/plain; charset=utf-8",
            body: form,
            headers: vec![],
        }),
        Echo::TokenInvalidRequest => {
            Some(AadError::bad_request("invalid_request", 90000, format!("echo: {form}")).into_reply(ids))
        }
        Echo::Graph(_) => None,
    }
}

fn issue(
    state: &mut State,
    tenant: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, AadError> {
    if method != Method::POST {
        return Err(AadError::bad_request(
            "invalid_request",
            900561,
            format!("The endpoint only accepts POST, OPTIONS requests. Received a {method} request."),
        ));
    }
    let config = &state.config;
    if !tenant.eq_ignore_ascii_case(&config.tenant_id) {
        return Err(AadError::bad_request(
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
                 are signing into the correct cloud. Check with your subscription administrator, \
                 this may happen if there are no active subscriptions for the tenant."
            ),
        ));
    }

    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let grant_type = form_value(&form, "grant_type").unwrap_or_default();
    if grant_type != "client_credentials" {
        return Err(AadError::bad_request(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }

    let basic = basic_auth(headers);
    let client_id =
        form_value(&form, "client_id").or_else(|| basic.as_ref().map(|(id, _)| id.clone())).ok_or_else(|| {
            AadError::bad_request(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.".to_owned(),
            )
        })?;
    if !client_id.eq_ignore_ascii_case(&config.client_id) {
        return Err(AadError::bad_request(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant.",
                config.tenant_id
            ),
        ));
    }

    let credential = credential(&form, basic)?;
    let now = Utc::now();
    verify(state, &client_id, &credential, now)?;

    let scope = form_value(&form, "scope").unwrap_or_default();
    let sim_scope = format!("{}/.default", state.base_url);
    let audience = if scope == GRAPH_DEFAULT_SCOPE {
        GRAPH_AUDIENCE.to_owned()
    } else if scope == sim_scope {
        state.base_url.clone()
    } else {
        return Err(AadError::bad_request(
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value \
                 for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    };

    let lifetime = state.config.token_lifetime;
    let roles = state.granted_permissions();
    let spec = TokenSpec {
        audience: &audience,
        tenant_id: &state.config.tenant_id,
        client_id: &state.config.client_id,
        appidacr: credential.appidacr(),
        roles,
        issued_at: now.timestamp(),
        lifetime_secs: lifetime.as_secs(),
    };
    let token = jwt::mint(&spec, &mut state.rng);
    state.tokens.insert(token.clone(), Issued { expires_at: Instant::now() + lifetime, revoked: false });
    let body = TokenResponse {
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        ext_expires_in: lifetime.as_secs(),
        access_token: &token,
    };
    Ok(Reply::ok(AAD_JSON, serde_json::to_string(&body).expect("token responses serialize")))
}

/// The one client credential the request carries (RFC 6749 §2.3: a client
/// must not use more than one authentication method in a request).
fn credential(form: &[(String, String)], basic: Option<(String, String)>) -> Result<Credential, AadError> {
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

/// Checks the client's proof of identity at `now`.
fn verify(state: &State, client_id: &str, credential: &Credential, now: DateTime<Utc>) -> Result<(), AadError> {
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
    use crate::config::SimConfig;

    fn state() -> State {
        let config = SimConfig::default().empty();
        State::new(config, "http://127.0.0.1:1".to_owned()).unwrap()
    }

    fn ids() -> Ids {
        Ids { request_id: "r".to_owned(), client_request_id: "c".to_owned() }
    }

    fn post(state: &mut State, body: &str) -> (StatusCode, serde_json::Value) {
        let tenant = state.config.tenant_id.clone();
        let r = handle(state, &tenant, &Method::POST, &HeaderMap::new(), body.as_bytes(), &ids());
        (r.status, serde_json::from_str(&r.body).unwrap())
    }

    fn good(state: &State) -> String {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            state.config.client_id,
            url::form_urlencoded::byte_serialize(state.config.client_secret.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(GRAPH_DEFAULT_SCOPE.as_bytes()).collect::<String>(),
        )
    }

    #[test]
    fn issues_and_remembers_a_token() {
        let mut s = state();
        let body = good(&s);
        let (status, v) = post(&mut s, &body);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3599);
        assert!(s.tokens.contains_key(v["access_token"].as_str().unwrap()));
    }

    #[test]
    fn basic_auth_is_accepted() {
        let mut s = state();
        let creds = STANDARD.encode(format!(
            "{}:{}",
            s.config.client_id,
            url::form_urlencoded::byte_serialize(s.config.client_secret.as_bytes()).collect::<String>()
        ));
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, format!("Basic {creds}").parse().unwrap());
        let tenant = s.config.tenant_id.clone();
        let body = "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
        let r = handle(&mut s, &tenant, &Method::POST, &h, body.as_bytes(), &ids());
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    #[test]
    fn secret_is_never_echoed() {
        let mut s = state();
        let wrong = good(&s).replace("sim%7ESecret", "sim%7EWrong");
        let (status, v) = post(&mut s, &wrong);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(v["error_codes"][0], 7000215);
        assert!(!v.to_string().contains("Wrong"));
        assert!(!v.to_string().contains(&s.config.client_secret));
    }

    #[test]
    fn the_echo_switch_answers_errors_that_echo_the_form() {
        let mut s = state();
        let body = good(&s);
        let tenant = s.config.tenant_id.clone();
        s.switches.echo_request = Some(Echo::TokenServerError);
        let r = handle(&mut s, &tenant, &Method::POST, &HeaderMap::new(), body.as_bytes(), &ids());
        assert_eq!((r.status, r.body.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, body.as_str()));
        s.switches.echo_request = Some(Echo::TokenInvalidRequest);
        let (status, v) = post(&mut s, &body);
        assert_eq!((status, v["error_codes"][0].as_u64()), (StatusCode::BAD_REQUEST, Some(90000)));
        let description = v["error_description"].as_str().unwrap();
        assert!(description.starts_with(&format!("AADSTS90000: echo: {body}\r\n")), "{description}");
        s.switches.echo_request = Some(Echo::Graph(400));
        assert_eq!(post(&mut s, &body).0, StatusCode::OK, "a Graph echo leaves tokens alone");
        assert!(s.tokens.len() == 1);
    }

    #[test]
    fn get_is_refused() {
        let mut s = state();
        let tenant = s.config.tenant_id.clone();
        let r = handle(&mut s, &tenant, &Method::GET, &HeaderMap::new(), b"", &ids());
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("900561"));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
