//! The knobs a test turns while the simulator runs: tenant-wide switches,
//! one-shot faults, and the log of requests served.
//!
//! These are plain values; the server reads switches on every Graph data
//! request and pops at most one queued fault per data request (token requests
//! never consume faults). The request log holds method, path and status only —
//! never a body, a secret or a bearer token.

use std::time::Duration;

/// Standing conditions of the simulated tenant.
#[derive(Clone, Debug, Default)]
pub struct Switches {
    /// The tenant has no Entra ID P1/P2: sign-ins answer 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    pub unlicensed: bool,
    /// The app lacks `AuditLog.Read.All`: every data endpoint answers 403
    /// `Authentication_MSGraphPermissionMissing`, and new tokens lack the role.
    pub missing_permission: bool,
    /// The app's client secret has expired: the token endpoint answers
    /// AADSTS7000222.
    pub secret_expired: bool,
    /// Every Graph data response is delayed this long.
    pub page_delay: Duration,
}

/// A one-shot failure, consumed (FIFO) by the next Graph data request that
/// passes authentication.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 `TooManyRequests`, with `Retry-After: <secs>` when given.
    TooManyRequests {
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// 503 `ServiceUnavailable`, with `Retry-After: <secs>` when given.
    ServiceUnavailable {
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// 504 `GatewayTimeout`.
    GatewayTimeout,
    /// The response the request would have had, cut to about half its length
    /// (valid HTTP, invalid JSON).
    TruncatedBody,
    /// 200 with an HTML error page instead of JSON.
    MalformedBody,
    /// Serve the request normally after this delay.
    Delay(Duration),
    /// Mark every token issued so far as expired, then answer 401 as Graph
    /// does for an expired token.
    ExpireTokens,
    /// Any other Graph error: this status with a Graph error envelope
    /// carrying `code` and `message` (e.g. a 400 a real tenant might send).
    Error {
        /// HTTP status.
        status: u16,
        /// Graph `error.code`.
        code: String,
        /// Graph `error.message`.
        message: String,
    },
}

/// One request the simulator answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLog {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path and query as received (token requests: path only).
    pub path_and_query: String,
    /// HTTP status returned.
    pub status: u16,
}
