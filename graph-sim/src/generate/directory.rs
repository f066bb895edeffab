//! The per-seed identities of the simulated tenant: object ids of its
//! people, devices, policies, apps, groups, workloads and agents.
//!
//! Drawn once, from stream 0, in a fixed order. New identities are only ever
//! drawn after all existing ones, so adding one never changes an identity an
//! earlier version drew for the same seed.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::network_access::GsaIds;
use super::{guid, lower_hex, provisioning, signins_beta, signups, upper_alnum, upper_hex, vocab};

/// Per-seed identities of the simulated tenant's cast.
#[derive(Debug)]
pub struct Directory {
    pub tenant_id: String,
    /// Object id per [`vocab::PEOPLE`] entry.
    pub user_ids: Vec<String>,
    /// Registered device per person: (device id, display name), or none.
    pub devices: Vec<Option<(String, String)>>,
    /// Object id per [`vocab::POLICIES`] entry.
    pub policy_ids: Vec<String>,
    /// Service principal object id per [`vocab::APPS`] entry.
    pub app_sp_ids: Vec<String>,
    /// Object id per [`vocab::GROUPS`] entry.
    pub group_ids: Vec<String>,
    /// Service principal of the Device Registration Service.
    pub device_registration_sp_id: String,
    /// Service principal of Microsoft Substrate Management.
    pub substrate_sp_id: String,
    /// Home tenant of the guests.
    pub guest_tenant_id: String,
    /// Service principal object id per [`vocab::RESOURCES`] entry.
    pub resource_sp_ids: Vec<String>,
    /// Per [`signins_beta::SERVICE_PRINCIPALS`] entry: application id,
    /// service principal id, credential key id, certificate thumbprint,
    /// federated credential id.
    pub workloads: Vec<[String; 5]>,
    /// Per [`signins_beta::MANAGED_IDENTITIES`] entry: application
    /// (client) id, service principal id.
    pub managed_identities: Vec<[String; 2]>,
    /// The Azure subscription the managed identities live in.
    pub subscription_id: String,
    /// Per [`provisioning::JOBS`] entry: service principal id, application id,
    /// job id suffix, id of the connected system, id of Entra ID as the
    /// job's other end.
    pub provisioning_apps: Vec<[String; 5]>,
    /// Per [`signins_beta::AGENTS`] entry: the agent identity's application
    /// id and service principal id, its blueprint principal's object id and
    /// application id, and the blueprint's federated credential id.
    pub agents: Vec<[String; 5]>,
    /// The Conditional Access policy for workload identities
    /// (`signins_beta::WORKLOAD_POLICY`).
    pub workload_policy_id: String,
    /// The custom authentication extension that runs on token issuance, and
    /// its listener.
    pub custom_extension_id: String,
    pub event_listener_id: String,
    /// The tenant's Private Link for Microsoft Entra ID policy.
    pub private_link_policy_id: String,
    /// Application id per [`signups::APPS`] entry (the customer-facing apps
    /// of sign-ups).
    pub customer_apps: Vec<String>,
    /// Per [`signups::LISTENERS`] entry: the listener's id and its custom
    /// authentication extension's id.
    pub signup_listeners: Vec<[String; 2]>,
    /// Global Secure Access: remote networks, connectors, private apps,
    /// policies and filtering profiles.
    pub gsa: GsaIds,
}

impl Directory {
    pub fn new(rng: &mut ChaCha20Rng, tenant_id: &str) -> Self {
        let user_ids = vocab::PEOPLE.iter().map(|_| guid(rng)).collect();
        let devices = vocab::PEOPLE
            .iter()
            .map(|person| {
                let first = person.name.split([' ', ',']).next().unwrap_or(person.name);
                let name = match rng.random_range(0..4) {
                    0 => return None,
                    1 => format!("{first}'s iPhone"),
                    _ => format!("LAPTOP-{}", upper_alnum(rng, 7)),
                };
                Some((guid(rng), name))
            })
            .collect();
        Directory {
            tenant_id: tenant_id.to_owned(),
            user_ids,
            devices,
            policy_ids: vocab::POLICIES.iter().map(|_| guid(rng)).collect(),
            app_sp_ids: vocab::APPS.iter().map(|_| guid(rng)).collect(),
            group_ids: vocab::GROUPS.iter().map(|_| guid(rng)).collect(),
            device_registration_sp_id: guid(rng),
            substrate_sp_id: guid(rng),
            // Drawn after everything above, so adding them changed nothing
            // earlier in the stream; the same holds for each field below.
            guest_tenant_id: guid(rng),
            resource_sp_ids: vocab::RESOURCES.iter().map(|_| guid(rng)).collect(),
            workloads: signins_beta::SERVICE_PRINCIPALS
                .iter()
                .map(|_| [guid(rng), guid(rng), guid(rng), upper_hex(rng, 40), guid(rng)])
                .collect(),
            managed_identities: signins_beta::MANAGED_IDENTITIES.iter().map(|_| [guid(rng), guid(rng)]).collect(),
            subscription_id: guid(rng),
            provisioning_apps: provisioning::JOBS
                .iter()
                .map(|_| [guid(rng), guid(rng), lower_hex(rng, 32), guid(rng), guid(rng)])
                .collect(),
            agents: signins_beta::AGENTS
                .iter()
                .map(|_| [guid(rng), guid(rng), guid(rng), guid(rng), guid(rng)])
                .collect(),
            workload_policy_id: guid(rng),
            custom_extension_id: guid(rng),
            event_listener_id: guid(rng),
            private_link_policy_id: guid(rng),
            customer_apps: signups::APPS.iter().map(|_| guid(rng)).collect(),
            signup_listeners: signups::LISTENERS.iter().map(|_| [guid(rng), guid(rng)]).collect(),
            gsa: GsaIds::new(rng),
        }
    }
}
