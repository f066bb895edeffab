//! `signins`: interactive user sign-ins from Graph v1.0 (`signIn`, graph-api.md §6.1).

use super::types::{
    APPLIED_CA_POLICY, AUTHENTICATION_APP_DEVICE_DETAILS, DEVICE_DETAIL, SIGN_IN_LOCATION, SIGN_IN_STATUS,
};
use super::{DatasetDef, Kind, RangeOps, Throttle, field};
use Kind::*;

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "signins",
    description: "interactive user sign-ins (Graph v1.0 /auditLogs/signIns)",
    path: "v1.0/auditLogs/signIns",
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: &["AuditLog.Read.All", "Directory.Read.All"],
    permission_optional: false,
    licence: Some("Microsoft Entra ID P1 or P2"),
    key: "id",
    fields: &[
        field("id", String),
        field("createdDateTime", Timestamp),
        field("userDisplayName", String),
        field("userPrincipalName", String),
        field("userId", String),
        field("appId", String),
        field("appDisplayName", String),
        field("ipAddress", String),
        field("clientAppUsed", String),
        field("correlationId", String),
        field("conditionalAccessStatus", String),
        field("isInteractive", Bool),
        field("riskDetail", String),
        field("riskLevelAggregated", String),
        field("riskLevelDuringSignIn", String),
        field("riskState", String),
        field("riskEventTypes", List(&String)),
        field("riskEventTypes_v2", List(&String)),
        field("resourceDisplayName", String),
        field("resourceId", String),
        field("status", Struct(SIGN_IN_STATUS)),
        field("deviceDetail", Struct(DEVICE_DETAIL)),
        field("location", Struct(SIGN_IN_LOCATION)),
        field("appliedConditionalAccessPolicies", List(&Struct(APPLIED_CA_POLICY))),
        // Since schema version 2.
        field("userAgent", String),
        field("homeTenantId", String),
        field("resourceTenantId", String),
        field("servicePrincipalId", String),
        field("servicePrincipalName", String),
        field("authenticationAppDeviceDetails", Struct(AUTHENTICATION_APP_DEVICE_DETAILS)),
    ],
    filter: None,
    filter_documented: true,
    sign_in_event_type: Some("interactiveUser"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};
