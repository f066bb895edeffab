//! The beta properties of a user sign-in, interactive or not.
//!
//! They follow from a few facts ([`UserFacts`]): who signed in (member or
//! guest, by UPN or phone number), with which app, whether the password or
//! the second factor failed, whether MFA was required and by what, where
//! from. [`extras`] draws what Graph's documented example shows, from the
//! stream the caller passes (the dataset's, or for a twin its source's
//! auxiliary stream) in the order it always has; [`additions`] draws the
//! rest from the record's own stream.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::signins::parts::{self as v1, SecondFactor};
use super::super::signins::shape::V1SignIn;
use super::super::vocab::{CITIES, MICROSOFT_TENANT_ID, PEOPLE, PHONE_SIGN_IN, RESOURCES, TENANT_NAME};
use super::super::{Directory, guid, pick, weighted};
use super::evaluation;
use super::extras::{Additions, AgentSignIn, AuthenticationDetail, BetaPolicy, Extras, KeyValue, NetworkLocation};
use super::workloads;
use crate::time::format_ticks;

/// What a user sign-in's beta properties must agree with.
#[derive(Debug, Default)]
pub struct UserFacts {
    pub interactive: bool,
    /// Index into [`PEOPLE`], when the user is one of the cast.
    pub person: Option<usize>,
    /// `userPrincipalName`, when known.
    pub upn: Option<String>,
    pub guest: bool,
    pub app_name: String,
    pub client_app_used: String,
    /// `status.errorCode`.
    pub error_code: i64,
    /// Whether a second factor was asked for (performed or not).
    pub mfa: bool,
    /// Whether an applied Conditional Access policy asked for it.
    pub mfa_policy: bool,
    pub second: SecondFactor,
    /// How long after the sign-in began the Authenticator app answered.
    pub prompt_after: TimeDelta,
    pub country: String,
    /// Away from the person's usual place.
    pub away: bool,
    pub resource_id: String,
    /// Service principal of the resource, or "".
    pub resource_sp_id: String,
    pub ip_address: String,
}

impl UserFacts {
    /// What a v1.0 record says, for its beta twin.
    pub fn of_v1(v1: &V1SignIn, dir: &Directory, prompt_after: TimeDelta) -> UserFacts {
        let upn = v1.user_principal_name.clone();
        let person = PEOPLE.iter().position(|p| Some(p.upn) == upn.as_deref());
        let resource = RESOURCES.iter().position(|(id, _)| *id == v1.resource_id);
        let error_code = i64::from(v1.status.error_code);
        let details = v1.status.additional_details.as_deref();
        let mfa_policy = v1::mfa_required(&v1.applied_conditional_access_policies);
        UserFacts {
            interactive: true,
            person,
            upn,
            guest: person.is_some_and(|p| PEOPLE[p].guest),
            app_name: v1.app_display_name.clone(),
            client_app_used: v1.client_app_used.clone().unwrap_or_default(),
            error_code,
            mfa: v1::mfa_asked(error_code, details, mfa_policy),
            mfa_policy,
            second: v1::second_factor(error_code, details, mfa_policy),
            prompt_after,
            country: v1.location.country_or_region.clone(),
            away: person.is_some_and(|p| v1.location.city != CITIES[PEOPLE[p].home].0),
            resource_id: v1.resource_id.clone(),
            resource_sp_id: resource.map_or_else(String::new, |i| dir.resource_sp_ids[i].clone()),
            ip_address: v1.ip_address.clone(),
        }
    }

    /// Legacy protocols (IMAP, SMTP, ActiveSync) are neither browsers nor
    /// modern clients.
    fn legacy(&self) -> bool {
        self.client_app_used != "Browser" && self.client_app_used != "Mobile Apps and Desktop clients"
    }

    /// The phone number the person signs in with, if they do.
    fn phone(&self) -> Option<&'static str> {
        let person = self.person?;
        PHONE_SIGN_IN.iter().find(|(p, _)| *p == person).map(|(_, phone)| *phone)
    }
}

/// What an interactive password step reports for an error code.
fn password_step(error_code: i64) -> (bool, &'static str) {
    match error_code {
        50126 => (false, "Invalid username or password or Invalid on-premise username or password."),
        50053 => (
            false,
            "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
        ),
        _ => (true, "Correct password"),
    }
}

fn user_details(facts: &UserFacts, time: DateTime<Utc>) -> (Vec<&'static str>, Vec<AuthenticationDetail>) {
    let step = |at: DateTime<Utc>, method, detail, succeeded, result, requirement| AuthenticationDetail {
        authentication_step_date_time: format_ticks(at),
        authentication_method: method,
        authentication_method_detail: detail,
        succeeded,
        authentication_step_result_detail: result,
        authentication_step_requirement: requirement,
    };
    let (primary, second) = ("Primary authentication", "Multifactor authentication");
    if !facts.interactive {
        let claim = "First factor requirement satisfied by claim in the token";
        let mut details = vec![step(time, "Previously satisfied", None, true, claim, primary)];
        if facts.mfa {
            details.push(step(time, "Previously satisfied", None, true, v1::MFA_BY_CLAIM, second));
        }
        return (vec![], details);
    }
    let (password_ok, result) = password_step(facts.error_code);
    let mut details = vec![step(time, "Password", Some("Password in the cloud"), password_ok, result, primary)];
    let mut used = Vec::new();
    if password_ok {
        used.push("Password");
    }
    match facts.second {
        SecondFactor::NotReached => {}
        SecondFactor::ByClaim => details.push(step(time, "Previously satisfied", None, true, v1::MFA_BY_CLAIM, second)),
        SecondFactor::Prompted { ok, result } => {
            let at = time + facts.prompt_after;
            let app = Some("Microsoft Authenticator");
            details.push(step(at, "Mobile app notification", app, ok, result, second));
            if ok {
                used.push("Mobile app notification");
            }
        }
    }
    (used, details)
}

/// A `uniqueTokenIdentifier`.
pub fn token_identifier(rng: &mut ChaCha20Rng) -> String {
    let bytes: [u8; 16] = rng.random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn processing_details(rng: &mut ChaCha20Rng, interactive: bool) -> Vec<KeyValue> {
    let mut out = Vec::new();
    if interactive {
        out.push(KeyValue { key: "Login Hint Present", value: pick::<&str>(rng, &["True", "False"]) });
    }
    out.push(KeyValue { key: "Is CAE Token", value: pick::<&str>(rng, &["True", "False", "False"]) });
    if rng.random_bool(0.3) {
        out.push(KeyValue { key: "Root Key Type", value: "Unknown" });
    }
    out
}

fn an_ip(rng: &mut ChaCha20Rng) -> String {
    format!("151.{}.{}.{}", rng.random_range(0..255u8), rng.random::<u8>(), rng.random_range(1..255u8))
}

/// The beta properties of Graph's example, for a user sign-in. Draws from
/// `rng` in a fixed order (which keeps every seed's records as they were).
pub fn extras<'a>(rng: &mut ChaCha20Rng, facts: &'a UserFacts, time: DateTime<Utc>) -> Extras<'a> {
    let (methods, details) = user_details(facts, time);
    let (protocol, incoming) = if facts.interactive {
        let protocol = match facts.app_name.as_str() {
            _ if facts.legacy() => "ropc",
            "Microsoft Azure CLI" if rng.random_bool(0.3) => "deviceCode",
            _ => "oAuth2",
        };
        (protocol, if facts.app_name == "Windows Sign In" { "primaryRefreshToken" } else { "none" })
    } else {
        let incoming = *weighted(rng, &[(55, "refreshToken"), (35, "primaryRefreshToken"), (10, "none")]);
        (*weighted(rng, &[(7, "oAuth2"), (3, "none")]), incoming)
    };
    let gsa = rng.random_bool(0.05);
    let network = if facts.away || rng.random_bool(0.5) {
        vec![]
    } else {
        let (kind, name) = *pick(rng, &[("namedNetwork", "Contoso HQ"), ("trustedNamedLocation", "Corporate VPN")]);
        vec![NetworkLocation { network_type: kind, network_names: vec![name] }]
    };
    let (identifier, identifier_type) = match facts.phone() {
        Some(phone) => (Some(phone.to_owned()), Some("phoneNumber")),
        None => (facts.upn.clone(), facts.upn.as_ref().map(|_| "userPrincipalName")),
    };
    Extras {
        sign_in_event_types: [if facts.interactive { "interactiveUser" } else { "nonInteractiveUser" }],
        user_type: Some(if facts.guest { "guest" } else { "member" }),
        original_request_id: guid(rng),
        unique_token_identifier: token_identifier(rng),
        session_id: guid(rng),
        authentication_protocol: protocol,
        authentication_requirement: if facts.mfa { "multiFactorAuthentication" } else { "singleFactorAuthentication" },
        authentication_methods_used: methods,
        authentication_details: details,
        authentication_processing_details: processing_details(rng, facts.interactive),
        incoming_token_type: incoming,
        token_issuer_type: "AzureAD",
        token_issuer_name: "",
        client_credential_type: "none",
        service_principal_credential_key_id: None,
        service_principal_credential_thumbprint: None,
        federated_credential_id: None,
        managed_service_identity: None,
        azure_resource_id: None,
        resource_service_principal_id: &facts.resource_sp_id,
        home_tenant_name: if rng.random_bool(0.2) {
            ""
        } else if facts.guest {
            "Fabrikam"
        } else {
            TENANT_NAME
        },
        cross_tenant_access_type: if facts.guest { "b2bCollaboration" } else { "none" },
        conditional_access_audiences: audiences(&facts.resource_id),
        network_location_details: network,
        autonomous_system_number: workloads::user_asn(&facts.country),
        ip_address_from_resource_provider: None,
        is_tenant_restricted: false,
        is_through_global_secure_access: gsa,
        global_secure_access_ip_address: gsa.then(|| an_ip(rng)),
        flagged_for_review: rng.random_bool(0.005),
        processing_time_in_milliseconds: if facts.interactive {
            rng.random_range(40..1500)
        } else {
            rng.random_range(8..400)
        },
        sign_in_identifier: identifier,
        sign_in_identifier_type: identifier_type,
        sign_in_token_protection_status: if incoming == "primaryRefreshToken" {
            pick::<&str>(rng, &["bound", "none"])
        } else {
            pick::<&str>(rng, &["none", "unbound"])
        },
        app_token_protection_status: pick::<&str>(rng, &["none", "unbound"]),
    }
}

/// `conditionalAccessAudiences`: the resource the token is for.
pub fn audiences(resource_id: &str) -> Vec<String> {
    if resource_id.is_empty() { vec![] } else { vec![resource_id.to_owned()] }
}

/// Exchange and SharePoint report the client address they saw (for
/// continuous access evaluation); mostly the same as Entra saw.
fn resource_provider_ip(x: &mut ChaCha20Rng, facts: &UserFacts) -> Option<String> {
    let reporting = [RESOURCES[1].0, RESOURCES[2].0];
    if !reporting.contains(&facts.resource_id.as_str()) || !x.random_bool(0.4) {
        return None;
    }
    Some(if x.random_bool(0.8) { facts.ip_address.clone() } else { an_ip(x) })
}

/// The rest of a user sign-in's beta properties, from the record's own
/// stream `x`; fills in the resource provider's view of the client address
/// in `extras`. `agent` is the agent acting for the user, if one is.
pub fn additions(
    x: &mut ChaCha20Rng,
    dir: &Directory,
    facts: &UserFacts,
    extras: &mut Extras<'_>,
    policies: &[BetaPolicy],
    time: DateTime<Utc>,
    agent: Option<AgentSignIn>,
) -> Additions {
    extras.ip_address_from_resource_provider = resource_provider_ip(x, facts);
    let transfer = match extras.authentication_protocol {
        "deviceCode" => "deviceCodeFlow",
        _ if facts.interactive && x.random_bool(0.01) => "authenticationTransfer",
        _ => "none",
    };
    Additions {
        alternate_sign_in_name: facts.phone().map(str::to_owned),
        app_owner_tenant_id: if agent.is_some() { dir.tenant_id.clone() } else { MICROSOFT_TENANT_ID.to_owned() },
        agent,
        resource_owner_tenant_id: MICROSOFT_TENANT_ID.to_owned(),
        client_session_id: x.random_bool(0.6).then(|| guid(x)),
        original_transfer_method: transfer,
        mfa_detail: evaluation::mfa_detail(facts),
        token_protection_status_details: evaluation::token_protection(x, extras.sign_in_token_protection_status),
        private_link_details: evaluation::private_link(x, dir),
        authentication_requirement_policies: evaluation::requirement_policies(facts),
        session_lifetime_policies: evaluation::session_lifetime(x, facts, policies),
        authentication_context_class_references: evaluation::authentication_contexts(x, facts),
        authentication_app_policy_evaluation_details: evaluation::app_policy_details(facts),
        applied_event_listeners: evaluation::event_listeners(x, dir, time),
    }
}
