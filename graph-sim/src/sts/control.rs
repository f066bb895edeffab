//! The knobs a test turns on the STS stand-in, and what it served.
//!
//! [`StsSwitches`] are standing conditions read on every
//! `GetWebIdentityToken` call; [`StsStats`] counts the calls and records,
//! for each, what was asked (audiences, signing algorithm, duration) and the
//! status answered. Neither ever holds a token: the tokens issued are kept
//! apart ([`crate::sts::StsSim::issued`]) so tests can assert none leaks.

/// Standing conditions of the simulated AWS account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StsSwitches {
    /// Outbound identity federation is not enabled for the account: calls
    /// are answered 403 `OutboundWebIdentityFederationDisabledException`.
    pub federation_disabled: bool,
    /// The caller's policies do not allow `sts:GetWebIdentityToken`: calls
    /// are answered 403 `AccessDenied`.
    pub access_denied: bool,
    /// Tokens are issued as a host whose clock is an hour behind would see
    /// them: `iat`, `nbf` and `exp` (and the response's `Expiration`) are
    /// all in the past, so a verifier with the right time refuses them.
    pub expired: bool,
    /// STS is down: calls are answered 503 `ServiceUnavailable`.
    pub unavailable: bool,
    /// The caller's role session ends this many seconds from now: a call
    /// asking for a token that would outlive it is answered 400
    /// `SessionDurationEscalationException` ("The requested token duration
    /// would extend the session beyond its original expiration time",
    /// API_GetWebIdentityToken). Default `None`: a session without end.
    pub session_seconds_left: Option<i64>,
}

/// One `GetWebIdentityToken` call, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsRequest {
    /// `Audience.member.N`, in member order.
    pub audiences: Vec<String>,
    /// `SigningAlgorithm`, if sent.
    pub signing_algorithm: Option<String>,
    /// `DurationSeconds`, if sent and a number.
    pub duration_seconds: Option<i64>,
    /// HTTP status answered.
    pub status: u16,
}

/// What the stand-in served, from start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StsStats {
    /// `GetWebIdentityToken` calls, whatever their outcome.
    pub get_web_identity_token_requests: u64,
    /// Tokens issued by `GetWebIdentityToken` (calls answered 200).
    pub tokens_issued: u64,
    /// Every `GetWebIdentityToken` call, in order.
    pub requests: Vec<StsRequest>,
}
