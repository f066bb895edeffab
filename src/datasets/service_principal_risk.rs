//! `service_principal_risk_detections`: Identity Protection's risk detections
//! of workload identities (service principals), Graph v1.0
//! `servicePrincipalRiskDetection`. Checked against
//! microsoft-graph-docs-contrib `api-reference/v1.0/api/identityprotectionroot-list-serviceprincipalriskdetections.md`
//! and `resources/serviceprincipalriskdetection.md` (see
//! tests/fixtures/examples/new-datasets-facts.md).
//!
//! Updated in place like user risk detections: read by
//! `lastUpdatedDateTime`, one row per state seen (`id` and the time). The
//! page documents `$filter` but names no operator on the time fields, so
//! `ge`/`le` is inferred from `riskDetection` (`filter_documented: false`);
//! a 400 to it skips the dataset with that said. No `$top` maximum is
//! documented either: 500, as for user risk detections.

use super::types::SIGN_IN_LOCATION;
use super::{DatasetDef, Kind, RangeOps, Throttle, field};
use Kind::*;

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "service_principal_risk_detections",
    description: "Identity Protection risk detections of service principals, one row per state seen (Graph v1.0)",
    path: "v1.0/identityProtection/servicePrincipalRiskDetections",
    time_field: "lastUpdatedDateTime",
    page_size: 500,
    permissions: &["IdentityRiskEvent.Read.All"],
    permission_optional: false,
    licence: Some("Microsoft Entra Workload ID Premium"),
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
        field("servicePrincipalId", String),
        field("servicePrincipalDisplayName", String),
        field("appId", String),
        field("keyIds", List(&String)),
        // A JSON-encoded string; kept as text.
        field("additionalInfo", String),
    ],
    filter: None,
    filter_documented: false,
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    // Identity Protection's service: paced like user risk detections (1 per
    // second per tenant) though the throttling page does not list it.
    throttle: Throttle::IdentityProtection,
    versioned: true,
    schema_version: 2,
};
