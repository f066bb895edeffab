//! `provisioning`: the Entra provisioning log from Graph v1.0
//! (`provisioningObjectSummary`, graph-api.md §6.5): HR-inbound (Workday,
//! SuccessFactors → Entra) and app provisioning (Entra → SaaS apps) events.

use super::types::MODIFIED_PROPERTY;
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

const INITIATOR: &[Field] = &[field("id", String), field("displayName", String), field("initiatorType", String)];

const ERROR_INFORMATION: &[Field] = &[
    field("errorCode", String),
    field("reason", String),
    field("additionalDetails", String),
    field("errorCategory", String),
    field("recommendedAction", String),
];

const STATUS_INFO: &[Field] = &[field("status", String), field("errorInformation", Struct(ERROR_INFORMATION))];

const STEP: &[Field] = &[
    field("name", String),
    field("provisioningStepType", String),
    field("status", String),
    field("description", String),
    field("details", Json),
];

const SERVICE_PRINCIPAL: &[Field] = &[field("id", String), field("displayName", String)];

const IDENTITY: &[Field] =
    &[field("id", String), field("displayName", String), field("identityType", String), field("details", Json)];

const SYSTEM: &[Field] = &[field("id", String), field("displayName", String), field("details", Json)];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "provisioning",
    description: "provisioning log: users and groups provisioned from HR systems and to apps (Graph v1.0)",
    path: "v1.0/auditLogs/provisioning",
    time_field: "activityDateTime",
    page_size: 1000,
    permissions: &["AuditLog.Read.All", "Directory.Read.All"],
    permission_optional: false,
    licence: None,
    key: "id",
    fields: &[
        field("id", String),
        field("activityDateTime", Timestamp),
        field("tenantId", String),
        field("jobId", String),
        field("cycleId", String),
        field("changeId", String),
        field("durationInMilliseconds", Int32),
        field("provisioningAction", String),
        field("initiatedBy", Struct(INITIATOR)),
        field("provisioningStatusInfo", Struct(STATUS_INFO)),
        field("provisioningSteps", List(&Struct(STEP))),
        // A single object in the metadata and in every documented example
        // (schema version 1 stored a list).
        field("servicePrincipal", Struct(SERVICE_PRINCIPAL)),
        field("sourceIdentity", Struct(IDENTITY)),
        field("targetIdentity", Struct(IDENTITY)),
        field("sourceSystem", Struct(SYSTEM)),
        field("targetSystem", Struct(SYSTEM)),
        field("modifiedProperties", List(&Struct(MODIFIED_PROPERTY))),
    ],
    filter: None,
    filter_documented: true,
    sign_in_event_type: None,
    // The endpoint documents "eq, contains, gt, lt".
    range: RangeOps::GtLt,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};
