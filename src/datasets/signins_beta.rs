//! `signins_noninteractive`, `signins_service_principal`,
//! `signins_managed_identity`: the sign-ins Graph v1.0 does not return, from
//! the beta endpoint with one `signInEventTypes` filter each (graph-api.md §1,
//! §6.2).
//!
//! The three share one schema: the v1.0 columns, in the v1.0 order and with
//! the v1.0 names and types (beta drops `riskEventTypes`), then the beta
//! properties. So `signins` and these three combine with DuckDB's
//! `UNION ALL BY NAME` or Athena's `UNION ALL` over the common columns.
//! Interactive sign-ins stay on v1.0 (`signins`): it is the generally
//! available API, and beta "is subject to change" — an archive kept for
//! years should take from beta only what v1.0 lacks.

use super::types::{APPLIED_CA_POLICY, DEVICE_DETAIL, KEY_VALUE, SIGN_IN_LOCATION, SIGN_IN_STATUS};
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

const AUTHENTICATION_DETAIL: &[Field] = &[
    field("authenticationStepDateTime", Timestamp),
    field("authenticationMethod", String),
    field("authenticationMethodDetail", String),
    field("succeeded", Bool),
    field("authenticationStepResultDetail", String),
    field("authenticationStepRequirement", String),
];

const NETWORK_LOCATION_DETAIL: &[Field] = &[field("networkType", String), field("networkNames", List(&String))];

const MANAGED_IDENTITY_FIELDS: &[Field] = &[
    field("msiType", String),
    field("associatedResourceId", String),
    field("federatedTokenId", String),
    field("federatedTokenIssuer", String),
];

/// The beta `signIn` columns.
const FIELDS: &[Field] = &[
    // v1.0 columns (same order, names and types as `signins`, less riskEventTypes).
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
    field("riskEventTypes_v2", List(&String)),
    field("resourceDisplayName", String),
    field("resourceId", String),
    field("status", Struct(SIGN_IN_STATUS)),
    field("deviceDetail", Struct(DEVICE_DETAIL)),
    field("location", Struct(SIGN_IN_LOCATION)),
    field("appliedConditionalAccessPolicies", List(&Struct(APPLIED_CA_POLICY))),
    // beta properties.
    field("signInEventTypes", List(&String)),
    field("userType", String),
    field("userAgent", String),
    field("originalRequestId", String),
    field("uniqueTokenIdentifier", String),
    field("sessionId", String),
    field("authenticationProtocol", String),
    field("authenticationRequirement", String),
    field("authenticationMethodsUsed", List(&String)),
    field("authenticationDetails", List(&Struct(AUTHENTICATION_DETAIL))),
    field("authenticationProcessingDetails", List(&Struct(KEY_VALUE))),
    field("incomingTokenType", String),
    field("tokenIssuerType", String),
    field("tokenIssuerName", String),
    field("clientCredentialType", String),
    field("servicePrincipalId", String),
    field("servicePrincipalName", String),
    field("servicePrincipalCredentialKeyId", String),
    field("servicePrincipalCredentialThumbprint", String),
    field("federatedCredentialId", String),
    field("managedServiceIdentity", Struct(MANAGED_IDENTITY_FIELDS)),
    field("azureResourceId", String),
    field("resourceServicePrincipalId", String),
    field("resourceTenantId", String),
    field("homeTenantId", String),
    field("homeTenantName", String),
    field("crossTenantAccessType", String),
    field("conditionalAccessAudiences", String),
    field("networkLocationDetails", List(&Struct(NETWORK_LOCATION_DETAIL))),
    field("autonomousSystemNumber", Int32),
    field("ipAddressFromResourceProvider", String),
    field("isTenantRestricted", Bool),
    field("isThroughGlobalSecureAccess", Bool),
    field("globalSecureAccessIpAddress", String),
    field("flaggedForReview", Bool),
    field("processingTimeInMilliseconds", Int32),
    field("signInIdentifier", String),
    field("signInIdentifierType", String),
    field("signInTokenProtectionStatus", String),
    field("appTokenProtectionStatus", String),
];

const PATH: &str = "beta/auditLogs/signIns";
const PERMISSIONS: &[&str] = &["AuditLog.Read.All", "Directory.Read.All"];
const LICENCE: Option<&str> = Some("Microsoft Entra ID P1 or P2");

/// Non-interactive user sign-ins (refresh tokens, PRT, SSO by a client).
pub(super) static NON_INTERACTIVE: DatasetDef = DatasetDef {
    name: "signins_noninteractive",
    description: "non-interactive user sign-ins: token refreshes and SSO by clients (Graph beta /auditLogs/signIns)",
    path: PATH,
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: PERMISSIONS,
    licence: LICENCE,
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
};

/// Service-principal sign-ins (an app authenticating as itself).
pub(super) static SERVICE_PRINCIPAL: DatasetDef = DatasetDef {
    name: "signins_service_principal",
    description: "service-principal sign-ins: apps signing in with their own credentials (Graph beta)",
    path: PATH,
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: PERMISSIONS,
    licence: LICENCE,
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'servicePrincipal')"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
};

/// Managed-identity sign-ins (Azure resources signing in).
pub(super) static MANAGED_IDENTITY: DatasetDef = DatasetDef {
    name: "signins_managed_identity",
    description: "managed-identity sign-ins: Azure resources using their managed identities (Graph beta)",
    path: PATH,
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: PERMISSIONS,
    licence: LICENCE,
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'managedIdentity')"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{by_name, column_name};

    #[test]
    fn beta_columns_extend_the_v1_columns_with_the_same_types() {
        let v1 = by_name("signins").unwrap();
        for f in v1.fields.iter().filter(|f| f.json != "riskEventTypes") {
            let beta = FIELDS.iter().find(|b| b.json == f.json).unwrap_or_else(|| panic!("{} missing", f.json));
            assert_eq!(format!("{:?}", beta.kind), format!("{:?}", f.kind), "{}", f.json);
        }
        assert!(!FIELDS.iter().any(|f| f.json == "riskEventTypes"), "beta drops riskEventTypes");
        assert!(FIELDS.iter().any(|f| column_name(f.json) == "sign_in_event_types"));
    }
}
