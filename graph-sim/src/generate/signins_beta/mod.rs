//! Beta `signIn` records (graph-api.md §6.2): the v1.0 properties — with
//! beta's `deviceDetail` and applied policies, which add to v1.0's — then
//! the beta ones: [`extras::Extras`], in the order Microsoft's example shows
//! them, and [`extras::Additions`]. Together they are every property of the
//! union of the beta SDK's and the beta CSDL's `signIn`.
//!
//! Two ways in. [`generate`] draws the sign-ins v1.0 never serves:
//! non-interactive user sign-ins (a client refreshing a user's token, now
//! and then an AI agent acting for the user), and app-only sign-ins without
//! a user — service principals with a secret, certificate or federated
//! assertion (some of them agents' identities), and managed identities.
//! [`twin`] renders a v1.0 (interactive) sign-in as beta serves the same
//! event: every v1.0 value as it is, and beta properties drawn to agree
//! with what the v1.0 record says (who, which app and device, whether the
//! password or MFA step failed, which policies applied). What is drawn
//! beyond the first version of each record comes from the record's own
//! stream ([`super::record_rng`] with [`RECORD_STREAM`]).

mod app_only;
mod evaluation;
mod extras;
mod policies;
mod twin;
mod user;
mod workloads;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::signins::home_tenant;
use super::signins::parts::{self as v1, Risk, SecondFactor, mfa_required};
use super::signins::shape::{SignIn, V1SignIn};
use super::vocab::{APPS, CITIES, Failure, PEOPLE, RESOURCES, user_agent};
use super::{Ctx, Directory, Drawn, guid, pick, record_rng, weighted};
use crate::dataset::SignInEventType;
use crate::time::format_ticks;
use extras::{BetaDevice, BetaPolicy, BetaSignIn};
use policies::PolicyFacts;
pub use twin::twin;
use user::UserFacts;
pub use workloads::{AGENTS, MANAGED_IDENTITIES, SERVICE_PRINCIPALS};

/// Label of the per-record stream beta sign-ins draw later properties from.
pub const RECORD_STREAM: &str = "betaSignIn";

/// Why a federated credential was refused.
const FEDERATION_MISMATCH: &str = "No matching federated identity record found for presented assertion subject. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.";

/// Why a non-interactive sign-in failed: mostly a token the user must renew
/// interactively.
static NON_INTERACTIVE_FAILURES: &[(u32, Failure)] = &[
    (
        35,
        (
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
            None,
        ),
    ),
    (25, (70044, "The session has expired or is invalid due to sign-in frequency checks by conditional access.", None)),
    (
        20,
        (
            50076,
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access.",
            None,
        ),
    ),
    (10, (50133, "Session is invalid due to expiration or recent password change.", None)),
    (10, (50097, "Device authentication is required.", None)),
];

/// Why a service principal sign-in failed, by credential type.
fn workload_failure(credential: &str) -> Failure {
    match credential {
        "certificate" => (
            700027,
            "Client assertion failed signature validation.",
            Some("The certificate used to sign the assertion is not one of the application's registered certificates."),
        ),
        "clientAssertion" => (
            700213,
            FEDERATION_MISMATCH,
            Some("The token's subject matches no federated credential of the application."),
        ),
        _ => (
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            Some("The client secret presented has expired or is not one of the application's current secrets."),
        ),
    }
}

/// An index drawn by weight.
fn weighted_index(rng: &mut ChaCha20Rng, weights: impl Iterator<Item = u32>) -> usize {
    let table: Vec<(u32, usize)> = weights.enumerate().map(|(i, w)| (w, i)).collect();
    *weighted(rng, &table)
}

/// Where a workload's traffic comes from, by autonomous system.
fn workload_ip(rng: &mut ChaCha20Rng, asn: u32) -> String {
    let first = match asn {
        8075 => *pick(rng, &[20u8, 40, 52]),
        36459 => 140,
        16509 => *pick(rng, &[3u8, 18, 54]),
        _ => 193,
    };
    format!("{first}.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random_range(1..255u8))
}

fn serialize(record: &BetaSignIn<'_>) -> String {
    serde_json::to_string(record).expect("a beta signIn always serializes")
}

/// Draws one beta-only sign-in at `time`: of the kind `ctx.segment` asks
/// for, or the natural mix (80% non-interactive user, 12% service
/// principal, 8% managed identity). Interactive sign-ins are v1.0's twins,
/// never drawn here; asked for one, this draws a non-interactive one.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    const SP: usize = SignInEventType::ServicePrincipal as usize;
    const MI: usize = SignInEventType::ManagedIdentity as usize;
    let kind = match ctx.segment {
        Some(k) => k,
        None => *weighted(ctx.rng, &[(80, SignInEventType::NonInteractiveUser.segment()), (12, SP), (8, MI)]),
    };
    match kind {
        SP => service_principal(ctx, time),
        MI => managed_identity(ctx, time),
        _ => non_interactive(ctx, time),
    }
}

fn non_interactive(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let who = rng.random_range(0..PEOPLE.len());
    let person = &PEOPLE[who];
    let app = pick(rng, APPS);
    let (resource_id, resource_name) = RESOURCES[app.resource];
    let failure = rng.random_bool(0.06).then(|| *weighted(rng, NON_INTERACTIVE_FAILURES));
    let away = rng.random_bool(0.05);
    let city = if away { pick(rng, CITIES) } else { &CITIES[person.home] };
    let ip_address = v1::ip_address(rng);
    let risk = v1::risk(rng, away);
    let device_detail = v1::device_detail(rng, dir.devices[who].as_ref(), false, app.client == "Browser");
    let location = v1::location(rng, city);
    let policies = v1::policies(rng, dir, failure.as_ref(), false);
    let status = v1::status(rng, failure.as_ref(), &policies);
    let id = guid(rng);
    let correlation_id = guid(rng);
    let mfa = mfa_required(&policies);
    let facts = UserFacts {
        interactive: false,
        person: Some(who),
        upn: Some(person.upn.to_owned()),
        guest: person.guest,
        app_name: app.name.to_owned(),
        client_app_used: app.client.to_owned(),
        error_code: i64::from(status.error_code),
        mfa,
        mfa_policy: mfa,
        second: SecondFactor::NotReached,
        prompt_after: TimeDelta::zero(),
        country: city.2.to_owned(),
        away,
        resource_id: resource_id.to_owned(),
        resource_sp_id: dir.resource_sp_ids[app.resource].clone(),
        ip_address: ip_address.clone(),
    };
    let mut extras = user::extras(rng, &facts, time);
    let mut record = V1SignIn {
        id: id.clone(),
        created_date_time: format_ticks(time),
        user_display_name: Some(person.name.to_owned()),
        user_principal_name: Some(person.upn.to_owned()),
        user_id: dir.user_ids[who].clone(),
        app_id: app.id.to_owned(),
        app_display_name: app.name.to_owned(),
        ip_address,
        client_app_used: Some(app.client.to_owned()),
        user_agent: user_agent(app.name, app.client, &device_detail.operating_system, &device_detail.browser)
            .to_owned(),
        correlation_id,
        conditional_access_status: v1::conditional_access_status(&policies).to_owned(),
        is_interactive: false,
        resource_display_name: resource_name.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_tenant_id: dir.tenant_id.clone(),
        home_tenant_id: home_tenant(dir, person.guest).to_owned(),
        service_principal_id: String::new(),
        service_principal_name: Some(String::new()),
        status,
        device_detail,
        location,
        applied_conditional_access_policies: policies,
        ..V1SignIn::default()
    };
    risk.apply(&mut record);
    let x = &mut record_rng(RECORD_STREAM, &id);
    v1::altitude(x, &mut record.location);
    // An agent acting for the user is the client.
    let agent = app_only::agent(x, dir, true);
    if let Some((i, _)) = &agent {
        record.app_id.clone_from(&dir.agents[*i][0]);
        record.app_display_name = AGENTS[*i].name.to_owned();
        record.user_agent = AGENTS[*i].user_agent.to_owned();
        record.client_app_used = Some("Mobile Apps and Desktop clients".to_owned());
    }
    let facts_p = PolicyFacts { interactive: false, second: SecondFactor::NotReached, error_code: facts.error_code };
    let base = record
        .map(|d, ps| (policies::device(x, d), ps.into_iter().map(|p| policies::user_policy(x, p, &facts_p)).collect()));
    let policies = &base.applied_conditional_access_policies;
    let additions = user::additions(x, dir, &facts, &mut extras, policies, time, agent.map(|(_, a)| a));
    let json = serialize(&BetaSignIn { base, extras, additions });
    Drawn { id, json, segment: SignInEventType::NonInteractiveUser.segment() }
}

/// The v1.0 part of an app-only sign-in: no user, no device.
struct WorkloadBase<'a> {
    app_id: &'a str,
    name: &'a str,
    sp_id: &'a str,
    user_agent: &'a str,
    ip_address: String,
    resource: usize,
    city: usize,
    failure: Option<Failure>,
}

fn workload_base(rng: &mut ChaCha20Rng, dir: &Directory, w: WorkloadBase<'_>, time: DateTime<Utc>) -> V1SignIn {
    let (resource_id, resource_name) = RESOURCES[w.resource];
    let status = v1::status(rng, w.failure.as_ref(), &[]);
    let mut record = V1SignIn {
        id: guid(rng),
        created_date_time: format_ticks(time),
        user_display_name: None,
        user_principal_name: None,
        user_id: String::new(),
        app_id: w.app_id.to_owned(),
        app_display_name: w.name.to_owned(),
        ip_address: w.ip_address,
        client_app_used: None,
        user_agent: w.user_agent.to_owned(),
        correlation_id: guid(rng),
        conditional_access_status: "notApplied".to_owned(),
        is_interactive: false,
        resource_display_name: resource_name.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_tenant_id: dir.tenant_id.clone(),
        home_tenant_id: dir.tenant_id.clone(),
        service_principal_id: w.sp_id.to_owned(),
        service_principal_name: Some(w.name.to_owned()),
        status,
        device_detail: v1::no_device(),
        location: v1::location(rng, &CITIES[w.city]),
        ..V1SignIn::default()
    };
    Risk::none().apply(&mut record);
    record
}

/// Beta's view of an app-only record, its device and `policies`.
fn app_only_base(x: &mut ChaCha20Rng, record: V1SignIn, policies: Vec<BetaPolicy>) -> SignIn<BetaDevice, BetaPolicy> {
    record.map(|d, _| (policies::device(x, d), policies))
}

fn service_principal(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let i = weighted_index(rng, SERVICE_PRINCIPALS.iter().map(|w| w.weight));
    let (w, ids) = (&SERVICE_PRINCIPALS[i], &dir.workloads[i]);
    let failure = rng.random_bool(0.05).then(|| workload_failure(w.credential));
    let ip_address = workload_ip(rng, w.asn);
    let spec = WorkloadBase {
        app_id: &ids[0],
        name: w.name,
        sp_id: &ids[1],
        user_agent: w.user_agent,
        ip_address,
        resource: w.resource,
        city: w.city,
        failure,
    };
    let mut record = workload_base(rng, dir, spec, time);
    let mut extras = app_only::service_principal(rng, w, ids, &dir.resource_sp_ids[w.resource]);
    let id = record.id.clone();
    let x = &mut record_rng(RECORD_STREAM, &id);
    v1::altitude(x, &mut record.location);
    // Some service principals are AI agents' identities, which sign in with
    // their blueprint's federated credential.
    let agent = if record.status.error_code == 0 { app_only::agent(x, dir, false) } else { None };
    if let Some((a, _)) = &agent {
        let row = &dir.agents[*a];
        record.app_id.clone_from(&row[0]);
        record.app_display_name = AGENTS[*a].name.to_owned();
        record.service_principal_id.clone_from(&row[1]);
        record.service_principal_name = Some(AGENTS[*a].name.to_owned());
        record.user_agent = AGENTS[*a].user_agent.to_owned();
        extras.client_credential_type = "federatedIdentityCredential";
        extras.service_principal_credential_key_id = None;
        extras.service_principal_credential_thumbprint = None;
        extras.federated_credential_id = Some(&row[4]);
    }
    let policies = policies::workload_policies(x, dir);
    let base = app_only_base(x, record, policies);
    let additions = app_only::additions(x, dir, &mut extras, w.resource, agent.map(|(_, a)| a));
    let json = serialize(&BetaSignIn { base, extras, additions });
    Drawn { id, json, segment: SignInEventType::ServicePrincipal.segment() }
}

fn managed_identity(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let i = weighted_index(rng, MANAGED_IDENTITIES.iter().map(|m| m.weight));
    let (m, ids) = (&MANAGED_IDENTITIES[i], &dir.managed_identities[i]);
    // Managed identity sign-ins come from inside Azure: no client IP.
    let spec = WorkloadBase {
        app_id: &ids[0],
        name: m.name,
        sp_id: &ids[1],
        user_agent: "",
        ip_address: String::new(),
        resource: m.resource,
        city: m.city,
        failure: None,
    };
    let mut record = workload_base(rng, dir, spec, time);
    let mut extras = app_only::managed_identity(rng, dir, m, &dir.resource_sp_ids[m.resource]);
    let id = record.id.clone();
    let x = &mut record_rng(RECORD_STREAM, &id);
    v1::altitude(x, &mut record.location);
    // A federated identity's workload now and then presents a token whose
    // subject matches none of its federated credentials.
    if m.federated_issuer.is_some() && x.random_bool(0.1) {
        let details = "The Kubernetes service account token's subject matches no federated credential of the identity.";
        record.status = v1::failed(700213, FEDERATION_MISMATCH, Some(details));
    }
    let base = app_only_base(x, record, vec![]);
    let additions = app_only::additions(x, dir, &mut extras, m.resource, None);
    let json = serialize(&BetaSignIn { base, extras, additions });
    Drawn { id, json, segment: SignInEventType::ManagedIdentity.segment() }
}

#[cfg(test)]
mod tests;
