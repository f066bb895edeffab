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

use super::beta_types::{
    AGENT, APPLIED_CA_POLICY, APPLIED_EVENT_LISTENER, AUTHENTICATION_APP_POLICY_DETAILS, AUTHENTICATION_CONTEXT,
    AUTHENTICATION_DETAIL, AUTHENTICATION_REQUIREMENT_POLICY, DEVICE_DETAIL, MANAGED_IDENTITY_DETAIL, MFA_DETAIL,
    NETWORK_LOCATION_DETAIL, PRIVATE_LINK_DETAILS, SESSION_LIFETIME_POLICY, TOKEN_PROTECTION_STATUS_DETAILS,
};
use super::types::{AUTHENTICATION_APP_DEVICE_DETAILS, KEY_VALUE, SIGN_IN_LOCATION, SIGN_IN_STATUS};
use super::{DatasetDef, Field, Kind, RangeOps, Throttle, field};
use Kind::*;

/// The beta `signIn` columns.
const FIELDS: &[Field] = &[
    // v1.0 columns (same order and names as `signins`; beta's complex types
    // have more properties than v1.0's).
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
    field("userAgent", String),
    field("homeTenantId", String),
    field("resourceTenantId", String),
    field("servicePrincipalId", String),
    field("servicePrincipalName", String),
    field("authenticationAppDeviceDetails", Struct(AUTHENTICATION_APP_DEVICE_DETAILS)),
    // beta properties.
    field("signInEventTypes", List(&String)),
    field("userType", String),
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
    field("servicePrincipalCredentialKeyId", String),
    field("servicePrincipalCredentialThumbprint", String),
    field("federatedCredentialId", String),
    field("managedServiceIdentity", Struct(MANAGED_IDENTITY_DETAIL)),
    field("azureResourceId", String),
    field("resourceServicePrincipalId", String),
    field("homeTenantName", String),
    field("crossTenantAccessType", String),
    field("conditionalAccessAudiences", List(&String)),
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
    // Since schema version 2.
    field("agent", Struct(AGENT)),
    field("alternateSignInName", String),
    field("appOwnerTenantId", String),
    field("resourceOwnerTenantId", String),
    field("clientSessionId", String),
    field("originalTransferMethod", String),
    field("appliedEventListeners", List(&Struct(APPLIED_EVENT_LISTENER))),
    field("authenticationAppPolicyEvaluationDetails", List(&Struct(AUTHENTICATION_APP_POLICY_DETAILS))),
    field("authenticationContextClassReferences", List(&Struct(AUTHENTICATION_CONTEXT))),
    field("authenticationRequirementPolicies", List(&Struct(AUTHENTICATION_REQUIREMENT_POLICY))),
    field("sessionLifetimePolicies", List(&Struct(SESSION_LIFETIME_POLICY))),
    field("mfaDetail", Struct(MFA_DETAIL)),
    field("tokenProtectionStatusDetails", Struct(TOKEN_PROTECTION_STATUS_DETAILS)),
    field("privateLinkDetails", Struct(PRIVATE_LINK_DETAILS)),
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
    permission_optional: false,
    licence: LICENCE,
    key: "id",
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
    filter_documented: true,
    sign_in_event_type: Some("nonInteractiveUser"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};

/// Service-principal sign-ins (an app authenticating as itself).
pub(super) static SERVICE_PRINCIPAL: DatasetDef = DatasetDef {
    name: "signins_service_principal",
    description: "service-principal sign-ins: apps signing in with their own credentials (Graph beta)",
    path: PATH,
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: PERMISSIONS,
    permission_optional: false,
    licence: LICENCE,
    key: "id",
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'servicePrincipal')"),
    filter_documented: true,
    sign_in_event_type: Some("servicePrincipal"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};

/// Managed-identity sign-ins (Azure resources signing in).
pub(super) static MANAGED_IDENTITY: DatasetDef = DatasetDef {
    name: "signins_managed_identity",
    description: "managed-identity sign-ins: Azure resources using their managed identities (Graph beta)",
    path: PATH,
    time_field: "createdDateTime",
    page_size: 1000,
    permissions: PERMISSIONS,
    permission_optional: false,
    licence: LICENCE,
    key: "id",
    fields: FIELDS,
    filter: Some("signInEventTypes/any(t: t eq 'managedIdentity')"),
    filter_documented: true,
    sign_in_event_type: Some("managedIdentity"),
    range: RangeOps::GeLe,
    throttle: Throttle::AuditLogs,
    versioned: false,
    schema_version: 2,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{by_name, column_name};

    /// Whether `beta` holds everything `v1` does, of the same types (a
    /// struct may have more fields): what lets DuckDB's `UNION ALL BY NAME`
    /// combine `signins` with the beta datasets.
    fn extends(beta: &Kind, v1: &Kind) -> bool {
        match (beta, v1) {
            (Struct(b), Struct(v)) => v.iter().all(|f| b.iter().any(|g| g.json == f.json && extends(&g.kind, &f.kind))),
            (List(b), List(v)) => extends(b, v),
            (b, v) => format!("{b:?}") == format!("{v:?}"),
        }
    }

    #[test]
    fn beta_columns_extend_the_v1_columns() {
        let v1 = by_name("signins").unwrap();
        for (i, f) in v1.fields.iter().enumerate() {
            let beta = FIELDS.iter().find(|b| b.json == f.json).unwrap_or_else(|| panic!("{} missing", f.json));
            assert!(extends(&beta.kind, &f.kind), "{}", f.json);
            assert_eq!(FIELDS[i].json, f.json, "v1.0's columns first, in v1.0's order");
        }
        assert!(FIELDS.iter().any(|f| column_name(f.json) == "sign_in_event_types"));
        assert!(!extends(&Struct(super::super::types::KEY_VALUE), &Struct(SIGN_IN_STATUS)));
    }
}
