//! What a simulated tenant looks like before it starts: seed, identities,
//! token lifetime, how many records of each dataset to hold over which time
//! range, the licences and kind of tenant the optional logs depend on, and
//! the optional permissions granted to the app, and the federated identity
//! credentials it trusts.
//!
//! `SimConfig::default()` is the demo tenant: a workforce tenant with Entra
//! ID P1/P2 and Workload ID Premium, not onboarded to Global Secure Access,
//! whose app holds none of the optional permissions. It stays cheap to
//! start: the datasets added after v1.0 signIns and directoryAudits are
//! generated on first use, not at start. The client secret is held as a
//! plain `String` because tests need to hand it to the exporter, but the
//! `Debug` output redacts it, and nothing in the simulator ever logs it. The
//! app's certificate is public material, but `Debug` shows only whether one
//! is set.

use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::control::{OPTIONAL_PERMISSIONS, known_permission};
use crate::dataset::{Dataset, SignInEventType};

/// Demo tenant id.
pub const DEFAULT_TENANT_ID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";
/// Demo application (client) id.
pub const DEFAULT_CLIENT_ID: &str = "0a1b2c3d-1111-4222-8333-444455556666";
/// Demo client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "sim~Secret.Value_0123456789abcdefABCDEF";

/// The audience Microsoft documents for a federated identity credential on
/// Entra ID, and the default of [`FederatedCredential::new`].
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Entra's limit of federated identity credentials per application
/// (<https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials>:
/// "Maximum of 20 objects can be added to an application").
pub const MAX_FEDERATED_CREDENTIALS: usize = 20;

/// One federated identity credential of the app: Entra accepts a client
/// assertion issued by `issuer` about `subject` for one of `audiences`
/// (compared exactly, case-sensitive, as Entra has since 2024). The shape is
/// Graph's `federatedIdentityCredential`
/// (<https://learn.microsoft.com/graph/api/resources/federatedidentitycredential>):
/// `name` at most 120 characters, `issuer`, `subject` and the one audience
/// at most 600, and the issuer and subject pair unique within the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederatedCredential {
    /// Unique name within the app.
    pub name: String,
    /// The external identity provider's issuer URL, which must equal the
    /// assertion's `iss`.
    pub issuer: String,
    /// Must equal the assertion's `sub`.
    pub subject: String,
    /// What the assertion's `aud` must contain; Entra accepts exactly one
    /// value, usually [`TOKEN_EXCHANGE_AUDIENCE`].
    pub audiences: Vec<String>,
}

impl FederatedCredential {
    /// A credential for `issuer` and `subject` with the audience
    /// [`TOKEN_EXCHANGE_AUDIENCE`].
    pub fn new(name: impl Into<String>, issuer: impl Into<String>, subject: impl Into<String>) -> Self {
        FederatedCredential {
            name: name.into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: vec![TOKEN_EXCHANGE_AUDIENCE.to_owned()],
        }
    }

    /// Refuses what Graph refuses when the credential is created: an empty
    /// or over-long property, or not exactly one audience.
    fn check(&self) -> Result<(), String> {
        let name = &self.name;
        let too_long = |what: &str, value: &str, max: usize| {
            (value.is_empty() || value.chars().count() > max)
                .then(|| format!("federated credential '{name}': {what} must be 1 to {max} characters"))
        };
        if let Some(e) = too_long("name", name, 120)
            .or_else(|| too_long("issuer", &self.issuer, 600))
            .or_else(|| too_long("subject", &self.subject, 600))
        {
            return Err(e);
        }
        match self.audiences.as_slice() {
            [one] => too_long("the audience", one, 600).map_or(Ok(()), Err),
            _ => Err(format!("federated credential '{name}' must have exactly one audience")),
        }
    }
}

/// Refuses a set of federated credentials Entra would not hold: more than
/// [`MAX_FEDERATED_CREDENTIALS`], an invalid one, a repeated name, or a
/// repeated issuer and subject pair.
pub(crate) fn check_federated_credentials(credentials: &[FederatedCredential]) -> Result<(), String> {
    if credentials.len() > MAX_FEDERATED_CREDENTIALS {
        return Err(format!(
            "{} federated credentials: an application holds at most {MAX_FEDERATED_CREDENTIALS}",
            credentials.len()
        ));
    }
    for (i, c) in credentials.iter().enumerate() {
        c.check()?;
        let earlier = &credentials[..i];
        if earlier.iter().any(|e| e.name == c.name) {
            return Err(format!("federated credential name '{}' is used twice", c.name));
        }
        if earlier.iter().any(|e| e.issuer == c.issuer && e.subject == c.subject) {
            return Err(format!(
                "federated credentials '{}': the issuer '{}' and subject '{}' are already another credential's",
                c.name, c.issuer, c.subject
            ));
        }
    }
    Ok(())
}

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
    /// Number of service principal risk detections (by
    /// `lastUpdatedDateTime` in `[from, to)`). Default 200.
    pub service_principal_risk_detections: usize,
    /// Number of custom security attribute audits. Default 300.
    pub custom_security_attribute_audits: usize,
    /// Number of External ID self-service sign-up events. Default 150.
    pub signups: usize,
    /// Number of Global Secure Access traffic log entries. Default 2000.
    pub network_access_traffic: usize,
    /// The tenant has Microsoft Entra Workload ID Premium. Without it
    /// `/v1.0/identityProtection/servicePrincipalRiskDetections` answers 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`. Default
    /// `true`.
    pub workload_id_premium: bool,
    /// The tenant is a Microsoft Entra External ID (external, customer)
    /// tenant, the only kind with self-service sign-up logs. Otherwise
    /// `/beta/auditLogs/signUps` answers 403
    /// `Authentication_RequestFromUnsupportedTenantType`. Default `false`: a
    /// workforce tenant.
    pub external_id_tenant: bool,
    /// The tenant is onboarded to Global Secure Access with a Microsoft
    /// Entra Internet Access or Private Access licence. Otherwise
    /// `/beta/networkAccess/logs/traffic` answers 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`. Default
    /// `false`.
    pub global_secure_access: bool,
    /// Optional application permissions granted to the app
    /// ([`OPTIONAL_PERMISSIONS`]: `CustomSecAttributeAuditLogs.Read.All`,
    /// `NetworkAccess-Reports.Read.All`; any case), on top of
    /// [`crate::control::GRANTED_PERMISSIONS`]. Any other name makes
    /// [`crate::GraphSim::start`] fail. Default: none.
    pub extra_permissions: Vec<String>,
    /// Record times follow a working week, as a real tenant's do: weekdays
    /// 08:00–18:00 UTC five times as dense as nights and weekends. Default
    /// `false`: uniform over `[from, to)`.
    pub diurnal: bool,
    /// The app's federated identity credentials: client assertions from an
    /// external identity provider (an AWS role's web identity token, say)
    /// that match one are accepted, with no secret. At most
    /// [`MAX_FEDERATED_CREDENTIALS`]; more, or an invalid one, makes
    /// [`crate::GraphSim::start`] fail. Default: none.
    pub federated_credentials: Vec<FederatedCredential>,
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
            Dataset::ServicePrincipalRiskDetections => vec![(None, self.service_principal_risk_detections)],
            Dataset::CustomSecurityAttributeAudits => vec![(None, self.custom_security_attribute_audits)],
            Dataset::SignUps => vec![(None, self.signups)],
            Dataset::NetworkAccessTraffic => vec![(None, self.network_access_traffic)],
        }
    }

    /// Refuses what the simulator cannot model: an extra permission that is
    /// not one of [`OPTIONAL_PERMISSIONS`] (or
    /// [`crate::control::GRANTED_PERMISSIONS`], which are held anyway), or
    /// federated credentials Entra would refuse.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(p) = self.extra_permissions.iter().find(|p| known_permission(p).is_none()) {
            return Err(format!(
                "extra permission '{p}' is not one the simulator models; grant one of {}",
                OPTIONAL_PERMISSIONS.join(", ")
            ));
        }
        check_federated_credentials(&self.federated_credentials)
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
            service_principal_risk_detections: 0,
            custom_security_attribute_audits: 0,
            signups: 0,
            network_access_traffic: 0,
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
            service_principal_risk_detections: 200,
            custom_security_attribute_audits: 300,
            signups: 150,
            network_access_traffic: 2000,
            workload_id_premium: true,
            external_id_tenant: false,
            global_secure_access: false,
            extra_permissions: Vec::new(),
            diurnal: false,
            federated_credentials: Vec::new(),
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
            .field("service_principal_risk_detections", &self.service_principal_risk_detections)
            .field("custom_security_attribute_audits", &self.custom_security_attribute_audits)
            .field("signups", &self.signups)
            .field("network_access_traffic", &self.network_access_traffic)
            .field("workload_id_premium", &self.workload_id_premium)
            .field("external_id_tenant", &self.external_id_tenant)
            .field("global_secure_access", &self.global_secure_access)
            .field("extra_permissions", &self.extra_permissions)
            .field("diurnal", &self.diurnal)
            .field("federated_credentials", &self.federated_credentials)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::GRANTED_PERMISSIONS;

    #[test]
    fn default_window_is_48h_ending_on_a_minute() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:17:45.123Z").unwrap().to_utc();
        let (from, to) = SimConfig::default_window(now);
        assert_eq!(to.to_rfc3339(), "2026-11-24T10:17:00+00:00");
        assert_eq!(from.to_rfc3339(), "2026-11-22T10:17:00+00:00");
    }

    #[test]
    fn only_modelled_permissions_can_be_granted() {
        let ok = SimConfig {
            extra_permissions: vec!["networkaccess-reports.read.all".into(), "AuditLog.Read.All".into()],
            ..SimConfig::default()
        };
        assert_eq!(ok.check(), Ok(()));
        let bad = SimConfig { extra_permissions: vec!["User.Read.All".into()], ..SimConfig::default() };
        let e = bad.check().unwrap_err();
        assert!(e.contains("User.Read.All") && e.contains("CustomSecAttributeAuditLogs.Read.All"), "{e}");
        assert!(GRANTED_PERMISSIONS.iter().all(|p| !OPTIONAL_PERMISSIONS.contains(p)));
    }

    #[test]
    fn federated_credentials_are_checked_as_entra_checks_them() {
        let fic = |i: usize| FederatedCredential::new(format!("fic-{i}"), "https://issuer.example", format!("sub-{i}"));
        let ok = SimConfig { federated_credentials: (0..20).map(fic).collect(), ..SimConfig::default() };
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.federated_credentials[0].audiences, [TOKEN_EXCHANGE_AUDIENCE]);
        let e = SimConfig { federated_credentials: (0..21).map(fic).collect(), ..SimConfig::default() }.check();
        assert!(e.unwrap_err().contains("at most 20"));
        let twice = vec![fic(1), FederatedCredential { name: "other".into(), ..fic(1) }];
        assert!(check_federated_credentials(&twice).unwrap_err().contains("already another credential's"));
        let same_name = vec![fic(1), FederatedCredential { subject: "x".into(), ..fic(1) }];
        assert!(check_federated_credentials(&same_name).unwrap_err().contains("used twice"));
        let two_audiences = FederatedCredential { audiences: vec!["a".into(), "b".into()], ..fic(1) };
        assert!(check_federated_credentials(&[two_audiences]).unwrap_err().contains("exactly one audience"));
        let empty_subject = FederatedCredential { subject: String::new(), ..fic(1) };
        assert!(check_federated_credentials(&[empty_subject]).unwrap_err().contains("subject"));
    }

    #[test]
    fn debug_redacts_the_secret() {
        let c = SimConfig::default();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(&c.client_secret));
        assert!(dbg.contains("***"));
    }
}
