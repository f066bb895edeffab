//! The shapes beta adds to a v1.0 `signIn`: its extended device and policy
//! types, the beta-only properties ([`Extras`], in the order Graph's example
//! shows them; [`Additions`], those the sim models since it followed the
//! metadata's full list), and the complex types they reach.
//!
//! Pure data. What goes in them is drawn in `user` (user sign-ins),
//! `app_only` (service principals, managed identities), `evaluation`
//! (policy evaluation details) and `policies` (Conditional Access).

use serde::Serialize;

use super::super::signins::shape::{AppliedPolicy, DeviceDetail, SignIn};

/// A beta sign-in: the v1.0 properties (with beta's device and policy
/// types), then the beta ones.
#[derive(Serialize)]
pub struct BetaSignIn<'a> {
    #[serde(flatten)]
    pub base: SignIn<BetaDevice, BetaPolicy>,
    #[serde(flatten)]
    pub extras: Extras<'a>,
    #[serde(flatten)]
    pub additions: Additions,
}

/// `deviceDetail` in beta: v1.0's, and the browser's id.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BetaDevice {
    #[serde(flatten)]
    pub v1: DeviceDetail,
    pub browser_id: Option<String>,
}

/// An applied Conditional Access policy in beta: v1.0's, and how its
/// conditions and rules matched.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BetaPolicy {
    #[serde(flatten)]
    pub v1: AppliedPolicy,
    pub authentication_strength: Option<AuthenticationStrength>,
    /// A `conditionalAccessConditions` flags value.
    pub conditions_satisfied: String,
    /// A `conditionalAccessConditions` flags value.
    pub conditions_not_satisfied: String,
    pub include_rules_satisfied: Vec<RuleSatisfied>,
    pub exclude_rules_satisfied: Vec<RuleSatisfied>,
    pub session_controls_not_satisfied: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationStrength {
    pub authentication_strength_id: &'static str,
    pub authentication_strength_result: &'static str,
    pub display_name: &'static str,
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub struct RuleSatisfied {
    pub conditional_access_condition: &'static str,
    pub rule_satisfied: &'static str,
}

/// The beta-only properties Graph's documented example shows, in its order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extras<'a> {
    pub sign_in_event_types: [&'static str; 1],
    pub user_type: Option<&'static str>,
    pub original_request_id: String,
    pub unique_token_identifier: String,
    pub session_id: String,
    /// A `protocolType` flags value.
    pub authentication_protocol: &'static str,
    pub authentication_requirement: &'static str,
    pub authentication_methods_used: Vec<&'static str>,
    pub authentication_details: Vec<AuthenticationDetail>,
    pub authentication_processing_details: Vec<KeyValue>,
    /// An `incomingTokenType` flags value.
    pub incoming_token_type: &'static str,
    pub token_issuer_type: &'static str,
    pub token_issuer_name: &'static str,
    pub client_credential_type: &'static str,
    pub service_principal_credential_key_id: Option<&'a str>,
    pub service_principal_credential_thumbprint: Option<&'a str>,
    pub federated_credential_id: Option<&'a str>,
    pub managed_service_identity: Option<Msi>,
    pub azure_resource_id: Option<String>,
    pub resource_service_principal_id: &'a str,
    pub home_tenant_name: &'static str,
    /// A `signInAccessType` flags value.
    pub cross_tenant_access_type: &'static str,
    pub conditional_access_audiences: Vec<String>,
    pub network_location_details: Vec<NetworkLocation>,
    pub autonomous_system_number: u32,
    pub ip_address_from_resource_provider: Option<String>,
    pub is_tenant_restricted: bool,
    pub is_through_global_secure_access: bool,
    pub global_secure_access_ip_address: Option<String>,
    pub flagged_for_review: bool,
    pub processing_time_in_milliseconds: u32,
    pub sign_in_identifier: Option<String>,
    pub sign_in_identifier_type: Option<&'static str>,
    pub sign_in_token_protection_status: &'static str,
    pub app_token_protection_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetail {
    pub authentication_step_date_time: String,
    pub authentication_method: &'static str,
    pub authentication_method_detail: Option<&'static str>,
    pub succeeded: bool,
    pub authentication_step_result_detail: &'static str,
    pub authentication_step_requirement: &'static str,
}

#[derive(Serialize)]
pub struct KeyValue {
    pub key: &'static str,
    pub value: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkLocation {
    pub network_type: &'static str,
    pub network_names: Vec<&'static str>,
}

/// `managedServiceIdentity` of a managed identity sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Msi {
    pub msi_type: &'static str,
    pub associated_resource_id: String,
    pub federated_token_id: Option<String>,
    pub federated_token_issuer: Option<String>,
}

/// The rest of beta's properties: agents, owner tenants, policy evaluation
/// details, private link, token protection details. Drawn from the
/// record's own stream.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Additions {
    pub alternate_sign_in_name: Option<String>,
    pub agent: Option<AgentSignIn>,
    pub app_owner_tenant_id: String,
    pub resource_owner_tenant_id: String,
    pub client_session_id: Option<String>,
    pub original_transfer_method: &'static str,
    pub mfa_detail: Option<MfaDetail>,
    pub token_protection_status_details: TokenProtectionStatusDetails,
    pub private_link_details: Option<PrivateLinkDetails>,
    pub authentication_requirement_policies: Vec<RequirementPolicy>,
    pub session_lifetime_policies: Vec<SessionLifetimePolicy>,
    pub authentication_context_class_references: Vec<AuthenticationContext>,
    pub authentication_app_policy_evaluation_details: Vec<AppPolicyDetails>,
    pub applied_event_listeners: Vec<EventListener>,
}

/// `agent` (`microsoft.graph.agentic.agentSignIn`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSignIn {
    pub agent_type: &'static str,
    pub agent_subject_type: &'static str,
    pub agent_subject_parent_id: String,
    pub parent_app_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaDetail {
    pub auth_method: &'static str,
    pub auth_detail: Option<&'static str>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TokenProtectionStatusDetails {
    pub sign_in_session_status: &'static str,
    pub sign_in_session_status_code: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkDetails {
    pub policy_id: String,
    pub policy_name: &'static str,
    pub policy_tenant_id: String,
    pub resource_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementPolicy {
    pub requirement_provider: &'static str,
    pub detail: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLifetimePolicy {
    pub expiration_requirement: &'static str,
    pub detail: String,
}

#[derive(Serialize)]
pub struct AuthenticationContext {
    pub id: &'static str,
    pub detail: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPolicyDetails {
    pub admin_configuration: &'static str,
    pub authentication_evaluation: &'static str,
    pub policy_name: &'static str,
    pub status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventListener {
    pub event_type: &'static str,
    pub executed_listener_id: String,
    pub handler_result: CalloutResult,
}

/// `handlerResult`: an open `authenticationEventHandlerResult`, here the
/// result of calling a custom authentication extension.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalloutResult {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub callout_date_time: String,
    pub custom_extension_id: String,
    pub error_code: u32,
    pub http_status: u16,
    pub number_of_attempts: u32,
}
