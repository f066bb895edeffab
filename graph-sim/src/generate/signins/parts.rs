//! The nested pieces of a `signIn` — risk, status, device, location,
//! applied Conditional Access policies, the Authenticator device — and how
//! each is drawn.
//!
//! Each function draws one piece given the few facts it must agree with
//! (was the sign-in blocked, is the client a legacy protocol, is the user
//! away from home), so the record as a whole stays plausible.

use std::net::{Ipv4Addr, Ipv6Addr};

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::vocab::{self, City, DEVICES, Failure, POLICIES};
use super::super::{Directory, guid, pick};
use super::shape::{AppliedPolicy, AuthenticatorDevice, DeviceDetail, Geo, Location, SignIn, Status};

/// `errorCode` of a sign-in blocked by Conditional Access.
pub const CA_BLOCKED: i32 = 53003;
const BLOCK_LEGACY: usize = 1;
const COMPLIANT_DEVICE: usize = 2;

/// `status.additionalDetails` when the MFA claim came with the token.
pub const MFA_BY_CLAIM: &str = "MFA requirement satisfied by claim in the token";

/// The risk of a sign-in, as drawn.
pub struct Risk {
    detail: &'static str,
    aggregated: &'static str,
    during: &'static str,
    state: &'static str,
    /// `riskEventTypes` (the legacy enum).
    legacy: Vec<&'static str>,
    /// `riskEventTypes_v2`.
    v2: Vec<&'static str>,
}

impl Risk {
    /// No risk at all (workload sign-ins).
    pub fn none() -> Risk {
        Risk { detail: "none", aggregated: "none", during: "none", state: "none", legacy: vec![], v2: vec![] }
    }

    /// Writes the risk properties of `s`.
    pub fn apply<D, P>(&self, s: &mut SignIn<D, P>) {
        s.risk_detail = self.detail.to_owned();
        s.risk_level_aggregated = self.aggregated.to_owned();
        s.risk_level_during_sign_in = self.during.to_owned();
        s.risk_state = self.state.to_owned();
        s.risk_event_types = self.legacy.iter().map(|t| (*t).to_owned()).collect();
        s.risk_event_types_v2 = self.v2.iter().map(|t| (*t).to_owned()).collect();
    }
}

/// How an interactive sign-in's second factor went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecondFactor {
    /// Not asked for, or never reached (the password step failed).
    #[default]
    NotReached,
    /// Satisfied by an MFA claim already in the token.
    ByClaim,
    /// Asked of the Authenticator app: whether it was passed, and the
    /// step's `authenticationStepResultDetail`.
    Prompted { ok: bool, result: &'static str },
}

/// Whether the password step passed, by `status.errorCode`.
pub fn password_ok(error_code: i64) -> bool {
    !matches!(error_code, 50126 | 50053)
}

/// Whether a second factor was asked for: by the error, by the status
/// details, or by an applied policy that required MFA.
pub fn mfa_asked(error_code: i64, additional_details: Option<&str>, mfa_policy: bool) -> bool {
    matches!(error_code, 50074 | 500121) || additional_details.is_some_and(|d| d.contains("MFA")) || mfa_policy
}

/// The second factor of an interactive sign-in, from what its v1.0 record
/// shows (so a v1.0 record and its beta twin agree).
pub fn second_factor(error_code: i64, additional_details: Option<&str>, mfa_policy: bool) -> SecondFactor {
    if !mfa_asked(error_code, additional_details, mfa_policy) || !password_ok(error_code) {
        return SecondFactor::NotReached;
    }
    if additional_details == Some(MFA_BY_CLAIM) {
        return SecondFactor::ByClaim;
    }
    match error_code {
        500121 => {
            SecondFactor::Prompted { ok: false, result: "MFA denied; user did not respond to mobile app notification" }
        }
        50074 => SecondFactor::Prompted { ok: false, result: "User needs to perform multi-factor authentication" },
        _ => SecondFactor::Prompted { ok: true, result: "MFA successfully completed" },
    }
}

/// The Authenticator app that got the MFA prompt (`None` when none did):
/// on the person's iPhone when they registered one, else on a phone of
/// its own.
pub fn authenticator_device(
    x: &mut ChaCha20Rng,
    second: SecondFactor,
    error_code: i64,
    registered: Option<&(String, String)>,
) -> Option<AuthenticatorDevice> {
    if !matches!(second, SecondFactor::Prompted { .. }) || error_code == 50074 {
        return None;
    }
    let iphone = registered.filter(|(_, name)| name.ends_with("iPhone"));
    let ios = iphone.is_some() || x.random_bool(0.6);
    let (os, versions): (&str, &[&str]) =
        if ios { ("iOS", &["6.8.16", "6.8.18", "6.8.19"]) } else { ("Android", &["6.2409.6094", "6.2410.7043"]) };
    Some(AuthenticatorDevice {
        app_version: (*pick(x, versions)).to_owned(),
        client_app: "Microsoft Authenticator".to_owned(),
        device_id: iphone.map_or_else(|| guid(x), |(id, _)| id.clone()),
        operating_system: os.to_owned(),
    })
}

/// Now and then an altitude, which Graph mostly leaves null.
pub fn altitude(x: &mut ChaCha20Rng, location: &mut Location) {
    if let Geo::Point { altitude, .. } = &mut location.geo_coordinates
        && x.random_bool(0.05)
    {
        *altitude = Some(f64::from(x.random_range(2..900u16)));
    }
}

/// A quarter IPv6 (documentation prefix), the rest public-looking IPv4.
pub fn ip_address(rng: &mut ChaCha20Rng) -> String {
    if rng.random_bool(0.25) {
        let s: [u16; 8] = [0x2001, 0x0db8, rng.random(), 0, 0, rng.random(), rng.random(), rng.random()];
        Ipv6Addr::from(s).to_string()
    } else {
        const FIRST: &[u8] = &[20, 40, 52, 81, 85, 91, 131, 145, 176, 185, 193, 213];
        let first = *pick(rng, FIRST);
        Ipv4Addr::new(first, rng.random(), rng.random(), rng.random_range(1..255)).to_string()
    }
}

/// Whether a policy that was applied required MFA (so a second factor was
/// asked for, or satisfied by a claim in the token).
pub fn mfa_required(policies: &[AppliedPolicy]) -> bool {
    policies.iter().any(|p| p.result == "success" && p.enforced_grant_controls.iter().any(|g| g == "Mfa"))
}

/// Mostly no risk; sign-ins away from home are riskier.
pub fn risk(rng: &mut ChaCha20Rng, away: bool) -> Risk {
    if !((away && rng.random_bool(0.3)) || rng.random_bool(0.02)) {
        return Risk::none();
    }
    const LEVELS: &[&str] = &["low", "medium", "high"];
    let during = rng.random_range(0..LEVELS.len());
    let aggregated = rng.random_range(0..=during);
    let (state, detail) = *pick(
        rng,
        &[
            ("atRisk", "none"),
            ("atRisk", "none"),
            ("dismissed", "adminDismissedAllRiskForUser"),
            ("remediated", "userPerformedSecuredPasswordChange"),
            ("confirmedSafe", "adminConfirmedSigninSafe"),
        ],
    );
    let (mut legacy, mut v2) = (vec![], vec![]);
    for _ in 0..rng.random_range(1..=2) {
        let (l, v) = *pick(rng, vocab::RISK_EVENTS);
        if !v2.contains(&v) {
            legacy.push(l);
            v2.push(v);
        }
    }
    legacy.dedup();
    Risk { detail, aggregated: LEVELS[aggregated], during: LEVELS[during], state, legacy, v2 }
}

/// The device: legacy protocols report none; registered devices sometimes.
pub fn device_detail(
    rng: &mut ChaCha20Rng,
    registered: Option<&(String, String)>,
    legacy: bool,
    in_browser: bool,
) -> DeviceDetail {
    let (os, browsers) = *pick(rng, DEVICES);
    let browser = if legacy {
        ""
    } else if in_browser {
        let web: Vec<&'static str> = browsers.iter().copied().filter(|b| !b.starts_with("Rich")).collect();
        *pick(rng, &web)
    } else {
        browsers.iter().copied().find(|b| b.starts_with("Rich")).unwrap_or(browsers[0])
    };
    match registered.filter(|_| rng.random_bool(0.7)) {
        Some((id, name)) if !legacy => DeviceDetail {
            device_id: id.clone(),
            display_name: Some(name.clone()),
            operating_system: os.to_owned(),
            browser: browser.to_owned(),
            is_compliant: Some(rng.random_bool(0.85)),
            is_managed: Some(true),
            trust_type: Some(
                (*pick(rng, &["Azure AD joined", "Hybrid Azure AD joined", "Azure AD registered"])).to_owned(),
            ),
        },
        _ => {
            let unknown = rng.random_bool(0.5);
            DeviceDetail {
                device_id: String::new(),
                display_name: None,
                operating_system: if legacy { "" } else { os }.to_owned(),
                browser: browser.to_owned(),
                is_compliant: (!unknown).then_some(false),
                is_managed: (!unknown).then_some(false),
                trust_type: None,
            }
        }
    }
}

/// No device at all: a workload (service principal, managed identity).
/// Written as Microsoft's beta example writes a sign-in without a device:
/// empty strings and `false`, not nulls.
pub fn no_device() -> DeviceDetail {
    DeviceDetail {
        device_id: String::new(),
        display_name: Some(String::new()),
        operating_system: String::new(),
        browser: String::new(),
        is_compliant: Some(false),
        is_managed: Some(false),
        trust_type: Some(String::new()),
    }
}

/// The city, with coordinates as Graph sends them (f32 widened to f64).
pub fn location(rng: &mut ChaCha20Rng, city: &City) -> Location {
    let geo_coordinates = if rng.random_bool(0.08) {
        Geo::default()
    } else {
        Geo::Point { altitude: None, latitude: f64::from(city.3), longitude: f64::from(city.4) }
    };
    Location {
        city: city.0.to_owned(),
        state: city.1.to_owned(),
        country_or_region: city.2.to_owned(),
        geo_coordinates,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// 0–3 policies; when Conditional Access blocked the sign-in, the first one
/// failed with its grant controls.
pub fn policies(rng: &mut ChaCha20Rng, dir: &Directory, failure: Option<&Failure>, legacy: bool) -> Vec<AppliedPolicy> {
    let mut policies = Vec::new();
    if failure.is_some_and(|f| f.0 == CA_BLOCKED) {
        let idx = if legacy { BLOCK_LEGACY } else { COMPLIANT_DEVICE };
        let (name, grant, _, _) = POLICIES[idx];
        policies.push(AppliedPolicy {
            id: dir.policy_ids[idx].clone(),
            display_name: name.to_owned(),
            enforced_grant_controls: strings(grant),
            enforced_session_controls: vec![],
            result: "failure".to_owned(),
        });
    }
    let wanted = rng.random_range(0..=3usize);
    while policies.len() < wanted {
        let idx = rng.random_range(0..POLICIES.len());
        if policies.iter().any(|p| p.id == dir.policy_ids[idx]) {
            continue;
        }
        let (name, grant, session, report_only) = POLICIES[idx];
        let result = if report_only {
            *pick(rng, &["reportOnlySuccess", "reportOnlyNotApplied", "reportOnlyFailure"])
        } else if failure.is_some() || grant == ["Block"] {
            *pick(rng, &["notApplied", "notEnabled"])
        } else {
            *pick(rng, &["success", "success", "notApplied", "notEnabled"])
        };
        let applied = matches!(result, "success" | "reportOnlySuccess" | "reportOnlyFailure");
        policies.push(AppliedPolicy {
            id: dir.policy_ids[idx].clone(),
            display_name: name.to_owned(),
            enforced_grant_controls: if applied { strings(grant) } else { vec![] },
            enforced_session_controls: if applied { strings(session) } else { vec![] },
            result: result.to_owned(),
        });
    }
    policies
}

/// `conditionalAccessStatus` implied by the applied policies.
pub fn conditional_access_status(policies: &[AppliedPolicy]) -> &'static str {
    if policies.iter().any(|p| p.result == "failure") {
        "failure"
    } else if policies.iter().any(|p| p.result == "success") {
        "success"
    } else {
        "notApplied"
    }
}

/// The failure as drawn, or success (noting MFA when a policy required it).
pub fn status(rng: &mut ChaCha20Rng, failure: Option<&Failure>, policies: &[AppliedPolicy]) -> Status {
    if let Some(&(code, reason, details)) = failure {
        return failed(code, reason, details);
    }
    let details = [MFA_BY_CLAIM, "MFA completed in Azure AD"];
    let additional_details = mfa_required(policies).then(|| (*pick(rng, &details)).to_owned());
    Status { error_code: 0, failure_reason: None, additional_details }
}

/// A failed sign-in's status.
pub fn failed(code: i32, reason: &str, details: Option<&str>) -> Status {
    Status { error_code: code, failure_reason: Some(reason.to_owned()), additional_details: details.map(str::to_owned) }
}
