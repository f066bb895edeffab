//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant as
//! login.microsoftonline.com answers it.
//!
//! Takes the tenant path segment, headers and form body; checks them in the
//! order Entra does (method, tenant, grant type, client, credential, scope)
//! and answers either a token or an AADSTS error body. Client authentication
//! is a `credential::Credential`: a secret, a certificate-signed client
//! assertion (`assertion`), or an assertion from an external identity
//! provider the app federates with (`federation`). A federated assertion
//! needs its issuer's keys, fetched over HTTP, so a request is answered in
//! up to two steps: [`begin`] (under the state lock) either answers or hands
//! back a [`Pending`] request; the caller fetches the keys with the lock
//! released and [`resume`] answers. Neither the secret nor the assertion is
//! ever logged, nor echoed unless the [`Echo`] switch asks for an error that
//! echoes the request.

use std::time::Instant;

use axum::http::{HeaderMap, Method, StatusCode};
use chrono::Utc;
use serde::Serialize;

use super::assertion::JWT_BEARER;
use super::credential::{self, Credential, basic_auth, form_value};
use super::federation::{self, Jwks};
use super::jwt::{self, TokenSpec};
use super::reply::{AAD_JSON, AadError, Reply};
use super::state::{Ids, Issued, State};
use crate::control::Echo;

const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";

/// What [`begin`] decided.
pub enum Step {
    /// Answered.
    Done {
        /// The answer.
        reply: Reply,
        /// The request carried a federated assertion.
        federated: bool,
    },
    /// A federated assertion that passed the first checks: fetch the
    /// issuer's keys (unlocked), then [`resume`].
    Federated(Pending),
}

/// A token request waiting for its federated assertion's issuer keys.
pub struct Pending {
    federation: federation::Pending,
    scope: String,
}

impl Pending {
    /// The issuer whose keys [`resume`] needs.
    pub fn issuer(&self) -> &str {
        self.federation.issuer()
    }
}

/// A request that passed the checks before client authentication.
struct Request {
    client_id: String,
    credential: Credential,
    scope: String,
}

impl Request {
    /// The assertion, when it is a federated one.
    fn federated_assertion(&self) -> Option<&str> {
        match &self.credential {
            Credential::Assertion { kind: Some(kind), assertion }
                if kind == JWT_BEARER && federation::is_federated(assertion, &self.client_id) =>
            {
                Some(assertion)
            }
            _ => None,
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

/// Answers one token request, or hands back a federated one that needs its
/// issuer's keys.
pub fn begin(state: &mut State, tenant: &str, method: &Method, headers: &HeaderMap, body: &[u8], ids: &Ids) -> Step {
    if let Some(reply) = echo(state.switches.echo_request, body, ids) {
        return Step::Done { reply, federated: false };
    }
    let request = match check_request(state, tenant, method, headers, body) {
        Ok(request) => request,
        Err(e) => return Step::Done { reply: e.into_reply(ids), federated: false },
    };
    if let Some(assertion) = request.federated_assertion() {
        return match federation::begin(assertion, &state.federated) {
            Ok(federation) => Step::Federated(Pending { federation, scope: request.scope }),
            Err(e) => Step::Done { reply: e.into_reply(ids), federated: true },
        };
    }
    let result = credential::verify(state, &request.client_id, &request.credential, Utc::now())
        .and_then(|()| grant(state, &request.scope, request.credential.appidacr()));
    Step::Done { reply: result.unwrap_or_else(|e| e.into_reply(ids)), federated: false }
}

/// Answers a federated request once its issuer's keys were fetched (or
/// could not be).
pub fn resume(state: &mut State, pending: &Pending, keys: Result<Jwks, String>, ids: &Ids) -> Reply {
    federation::finish(&pending.federation, keys, Utc::now(), Instant::now())
        .and_then(|()| grant(state, &pending.scope, "2"))
        .unwrap_or_else(|e| e.into_reply(ids))
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

/// Method, tenant, grant type and client id, in Entra's order; then which
/// one credential the request carries.
fn check_request(
    state: &State,
    tenant: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Request, AadError> {
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

    let credential = credential::credential(&form, basic)?;
    let scope = form_value(&form, "scope").unwrap_or_default();
    Ok(Request { client_id, credential, scope })
}

/// The scope check, then a token for an authenticated client.
fn grant(state: &mut State, scope: &str, appidacr: &'static str) -> Result<Reply, AadError> {
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
        appidacr,
        roles,
        issued_at: Utc::now().timestamp(),
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

    /// Answers a request that needs no fetch.
    fn handle(state: &mut State, tenant: &str, method: &Method, headers: &HeaderMap, body: &[u8], ids: &Ids) -> Reply {
        match begin(state, tenant, method, headers, body, ids) {
            Step::Done { reply, federated } => {
                assert!(!federated);
                reply
            }
            Step::Federated(_) => panic!("not a federated request"),
        }
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
        use axum::http::header;
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
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
}
