//! What a simulated tenant looks like before it starts: seed, identities,
//! token lifetime, and how many records of each dataset to hold over which
//! time range.
//!
//! `SimConfig::default()` is the demo tenant. It stays cheap to start: the
//! datasets added after v1.0 signIns and directoryAudits (beta sign-ins,
//! provisioning, risk detections) are generated on first use, not at start. The client secret is held as a
//! plain `String` because tests need to hand it to the exporter, but the
//! `Debug` output redacts it, and nothing in the simulator ever logs it. The
//! app's certificate is public material, but `Debug` shows only whether one
//! is set.

use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::dataset::{Dataset, SignInEventType};

/// Demo tenant id.
pub const DEFAULT_TENANT_ID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";
/// Demo application (client) id.
pub const DEFAULT_CLIENT_ID: &str = "0a1b2c3d-1111-4222-8333-444455556666";
/// Demo client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "sim~Secret.Value_0123456789abcdefABCDEF";

/// Configuration of one simulated tenant.
#[derive(Clone)]
pub struct SimConfig {
    /// Seed of every random choice (records, request ids, tokens). Default 42.
    pub seed: u64,
    /// Directory (tenant) id accepted by the token endpoint.
    pub tenant_id: String,
    /// Application id accepted by the token endpoint.
    pub client_id: String,
    /// Client secret accepted by the token endpoint.
    pub client_secret: String,
    /// The app's uploaded certificate (PEM, X.509, RSA 2048–8192 bits): client
    /// assertions signed with its key are accepted. Only the first
    /// `CERTIFICATE` block is read. Default `None`: every assertion fails
    /// with AADSTS700027.
    pub client_certificate_pem: Option<String>,
    /// Lifetime of issued access tokens. Default 3599 s, as Entra issues.
    pub token_lifetime: Duration,
    /// Earliest time of generated records (inclusive).
    pub from: DateTime<Utc>,
    /// Latest time of generated records (exclusive).
    pub to: DateTime<Utc>,
    /// Number of interactive user sign-ins generated at start. Each is served
    /// by v1.0 and, as the same event, by beta as an `interactiveUser`
    /// sign-in. Default 5000.
    pub signins: usize,
    /// Number of directory audits generated at start. Default 2000.
    pub directory_audits: usize,
    /// Number of beta `nonInteractiveUser` sign-ins. Default 3000.
    pub signins_noninteractive: usize,
    /// Number of beta `servicePrincipal` sign-ins. Default 500.
    pub signins_service_principal: usize,
    /// Number of beta `managedIdentity` sign-ins. Default 300.
    pub signins_managed_identity: usize,
    /// Number of provisioning events. Default 500.
    pub provisioning: usize,
    /// Number of risk detections (by `lastUpdatedDateTime` in
    /// `[from, to)`). Default 200.
    pub risk_detections: usize,
}

impl SimConfig {
    /// How many records of `ds` to generate, per segment (`None`: the
    /// dataset's natural mix). Beta's interactive sign-ins are the twins of
    /// [`SimConfig::signins`], so they are not counted here.
    pub(crate) fn counts(&self, ds: Dataset) -> Vec<(Option<usize>, usize)> {
        match ds {
            Dataset::SignIns => vec![(None, self.signins)],
            Dataset::DirectoryAudits => vec![(None, self.directory_audits)],
            Dataset::SignInsBeta => vec![
                (Some(SignInEventType::NonInteractiveUser.segment()), self.signins_noninteractive),
                (Some(SignInEventType::ServicePrincipal.segment()), self.signins_service_principal),
                (Some(SignInEventType::ManagedIdentity.segment()), self.signins_managed_identity),
            ],
            Dataset::Provisioning => vec![(None, self.provisioning)],
            Dataset::RiskDetections => vec![(None, self.risk_detections)],
        }
    }

    /// The tenant with no generated records at all (everything else as
    /// `self`): a start for tests that insert their own.
    pub fn empty(self) -> SimConfig {
        SimConfig {
            signins: 0,
            directory_audits: 0,
            signins_noninteractive: 0,
            signins_service_principal: 0,
            signins_managed_identity: 0,
            provisioning: 0,
            risk_detections: 0,
            ..self
        }
    }

    /// The default record window: `to` = now rounded down to the minute,
    /// `from` = `to` − 48 h.
    pub fn default_window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let to = now.duration_trunc(TimeDelta::minutes(1)).expect("a present-day time truncates to the minute");
        (to - TimeDelta::hours(48), to)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        let (from, to) = SimConfig::default_window(Utc::now());
        SimConfig {
            seed: 42,
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            client_certificate_pem: None,
            token_lifetime: Duration::from_secs(3599),
            from,
            to,
            signins: 5000,
            directory_audits: 2000,
            signins_noninteractive: 3000,
            signins_service_principal: 500,
            signins_managed_identity: 300,
            provisioning: 500,
            risk_detections: 200,
        }
    }
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("client_certificate_pem", &self.client_certificate_pem.as_ref().map(|_| "<PEM>"))
            .field("token_lifetime", &self.token_lifetime)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("signins", &self.signins)
            .field("directory_audits", &self.directory_audits)
            .field("signins_noninteractive", &self.signins_noninteractive)
            .field("signins_service_principal", &self.signins_service_principal)
            .field("signins_managed_identity", &self.signins_managed_identity)
            .field("provisioning", &self.provisioning)
            .field("risk_detections", &self.risk_detections)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_is_48h_ending_on_a_minute() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:17:45.123Z").unwrap().to_utc();
        let (from, to) = SimConfig::default_window(now);
        assert_eq!(to.to_rfc3339(), "2026-11-24T10:17:00+00:00");
        assert_eq!(from.to_rfc3339(), "2026-11-22T10:17:00+00:00");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let c = SimConfig::default();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(&c.client_secret));
        assert!(dbg.contains("***"));
    }
}
