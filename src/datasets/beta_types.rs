//! Complex types of the beta `signIn` that v1.0 lacks or declares with fewer
//! properties (tests/fixtures/graph-metadata.txt, beta sections).

use super::{Field, Kind, field};
use Kind::*;

/// `authenticationDetail`.
pub(super) const AUTHENTICATION_DETAIL: &[Field] = &[
    field("authenticationStepDateTime", Timestamp),
    field("authenticationMethod", String),
    field("authenticationMethodDetail", String),
    field("succeeded", Bool),
    field("authenticationStepResultDetail", String),
    field("authenticationStepRequirement", String),
];

/// `networkLocationDetail`.
pub(super) const NETWORK_LOCATION_DETAIL: &[Field] =
    &[field("networkType", String), field("networkNames", List(&String))];

/// `managedIdentity`.
pub(super) const MANAGED_IDENTITY_DETAIL: &[Field] = &[
    field("msiType", String),
    field("associatedResourceId", String),
    field("federatedTokenId", String),
    field("federatedTokenIssuer", String),
];

/// `agentic.agentSignIn`: who an agent acted for (agentic sign-ins).
pub(super) const AGENT: &[Field] = &[
    field("agentType", String),
    field("agentSubjectType", String),
    field("agentSubjectParentId", String),
    field("parentAppId", String),
];

/// `customExtensionCalloutResult`, the one type derived from the abstract
/// `authenticationEventHandlerResult` (beta Prod CSDL).
const CALLOUT_RESULT: &[Field] = &[
    field("calloutDateTime", Timestamp),
    field("customExtensionId", String),
    field("errorCode", Int32),
    field("httpStatus", Int32),
    field("numberOfAttempts", Int32),
];

/// `appliedAuthenticationEventListener`.
pub(super) const APPLIED_EVENT_LISTENER: &[Field] =
    &[field("eventType", String), field("executedListenerId", String), field("handlerResult", Struct(CALLOUT_RESULT))];

/// `authenticationAppPolicyDetails`.
pub(super) const AUTHENTICATION_APP_POLICY_DETAILS: &[Field] = &[
    field("adminConfiguration", String),
    field("authenticationEvaluation", String),
    field("policyName", String),
    field("status", String),
];

/// `authenticationContext`.
pub(super) const AUTHENTICATION_CONTEXT: &[Field] = &[field("id", String), field("detail", String)];

/// `authenticationRequirementPolicy`.
pub(super) const AUTHENTICATION_REQUIREMENT_POLICY: &[Field] =
    &[field("requirementProvider", String), field("detail", String)];

/// `mfaDetail` (deprecated by Microsoft, still sent).
pub(super) const MFA_DETAIL: &[Field] = &[field("authMethod", String), field("authDetail", String)];

/// `privateLinkDetails`.
pub(super) const PRIVATE_LINK_DETAILS: &[Field] = &[
    field("policyId", String),
    field("policyName", String),
    field("policyTenantId", String),
    field("resourceId", String),
];

/// `sessionLifetimePolicy`.
pub(super) const SESSION_LIFETIME_POLICY: &[Field] = &[field("expirationRequirement", String), field("detail", String)];

/// `tokenProtectionStatusDetails`.
pub(super) const TOKEN_PROTECTION_STATUS_DETAILS: &[Field] =
    &[field("signInSessionStatus", String), field("signInSessionStatusCode", Int32)];

/// `authenticationStrength`.
const AUTHENTICATION_STRENGTH: &[Field] = &[
    field("authenticationStrengthId", String),
    field("displayName", String),
    field("authenticationStrengthResult", String),
];

/// `conditionalAccessRuleSatisfied`.
const RULE_SATISFIED: &[Field] = &[field("conditionalAccessCondition", String), field("ruleSatisfied", String)];

/// Beta `appliedConditionalAccessPolicy`: the v1.0 properties, then beta's.
pub(super) const APPLIED_CA_POLICY: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("enforcedGrantControls", List(&String)),
    field("enforcedSessionControls", List(&String)),
    field("result", String),
    field("authenticationStrength", Struct(AUTHENTICATION_STRENGTH)),
    field("conditionsSatisfied", String),
    field("conditionsNotSatisfied", String),
    field("includeRulesSatisfied", List(&Struct(RULE_SATISFIED))),
    field("excludeRulesSatisfied", List(&Struct(RULE_SATISFIED))),
    field("sessionControlsNotSatisfied", List(&String)),
];

/// Beta `deviceDetail`: the v1.0 properties, then `browserId`.
pub(super) const DEVICE_DETAIL: &[Field] = &[
    field("deviceId", String),
    field("displayName", String),
    field("operatingSystem", String),
    field("browser", String),
    field("isCompliant", Bool),
    field("isManaged", Bool),
    field("trustType", String),
    field("browserId", String),
];
