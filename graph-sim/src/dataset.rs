//! The activity-report datasets the simulator serves, described as data.
//!
//! Each [`Dataset`] owns one [`DatasetSpec`] row: its URL path, what its
//! `$filter` accepts (time fields, operators, segments), `@odata.context`,
//! licence and permission requirements, page sizes, the throttle group whose
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

use crate::filter::{CmpOp, FilterRules, Segments};
use crate::generate::{self, GenerateFn, TwinFn, UpdateFn};
use crate::throttle::ThrottleGroup;

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
    /// (the reports under `/auditLogs`).
    PermissionMissing,
    /// 403 `Authorization_RequestDenied`, "Insufficient privileges to
    /// complete the operation." — the permission is not named
    /// (identityProtection).
    RequestDenied,
}

impl Denial {
    /// Graph's error code and message for a caller lacking `permission`.
    pub fn error(self, permission: &str) -> (&'static str, String) {
        match self {
            Denial::PermissionMissing => (
                "Authentication_MSGraphPermissionMissing",
                format!("Calling principal does not have required MSGraph permissions {permission}"),
            ),
            Denial::RequestDenied => {
                ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.".to_owned())
            }
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
    /// What `$filter` accepts; its first time field is the records' event
    /// time ([`crate::Record::time`]) and their default order.
    pub filter: FilterRules,
    /// Path-relative `@odata.context` (appended to the sim's base URL).
    pub context: &'static str,
    /// Whether the tenant needs Entra ID P1/P2 to read it.
    pub requires_premium: bool,
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

const GE_LE: &[CmpOp] = &[CmpOp::Eq, CmpOp::Ge, CmpOp::Le];

/// The beta notice Graph attaches to beta signIns responses (graph-api.md §6.2).
const BETA_SIGNIN_DEPRECATION: &str = "<https://developer.microsoft-tst.com/en-us/graph/changes?$filterby=beta,SignIn&from=2023-10-01&to=2023-11-01>;rel=\"deprecation\"";

static SPECS: [DatasetSpec; 5] = [
    DatasetSpec {
        path: "/v1.0/auditLogs/signIns",
        name: "auditLogs/signIns",
        filter: FilterRules { time_fields: &["createdDateTime"], ops: GE_LE, segments: None },
        context: "/v1.0/$metadata#auditLogs/signIns",
        requires_premium: true,
        permission: "AuditLog.Read.All",
        denial: Denial::PermissionMissing,
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        link: None,
        at_start: true,
        rng_stream: 1,
        generate: generate::signins::generate,
        twin: Some(TwinSpec {
            dataset: Dataset::SignInsBeta,
            segment: 0, // SignInEventType::InteractiveUser
            render: generate::signins_beta::twin,
        }),
        update: None,
    },
    DatasetSpec {
        path: "/v1.0/auditLogs/directoryAudits",
        name: "auditLogs/directoryAudits",
        filter: FilterRules { time_fields: &["activityDateTime"], ops: GE_LE, segments: None },
        context: "/v1.0/$metadata#auditLogs/directoryAudits",
        requires_premium: false,
        permission: "AuditLog.Read.All",
        denial: Denial::PermissionMissing,
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        link: None,
        at_start: true,
        rng_stream: 2,
        generate: generate::audits::generate,
        twin: None,
        update: None,
    },
    DatasetSpec {
        path: "/beta/auditLogs/signIns",
        name: "beta/auditLogs/signIns",
        filter: FilterRules {
            time_fields: &["createdDateTime"],
            ops: GE_LE,
            // Without a clause beta returns only interactive sign-ins.
            segments: Some(Segments { property: "signInEventTypes", values: SIGN_IN_EVENT_TYPES, default: 0 }),
        },
        context: "/beta/$metadata#auditLogs/signIns",
        requires_premium: true,
        permission: "AuditLog.Read.All",
        denial: Denial::PermissionMissing,
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        link: Some(BETA_SIGNIN_DEPRECATION),
        at_start: false,
        rng_stream: 3,
        generate: generate::signins_beta::generate,
        twin: None,
        update: None,
    },
    DatasetSpec {
        path: "/v1.0/auditLogs/provisioning",
        name: "auditLogs/provisioning",
        // "$filter (eq, contains, gt, lt)": no ge/le on this endpoint.
        filter: FilterRules {
            time_fields: &["activityDateTime"],
            ops: &[CmpOp::Eq, CmpOp::Gt, CmpOp::Lt],
            segments: None,
        },
        context: "/v1.0/$metadata#auditLogs/provisioning",
        // Not documented as premium-only; the sim serves it on any tenant.
        requires_premium: false,
        permission: "AuditLog.Read.All",
        denial: Denial::PermissionMissing,
        // Undocumented at Graph: a default below the maximum, so a client
        // that omits $top must follow nextLinks.
        default_page_size: 100,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        link: None,
        at_start: false,
        rng_stream: 4,
        generate: generate::provisioning::generate,
        twin: None,
        update: None,
    },
    DatasetSpec {
        path: "/v1.0/identityProtection/riskDetections",
        name: "identityProtection/riskDetections",
        // Ordered by the field filtered on; lastUpdatedDateTime by default.
        filter: FilterRules { time_fields: &["lastUpdatedDateTime", "detectedDateTime"], ops: GE_LE, segments: None },
        context: "/v1.0/$metadata#identityProtection/riskDetections",
        requires_premium: true,
        permission: "IdentityRiskEvent.Read.All",
        denial: Denial::RequestDenied,
        // "The default page size is 20 objects while the maximum with $top is 500."
        default_page_size: 20,
        max_page_size: 500,
        throttle: ThrottleGroup::IdentityProtection,
        link: None,
        at_start: false,
        rng_stream: 5,
        generate: generate::risk::generate,
        twin: None,
        update: Some(generate::risk::update),
    },
];

impl Dataset {
    /// Every dataset, in a fixed order.
    pub fn all() -> &'static [Dataset] {
        &[
            Dataset::SignIns,
            Dataset::DirectoryAudits,
            Dataset::SignInsBeta,
            Dataset::Provisioning,
            Dataset::RiskDetections,
        ]
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
    /// `lastUpdatedDateTime`, `detectedDateTime`).
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

    /// Whether the tenant needs Entra ID P1/P2 for it.
    pub fn requires_premium(self) -> bool {
        self.spec().requires_premium
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
mod tests {
    use super::*;

    #[test]
    fn specs_line_up_with_variants() {
        for (i, d) in Dataset::all().iter().enumerate() {
            assert_eq!(d.index(), i);
            assert!(d.spec().path.ends_with(d.spec().context.rsplit('/').next().unwrap()));
            assert!(d.spec().path.ends_with(d.spec().name), "{d}");
            assert!(d.default_page_size() <= d.max_page_size());
        }
        assert_eq!(Dataset::SignIns.path(), "/v1.0/auditLogs/signIns");
        assert_eq!(Dataset::DirectoryAudits.time_field(), "activityDateTime");
        assert_eq!(Dataset::RiskDetections.time_fields(), ["lastUpdatedDateTime", "detectedDateTime"]);
        assert_eq!(Dataset::SignIns.to_string(), "auditLogs/signIns");
        assert_eq!(Dataset::SignInsBeta.to_string(), "beta/auditLogs/signIns");
    }

    #[test]
    fn audit_logs_share_one_throttle_group() {
        for d in Dataset::all() {
            let group = d.spec().throttle;
            if d.path().contains("/auditLogs/") {
                assert_eq!(group, ThrottleGroup::AuditLogs, "{d}");
            } else {
                assert_eq!(group, ThrottleGroup::IdentityProtection, "{d}");
            }
        }
    }

    #[test]
    fn path_lookup_ignores_case() {
        assert_eq!(Dataset::from_path("/v1.0/auditLogs/signins"), Some(Dataset::SignIns));
        assert_eq!(Dataset::from_path("/V1.0/AUDITLOGS/DIRECTORYAUDITS"), Some(Dataset::DirectoryAudits));
        assert_eq!(Dataset::from_path("/beta/auditlogs/signins"), Some(Dataset::SignInsBeta));
        assert_eq!(Dataset::from_path("/v1.0/auditLogs/provisioning"), Some(Dataset::Provisioning));
        assert_eq!(Dataset::from_path("/v1.0/identityProtection/riskDetections"), Some(Dataset::RiskDetections));
        assert_eq!(Dataset::from_path("/beta/auditLogs/directoryAudits"), None);
        assert_eq!(Dataset::from_path("/v1.0/identityProtection/riskyUsers"), None);
    }

    #[test]
    fn streams_are_distinct() {
        let mut streams: Vec<u64> = Dataset::all()
            .iter()
            .flat_map(|d| [d.spec().rng_stream, d.spec().rng_stream + generate::AUX_STREAM])
            .collect();
        streams.sort();
        streams.dedup();
        assert_eq!(streams.len(), 2 * Dataset::all().len());
        assert!(!streams.contains(&0), "stream 0 draws the directory");
    }

    #[test]
    fn sign_in_event_types_are_the_beta_segments() {
        let seg = Dataset::SignInsBeta.spec().filter.segments.as_ref().unwrap();
        for &k in SignInEventType::all() {
            assert_eq!(seg.values[k.segment()], k.as_str());
        }
        assert_eq!(seg.default, SignInEventType::InteractiveUser.segment());
        let twin = Dataset::SignIns.spec().twin.as_ref().unwrap();
        assert_eq!((twin.dataset, twin.segment), (Dataset::SignInsBeta, SignInEventType::InteractiveUser.segment()));
        assert_eq!(
            SignInEventType::NonInteractiveUser.filter_clause(),
            "signInEventTypes/any(t: t eq 'nonInteractiveUser')"
        );
    }

    #[test]
    fn licence_and_permission_rows() {
        let premium: Vec<Dataset> = Dataset::all().iter().copied().filter(|d| d.requires_premium()).collect();
        assert_eq!(premium, [Dataset::SignIns, Dataset::SignInsBeta, Dataset::RiskDetections]);
        assert_eq!(Dataset::RiskDetections.permission(), "IdentityRiskEvent.Read.All");
        let (code, message) = Denial::RequestDenied.error("IdentityRiskEvent.Read.All");
        assert_eq!(code, "Authorization_RequestDenied");
        assert!(!message.contains("IdentityRiskEvent"));
    }
}
