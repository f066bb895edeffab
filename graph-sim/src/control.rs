//! The knobs a test turns while the simulator runs: tenant-wide switches
//! (licence, the app's granted permissions, Graph's rate limits, a
//! page-size cap, refusing undocumented filters, errors that echo the
//! request), one-shot faults, and what was served: the request log and
//! counters.
//!
//! These are plain values; the server reads switches on every Graph data
//! request and pops at most one queued fault per data request (token requests
//! never consume faults). The request log holds method, path and status only —
//! never a body, a secret or a bearer token.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The application permissions the simulated app holds, with admin consent,
/// unless revoked ([`Switches::revoked_permissions`],
/// [`Switches::missing_permission`]). Tokens carry them as `roles`, in this
/// order.
pub const GRANTED_PERMISSIONS: &[&str] = &["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All"];

/// Application permissions the app holds only when granted
/// ([`crate::SimConfig::extra_permissions`],
/// [`crate::GraphSim::grant_permission`]), as an administrator adds them for
/// the optional datasets: custom security attribute audits (which even a
/// Global Administrator cannot read by default) and Global Secure Access
/// traffic. Tokens carry the granted ones as `roles` after
/// [`GRANTED_PERMISSIONS`], in this order.
pub const OPTIONAL_PERMISSIONS: &[&str] = &["CustomSecAttributeAuditLogs.Read.All", "NetworkAccess-Reports.Read.All"];

/// `name` (ignoring ASCII case and surrounding space) spelled as Graph
/// spells it, if it is one of [`GRANTED_PERMISSIONS`] or
/// [`OPTIONAL_PERMISSIONS`].
pub fn known_permission(name: &str) -> Option<&'static str> {
    GRANTED_PERMISSIONS.iter().chain(OPTIONAL_PERMISSIONS).copied().find(|p| p.eq_ignore_ascii_case(name.trim()))
}

/// Standing conditions of the simulated tenant.
#[derive(Clone, Debug, Default)]
pub struct Switches {
    /// The tenant has no Entra ID P1/P2: every dataset that requires premium
    /// (signIns v1.0 and beta, riskDetections) answers 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`;
    /// directoryAudits and provisioning still work.
    pub unlicensed: bool,
    /// The app lacks `AuditLog.Read.All` (the same as listing it in
    /// [`Switches::revoked_permissions`]): everything under `/auditLogs`
    /// answers 403 `Authentication_MSGraphPermissionMissing`, and new tokens
    /// lack the role.
    pub missing_permission: bool,
    /// Application permissions (of [`GRANTED_PERMISSIONS`] or granted
    /// [`OPTIONAL_PERMISSIONS`], compared ignoring ASCII case) the app does
    /// not hold. A data request whose dataset needs one answers 403 with the
    /// dataset's denial — `Authentication_MSGraphPermissionMissing` naming it
    /// under `/auditLogs` (sign-ins, audits, provisioning, sign-ups),
    /// `Authorization_RequestDenied` "Insufficient privileges to complete the
    /// operation." under `/identityProtection`, the same code naming the
    /// permission for the optional ones — and tokens issued afterwards lack
    /// the role. The permission check comes before the licence check.
    /// `Directory.Read.All` only changes the `roles` claim. Revoking wins
    /// over granting. Default: none revoked.
    pub revoked_permissions: Vec<String>,
    /// The app's client secret has expired: the token endpoint answers
    /// AADSTS7000222.
    pub secret_expired: bool,
    /// Every Graph data response is delayed this long.
    pub page_delay: Duration,
    /// Graph's throttling. When set, every data request that passes
    /// authentication is a start in its throttle group's sliding window (all
    /// of `/auditLogs` is one group, as at Graph); a request that would be
    /// start number `requests + 1` within any `window` is answered 429
    /// `TooManyRequests` with `Retry-After` = whole seconds until a slot
    /// frees (rounded up, at least 1). Rejected requests take no slot, so
    /// waiting `Retry-After` is always enough; see `throttle.rs` for why.
    /// A throttled request consumes no queued [`Fault`]. Default `None`: no
    /// limit. [`RateLimit::AUDIT_LOGS`] is Graph's documented budget.
    pub rate_limit: Option<RateLimit>,
    /// The same for Identity Protection (riskDetections and
    /// servicePrincipalRiskDetections), a separate budget whose 429s carry
    /// no `Retry-After` (as at Graph: clients must back off on their own).
    /// Default `None`: no limit. [`RateLimit::IDENTITY_PROTECTION`] is
    /// Graph's documented budget.
    pub identity_protection_rate_limit: Option<RateLimit>,
    /// The same for `/networkAccess` (Global Secure Access traffic), a
    /// separate budget whose 429s carry `Retry-After`. Graph documents no
    /// limit for it beyond its global one, so the sim's default is none.
    /// Default `None`: no limit.
    pub network_access_rate_limit: Option<RateLimit>,
    /// Largest page the server returns, even when `$top` asks for more (Graph
    /// may return fewer records than `$top`; clients must follow
    /// `@odata.nextLink` regardless). nextLinks keep the client's `$top`.
    /// `Some(0)` is treated as 1. Default `None`: pages are `$top` long.
    pub max_page_size: Option<usize>,
    /// Error answers that echo the request back, as a misbehaving server or
    /// proxy may: a client must not print them verbatim. Default `None`.
    pub echo_request: Option<Echo>,
    /// Accept only the `$filter` operators Microsoft documents where the sim
    /// otherwise accepts more: `/beta/networkAccess/logs/traffic` (only `eq`
    /// on `createdDateTime` is documented) and
    /// `/v1.0/identityProtection/servicePrincipalRiskDetections` (no
    /// operator is documented on `lastUpdatedDateTime`; `eq` stays
    /// accepted) then answer `ge`/`le` on their time field with 400
    /// `BadRequest` "Invalid filter clause: …" naming the operator, as a
    /// Graph that kept to its documentation would. Default `false`: `ge`,
    /// `le` and `eq` are accepted.
    pub refuse_undocumented_filters: bool,
}

/// Which endpoint echoes the request, and how ([`Switches::echo_request`]).
/// The request itself is judged no further: no token is issued, no page
/// served, no queued [`Fault`] consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// Every token request is answered 500 `text/plain` whose body is the
    /// request's form body verbatim (`…&client_secret=…` or
    /// `…&client_assertion=eyJ…`).
    TokenServerError,
    /// Every token request is answered 400 `invalid_request` AADSTS90000,
    /// whose `error_description` is `AADSTS90000: echo: <form body>`.
    TokenInvalidRequest,
    /// Every authenticated Graph data request is answered with this status
    /// (400 and 500 are the useful ones) and Graph's error envelope, code
    /// `BadRequest` (`InternalServerError` for a 5xx), message
    /// `echo: Authorization: <the request's Authorization header>` — the
    /// bearer token. Tokens are still issued.
    Graph(u16),
}

impl Switches {
    /// Whether the app holds `permission` (ignoring ASCII case): one of
    /// [`GRANTED_PERMISSIONS`], or of [`OPTIONAL_PERMISSIONS`] when listed in
    /// `extra` (the tenant's grants, [`crate::SimConfig::extra_permissions`]),
    /// and not revoked.
    pub fn grants(&self, extra: &[String], permission: &str) -> bool {
        let is = |p: &str| p.eq_ignore_ascii_case(permission);
        let held = GRANTED_PERMISSIONS.iter().any(|p| is(p))
            || (OPTIONAL_PERMISSIONS.iter().any(|p| is(p)) && extra.iter().any(|e| is(e.trim())));
        held && !(self.missing_permission && is("AuditLog.Read.All")) && !self.revoked_permissions.iter().any(|r| is(r))
    }

    /// The permissions the app holds now, given the tenant's grants
    /// (`extra`), in [`GRANTED_PERMISSIONS`] then [`OPTIONAL_PERMISSIONS`]
    /// order: the `roles` of tokens issued now.
    pub fn granted_permissions(&self, extra: &[String]) -> Vec<&'static str> {
        GRANTED_PERMISSIONS.iter().chain(OPTIONAL_PERMISSIONS).copied().filter(|p| self.grants(extra, p)).collect()
    }
}

/// A request budget: at most `requests` starts in any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests admitted per window.
    pub requests: u32,
    /// Length of the sliding window.
    pub window: Duration,
}

impl RateLimit {
    /// Graph's identity and access reports limit, per app per tenant, shared
    /// by everything under `/auditLogs`: five requests per 10 seconds.
    pub const AUDIT_LOGS: RateLimit = RateLimit { requests: 5, window: Duration::from_secs(10) };

    /// Graph's identity protection and Conditional Access limit, per tenant
    /// for all apps: one request per second.
    pub const IDENTITY_PROTECTION: RateLimit = RateLimit { requests: 1, window: Duration::from_secs(1) };
}

impl fmt::Display for RateLimit {
    /// `5/10s`, the form the binary's `--rate-limit` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.requests, humantime::format_duration(self.window))
    }
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
    /// 200 with the real page's headers (its full `Content-Length`
    /// included), then about half the body, then the connection is cut: the
    /// client's body read fails. The next request, on a new connection, is
    /// served normally.
    DropConnection,
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

/// Counters of what the simulator served, from start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimStats {
    /// Requests to data endpoints, by the HTTP status answered (401s, 429s
    /// and injected faults included; a [`Fault::DropConnection`] counts as
    /// the 200 it started).
    pub data_requests: BTreeMap<u16, u64>,
    /// 429s sent by the rate limiters ([`Switches::rate_limit`],
    /// [`Switches::identity_protection_rate_limit`]); injected
    /// [`Fault::TooManyRequests`] are not counted here.
    pub rate_limited: u64,
    /// Queued faults consumed by data requests.
    pub faults_injected: u64,
    /// Requests to the token endpoint, whatever their outcome.
    pub token_requests: u64,
    /// Access tokens issued (token requests answered 200).
    pub tokens_issued: u64,
    /// Token requests whose client assertion is a federated one (issued by
    /// an external identity provider, not signed with the app's
    /// certificate), whatever their outcome; counted in `token_requests`
    /// too. An assertion that does not parse as a JWT cannot be told apart
    /// and is not counted here.
    pub federated_token_requests: u64,
    /// Access tokens issued for a federated assertion; counted in
    /// `tokens_issued` too.
    pub federated_tokens_issued: u64,
}

impl SimStats {
    /// Data requests answered with `status`.
    pub fn data_requests_with(&self, status: u16) -> u64 {
        self.data_requests.get(&status).copied().unwrap_or(0)
    }

    /// Data requests answered, whatever the status.
    pub fn data_requests_total(&self) -> u64 {
        self.data_requests.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_displays_as_the_flag_reads() {
        assert_eq!(RateLimit::AUDIT_LOGS.to_string(), "5/10s");
        assert_eq!(RateLimit::IDENTITY_PROTECTION.to_string(), "1/1s");
        assert_eq!(RateLimit { requests: 1, window: Duration::from_millis(1500) }.to_string(), "1/1s 500ms");
    }

    #[test]
    fn stats_sums() {
        let mut s = SimStats::default();
        s.data_requests.insert(200, 3);
        s.data_requests.insert(429, 2);
        assert_eq!(s.data_requests_with(429), 2);
        assert_eq!(s.data_requests_with(503), 0);
        assert_eq!(s.data_requests_total(), 5);
    }

    #[test]
    fn granted_permissions_follow_the_switches() {
        let mut s = Switches::default();
        assert_eq!(s.granted_permissions(&[]), GRANTED_PERMISSIONS);
        s.missing_permission = true;
        assert_eq!(s.granted_permissions(&[]), ["Directory.Read.All", "IdentityRiskEvent.Read.All"]);
        assert!(!s.grants(&[], "auditlog.read.all"));
        s.missing_permission = false;
        s.revoked_permissions = vec!["identityriskevent.read.all".to_owned(), "Nonsense.Read".to_owned()];
        assert_eq!(s.granted_permissions(&[]), ["AuditLog.Read.All", "Directory.Read.All"]);
        assert!(!s.grants(&[], "IdentityRiskEvent.Read.All"));
        assert!(!s.grants(&[], "User.Read.All"), "only known permissions are ever held");
    }

    #[test]
    fn optional_permissions_are_held_only_when_granted() {
        let mut s = Switches::default();
        for p in OPTIONAL_PERMISSIONS {
            assert!(!s.grants(&[], p), "{p} is not held by default");
        }
        let extra = vec!["networkaccess-reports.read.all".to_owned(), "User.Read.All".to_owned()];
        assert!(s.grants(&extra, "NetworkAccess-Reports.Read.All"));
        assert!(!s.grants(&extra, "User.Read.All"), "only OPTIONAL_PERMISSIONS can be granted");
        assert_eq!(
            s.granted_permissions(&extra),
            ["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All", "NetworkAccess-Reports.Read.All"]
        );
        s.revoked_permissions = vec!["NetworkAccess-Reports.Read.All".to_owned()];
        assert!(!s.grants(&extra, "NetworkAccess-Reports.Read.All"), "revoking wins");
        assert_eq!(
            known_permission(" customsecattributeauditlogs.read.all "),
            Some("CustomSecAttributeAuditLogs.Read.All")
        );
        assert_eq!(known_permission("AuditLog.Read.All"), Some("AuditLog.Read.All"));
        assert_eq!(known_permission("User.Read.All"), None);
    }
}
