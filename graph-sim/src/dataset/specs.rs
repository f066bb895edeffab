//! The table of [`DatasetSpec`] rows, one per [`Dataset`], in
//! [`Dataset::all`] order: what Microsoft documents for each endpoint, and
//! where its docs are silent, the sim's choice with the reason beside it.

use super::{Dataset, DatasetSpec, Denial, Licence, SIGN_IN_EVENT_TYPES, TwinSpec};
use crate::filter::{CmpOp, FilterRules, Segments};
use crate::generate;
use crate::throttle::ThrottleGroup;

const GE_LE: &[CmpOp] = &[CmpOp::Eq, CmpOp::Ge, CmpOp::Le];

/// Only `eq`: what Microsoft documents on the time field of the datasets
/// where the sim accepts more.
const EQ: &[CmpOp] = &[CmpOp::Eq];

/// The usual key property.
const ID: &str = "id";

/// The beta notice Graph attaches to beta signIns responses (graph-api.md §6.2).
const BETA_SIGNIN_DEPRECATION: &str = "<https://developer.microsoft-tst.com/en-us/graph/changes?$filterby=beta,SignIn&from=2023-10-01&to=2023-11-01>;rel=\"deprecation\"";

pub(super) static SPECS: [DatasetSpec; 9] = [
    DatasetSpec {
        path: "/v1.0/auditLogs/signIns",
        name: "auditLogs/signIns",
        archive_name: Some("signins"),
        key: ID,
        filter: FilterRules { time_fields: &["createdDateTime"], ops: GE_LE, segments: None, documented_ops: None },
        context: "/v1.0/$metadata#auditLogs/signIns",
        licence: Some(Licence::EntraIdPremium),
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
        archive_name: Some("directory_audits"),
        key: ID,
        filter: FilterRules { time_fields: &["activityDateTime"], ops: GE_LE, segments: None, documented_ops: None },
        context: "/v1.0/$metadata#auditLogs/directoryAudits",
        licence: None,
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
        archive_name: None,
        key: ID,
        filter: FilterRules {
            time_fields: &["createdDateTime"],
            ops: GE_LE,
            // Without a clause beta returns only interactive sign-ins.
            segments: Some(Segments { property: "signInEventTypes", values: SIGN_IN_EVENT_TYPES, default: 0 }),
            documented_ops: None,
        },
        context: "/beta/$metadata#auditLogs/signIns",
        licence: Some(Licence::EntraIdPremium),
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
        archive_name: Some("provisioning"),
        key: ID,
        // "$filter (eq, contains, gt, lt)": no ge/le on this endpoint.
        filter: FilterRules {
            time_fields: &["activityDateTime"],
            ops: &[CmpOp::Eq, CmpOp::Gt, CmpOp::Lt],
            segments: None,
            documented_ops: None,
        },
        context: "/v1.0/$metadata#auditLogs/provisioning",
        // Not documented as premium-only; the sim serves it on any tenant.
        licence: None,
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
        archive_name: Some("risk_detections"),
        key: ID,
        // Ordered by the field filtered on; lastUpdatedDateTime by default.
        filter: FilterRules {
            time_fields: &["lastUpdatedDateTime", "detectedDateTime"],
            ops: GE_LE,
            segments: None,
            documented_ops: None,
        },
        context: "/v1.0/$metadata#identityProtection/riskDetections",
        licence: Some(Licence::EntraIdPremium),
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
    DatasetSpec {
        path: "/v1.0/identityProtection/servicePrincipalRiskDetections",
        name: "identityProtection/servicePrincipalRiskDetections",
        archive_name: Some("service_principal_risk_detections"),
        key: ID,
        // Microsoft documents `$filter` but no operator on any time property
        // (only `eq` on servicePrincipalId and requestId). The archive
        // reads by lastUpdatedDateTime ge/le, like user risk detections;
        // `eq` is accepted too, also with refuse_undocumented_filters.
        filter: FilterRules {
            time_fields: &["lastUpdatedDateTime"],
            ops: GE_LE,
            segments: None,
            documented_ops: Some(EQ),
        },
        context: "/v1.0/$metadata#identityProtection/servicePrincipalRiskDetections",
        licence: Some(Licence::WorkloadIdPremium),
        permission: "IdentityRiskEvent.Read.All",
        denial: Denial::RequestDenied,
        // Undocumented (the CSDL says only that $top is supported): as for
        // user risk detections, 20 by default and at most 500.
        default_page_size: 20,
        max_page_size: 500,
        // Not listed under Graph's identity protection limits; the sim
        // spends that budget, as user risk detections do.
        throttle: ThrottleGroup::IdentityProtection,
        link: None,
        at_start: false,
        rng_stream: 6,
        generate: generate::service_principal_risk::generate,
        twin: None,
        update: Some(generate::service_principal_risk::update),
    },
    DatasetSpec {
        path: "/beta/auditLogs/customSecurityAttributeAudits",
        name: "auditLogs/customSecurityAttributeAudits",
        archive_name: Some("custom_security_attribute_audits"),
        key: ID,
        // "activityDateTime … Supports $filter (eq, ge, le)."
        filter: FilterRules { time_fields: &["activityDateTime"], ops: GE_LE, segments: None, documented_ops: None },
        context: "/beta/$metadata#auditLogs/customSecurityAttributeAudits",
        // Custom security attributes are in every edition of Entra ID.
        licence: None,
        permission: "CustomSecAttributeAuditLogs.Read.All",
        denial: Denial::RequestDeniedNaming,
        // "The default page size and maximum for $top is 100 objects."
        default_page_size: 100,
        max_page_size: 100,
        throttle: ThrottleGroup::AuditLogs,
        link: None,
        at_start: false,
        rng_stream: 7,
        generate: generate::attribute_audits::generate,
        twin: None,
        update: None,
    },
    DatasetSpec {
        path: "/beta/auditLogs/signUps",
        name: "auditLogs/signUps",
        archive_name: Some("signups"),
        key: ID,
        // "createdDateTime … Supports $orderby, $filter (eq, le, and ge)."
        filter: FilterRules { time_fields: &["createdDateTime"], ops: GE_LE, segments: None, documented_ops: None },
        context: "/beta/$metadata#auditLogs/signUps",
        licence: Some(Licence::ExternalIdTenant),
        // The rendered page names AuditLog.Read.All alone; the permissions
        // include adds Directory.Read.All, which the app holds by default.
        permission: "AuditLog.Read.All",
        denial: Denial::PermissionMissing,
        // "The maximum and default page size is 1,000 objects and by
        // default, the most recent sign-ups are returned first."
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        link: None,
        at_start: false,
        rng_stream: 8,
        generate: generate::signups::generate,
        twin: None,
        update: None,
    },
    DatasetSpec {
        path: "/beta/networkAccess/logs/traffic",
        name: "networkAccess/logs/traffic",
        archive_name: Some("network_access_traffic"),
        // "transactionId … Key." The resource has no id.
        key: "transactionId",
        // "createdDateTime … Supports $filter (eq) and $orderby." The list
        // page says "All properties are filterable"; the sim accepts ge and
        // le too unless refuse_undocumented_filters.
        filter: FilterRules { time_fields: &["createdDateTime"], ops: GE_LE, segments: None, documented_ops: Some(EQ) },
        // As Microsoft's example prints it.
        context: "/beta/networkAccess/logs/$metadata#traffic",
        licence: Some(Licence::GlobalSecureAccess),
        permission: "NetworkAccess-Reports.Read.All",
        denial: Denial::RequestDeniedNaming,
        // "Page size default and limit is 1000."
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::NetworkAccess,
        link: None,
        at_start: false,
        rng_stream: 9,
        generate: generate::network_access::generate,
        twin: None,
        update: None,
    },
];
