//! The beta-only properties of a `signIn` ([`Extras`]) and how each kind of
//! sign-in draws them.
//!
//! A user sign-in's extras follow from a few facts ([`UserFacts`]): who
//! signed in (member or guest), with which app and device, whether the
//! password or the MFA step failed, whether MFA was required. Workload
//! sign-ins (service principal, managed identity) have no user, no device
//! and no interactive authentication steps, but a credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::super::vocab::TENANT_NAME;
use super::super::{Directory, guid, pick, weighted};
use super::workloads::{self, ManagedIdentity, Workload};
use crate::time::format_ticks;

/// Everything beta adds to the v1.0 properties, in the order Graph sends it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extras<'a> {
    sign_in_event_types: [&'static str; 1],
    user_type: Option<&'static str>,
    user_agent: &'a str,
    original_request_id: String,
    unique_token_identifier: String,
    session_id: String,
    authentication_protocol: &'static str,
    authentication_requirement: &'static str,
    authentication_methods_used: Vec<&'static str>,
    authentication_details: Vec<AuthenticationDetail>,
    authentication_processing_details: Vec<KeyValue>,
    incoming_token_type: &'static str,
    token_issuer_type: &'static str,
    token_issuer_name: &'static str,
    client_credential_type: &'static str,
    service_principal_id: &'a str,
    service_principal_name: Option<&'a str>,
    service_principal_credential_key_id: Option<&'a str>,
    service_principal_credential_thumbprint: Option<&'a str>,
    federated_credential_id: Option<&'a str>,
    managed_service_identity: Option<Msi>,
    azure_resource_id: Option<String>,
    resource_service_principal_id: &'a str,
    resource_tenant_id: &'a str,
    home_tenant_id: &'a str,
    home_tenant_name: &'static str,
    cross_tenant_access_type: &'static str,
    conditional_access_audiences: Option<&'a str>,
    network_location_details: Vec<NetworkLocation>,
    autonomous_system_number: u32,
    ip_address_from_resource_provider: Option<String>,
    is_tenant_restricted: bool,
    is_through_global_secure_access: bool,
    global_secure_access_ip_address: Option<String>,
    flagged_for_review: bool,
    processing_time_in_milliseconds: u32,
    sign_in_identifier: Option<&'a str>,
    sign_in_identifier_type: Option<&'static str>,
    sign_in_token_protection_status: &'static str,
    app_token_protection_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationDetail {
    authentication_step_date_time: String,
    authentication_method: &'static str,
    authentication_method_detail: Option<&'static str>,
    succeeded: bool,
    authentication_step_result_detail: &'static str,
    authentication_step_requirement: &'static str,
}

#[derive(Serialize)]
struct KeyValue {
    key: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkLocation {
    network_type: &'static str,
    network_names: Vec<&'static str>,
}

/// `managedServiceIdentity` of a managed identity sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Msi {
    msi_type: &'static str,
    associated_resource_id: String,
    federated_token_id: Option<String>,
    federated_token_issuer: Option<String>,
}

/// What a user sign-in's extras must agree with.
#[derive(Debug)]
pub struct UserFacts<'a> {
    pub interactive: bool,
    /// `userPrincipalName`, when known.
    pub upn: Option<&'a str>,
    pub guest: bool,
    pub app_name: &'a str,
    pub client_app_used: &'a str,
    pub os: &'a str,
    pub browser: &'a str,
    /// `status.errorCode`.
    pub error_code: i64,
    /// Whether a second factor was asked for (performed or not).
    pub mfa: bool,
    pub country: &'a str,
    /// Away from the person's usual place.
    pub away: bool,
    pub resource_id: &'a str,
    /// Service principal of the resource, or "".
    pub resource_sp_id: &'a str,
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

fn user_details(facts: &UserFacts<'_>, time: DateTime<Utc>) -> (Vec<&'static str>, Vec<AuthenticationDetail>) {
    let at = format_ticks(time);
    let step = |method, detail, succeeded, result, requirement| AuthenticationDetail {
        authentication_step_date_time: at.clone(),
        authentication_method: method,
        authentication_method_detail: detail,
        succeeded,
        authentication_step_result_detail: result,
        authentication_step_requirement: requirement,
    };
    if !facts.interactive {
        let mut details = vec![step(
            "Previously satisfied",
            None,
            true,
            "First factor requirement satisfied by claim in the token",
            "Primary authentication",
        )];
        if facts.mfa {
            details.push(step(
                "Previously satisfied",
                None,
                true,
                "MFA requirement satisfied by claim in the token",
                "Multifactor authentication",
            ));
        }
        return (vec![], details);
    }
    let (password_ok, result) = password_step(facts.error_code);
    let mut details =
        vec![step("Password", Some("Password in the cloud"), password_ok, result, "Primary authentication")];
    let mut used = Vec::new();
    if password_ok {
        used.push("Password");
    }
    if password_ok && facts.mfa {
        let (ok, result) = match facts.error_code {
            500121 => (false, "MFA denied; user did not respond to mobile app notification"),
            50074 => (false, "User needs to perform multi-factor authentication"),
            _ => (true, "MFA successfully completed"),
        };
        details.push(step(
            "Mobile app notification",
            Some("Microsoft Authenticator"),
            ok,
            result,
            "Multifactor authentication",
        ));
        if ok {
            used.push("Mobile app notification");
        }
    }
    (used, details)
}

fn token_identifier(rng: &mut ChaCha20Rng) -> String {
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

/// The extras of a user sign-in (interactive or not).
pub fn user<'a>(
    rng: &mut ChaCha20Rng,
    dir: &'a Directory,
    facts: &'a UserFacts<'a>,
    time: DateTime<Utc>,
) -> Extras<'a> {
    let (methods, details) = user_details(facts, time);
    let (protocol, incoming) = if facts.interactive {
        let legacy = facts.legacy();
        let protocol = match facts.app_name {
            _ if legacy => "ropc",
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
    Extras {
        sign_in_event_types: [if facts.interactive { "interactiveUser" } else { "nonInteractiveUser" }],
        user_type: Some(if facts.guest { "guest" } else { "member" }),
        user_agent: workloads::user_agent(facts.app_name, facts.client_app_used, facts.os, facts.browser),
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
        service_principal_id: "",
        service_principal_name: None,
        service_principal_credential_key_id: None,
        service_principal_credential_thumbprint: None,
        federated_credential_id: None,
        managed_service_identity: None,
        azure_resource_id: None,
        resource_service_principal_id: facts.resource_sp_id,
        resource_tenant_id: &dir.tenant_id,
        home_tenant_id: if facts.guest { &dir.guest_tenant_id } else { &dir.tenant_id },
        home_tenant_name: if rng.random_bool(0.2) {
            ""
        } else if facts.guest {
            "Fabrikam"
        } else {
            TENANT_NAME
        },
        cross_tenant_access_type: if facts.guest { "b2bCollaboration" } else { "none" },
        conditional_access_audiences: Some(facts.resource_id),
        network_location_details: network,
        autonomous_system_number: workloads::user_asn(facts.country),
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
        sign_in_identifier: facts.upn.filter(|_| facts.interactive),
        sign_in_identifier_type: facts.interactive.then_some("userPrincipalName"),
        sign_in_token_protection_status: if incoming == "primaryRefreshToken" {
            pick::<&str>(rng, &["bound", "none"])
        } else {
            pick::<&str>(rng, &["none", "unbound"])
        },
        app_token_protection_status: pick::<&str>(rng, &["none", "unbound"]),
    }
}

impl UserFacts<'_> {
    /// Legacy protocols (IMAP, SMTP, ActiveSync) are neither browsers nor
    /// modern clients.
    fn legacy(&self) -> bool {
        self.client_app_used != "Browser" && self.client_app_used != "Mobile Apps and Desktop clients"
    }
}

/// Who a workload sign-in is, and how it proved it.
struct Identity<'a> {
    /// `signInEventTypes` value.
    kind: &'static str,
    user_agent: &'a str,
    /// `clientCredentialType`.
    credential: &'static str,
    sp_id: &'a str,
    sp_name: &'a str,
    key_id: Option<&'a str>,
    thumbprint: Option<&'a str>,
    federated: Option<&'a str>,
    msi: Option<Msi>,
    asn: u32,
}

/// The extras of a service principal sign-in. `ids` is the workload's row of
/// [`Directory::workloads`].
pub fn service_principal<'a>(
    rng: &mut ChaCha20Rng,
    dir: &'a Directory,
    w: &'a Workload,
    ids: &'a [String; 5],
    resource_sp_id: &'a str,
) -> Extras<'a> {
    let [_, sp_id, key_id, thumbprint, federated] = ids;
    let certificate = w.credential == "certificate";
    let assertion = w.credential == "clientAssertion";
    let who = Identity {
        kind: "servicePrincipal",
        user_agent: w.user_agent,
        credential: w.credential,
        sp_id,
        sp_name: w.name,
        key_id: (!assertion).then_some(key_id.as_str()),
        thumbprint: Some(if certificate { thumbprint.as_str() } else { "" }),
        federated: assertion.then_some(federated.as_str()),
        msi: None,
        asn: w.asn,
    };
    workload(rng, dir, who, resource_sp_id)
}

/// The extras of a managed identity sign-in. `ids` is its row of
/// [`Directory::managed_identities`].
pub fn managed_identity<'a>(
    rng: &mut ChaCha20Rng,
    dir: &'a Directory,
    m: &'a ManagedIdentity,
    ids: &'a [String; 2],
    resource_sp_id: &'a str,
) -> Extras<'a> {
    let associated_resource_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
        dir.subscription_id, m.resource_group, m.provider, m.name
    );
    let federated = m.federated_issuer.map(|issuer| (guid(rng), format!("{issuer}{}/{}/", dir.tenant_id, guid(rng))));
    let msi = Msi {
        msi_type: m.msi_type,
        associated_resource_id,
        federated_token_id: federated.as_ref().map(|(id, _)| id.clone()),
        federated_token_issuer: federated.map(|(_, issuer)| issuer),
    };
    let who = Identity {
        kind: "managedIdentity",
        user_agent: "",
        credential: "managedIdentity",
        sp_id: &ids[1],
        sp_name: m.name,
        key_id: None,
        thumbprint: None,
        federated: None,
        msi: Some(msi),
        asn: 8075,
    };
    workload(rng, dir, who, resource_sp_id)
}

fn workload<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory, who: Identity<'a>, resource_sp_id: &'a str) -> Extras<'a> {
    let azure_resource_id = who.msi.as_ref().map(|m| m.associated_resource_id.clone());
    Extras {
        sign_in_event_types: [who.kind],
        user_type: None,
        user_agent: who.user_agent,
        original_request_id: guid(rng),
        unique_token_identifier: token_identifier(rng),
        session_id: String::new(),
        authentication_protocol: "none",
        authentication_requirement: "singleFactorAuthentication",
        authentication_methods_used: vec![],
        authentication_details: vec![],
        authentication_processing_details: vec![KeyValue { key: "Is CAE Token", value: "False" }],
        incoming_token_type: "none",
        token_issuer_type: "AzureAD",
        token_issuer_name: "",
        client_credential_type: who.credential,
        service_principal_id: who.sp_id,
        service_principal_name: Some(who.sp_name),
        service_principal_credential_key_id: who.key_id,
        service_principal_credential_thumbprint: who.thumbprint,
        federated_credential_id: who.federated,
        managed_service_identity: who.msi,
        azure_resource_id,
        resource_service_principal_id: resource_sp_id,
        resource_tenant_id: &dir.tenant_id,
        home_tenant_id: &dir.tenant_id,
        home_tenant_name: "",
        cross_tenant_access_type: "none",
        conditional_access_audiences: None,
        network_location_details: vec![],
        autonomous_system_number: who.asn,
        ip_address_from_resource_provider: None,
        is_tenant_restricted: false,
        is_through_global_secure_access: false,
        global_secure_access_ip_address: None,
        flagged_for_review: false,
        processing_time_in_milliseconds: rng.random_range(10..300),
        sign_in_identifier: None,
        sign_in_identifier_type: None,
        sign_in_token_protection_status: "none",
        app_token_protection_status: "none",
    }
}
