//! `signups`: Microsoft Entra External ID self-service sign-ups, Graph beta
//! `selfServiceSignUp`. Checked against microsoft-graph-docs-contrib
//! `api-reference/beta/api/auditlogroot-list-signups.md` (`createdDateTime`
//! `eq`, `le`, `ge`; page size 1,000, newest first) and the beta Prod CSDL
//! for the properties (the resource page still lists `userSnapshot`; the CSDL
//! has `userId` and `fraudProtectionDetails` instead). Only external
//! (customer) tenants have sign-ups: on any other tenant the dataset is `not
//! applicable` with the default selection.

use super::beta_types::APPLIED_EVENT_LISTENER;
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

/// `fraudProtectionDetails`.
const FRAUD_PROTECTION: &[Field] = &[
    field("providerName", String),
    field("providerSessionId", String),
    field("verdict", String),
    field("reason", String),
    field("providerErrorMessages", List(&String)),
    field("providerHttpStatusCodes", List(&Int32)),
    field("providerResponseTimes", List(&Int32)),
];

/// `signUpIdentity`.
const SIGN_UP_IDENTITY: &[Field] = &[field("signUpIdentifier", String), field("signUpIdentifierType", String)];

/// `signUpStatus`.
const SIGN_UP_STATUS: &[Field] =
    &[field("errorCode", Int32), field("failureReason", String), field("additionalDetails", String)];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "signups",
    description: "Microsoft Entra External ID self-service sign-ups (Graph beta /auditLogs/signUps)",
    path: "beta/auditLogs/signUps",
    time_field: "createdDateTime",
    page_size: 1000,
    // The permissions include lists both; the rendered page only the first.
    permissions: &["AuditLog.Read.All", "Directory.Read.All"],
    permission_optional: false,
    licence: Some("Microsoft Entra External ID (it must be an external, customer-facing tenant)"),
    key: "id",
    fields: &[
        field("id", String),
        field("createdDateTime", Timestamp),
        field("appDisplayName", String),
        field("appId", String),
        field("correlationId", String),
        field("signUpIdentity", Struct(SIGN_UP_IDENTITY)),
        field("signUpIdentityProvider", String),
        field("signUpStage", String),
        field("status", Struct(SIGN_UP_STATUS)),
        field("userId", String),
        field("appliedEventListeners", List(&Struct(APPLIED_EVENT_LISTENER))),
        field("fraudProtectionDetails", Struct(FRAUD_PROTECTION)),
    ],
    filter: None,
    filter_documented: true,
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};
