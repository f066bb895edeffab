//! The library's one error type. A variant exists where a caller branches on
//! it (retry it, skip a dataset, stop the run); the context is kept in fields,
//! and every message says what happened and what to do. No variant ever holds
//! a client secret or a bearer token. [`TokenRejection`] is what the token
//! endpoint said when it refused the credentials, with the fix for the AADSTS
//! codes people actually hit; its text has credentials masked (`redact`),
//! whatever the endpoint echoed. Token-endpoint failures are labelled as the
//! token endpoint's ([`Error::TokenEndpoint`]), never as Graph's.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::redact::redact;

/// A boxed error from a storage backend.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or malformed.
    #[error("{setting}: {problem}")]
    Config {
        /// The flag and environment variable, e.g. `--tenant-id / ENTRA_TENANT_ID`.
        setting: String,
        /// What is wrong and what is expected.
        problem: String,
    },

    /// The credentials cannot be read or are malformed (never echoes them).
    #[error("{origin} {problem}")]
    Credentials {
        /// Where they came from, e.g. `Secrets Manager secret arn:…`.
        origin: String,
        /// What is wrong, naming the field at fault.
        problem: String,
    },

    /// The token endpoint refused the credentials.
    #[error("{0}")]
    Token(Box<TokenRejection>),

    /// The token endpoint failed (5xx) or answered something that is not a
    /// token response; retried like Graph's server errors.
    #[error(
        "Entra's token endpoint {url} answered HTTP {status} ({problem}); the request is retried. If this persists, check ENTRA_LOGIN_URL and Entra's service health"
    )]
    TokenEndpoint {
        /// The token endpoint's URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What it said (first line, credentials masked) or what is wrong with it.
        problem: String,
    },

    /// The network failed (connection refused or reset, timeout) talking to `url`.
    #[error("could not reach {url}: {source}. Check the URL and the network; the request is retried")]
    Http {
        /// Where the request went (path and query, never credentials).
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// Graph asked us to slow down or is briefly unavailable (429, 503, 504).
    #[error("Graph answered {status} for {path}{}: throttled or temporarily unavailable; retried with backoff", retry_after_text(*.retry_after))]
    Throttled {
        /// HTTP status.
        status: u16,
        /// `Retry-After`, when Graph sent one.
        retry_after: Option<Duration>,
        /// Request path.
        path: String,
    },

    /// Graph failed with another server error.
    #[error("Graph failed with HTTP {status} ({code}: {message}) for {path}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Graph `error.code`.
        code: String,
        /// Graph `error.message`.
        message: String,
        /// Request path.
        path: String,
    },

    /// A page arrived but is not a complete Graph collection page.
    #[error("Graph sent an unreadable page for {}: {}; the page is requested again", redact(.path), redact(.problem))]
    MalformedPage {
        /// Request path.
        path: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A request kept failing and waiting longer would pass the run's
    /// deadline: the run stops here and the next one resumes.
    #[error("stopped retrying before the deadline: {last}")]
    OutOfTime {
        /// The last failure.
        last: Box<Error>,
    },

    /// A stop was requested (a signal) while a request waited for its slot
    /// in the budget: it was not sent, and the run stops here.
    #[error("stopped on request before the next request was sent")]
    Stopped,

    /// Graph rejected the access token (401).
    #[error(
        "Graph rejected the access token for {path} ({code}: {message}). A fresh token was tried; check the app registration and ENTRA_LOGIN_URL/GRAPH_BASE_URL belong to the same cloud"
    )]
    Unauthorized {
        /// Graph `error.code`.
        code: String,
        /// Graph `error.message`.
        message: String,
        /// Request path.
        path: String,
    },

    /// The tenant lacks the licence a dataset needs.
    #[error(
        "{dataset}: this tenant has no {licence}, which Graph requires for this log ({code}). Once it has, the next run archives it; or leave {dataset} out of --datasets. The other datasets are still archived"
    )]
    Licence {
        /// Dataset name.
        dataset: &'static str,
        /// The licence needed.
        licence: &'static str,
        /// Graph `error.code`.
        code: String,
    },

    /// The app lacks a permission a dataset needs.
    #[error("{dataset}: the app lacks permission ({code}: {message}). In the Entra admin center open App registrations > your app > API permissions, add the Microsoft Graph application permissions {}, then choose 'Grant admin consent'", .permissions.join(" and "))]
    Permission {
        /// Dataset name.
        dataset: &'static str,
        /// Application permissions the dataset needs.
        permissions: &'static [&'static str],
        /// Graph `error.code`.
        code: String,
        /// Graph `error.message`.
        message: String,
    },

    /// Graph refused the request for another reason (400, 403, 404 …); not retried.
    #[error("Graph refused {path} with HTTP {status} ({code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Graph `error.code`.
        code: String,
        /// Graph `error.message`.
        message: String,
        /// Request path and query.
        path: String,
    },

    /// A record lacks what the archive needs to place it (id, time).
    #[error("{dataset}: Graph sent a record the archive cannot place ({problem}); nothing of this query was written")]
    InvalidRecord {
        /// Dataset name.
        dataset: &'static str,
        /// What is missing.
        problem: String,
    },

    /// Reading or writing the destination failed.
    #[error("destination {op} of {key} failed: {source}")]
    Destination {
        /// The operation (`put`, `get`, `list`, `delete`).
        op: &'static str,
        /// The object key.
        key: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },

    /// A conditional write lost: someone else changed the object first.
    #[error("{key} was changed by another run; this run stops without writing over it")]
    Conflict {
        /// The object key.
        key: String,
    },

    /// Encoding or decoding Parquet failed.
    #[error("Parquet {op} of {key} failed: {source}")]
    Parquet {
        /// `write` or `read`.
        op: &'static str,
        /// File or object key.
        key: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// A state object (checkpoint, lease) cannot be read.
    #[error(
        "{key} is not a valid state file ({problem}). Move it aside to start this dataset afresh (records already archived are not written twice)"
    )]
    CorruptState {
        /// The object key.
        key: String,
        /// What is wrong.
        problem: String,
    },

    /// The checkpoint says the dataset is archived past now − lag.
    #[error(
        "{key} says {dataset} is archived through {through}, later than now minus the lag ({limit}): a host whose clock was ahead wrote it, and trusting it would skip that span for good. Set it to the last time you trust with `entra-archive checkpoint --dataset {dataset} --set <RFC 3339 time>`, or delete it and `entra-archive backfill` the span"
    )]
    CheckpointAhead {
        /// The checkpoint's key.
        key: String,
        /// The dataset.
        dataset: &'static str,
        /// What it says.
        through: chrono::DateTime<chrono::Utc>,
        /// The latest a checkpoint can be.
        limit: chrono::DateTime<chrono::Utc>,
    },

    /// Following `@odata.nextLink` does not end.
    #[error(
        "Graph's paging for {path} {problem}; stopped so as not to spend the tenant's request budget without end (the checkpoint did not move). Run again later; if it persists, report it to Microsoft with the request ids in the debug log (-v)"
    )]
    PagingLoop {
        /// The query, without its paging token.
        path: String,
        /// How the chain went wrong.
        problem: String,
    },

    /// A server answered with a redirect, which is never followed.
    #[error(
        "{server} answered HTTP {status} for {path}, redirecting to {location}: entra-archive follows no redirects (they would carry the token or the secret elsewhere). Check GRAPH_BASE_URL / ENTRA_LOGIN_URL and any proxy in between"
    )]
    Redirected {
        /// `Graph` or `the token endpoint`.
        server: &'static str,
        /// The 3xx status.
        status: u16,
        /// Where it pointed (origin and path only).
        location: String,
        /// What was requested.
        path: String,
    },

    /// Graph asked to wait longer than a request may.
    #[error(
        "Graph asked to wait {asked_secs} s before retrying (after {waited_secs} s already waited for this request), more than the {limit_secs} s a request may wait: run again later ({last})"
    )]
    WaitTooLong {
        /// Seconds Graph asked for.
        asked_secs: u64,
        /// Seconds already waited for this request.
        waited_secs: u64,
        /// The most a request may wait in all.
        limit_secs: u64,
        /// The last error.
        last: Box<Error>,
    },

    /// Graph refused a time filter its documentation does not list for the
    /// endpoint (the archive inferred it).
    #[error(
        "{dataset}: Graph refused the filter `{filter}` (HTTP 400: {message}). Microsoft does not document these operators for this endpoint; entra-archive inferred them from its sibling APIs, and Graph has not taken them. The dataset is skipped, the others are archived. Please report this message (and the request id in the debug log, -v) at the entra-archive issue tracker"
    )]
    FilterRefused {
        /// Dataset name.
        dataset: &'static str,
        /// The `$filter` sent.
        filter: String,
        /// Graph's message.
        message: String,
    },

    /// The archive to read does not exist.
    #[error("{location} does not exist; check --dest / ARCHIVE_DEST (an unmounted volume looks like this too)")]
    NoArchive {
        /// The folder.
        location: String,
    },
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default()
}

impl Error {
    /// Whether repeating the same request may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Http { .. }
                | Error::Throttled { .. }
                | Error::Server { .. }
                | Error::MalformedPage { .. }
                | Error::TokenEndpoint { .. }
        )
    }

    /// How long Graph asked us to wait, if it said.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the dataset cannot be read with this tenant's licence or the
    /// app's permissions, or Graph refuses the filter the archive had to
    /// infer: the dataset is skipped and the run goes on.
    pub(crate) fn is_access_denied(&self) -> bool {
        matches!(self, Error::Licence { .. } | Error::Permission { .. } | Error::FilterRefused { .. })
    }

    /// Wraps a destination backend error.
    pub(crate) fn destination(op: &'static str, key: impl Into<String>, source: impl Into<BoxError>) -> Error {
        Error::Destination { op, key: key.into(), source: source.into() }
    }
}

/// The claims of a federated assertion that matter to Entra's federated
/// identity credentials (issuer, subject, audience) and to its lifetime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssertionClaims {
    /// `iss`: the issuer URL (for AWS, the account's outbound-federation issuer).
    pub issuer: String,
    /// `sub`: the workload (for AWS, the IAM role's ARN).
    pub subject: String,
    /// `aud`, joined with ", " when it is a list.
    pub audience: String,
    /// `exp`, if it is a number of seconds.
    pub expires: Option<DateTime<Utc>>,
    /// The header's `kid`: which of the issuer's keys signed it.
    pub key_id: Option<String>,
}

/// What the token endpoint said when it refused the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRejection {
    /// HTTP status of the token response.
    pub status: u16,
    /// OAuth2 `error` (e.g. `invalid_client`).
    pub error: String,
    /// AADSTS numbers from `error_codes`.
    pub codes: Vec<u32>,
    /// First line of `error_description`.
    pub description: String,
    /// Tenant the token was requested for.
    pub tenant_id: String,
    /// Application (client) ID that asked.
    pub client_id: String,
    /// What the federated assertion sent said about itself (issuer, subject,
    /// audience), when the credential was federated.
    pub federated: Option<AssertionClaims>,
}

impl std::fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self;
        let advice = match &r.federated {
            Some(claims) => federated_advice(&r.codes, claims, &r.client_id),
            None => None,
        };
        let advice = advice
            .unwrap_or_else(|| token_advice(r.status, &r.error, &r.codes, &r.description, &r.tenant_id, &r.client_id));
        f.write_str(&redact(&advice))
    }
}

/// The fix for Entra's refusals of a federated assertion (Microsoft Entra
/// authentication error codes; the federatedIdentityCredential resource:
/// issuer, subject and audiences must match the token's `iss`, `sub`, `aud`).
fn federated_advice(codes: &[u32], claims: &AssertionClaims, client_id: &str) -> Option<String> {
    let (iss, sub, aud) = (&claims.issuer, &claims.subject, &claims.audience);
    let add = format!("infra/entra/register-app.sh --federation --issuer {iss} --subject {sub}");
    codes.iter().find_map(|&code| {
        let fix = match code {
            700211 => format!(
                "app {client_id} has no federated credential for issuer {iss}, the issuer of the token this process presented. Add one: {add} (or in the Entra admin center: App registrations > your app > Certificates & secrets > Federated credentials). For AWS, the issuer must be the account's: `aws iam get-outbound-web-identity-federation-info`"
            ),
            700213 => format!(
                "app {client_id} has no federated credential with subject {sub} for issuer {iss}. The subject is the IAM role's ARN (a stack created again has a new role): {add}"
            ),
            700212 => format!(
                "the federated credential of app {client_id} for issuer {iss} and subject {sub} does not accept audience {aud}. Its audiences must be [\"{aud}\"] (edit it under Certificates & secrets > Federated credentials), or set ENTRA_FEDERATION_AUDIENCE to the audience it has"
            ),
            70021 => format!(
                "app {client_id} has no federated credential matching issuer {iss}, subject {sub}, audience {aud} (asked again for 2 minutes, in case one was just created and had not propagated). Add it: {add}"
            ),
            700024 => format!(
                "the federated token is outside its validity (it expires {}): check this host's clock (NTP); a token file the platform stopped refreshing is stale (AZURE_FEDERATED_TOKEN_FILE)",
                claims.expires.map_or_else(|| "at an unreadable time".to_string(), |t| t.to_rfc3339())
            ),
            _ => return None,
        };
        Some(format!("Entra refused the federated assertion (AADSTS{code}): {fix}"))
    })
}

/// The message of [`Error::Token`]: what Entra said, and the fix where the
/// AADSTS code is one people commonly hit.
fn token_advice(
    status: u16,
    error: &str,
    codes: &[u32],
    description: &str,
    tenant_id: &str,
    client_id: &str,
) -> String {
    let advice = codes.iter().find_map(|&code| {
        let fix = match code {
            7000215 => format!(
                "the client secret is not valid for app {client_id}. ENTRA_CLIENT_SECRET must hold the secret's Value (shown once, when the secret was created), not its Secret ID. In the Entra admin center open App registrations > your app > Certificates & secrets, create a new client secret and use its Value"
            ),
            7000222 => format!(
                "the client secret of app {client_id} has expired. Create a new client secret under App registrations > your app > Certificates & secrets and update ENTRA_CLIENT_SECRET, or switch the app to a certificate credential"
            ),
            700016 => format!(
                "application {client_id} was not found in tenant {tenant_id}. Check that ENTRA_CLIENT_ID is the app's Application (client) ID and ENTRA_TENANT_ID the tenant where the app is registered"
            ),
            90002 => format!(
                "tenant {tenant_id} was not found. Check ENTRA_TENANT_ID (Entra admin center > Overview > Tenant ID) and that ENTRA_LOGIN_URL is the login host of the tenant's cloud (https://login.microsoftonline.us for US Government, https://login.chinacloudapi.cn for China)"
            ),
            700027 | 700026 => format!(
                "the client assertion's signature does not match a certificate of app {client_id}. Upload the certificate (its public part) under App registrations > your app > Certificates & secrets, or check that certificate_pem and private_key_pem are the pair uploaded there"
            ),
            7000218 => "no client secret reached Entra. Set ENTRA_CLIENT_SECRET".to_string(),
            70011 => "Entra rejected the scope: GRAPH_BASE_URL must be the Microsoft Graph host of the tenant's cloud".to_string(),
            _ => return None,
        };
        Some(format!("Entra refused the token request (AADSTS{code}): {fix}"))
    });
    advice.unwrap_or_else(|| {
        let codes: Vec<String> = codes.iter().map(|c| format!("AADSTS{c}")).collect();
        format!("Entra refused the token request with HTTP {status} {error} [{}]: {description}", codes.join(", "))
    })
}

/// Runs blocking work (decoding, encoding Parquet) off the async threads;
/// a panic in it is a Parquet error of `op` on `key`.
pub(crate) async fn blocking<T: Send + 'static>(
    op: &'static str,
    key: &str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Parquet {
        op,
        key: key.to_string(),
        source: e.into(),
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_aadsts_code_names_its_fix() {
        let cases = [
            (7000215, "Value"),
            (7000222, "expired"),
            (700016, "ENTRA_CLIENT_ID"),
            (90002, "ENTRA_TENANT_ID"),
            (700027, "Certificates & secrets"),
        ];
        for (code, needle) in cases {
            let text = token_advice(401, "invalid_client", &[code], "AADSTS…", "tid", "cid");
            assert!(text.contains(&format!("AADSTS{code}")), "{text}");
            assert!(text.contains(needle), "{code}: {text}");
        }
        let unknown = token_advice(400, "invalid_request", &[12345], "Something odd", "t", "c");
        assert!(unknown.contains("AADSTS12345") && unknown.contains("Something odd"), "{unknown}");
    }

    #[test]
    fn each_federated_refusal_names_the_claim_and_the_fix() {
        let claims = AssertionClaims {
            issuer: "https://abc.tokens.sts.global.api.aws".into(),
            subject: "arn:aws:iam::123456789012:role/entra-archive".into(),
            audience: "api://AzureADTokenExchange".into(),
            expires: "2026-12-04T10:00:00Z".parse().ok(),
            key_id: None,
        };
        let register = "register-app.sh --federation --issuer https://abc.tokens.sts.global.api.aws --subject arn:aws:iam::123456789012:role/entra-archive";
        let cases = [
            (700211, vec!["issuer https://abc.tokens.sts.global.api.aws", register]),
            (700213, vec!["subject arn:aws:iam::123456789012:role/entra-archive", register]),
            (700212, vec!["audience api://AzureADTokenExchange", "ENTRA_FEDERATION_AUDIENCE"]),
            (70021, vec!["propagated", register]),
            (700024, vec!["2026-12-04T10:00:00+00:00", "clock"]),
        ];
        for (code, needles) in cases {
            let rejection = TokenRejection {
                status: 400,
                error: "invalid_client".into(),
                codes: vec![code],
                description: format!("AADSTS{code}: …"),
                tenant_id: "t".into(),
                client_id: "cid".into(),
                federated: Some(claims.clone()),
            };
            let text = rejection.to_string();
            assert!(text.contains(&format!("AADSTS{code}")), "{text}");
            for needle in needles {
                assert!(text.contains(needle), "{code} lacks {needle}: {text}");
            }
        }
    }

    #[test]
    fn token_endpoint_failures_are_labelled_as_the_token_endpoints() {
        let e = Error::TokenEndpoint {
            url: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
            status: 500,
            problem: "Internal Server Error".into(),
        };
        let text = e.to_string();
        assert!(text.starts_with("Entra's token endpoint https://login.microsoftonline.com/t/"), "{text}");
        assert!(text.contains("HTTP 500") && !text.contains("Graph"), "{text}");
        assert!(e.is_retryable());
    }

    #[test]
    fn an_unreadable_page_shows_no_token_it_carried() {
        let e = Error::MalformedPage {
            path: "/v1.0/x?$skiptoken=1&client_secret=Leaked~1".into(),
            problem: "invalid type: string \"eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.\", expected a sequence".into(),
        };
        let text = e.to_string();
        assert!(!text.contains("eyJ") && !text.contains("Leaked") && text.contains("client_secret=***"), "{text}");
    }

    #[test]
    fn a_rejection_that_echoes_the_request_shows_no_credential() {
        let rejection = TokenRejection {
            status: 400,
            error: "invalid_request".into(),
            codes: vec![90000],
            description: "AADSTS90000: echo: client_id=c&client_secret=Echoed~Secret.1&grant_type=x".into(),
            tenant_id: "t".into(),
            client_id: "c".into(),
            federated: None,
        };
        let text = rejection.to_string();
        assert!(text.contains("client_secret=***&grant_type") && !text.contains("Echoed"), "{text}");
    }
}
