//! What evaluating a sign-in against the tenant's policies leaves in its
//! beta record: the MFA detail and the Authenticator app's policy checks,
//! what required MFA, which session lifetime applied, authentication
//! contexts, custom authentication extensions that ran, token protection,
//! Private Link.
//!
//! Each follows from the facts of the sign-in (how the second factor went,
//! which policies applied, which resource); the few free choices are drawn
//! from the record's own stream.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::signins::parts::{MFA_BY_CLAIM, SecondFactor};
use super::super::vocab::{POLICIES, RESOURCES, SHAREPOINT};
use super::super::{Directory, pick};
use super::extras::{
    AppPolicyDetails, AuthenticationContext, BetaPolicy, CalloutResult, EventListener, MfaDetail, PrivateLinkDetails,
    RequirementPolicy, SessionLifetimePolicy, TokenProtectionStatusDetails,
};
use super::user::UserFacts;
use crate::time::format_ticks;

/// Name of the tenant's Private Link for Microsoft Entra ID policy.
const PRIVATE_LINK: &str = "contoso-entra-private-link";

/// `mfaDetail`: how the second factor was met, when one was asked for.
pub fn mfa_detail(facts: &UserFacts) -> Option<MfaDetail> {
    let by_claim = MfaDetail { auth_method: "Previously satisfied", auth_detail: Some(MFA_BY_CLAIM) };
    if !facts.interactive {
        return facts.mfa.then_some(by_claim);
    }
    match facts.second {
        SecondFactor::NotReached => None,
        SecondFactor::ByClaim => Some(by_claim),
        SecondFactor::Prompted { .. } => {
            Some(MfaDetail { auth_method: "Mobile app notification", auth_detail: Some("Microsoft Authenticator") })
        }
    }
}

/// `authenticationAppPolicyEvaluationDetails`: the Authenticator app's
/// number matching and app context, when the app was prompted.
pub fn app_policy_details(facts: &UserFacts) -> Vec<AppPolicyDetails> {
    let SecondFactor::Prompted { ok, .. } = facts.second else {
        return vec![];
    };
    if facts.error_code == 50074 {
        return vec![];
    }
    let (evaluation, status) = match (ok, facts.error_code) {
        (true, _) => ("success", "numberMatchCorrectNumberEntered"),
        (false, 500121) => ("failure", "numberMatchDeny"),
        (false, _) => ("failure", "numberMatchIncorrectNumberEntered"),
    };
    vec![
        AppPolicyDetails {
            admin_configuration: "enabled",
            authentication_evaluation: evaluation,
            policy_name: "Number matching",
            status,
        },
        AppPolicyDetails {
            admin_configuration: "enabled",
            authentication_evaluation: "success",
            policy_name: "Show application name in push and passwordless notifications",
            status: "appContextShown",
        },
    ]
}

/// `authenticationRequirementPolicies`: what made MFA required — a
/// Conditional Access policy, or the user's per-user MFA setting.
pub fn requirement_policies(facts: &UserFacts) -> Vec<RequirementPolicy> {
    match (facts.mfa, facts.mfa_policy) {
        (true, true) => {
            vec![RequirementPolicy { requirement_provider: "multiConditionalAccess", detail: "Conditional Access" }]
        }
        (true, false) => vec![RequirementPolicy { requirement_provider: "user", detail: "Per-user MFA" }],
        _ => vec![],
    }
}

/// `sessionLifetimePolicies`: a sign-in frequency policy that applied,
/// remembered MFA, or the tenant's token lifetime for refreshed tokens.
pub fn session_lifetime(x: &mut ChaCha20Rng, facts: &UserFacts, policies: &[BetaPolicy]) -> Vec<SessionLifetimePolicy> {
    let frequency = POLICIES[3].0;
    let mut out: Vec<SessionLifetimePolicy> = policies
        .iter()
        .filter(|p| p.v1.display_name == frequency && p.v1.result == "success")
        .map(|p| SessionLifetimePolicy {
            expiration_requirement: "signInFrequencyPeriodicReauthentication",
            detail: p.v1.display_name.clone(),
        })
        .collect();
    if matches!(facts.second, SecondFactor::Prompted { ok: true, .. }) && x.random_bool(0.3) {
        out.push(SessionLifetimePolicy {
            expiration_requirement: "rememberMultifactorAuthenticationOnTrustedDevices",
            detail: "Remember multifactor authentication on trusted devices".to_owned(),
        });
    }
    if !facts.interactive && x.random_bool(0.15) {
        out.push(SessionLifetimePolicy {
            expiration_requirement: "tenantTokenLifetimePolicy",
            detail: "Default token lifetime".to_owned(),
        });
    }
    out
}

/// `authenticationContextClassReferences`: SharePoint sites labelled
/// sensitive ask for authentication context `c1`.
pub fn authentication_contexts(x: &mut ChaCha20Rng, facts: &UserFacts) -> Vec<AuthenticationContext> {
    if facts.resource_id != RESOURCES[SHAREPOINT].0 || !x.random_bool(0.5) {
        return vec![];
    }
    let detail = if !facts.interactive {
        "previouslySatisfied"
    } else if facts.mfa {
        "required"
    } else {
        "notApplicable"
    };
    vec![AuthenticationContext { id: "c1", detail }]
}

/// `appliedEventListeners`: now and then the tenant's custom claims
/// provider ran as the token was issued.
pub fn event_listeners(x: &mut ChaCha20Rng, dir: &Directory, time: DateTime<Utc>) -> Vec<EventListener> {
    if !x.random_bool(0.04) {
        return vec![];
    }
    let retried = x.random_bool(0.1);
    let called = time + TimeDelta::milliseconds(x.random_range(20..400));
    vec![EventListener {
        event_type: "tokenIssuanceStart",
        executed_listener_id: dir.event_listener_id.clone(),
        handler_result: CalloutResult {
            odata_type: "#microsoft.graph.customExtensionCalloutResult",
            callout_date_time: format_ticks(called),
            custom_extension_id: dir.custom_extension_id.clone(),
            error_code: 0,
            http_status: 200,
            number_of_attempts: if retried { 2 } else { 1 },
        },
    }]
}

/// `tokenProtectionStatusDetails`, agreeing with
/// `signInTokenProtectionStatus`.
pub fn token_protection(x: &mut ChaCha20Rng, status: &'static str) -> TokenProtectionStatusDetails {
    let code = match status {
        "unbound" => *pick(x, &[1002u32, 1003, 1005, 1006]),
        _ => 0,
    };
    TokenProtectionStatusDetails { sign_in_session_status: status, sign_in_session_status_code: code }
}

/// `privateLinkDetails`: a small share of sign-ins come through the
/// tenant's Private Link for Microsoft Entra ID.
pub fn private_link(x: &mut ChaCha20Rng, dir: &Directory) -> Option<PrivateLinkDetails> {
    x.random_bool(0.03).then(|| PrivateLinkDetails {
        policy_id: dir.private_link_policy_id.clone(),
        policy_name: PRIVATE_LINK,
        policy_tenant_id: dir.tenant_id.clone(),
        resource_id: format!(
            "/subscriptions/{}/resourceGroups/rg-network/providers/microsoft.aadiam/privateLinkForAzureAd/{PRIVATE_LINK}",
            dir.subscription_id
        ),
    })
}
