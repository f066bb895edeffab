//! The activity-report datasets the simulator serves, described as data.
//!
//! Each [`Dataset`] owns one [`DatasetSpec`] row (in `specs`): its URL path,
//! key property, what its `$filter` accepts (time fields, operators — and
//! which of them Microsoft documents — segments), `@odata.context`, licence
//! and permission requirements, page sizes, the throttle group whose
//! budget its requests spend, the RNG stream its records are drawn from, the
//! function that draws one record, and — where one exists — the function that
//! renders its records as another dataset's (a v1.0 sign-in's beta view) or
//! updates one in place (a risk detection's state). The server and the store
//! only ever read these rows, so adding a dataset means adding a variant, a
//! row and a generator file — not a new code path.
//!
//! v1.0 and beta sign-ins: `/v1.0/auditLogs/signIns` serves only interactive
//! user sign-ins. Each one is also an `interactiveUser` record of
//! `/beta/auditLogs/signIns` — the same event (same id, same
//! `createdDateTime`, the same v1.0 properties with the same values, beta's
//! device and policies extending v1.0's) followed by the beta properties.
//! The beta dataset holds
//! those twins plus the sign-ins v1.0 never shows (non-interactive user,
//! service principal, managed identity), one segment per
//! `signInEventTypes` value.

mod specs;

use crate::config::SimConfig;
use crate::control::Switches;
use crate::filter::FilterRules;
use crate::generate::{GenerateFn, TwinFn, UpdateFn};
use crate::throttle::ThrottleGroup;
use specs::SPECS;

/// One Microsoft Graph activity-report collection served by the simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// `GET /v1.0/auditLogs/signIns` — interactive user sign-ins.
    SignIns,
    /// `GET /v1.0/auditLogs/directoryAudits` — directory audit events.
    DirectoryAudits,
    /// `GET /beta/auditLogs/signIns` — every sign-in, in the beta shape: the
    /// interactive ones of [`Dataset::SignIns`] plus non-interactive user,
    /// service principal and managed identity sign-ins (see
    /// [`SignInEventType`]).
    SignInsBeta,
    /// `GET /v1.0/auditLogs/provisioning` — provisioning events
    /// (`provisioningObjectSummary`).
    Provisioning,
    /// `GET /v1.0/identityProtection/riskDetections` — risk detections,
    /// updated in place as their state changes.
    RiskDetections,
    /// `GET /v1.0/identityProtection/servicePrincipalRiskDetections` — risk
    /// detections of workload identities, updated in place like
    /// [`Dataset::RiskDetections`]; needs Workload ID Premium.
    ServicePrincipalRiskDetections,
    /// `GET /beta/auditLogs/customSecurityAttributeAudits` — changes to
    /// custom security attribute sets, definitions and assigned values; needs
    /// the optional `CustomSecAttributeAuditLogs.Read.All`.
    CustomSecurityAttributeAudits,
    /// `GET /beta/auditLogs/signUps` — Microsoft Entra External ID
    /// self-service sign-ups (`selfServiceSignUp`); only in an External ID
    /// tenant.
    SignUps,
    /// `GET /beta/networkAccess/logs/traffic` — Global Secure Access traffic
    /// logs (`networkAccessTraffic`), keyed by `transactionId` (no `id`);
    /// needs the optional `NetworkAccess-Reports.Read.All` and Global Secure
    /// Access.
    NetworkAccessTraffic,
}

/// The kind of a sign-in, as beta's `signInEventTypes` names it. Every beta
/// sign-in has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignInEventType {
    /// `interactiveUser`: a user entered credentials; also served by v1.0.
    InteractiveUser,
    /// `nonInteractiveUser`: a client signed in on a user's behalf (refresh
    /// tokens, SSO); the most numerous kind.
    NonInteractiveUser,
    /// `servicePrincipal`: an app signed in as itself (secret, certificate,
    /// federated assertion); no user.
    ServicePrincipal,
    /// `managedIdentity`: an Azure resource's managed identity; no user.
    ManagedIdentity,
}

/// `signInEventTypes` values, indexed by [`SignInEventType`] (the segments of
/// [`Dataset::SignInsBeta`]).
const SIGN_IN_EVENT_TYPES: &[&str] = &["interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"];

impl SignInEventType {
    /// Every kind, in segment order.
    pub fn all() -> &'static [SignInEventType] {
        &[
            SignInEventType::InteractiveUser,
            SignInEventType::NonInteractiveUser,
            SignInEventType::ServicePrincipal,
            SignInEventType::ManagedIdentity,
        ]
    }

    /// The `signInEventTypes` value, e.g. `nonInteractiveUser`.
    pub fn as_str(self) -> &'static str {
        SIGN_IN_EVENT_TYPES[self.segment()]
    }

    /// The `$filter` clause that selects this kind on beta, e.g.
    /// `signInEventTypes/any(t: t eq 'nonInteractiveUser')`.
    pub fn filter_clause(self) -> String {
        format!("signInEventTypes/any(t: t eq '{}')", self.as_str())
    }

    /// Segment index in [`Dataset::SignInsBeta`].
    pub(crate) fn segment(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for SignInEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request without the dataset's permission is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Denial {
    /// 403 `Authentication_MSGraphPermissionMissing`, naming the permission
    /// (the reports under `/auditLogs` read with `AuditLog.Read.All`).
    PermissionMissing,
    /// 403 `Authorization_RequestDenied`, "Insufficient privileges to
    /// complete the operation." — the permission is not named
    /// (identityProtection).
    RequestDenied,
    /// 403 `Authorization_RequestDenied` whose message names the permission:
    /// the sim's model for the optional permissions (custom security
    /// attribute audits, Global Secure Access traffic), whose refusal
    /// Microsoft does not document.
    RequestDeniedNaming,
}

/// "Insufficient privileges to complete the operation.", Graph's words for
/// `Authorization_RequestDenied`.
const INSUFFICIENT: &str = "Insufficient privileges to complete the operation.";

impl Denial {
    /// Graph's error code and message for a caller lacking `permission`.
    pub fn error(self, permission: &str) -> (&'static str, String) {
        match self {
            Denial::PermissionMissing => (
                "Authentication_MSGraphPermissionMissing",
                format!("Calling principal does not have required MSGraph permissions {permission}"),
            ),
            Denial::RequestDenied => ("Authorization_RequestDenied", INSUFFICIENT.to_owned()),
            Denial::RequestDeniedNaming => (
                "Authorization_RequestDenied",
                format!("{INSUFFICIENT} The application requires the {permission} permission."),
            ),
        }
    }
}

/// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`: Graph's code for
/// a tenant without the licence a report needs.
pub(crate) const NON_PREMIUM: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/// What a tenant must have for Graph to serve a dataset. Graph refuses a
/// tenant without it with 403 ([`Licence::error`]), after the permission
/// check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Licence {
    /// Microsoft Entra ID P1 or P2 (sign-ins, risk detections); lacking
    /// while [`Switches::unlicensed`].
    EntraIdPremium,
    /// Microsoft Entra Workload ID Premium (service principal risk
    /// detections); lacking unless [`SimConfig::workload_id_premium`].
    WorkloadIdPremium,
    /// A Microsoft Entra External ID (external, customer) tenant (sign-ups);
    /// lacking unless [`SimConfig::external_id_tenant`].
    ExternalIdTenant,
    /// Global Secure Access: Microsoft Entra Internet Access or Private
    /// Access, the tenant onboarded (traffic logs); lacking unless
    /// [`SimConfig::global_secure_access`].
    GlobalSecureAccess,
}

impl Licence {
    /// Whether the tenant has it.
    pub fn held(self, config: &SimConfig, switches: &Switches) -> bool {
        match self {
            Licence::EntraIdPremium => !switches.unlicensed,
            Licence::WorkloadIdPremium => config.workload_id_premium,
            Licence::ExternalIdTenant => config.external_id_tenant,
            Licence::GlobalSecureAccess => config.global_secure_access,
        }
    }

    /// Graph's error code and message for a tenant without it.
    pub fn error(self) -> (&'static str, &'static str) {
        match self {
            Licence::EntraIdPremium => (NON_PREMIUM, "Neither tenant is B2C or tenant doesn't have premium license"),
            // The sim's model. Microsoft documents no refusal: its pages say
            // a licence is required, and also that tenants without one
            // receive every detection with riskLevel and riskDetail
            // `hidden`. The sim refuses, as Graph does for P1/P2.
            Licence::WorkloadIdPremium => {
                (NON_PREMIUM, "Neither tenant is B2C or tenant doesn't have Workload Identities Premium license")
            }
            // The sim's model: Microsoft documents no error for a sign-up
            // log read on a workforce tenant.
            Licence::ExternalIdTenant => (
                "Authentication_RequestFromUnsupportedTenantType",
                "Sign-up logs are only available in external (customer) tenants.",
            ),
            // The sim's model: Microsoft documents no error for a tenant not
            // onboarded to Global Secure Access.
            Licence::GlobalSecureAccess => (
                NON_PREMIUM,
                "Neither tenant is B2C or tenant doesn't have a Global Secure Access (Microsoft Entra Internet Access or Private Access) license",
            ),
        }
    }
}

/// Records of one dataset that are also records of another.
#[derive(Debug)]
pub(crate) struct TwinSpec {
    /// The dataset that serves them too.
    pub dataset: Dataset,
    /// Their segment there.
    pub segment: usize,
    /// Renders a record in the other dataset's shape.
    pub render: TwinFn,
}

/// Everything the simulator knows about a dataset.
#[derive(Debug)]
pub(crate) struct DatasetSpec {
    /// Canonical request path, e.g. `/v1.0/auditLogs/signIns`.
    pub path: &'static str,
    /// Short name for logs, e.g. `auditLogs/signIns`.
    pub name: &'static str,
    /// The archive's name for the dataset (`signins`), where it archives
    /// the whole dataset as one (beta sign-ins are three: none here).
    pub archive_name: Option<&'static str>,
    /// The key property: `id`, or `transactionId` for network access
    /// traffic. [`crate::Record::id`] holds its value.
    pub key: &'static str,
    /// What `$filter` accepts; its first time field is the records' event
    /// time ([`crate::Record::time`]) and their default order.
    pub filter: FilterRules,
    /// Path-relative `@odata.context` (appended to the sim's base URL).
    pub context: &'static str,
    /// What the tenant needs to read it, if anything.
    pub licence: Option<Licence>,
    /// Application permission the caller must hold.
    pub permission: &'static str,
    /// How a caller without `permission` is refused.
    pub denial: Denial,
    /// Page size when `$top` is absent.
    pub default_page_size: usize,
    /// Largest accepted `$top`; more is a 400 naming it.
    pub max_page_size: usize,
    /// Whose request budget this dataset's requests spend.
    pub throttle: ThrottleGroup,
    /// `Link` header value sent with every response, if any (beta's
    /// deprecation notice).
    pub link: Option<&'static str>,
    /// Whether its configured records are generated when the sim starts;
    /// otherwise on first use (first request, `records`, `generate`, …),
    /// which gives the same records.
    pub at_start: bool,
    /// ChaCha stream the dataset's records are drawn from, so datasets don't
    /// disturb each other's sequences. Stream `rng_stream + AUX_STREAM`
    /// serves its twins and updates.
    pub rng_stream: u64,
    /// Draws one record at the given time.
    pub generate: GenerateFn,
    /// Where its records are served too, if anywhere.
    pub twin: Option<TwinSpec>,
    /// Updates a record in place, if the dataset's records change.
    pub update: Option<UpdateFn>,
}

impl Dataset {
    /// Every dataset, in a fixed order.
    pub fn all() -> &'static [Dataset] {
        &[
            Dataset::SignIns,
            Dataset::DirectoryAudits,
            Dataset::SignInsBeta,
            Dataset::Provisioning,
            Dataset::RiskDetections,
            Dataset::ServicePrincipalRiskDetections,
            Dataset::CustomSecurityAttributeAudits,
            Dataset::SignUps,
            Dataset::NetworkAccessTraffic,
        ]
    }

    /// The archive's name for the dataset, e.g. `signins`,
    /// `network_access_traffic`; `None` for [`Dataset::SignInsBeta`], which
    /// the archive splits by kind (`signins_noninteractive`, …).
    pub fn archive_name(self) -> Option<&'static str> {
        self.spec().archive_name
    }

    /// The dataset the archive calls `name`.
    pub fn from_archive_name(name: &str) -> Option<Dataset> {
        Dataset::all().iter().copied().find(|d| d.archive_name() == Some(name))
    }

    /// The property that identifies a record ([`crate::Record::id`]): `id`,
    /// or `transactionId` for [`Dataset::NetworkAccessTraffic`].
    pub fn key_property(self) -> &'static str {
        self.spec().key
    }

    /// Request path, e.g. `/v1.0/auditLogs/signIns`.
    pub fn path(self) -> &'static str {
        self.spec().path
    }

    /// Name of the event-time property, e.g. `createdDateTime`: the first of
    /// [`Dataset::time_fields`], [`crate::Record::time`] and the default order.
    pub fn time_field(self) -> &'static str {
        self.spec().filter.time_fields[0]
    }

    /// Every time property `$filter` accepts (riskDetections:
    /// `lastUpdatedDateTime`, `detectedDateTime`; one elsewhere).
    pub fn time_fields(self) -> &'static [&'static str] {
        self.spec().filter.time_fields
    }

    /// Largest `$top` the dataset accepts.
    pub fn max_page_size(self) -> usize {
        self.spec().max_page_size
    }

    /// Page size when `$top` is absent.
    pub fn default_page_size(self) -> usize {
        self.spec().default_page_size
    }

    /// The application permission a caller needs.
    pub fn permission(self) -> &'static str {
        self.spec().permission
    }

    /// Whether the tenant needs Entra ID P1/P2 for it (the other licences
    /// and tenant kinds are [`SimConfig`] settings).
    pub fn requires_premium(self) -> bool {
        self.spec().licence == Some(Licence::EntraIdPremium)
    }

    pub(crate) fn spec(self) -> &'static DatasetSpec {
        &SPECS[self.index()]
    }

    /// The dataset whose path equals `path`, ignoring ASCII case (Graph's own
    /// nextLinks sometimes say `signins`).
    pub(crate) fn from_path(path: &str) -> Option<Dataset> {
        Dataset::all().iter().copied().find(|d| d.path().eq_ignore_ascii_case(path))
    }

    /// Position in [`Dataset::all`], used to index per-dataset tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec().name)
    }
}

#[cfg(test)]
mod tests;
