//! `network_access_traffic`: Global Secure Access (Microsoft Entra Internet
//! Access and Private Access) traffic logs, Graph beta
//! `networkaccess.networkAccessTraffic`. Checked against
//! microsoft-graph-docs-contrib `api-reference/beta/api/networkaccess-logs-list-traffic.md`
//! (page size 1,000; "All properties are filterable"; `NetworkAccess-Reports.Read.All`)
//! and the beta Prod CSDL (45 properties; the resource page lists 29).
//!
//! The resource has no `id`: a record is identified by its `transactionId`.
//! The page shows only `eq` on `createdDateTime`; `ge`/`le` is inferred
//! from "all properties are filterable" (`filter_documented: false`). The
//! permission is optional (`register-app.sh --with network-access`).

use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

/// `networkaccess.applicationSnapshot`.
const APPLICATION_SNAPSHOT: &[Field] = &[field("appId", String)];

/// `networkaccess.cloudApplicationMetadata`.
const CLOUD_APPLICATION: &[Field] = &[
    field("activity", String),
    field("categories", List(&String)),
    field("cloudApplicationCatalogId", String),
    field("complianceScore", Int32),
    field("generalScore", Int32),
    field("legalScore", Int32),
    field("loginUser", String),
    field("name", String),
    field("riskScore", Int32),
    field("securityScore", Int32),
    field("subactivity", String),
];

/// `networkaccess.webCategory`.
const WEB_CATEGORY: &[Field] = &[field("displayName", String), field("group", String), field("name", String)];

/// `networkaccess.headers`.
const HEADERS: &[Field] = &[field("origin", String), field("referrer", String), field("xForwardedFor", String)];

/// `networkaccess.thirdPartyTokenDetails`.
const THIRD_PARTY_TOKEN: &[Field] = &[
    field("expirationDateTime", Timestamp),
    field("issuedAtDateTime", Timestamp),
    field("uniqueTokenIdentifier", String),
    field("validFromDateTime", Timestamp),
];

/// `networkaccess.privateAccessDetails`.
const PRIVATE_ACCESS: &[Field] = &[
    field("accessType", String),
    field("appSegmentId", String),
    field("connectionStatus", String),
    field("connectorId", String),
    field("connectorIp", String),
    field("connectorName", String),
    field("processingRegion", String),
    field("thirdPartyTokenDetails", Struct(THIRD_PARTY_TOKEN)),
];

/// The dataset definition.
pub(super) static DEF: DatasetDef = DatasetDef {
    name: "network_access_traffic",
    description: "Global Secure Access traffic logs: Entra Internet and Private Access connections (Graph beta)",
    path: "beta/networkAccess/logs/traffic",
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: &["NetworkAccess-Reports.Read.All"],
    permission_optional: true,
    licence: Some("Microsoft Entra Internet Access or Private Access (Global Secure Access)"),
    key: "transactionId",
    fields: &[
        field("transactionId", String),
        field("createdDateTime", Timestamp),
        field("action", String),
        field("agentVersion", String),
        field("applicationSnapshot", Struct(APPLICATION_SNAPSHOT)),
        field("cloudApplicationMetadata", Struct(CLOUD_APPLICATION)),
        field("connectionId", String),
        field("description", String),
        field("destinationFQDN", String),
        field("destinationIp", String),
        field("destinationPort", Int32),
        field("destinationUrl", String),
        field("destinationWebCategory", Struct(WEB_CATEGORY)),
        field("deviceCategory", String),
        field("deviceId", String),
        field("deviceOperatingSystem", String),
        field("deviceOperatingSystemVersion", String),
        field("filteringProfileId", String),
        field("filteringProfileName", String),
        field("headers", Struct(HEADERS)),
        field("httpMethod", String),
        field("initiatingProcessName", String),
        field("networkProtocol", String),
        field("operationStatus", String),
        field("policyId", String),
        field("policyName", String),
        field("policyRuleId", String),
        field("policyRuleName", String),
        field("popProcessingRegion", String),
        field("privateAccessDetails", Struct(PRIVATE_ACCESS)),
        field("receivedBytes", Int64),
        field("remoteNetworkId", String),
        field("resourceTenantId", String),
        field("responseCode", Int32),
        field("sentBytes", Int64),
        field("sessionId", String),
        field("sourceIp", String),
        field("sourcePort", Int32),
        field("tenantId", String),
        field("threatType", String),
        field("trafficType", String),
        field("transportProtocol", String),
        field("userId", String),
        field("userPrincipalName", String),
        field("vendorNames", List(&String)),
    ],
    filter: None,
    filter_documented: false,
    sign_in_event_type: None,
    range: RangeOps::GeLe,
    throttle: Throttle::NetworkAccess,
    versioned: false,
    schema_version: 2,
};
