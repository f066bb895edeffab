//! `risk_detections`: Identity Protection risk detections from Graph v1.0
//! (`riskDetection`, graph-api.md §6.6).
//!
//! Detections change after they are created (their state, level and detail
//! move as users remediate and admins dismiss or confirm), so the archive
//! reads them by `lastUpdatedDateTime` and keeps every version it sees as a
//! row of its own: `id` plus `last_updated_date_time` identify a row, and the
//! latest state of a detection is its row with the greatest
//! `last_updated_date_time` (see queries/). Partitions follow
//! `lastUpdatedDateTime` too; `detected_date_time` and
//! `activity_date_time` are ordinary columns.

use super::types::SIGN_IN_LOCATION;
use super::{DatasetDef, Kind, RangeOps, Throttle, field};
use Kind::*;

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "risk_detections",
    description: "Identity Protection risk detections, one row per state seen (Graph v1.0)",
    path: "v1.0/identityProtection/riskDetections",
    time_field: "lastUpdatedDateTime",
    // "The maximum with $top is 500."
    page_size: 500,
    permissions: &["IdentityRiskEvent.Read.All"],
    permission_optional: false,
    licence: Some("Microsoft Entra ID P1 or P2 (P2 for every detection type)"),
    key: "id",
    fields: &[
        field("id", String),
        field("lastUpdatedDateTime", Timestamp),
        field("detectedDateTime", Timestamp),
        field("activityDateTime", Timestamp),
        field("riskEventType", String),
        field("riskState", String),
        field("riskLevel", String),
        field("riskDetail", String),
        field("source", String),
        field("detectionTimingType", String),
        field("activity", String),
        field("tokenIssuerType", String),
        field("ipAddress", String),
        field("location", Struct(SIGN_IN_LOCATION)),
        field("requestId", String),
        field("correlationId", String),
        field("userId", String),
        field("userDisplayName", String),
        field("userPrincipalName", String),
        // A JSON-encoded string; kept as text (see the README for json_extract).
        field("additionalInfo", String),
    ],
    filter: None,
    filter_documented: false,
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    throttle: Throttle::IdentityProtection,
    versioned: true,
    schema_version: 2,
};
