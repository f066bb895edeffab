//! `directory_audits`: the Entra audit log from Graph v1.0 (`directoryAudit`,
//! graph-api.md §6.4).

use super::types::{APP_IDENTITY, KEY_VALUE, TARGET_RESOURCE};
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

const USER_IDENTITY: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("userPrincipalName", String),
    field("ipAddress", String),
    field("userType", String),
    field("homeTenantId", String),
    field("homeTenantName", String),
];

const INITIATOR: &[Field] = &[field("app", Struct(APP_IDENTITY)), field("user", Struct(USER_IDENTITY))];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "directory_audits",
    description: "directory audit log (Graph v1.0 /auditLogs/directoryAudits)",
    path: "v1.0/auditLogs/directoryAudits",
    time_field: "activityDateTime",
    page_size: 1000,
    permissions: &["AuditLog.Read.All", "Directory.Read.All"],
    permission_optional: false,
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
