//! The beta properties of app-only sign-ins — service principals (with a
//! secret, certificate or federated assertion, some of them AI agents'
//! identities) and managed identities — which have a credential but no
//! user, no device and no interactive authentication steps.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::vocab::{MICROSOFT_TENANT_ID, RESOURCES, SHAREPOINT};
use super::super::{Directory, guid};
use super::evaluation;
use super::extras::{Additions, AgentSignIn, Extras, KeyValue, Msi, NetworkLocation};
use super::user::{audiences, token_identifier};
use super::workloads::{AGENTS, ManagedIdentity, Workload};

/// How a workload proved who it is.
struct Credential<'a> {
    /// `signInEventTypes` value.
    kind: &'static str,
    /// `clientCredentialType`.
    credential: &'static str,
    key_id: Option<&'a str>,
    thumbprint: Option<&'a str>,
    federated: Option<&'a str>,
    msi: Option<Msi>,
    asn: u32,
}

/// The beta properties of Graph's example for a service principal
/// sign-in. `ids` is the workload's row of [`Directory::workloads`].
pub fn service_principal<'a>(
    rng: &mut ChaCha20Rng,
    w: &'a Workload,
    ids: &'a [String; 5],
    resource_sp_id: &'a str,
) -> Extras<'a> {
    let [_, _, key_id, thumbprint, federated] = ids;
    let certificate = w.credential == "certificate";
    let assertion = w.credential == "clientAssertion";
    let how = Credential {
        kind: "servicePrincipal",
        credential: w.credential,
        key_id: (!assertion).then_some(key_id.as_str()),
        thumbprint: Some(if certificate { thumbprint.as_str() } else { "" }),
        federated: assertion.then_some(federated.as_str()),
        msi: None,
        asn: w.asn,
    };
    let mut extras = workload(rng, how, resource_sp_id);
    extras.conditional_access_audiences = audiences(RESOURCES[w.resource].0);
    extras
}

/// The beta properties of Graph's example for a managed identity sign-in.
pub fn managed_identity<'a>(
    rng: &mut ChaCha20Rng,
    dir: &Directory,
    m: &ManagedIdentity,
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
    let how = Credential {
        kind: "managedIdentity",
        credential: "managedIdentity",
        key_id: None,
        thumbprint: None,
        federated: None,
        msi: Some(msi),
        asn: 8075,
    };
    workload(rng, how, resource_sp_id)
}

fn workload<'a>(rng: &mut ChaCha20Rng, how: Credential<'a>, resource_sp_id: &'a str) -> Extras<'a> {
    let azure_resource_id = how.msi.as_ref().map(|m| m.associated_resource_id.clone());
    Extras {
        sign_in_event_types: [how.kind],
        user_type: None,
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
        client_credential_type: how.credential,
        service_principal_credential_key_id: how.key_id,
        service_principal_credential_thumbprint: how.thumbprint,
        federated_credential_id: how.federated,
        managed_service_identity: how.msi,
        azure_resource_id,
        resource_service_principal_id: resource_sp_id,
        home_tenant_name: "",
        cross_tenant_access_type: "none",
        conditional_access_audiences: vec![],
        network_location_details: vec![],
        autonomous_system_number: how.asn,
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

/// An AI agent acting, when one is (15% of the sign-ins that can be an
/// agent's): its [`AGENTS`] index and the `agent` property. On a user's
/// behalf the token's subject is the user; as itself, the agent identity.
pub fn agent(x: &mut ChaCha20Rng, dir: &Directory, for_user: bool) -> Option<(usize, AgentSignIn)> {
    if !x.random_bool(0.15) {
        return None;
    }
    let i = x.random_range(0..AGENTS.len());
    let [_, sp_id, blueprint_id, blueprint_app_id, _] = &dir.agents[i];
    let sign_in = AgentSignIn {
        agent_type: "agenticAppInstance",
        agent_subject_type: if for_user { "notAgentic" } else { "agenticAppInstance" },
        agent_subject_parent_id: if for_user { sp_id.clone() } else { blueprint_id.clone() },
        parent_app_id: blueprint_app_id.clone(),
    };
    Some((i, sign_in))
}

/// The rest of an app-only sign-in's beta properties, from the record's own
/// stream `x`; fills in what the resource provider saw and the named
/// networks in `extras`.
pub fn additions(
    x: &mut ChaCha20Rng,
    dir: &Directory,
    extras: &mut Extras<'_>,
    resource: usize,
    agent: Option<AgentSignIn>,
) -> Additions {
    let service_principal = extras.sign_in_event_types[0] == "servicePrincipal";
    if service_principal {
        if resource == SHAREPOINT && x.random_bool(0.4) {
            extras.ip_address_from_resource_provider =
                Some(format!("20.190.{}.{}", x.random::<u8>(), x.random_range(1..255u8)));
        }
        if x.random_bool(0.25) {
            extras.network_location_details =
                vec![NetworkLocation { network_type: "namedNetwork", network_names: vec!["Azure workloads"] }];
        }
    }
    Additions {
        alternate_sign_in_name: None,
        agent,
        app_owner_tenant_id: dir.tenant_id.clone(),
        resource_owner_tenant_id: MICROSOFT_TENANT_ID.to_owned(),
        client_session_id: x.random_bool(0.4).then(|| guid(x)),
        original_transfer_method: "none",
        mfa_detail: None,
        token_protection_status_details: evaluation::token_protection(x, "none"),
        private_link_details: if service_principal { evaluation::private_link(x, dir) } else { None },
        ..Additions::default()
    }
}
