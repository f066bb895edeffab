//! Beta `signIn` records (graph-api.md §6.2): the v1.0 properties less
//! `riskEventTypes`, then the beta ones ([`parts::Extras`]), in the order
//! Microsoft's example shows them.
//!
//! Two ways in. [`generate`] draws the sign-ins v1.0 never serves:
//! non-interactive user sign-ins (a client refreshing a user's token), and
//! workload sign-ins without a user — service principals with a secret,
//! certificate or federated assertion, and managed identities. [`twin`]
//! renders a v1.0 (interactive) sign-in as beta serves the same event: the
//! v1.0 bytes less `riskEventTypes`, followed by beta properties drawn to
//! agree with what the v1.0 record says (who, which app and device, whether
//! the password or MFA step failed).

mod parts;
mod workloads;

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::signins::parts::{self as v1, AppliedPolicy, BetaRisk, DeviceDetail, Location, Risk, Status, mfa_required};
use super::vocab::{APPS, CITIES, Failure, PEOPLE, RESOURCES};
use super::{Ctx, Directory, Drawn, guid, pick, weighted};
use crate::dataset::SignInEventType;
use crate::record::Record;
use crate::time::format_ticks;
use parts::{Extras, UserFacts};
pub use workloads::{MANAGED_IDENTITIES, SERVICE_PRINCIPALS, user_agent};

/// The v1.0 part of a beta sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Base<'a> {
    id: String,
    created_date_time: String,
    user_display_name: Option<&'a str>,
    user_principal_name: Option<&'a str>,
    user_id: &'a str,
    app_id: &'a str,
    app_display_name: &'a str,
    ip_address: String,
    client_app_used: Option<&'a str>,
    correlation_id: String,
    conditional_access_status: &'static str,
    is_interactive: bool,
    #[serde(flatten)]
    risk: BetaRisk<'a>,
    resource_display_name: &'a str,
    resource_id: &'a str,
    status: Status,
    device_detail: DeviceDetail<'a>,
    location: Location,
    applied_conditional_access_policies: Vec<AppliedPolicy<'a>>,
}

#[derive(Serialize)]
struct BetaSignIn<'a> {
    #[serde(flatten)]
    base: Base<'a>,
    #[serde(flatten)]
    extras: Extras<'a>,
}

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
        "certificate" => (700027, "Client assertion failed signature validation.", None),
        "clientAssertion" => (
            700213,
            "No matching federated identity record found for presented assertion subject. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
            None,
        ),
        _ => (
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            None,
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
    let facts = UserFacts {
        interactive: false,
        upn: Some(person.upn),
        guest: person.guest,
        app_name: app.name,
        client_app_used: app.client,
        os: device_detail.os(),
        browser: device_detail.browser(),
        error_code: i64::from(status.error_code()),
        mfa: mfa_required(&policies),
        country: city.2,
        away,
        resource_id,
        resource_sp_id: &dir.resource_sp_ids[app.resource],
    };
    let extras = parts::user(rng, dir, &facts, time);
    let base = Base {
        id: id.clone(),
        created_date_time: format_ticks(time),
        user_display_name: Some(person.name),
        user_principal_name: Some(person.upn),
        user_id: &dir.user_ids[who],
        app_id: app.id,
        app_display_name: app.name,
        ip_address,
        client_app_used: Some(app.client),
        correlation_id,
        conditional_access_status: v1::conditional_access_status(&policies),
        is_interactive: false,
        risk: risk.beta(),
        resource_display_name: resource_name,
        resource_id,
        status,
        device_detail,
        location,
        applied_conditional_access_policies: policies,
    };
    let json = serialize(&BetaSignIn { base, extras });
    Drawn { id, json, segment: SignInEventType::NonInteractiveUser.segment() }
}

/// The v1.0 part of a workload sign-in: no user, no device, no policies.
struct WorkloadBase<'a> {
    app_id: &'a str,
    name: &'a str,
    ip_address: String,
    resource: usize,
    city: usize,
    failure: Option<Failure>,
}

fn workload_base<'a>(rng: &mut ChaCha20Rng, w: WorkloadBase<'a>, time: DateTime<Utc>, risk: &'a Risk) -> Base<'a> {
    let (resource_id, resource_name) = RESOURCES[w.resource];
    let status = v1::status(rng, w.failure.as_ref(), &[]);
    Base {
        id: guid(rng),
        created_date_time: format_ticks(time),
        user_display_name: None,
        user_principal_name: None,
        user_id: "",
        app_id: w.app_id,
        app_display_name: w.name,
        ip_address: w.ip_address,
        client_app_used: None,
        correlation_id: guid(rng),
        conditional_access_status: "notApplied",
        is_interactive: false,
        risk: risk.beta(),
        resource_display_name: resource_name,
        resource_id,
        status,
        device_detail: v1::no_device(),
        location: v1::location(rng, &CITIES[w.city]),
        applied_conditional_access_policies: vec![],
    }
}

fn service_principal(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let i = weighted_index(rng, SERVICE_PRINCIPALS.iter().map(|w| w.weight));
    let (w, ids) = (&SERVICE_PRINCIPALS[i], &dir.workloads[i]);
    let failure = rng.random_bool(0.05).then(|| workload_failure(w.credential));
    let ip_address = workload_ip(rng, w.asn);
    let risk = Risk::none();
    let spec = WorkloadBase { app_id: &ids[0], name: w.name, ip_address, resource: w.resource, city: w.city, failure };
    let base = workload_base(rng, spec, time, &risk);
    let extras = parts::service_principal(rng, dir, w, ids, &dir.resource_sp_ids[w.resource]);
    let id = base.id.clone();
    let json = serialize(&BetaSignIn { base, extras });
    Drawn { id, json, segment: SignInEventType::ServicePrincipal.segment() }
}

fn managed_identity(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let i = weighted_index(rng, MANAGED_IDENTITIES.iter().map(|m| m.weight));
    let (m, ids) = (&MANAGED_IDENTITIES[i], &dir.managed_identities[i]);
    let risk = Risk::none();
    // Managed identity sign-ins come from inside Azure: no client IP.
    let spec = WorkloadBase {
        app_id: &ids[0],
        name: m.name,
        ip_address: String::new(),
        resource: m.resource,
        city: m.city,
        failure: None,
    };
    let base = workload_base(rng, spec, time, &risk);
    let extras = parts::managed_identity(rng, dir, m, ids, &dir.resource_sp_ids[m.resource]);
    let id = base.id.clone();
    let json = serialize(&BetaSignIn { base, extras });
    Drawn { id, json, segment: SignInEventType::ManagedIdentity.segment() }
}

/// What the twin reads back from a v1.0 record; every field optional, so a
/// hand-written record still gets a (plainer) twin.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct V1View {
    user_principal_name: Option<String>,
    app_id: Option<String>,
    client_app_used: Option<String>,
    resource_id: Option<String>,
    status: StatusView,
    device_detail: DeviceView,
    location: LocationView,
    applied_conditional_access_policies: Vec<PolicyView>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StatusView {
    error_code: i64,
    additional_details: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DeviceView {
    operating_system: Option<String>,
    browser: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LocationView {
    city: Option<String>,
    country_or_region: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PolicyView {
    enforced_grant_controls: Vec<String>,
    result: Option<String>,
}

/// The v1.0 JSON of a sign-in less `"riskEventTypes":[…]`, with the beta
/// properties (a serialized JSON object) appended.
fn splice(v1: &str, extras: &str) -> String {
    const LEGACY: &str = ",\"riskEventTypes\":[";
    let mut base = v1.trim_end().to_owned();
    if let Some(start) = base.find(LEGACY)
        && let Some(len) = base[start..].find(']')
    {
        base.replace_range(start..=start + len, "");
    }
    let body = extras.strip_prefix('{').unwrap_or(extras);
    match base.strip_suffix('}') {
        Some(open) if open.trim_end().ends_with('{') => format!("{open}{body}"),
        Some(open) => format!("{open},{body}"),
        None => base,
    }
}

/// Renders a v1.0 sign-in as beta serves it: the same event, an
/// `interactiveUser` sign-in.
pub fn twin(rng: &mut ChaCha20Rng, dir: &Directory, record: &Record) -> String {
    let view: V1View = serde_json::from_str(&record.json).unwrap_or_default();
    let upn = view.user_principal_name.as_deref();
    let person = PEOPLE.iter().find(|p| Some(p.upn) == upn);
    let app = APPS.iter().find(|a| Some(a.id) == view.app_id.as_deref());
    let resource_id = view.resource_id.as_deref().unwrap_or("");
    let resource = RESOURCES.iter().position(|(id, _)| *id == resource_id);
    let error_code = view.status.error_code;
    let mfa = matches!(error_code, 50074 | 500121)
        || view.status.additional_details.as_deref().is_some_and(|d| d.contains("MFA"))
        || view
            .applied_conditional_access_policies
            .iter()
            .any(|p| p.result.as_deref() == Some("success") && p.enforced_grant_controls.iter().any(|g| g == "Mfa"));
    let away = person.is_some_and(|p| view.location.city.as_deref() != Some(CITIES[p.home].0));
    let facts = UserFacts {
        interactive: true,
        upn,
        guest: person.is_some_and(|p| p.guest),
        app_name: app.map_or("", |a| a.name),
        client_app_used: view.client_app_used.as_deref().unwrap_or(""),
        os: view.device_detail.operating_system.as_deref().unwrap_or(""),
        browser: view.device_detail.browser.as_deref().unwrap_or(""),
        error_code,
        mfa,
        country: view.location.country_or_region.as_deref().unwrap_or(""),
        away,
        resource_id,
        resource_sp_id: resource.map_or("", |i| &dir.resource_sp_ids[i]),
    };
    let extras = parts::user(rng, dir, &facts, record.time);
    splice(&record.json, &serde_json::to_string(&extras).expect("beta extras always serialize"))
}

#[cfg(test)]
mod tests;
