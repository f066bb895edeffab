//! The nested pieces of a `signIn` — risk, status, device, location and
//! applied Conditional Access policies — and how each is drawn.
//!
//! Each function draws one piece given the few facts it must agree with
//! (was the sign-in blocked, is the client a legacy protocol, is the user
//! away from home), so the record as a whole stays plausible.

use std::net::{Ipv4Addr, Ipv6Addr};

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::super::vocab::{self, City, DEVICES, Failure, POLICIES};
use super::super::{Directory, pick};

/// `errorCode` of a sign-in blocked by Conditional Access.
pub const CA_BLOCKED: i32 = 53003;
const BLOCK_LEGACY: usize = 1;
const COMPLIANT_DEVICE: usize = 2;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Risk {
    risk_detail: &'static str,
    risk_level_aggregated: &'static str,
    risk_level_during_sign_in: &'static str,
    risk_state: &'static str,
    risk_event_types: Vec<&'static str>,
    #[serde(rename = "riskEventTypes_v2")]
    risk_event_types_v2: Vec<&'static str>,
}

/// The same risk as beta writes it: without the legacy `riskEventTypes`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BetaRisk<'a> {
    risk_detail: &'static str,
    risk_level_aggregated: &'static str,
    risk_level_during_sign_in: &'static str,
    risk_state: &'static str,
    #[serde(rename = "riskEventTypes_v2")]
    risk_event_types_v2: &'a [&'static str],
}

impl Risk {
    /// No risk at all (workload sign-ins).
    pub fn none() -> Risk {
        Risk {
            risk_detail: "none",
            risk_level_aggregated: "none",
            risk_level_during_sign_in: "none",
            risk_state: "none",
            risk_event_types: vec![],
            risk_event_types_v2: vec![],
        }
    }

    /// The beta view of this risk.
    pub fn beta(&self) -> BetaRisk<'_> {
        BetaRisk {
            risk_detail: self.risk_detail,
            risk_level_aggregated: self.risk_level_aggregated,
            risk_level_during_sign_in: self.risk_level_during_sign_in,
            risk_state: self.risk_state,
            risk_event_types_v2: &self.risk_event_types_v2,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    error_code: i32,
    failure_reason: Option<&'static str>,
    additional_details: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail<'a> {
    device_id: &'a str,
    display_name: Option<&'a str>,
    operating_system: &'static str,
    browser: &'static str,
    is_compliant: Option<bool>,
    is_managed: Option<bool>,
    trust_type: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    city: &'static str,
    state: &'static str,
    country_or_region: &'static str,
    geo_coordinates: Geo,
}

#[derive(Serialize)]
struct EmptyObject {}

/// `{}` or `{"altitude":null,"latitude":…,"longitude":…}`, both seen in
/// Microsoft's examples.
#[derive(Serialize)]
#[serde(untagged)]
enum Geo {
    Empty(EmptyObject),
    Point { altitude: Option<f64>, latitude: f64, longitude: f64 },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedPolicy<'a> {
    id: &'a str,
    display_name: &'static str,
    enforced_grant_controls: &'static [&'static str],
    enforced_session_controls: &'static [&'static str],
    result: &'static str,
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

impl Status {
    /// `errorCode`: 0 for success.
    pub fn error_code(&self) -> i32 {
        self.error_code
    }
}

impl DeviceDetail<'_> {
    /// `operatingSystem`.
    pub fn os(&self) -> &'static str {
        self.operating_system
    }

    /// `browser`.
    pub fn browser(&self) -> &'static str {
        self.browser
    }
}

/// Whether a policy that was applied required MFA (so a second factor was
/// asked for, or satisfied by a claim in the token).
pub fn mfa_required(policies: &[AppliedPolicy<'_>]) -> bool {
    policies.iter().any(|p| p.result == "success" && p.enforced_grant_controls.contains(&"Mfa"))
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
    Risk {
        risk_detail: detail,
        risk_level_aggregated: LEVELS[aggregated],
        risk_level_during_sign_in: LEVELS[during],
        risk_state: state,
        risk_event_types: legacy,
        risk_event_types_v2: v2,
    }
}

/// The device: legacy protocols report none; registered devices sometimes.
pub fn device_detail<'a>(
    rng: &mut ChaCha20Rng,
    registered: Option<&'a (String, String)>,
    legacy: bool,
    in_browser: bool,
) -> DeviceDetail<'a> {
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
            device_id: id,
            display_name: Some(name),
            operating_system: os,
            browser,
            is_compliant: Some(rng.random_bool(0.85)),
            is_managed: Some(true),
            trust_type: Some(*pick(rng, &["Azure AD joined", "Hybrid Azure AD joined", "Azure AD registered"])),
        },
        _ => {
            let unknown = rng.random_bool(0.5);
            DeviceDetail {
                device_id: "",
                display_name: None,
                operating_system: if legacy { "" } else { os },
                browser,
                is_compliant: (!unknown).then_some(false),
                is_managed: (!unknown).then_some(false),
                trust_type: None,
            }
        }
    }
}

/// No device at all: a workload (service principal, managed identity).
pub fn no_device() -> DeviceDetail<'static> {
    DeviceDetail {
        device_id: "",
        display_name: None,
        operating_system: "",
        browser: "",
        is_compliant: None,
        is_managed: None,
        trust_type: None,
    }
}

/// The city, with coordinates as Graph sends them (f32 widened to f64).
pub fn location(rng: &mut ChaCha20Rng, city: &City) -> Location {
    let geo_coordinates = if rng.random_bool(0.08) {
        Geo::Empty(EmptyObject {})
    } else {
        Geo::Point { altitude: None, latitude: f64::from(city.3), longitude: f64::from(city.4) }
    };
    Location { city: city.0, state: city.1, country_or_region: city.2, geo_coordinates }
}

/// 0–3 policies; when Conditional Access blocked the sign-in, the first one
/// failed with its grant controls.
pub fn policies<'a>(
    rng: &mut ChaCha20Rng,
    dir: &'a Directory,
    failure: Option<&Failure>,
    legacy: bool,
) -> Vec<AppliedPolicy<'a>> {
    let mut policies = Vec::new();
    if failure.is_some_and(|f| f.0 == CA_BLOCKED) {
        let idx = if legacy { BLOCK_LEGACY } else { COMPLIANT_DEVICE };
        let (name, grant, _, _) = POLICIES[idx];
        policies.push(AppliedPolicy {
            id: &dir.policy_ids[idx],
            display_name: name,
            enforced_grant_controls: grant,
            enforced_session_controls: &[],
            result: "failure",
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
            id: &dir.policy_ids[idx],
            display_name: name,
            enforced_grant_controls: if applied { grant } else { &[] },
            enforced_session_controls: if applied { session } else { &[] },
            result,
        });
    }
    policies
}

/// `conditionalAccessStatus` implied by the applied policies.
pub fn conditional_access_status(policies: &[AppliedPolicy<'_>]) -> &'static str {
    if policies.iter().any(|p| p.result == "failure") {
        "failure"
    } else if policies.iter().any(|p| p.result == "success") {
        "success"
    } else {
        "notApplied"
    }
}

/// The failure as drawn, or success (noting MFA when a policy required it).
pub fn status(rng: &mut ChaCha20Rng, failure: Option<&Failure>, policies: &[AppliedPolicy<'_>]) -> Status {
    if let Some(&(code, reason, details)) = failure {
        return Status { error_code: code, failure_reason: Some(reason), additional_details: details };
    }
    let mfa_done = policies.iter().any(|p| p.result == "success" && p.enforced_grant_controls.contains(&"Mfa"));
    let details = ["MFA requirement satisfied by claim in the token", "MFA completed in Azure AD"];
    Status { error_code: 0, failure_reason: None, additional_details: mfa_done.then(|| *pick(rng, &details)) }
}
