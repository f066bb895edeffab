//! The library's one error type. A variant exists where a caller branches on
//! it (retry it, skip a dataset, stop the run); the context is kept in fields,
//! and every message says what happened and what to do. No variant ever holds
//! a client secret or a bearer token.

use std::time::Duration;

pub use crate::token::TokenRejection;

/// A boxed error from a storage backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        setting: &'static str,
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
    #[error("Graph sent an unreadable page for {path}: {problem}; the page is requested again")]
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
        "{dataset}: the tenant has no {licence} licence, which Graph requires for this log ({code}). Assign Entra ID P1 or P2 to the tenant, or leave {dataset} out of --datasets; the other datasets are still archived"
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
    #[error("{dataset}: Graph sent a record the archive cannot place ({problem}); nothing of this slice was written")]
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
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default()
}

impl Error {
    /// Whether repeating the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Http { .. } | Error::Throttled { .. } | Error::Server { .. } | Error::MalformedPage { .. }
        )
    }

    /// How long Graph asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the dataset cannot be read with this tenant's licence or the
    /// app's permissions: the dataset is skipped and the run goes on.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Error::Licence { .. } | Error::Permission { .. })
    }

    /// Wraps a destination backend error.
    pub fn destination(op: &'static str, key: impl Into<String>, source: impl Into<BoxError>) -> Error {
        Error::Destination { op, key: key.into(), source: source.into() }
    }
}
