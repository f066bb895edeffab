//! `custom_security_attribute_audits`: changes to custom security attributes
//! and their values, Graph beta `customSecurityAttributeAudit` — kept apart
//! from the directory audit log so that only attribute administrators see
//! them. Checked against microsoft-graph-docs-contrib
//! `api-reference/beta/api/auditlogroot-list-customsecurityattributeaudits.md`
//! ("`activityDateTime` … `eq`, `ge`, `le`"; `$top` default and maximum 100;
//! `CustomSecAttributeAuditLogs.Read.All`; no v1.0 version).
//!
//! The permission is optional (`register-app.sh --with custom-security-attributes`):
//! with the default selection, an app without it is told how to add it and
//! the dataset is `not applicable`.

use super::types::{APP_IDENTITY, KEY_VALUE, TARGET_RESOURCE};
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

/// `tokenDetails`.
const TOKEN_DETAILS: &[Field] = &[field("issuedAtDateTime", Timestamp), field("uniqueTokenIdentifier", String)];

/// `linkableIdentifiers`.
const LINKABLE_IDENTIFIERS: &[Field] =
    &[field("deviceId", String), field("sessionId", String), field("tokenDetails", Struct(TOKEN_DETAILS))];

/// Beta `auditUserIdentity`.
const AUDIT_USER_IDENTITY: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("userPrincipalName", String),
    field("ipAddress", String),
    field("homeTenantId", String),
    field("homeTenantName", String),
];

/// Beta `auditActivityInitiator`.
const INITIATOR: &[Field] = &[
    field("app", Struct(APP_IDENTITY)),
    field("user", Struct(AUDIT_USER_IDENTITY)),
    field("linkableIdentifiers", Struct(LINKABLE_IDENTIFIERS)),
];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "custom_security_attribute_audits",
    description: "custom security attribute audit log: attribute definitions and values changed (Graph beta)",
    path: "beta/auditLogs/customSecurityAttributeAudits",
    time_field: "activityDateTime",
    // "$top … default and maximum is 100."
    page_size: 100,
    permissions: &["CustomSecAttributeAuditLogs.Read.All"],
    permission_optional: true,
    licence: None,
    key: "id",
    fields: &[
        field("id", String),
        field("activityDateTime", Timestamp),
        field("activityDisplayName", String),
        field("category", String),
        field("correlationId", String),
        field("loggedByService", String),
        field("operationType", String),
        field("result", String),
        field("resultReason", String),
        field("userAgent", String),
        field("initiatedBy", Struct(INITIATOR)),
        field("targetResources", List(&Struct(TARGET_RESOURCE))),
        field("additionalDetails", List(&Struct(KEY_VALUE))),
    ],
    filter: None,
    filter_documented: true,
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};
