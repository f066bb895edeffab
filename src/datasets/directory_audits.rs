//! `directory_audits`: the Entra audit log from Graph v1.0 (`directoryAudit`,
//! graph-api.md §6.4).

use super::types::{KEY_VALUE, MODIFIED_PROPERTY};
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

const APP_IDENTITY: &[Field] = &[
    field("appId", String),
    field("displayName", String),
    field("servicePrincipalId", String),
    field("servicePrincipalName", String),
];

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

const TARGET_RESOURCE: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("type", String),
    field("userPrincipalName", String),
    field("groupType", String),
    field("modifiedProperties", List(&Struct(MODIFIED_PROPERTY))),
];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "directory_audits",
    description: "directory audit log (Graph v1.0 /auditLogs/directoryAudits)",
    path: "v1.0/auditLogs/directoryAudits",
    time_field: "activityDateTime",
    page_size: 1000,
    permissions: &["AuditLog.Read.All", "Directory.Read.All"],
    licence: None,
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
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};
