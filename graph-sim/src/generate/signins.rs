//! One v1.0 `signIn` record (graph-api.md §6.1, §6.3, §6.7).
//!
//! Draws a person, an app, a place, an outcome, a risk verdict, a device and
//! the Conditional Access policies that applied, keeping them consistent with
//! each other (a 53003 failure has a failing policy, risky sign-ins tend to
//! come from away from home, legacy clients have no browser). Property order
//! follows Microsoft's documented example.

use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::vocab::{self, APPS, CITIES, DEVICES, FAILURES, LEGACY_CLIENTS, PEOPLE, POLICIES};
use super::{Ctx, guid, pick, weighted};
use crate::time::format_ticks;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignIn<'a> {
    id: String,
    created_date_time: String,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    user_id: &'a str,
    app_id: &'a str,
    app_display_name: &'a str,
    ip_address: String,
    client_app_used: &'a str,
    correlation_id: String,
    conditional_access_status: &'a str,
    is_interactive: bool,
    risk_detail: &'a str,
    risk_level_aggregated: &'a str,
    risk_level_during_sign_in: &'a str,
    risk_state: &'a str,
    risk_event_types: Vec<&'a str>,
    #[serde(rename = "riskEventTypes_v2")]
    risk_event_types_v2: Vec<&'a str>,
    resource_display_name: &'a str,
    resource_id: &'a str,
    status: Status<'a>,
    device_detail: DeviceDetail<'a>,
    location: Location<'a>,
    applied_conditional_access_policies: Vec<AppliedPolicy<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    error_code: i32,
    failure_reason: Option<&'a str>,
    additional_details: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceDetail<'a> {
    device_id: &'a str,
    display_name: Option<&'a str>,
    operating_system: &'a str,
    browser: &'a str,
    is_compliant: Option<bool>,
    is_managed: Option<bool>,
    trust_type: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    city: &'a str,
    state: &'a str,
    country_or_region: &'a str,
    geo_coordinates: Geo,
}

#[derive(Serialize)]
struct EmptyObject {}

#[derive(Serialize)]
#[serde(untagged)]
enum Geo {
    Empty(EmptyObject),
    Point {
        altitude: Option<f64>,
        latitude: f64,
        longitude: f64,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppliedPolicy<'a> {
    id: &'a str,
    display_name: &'a str,
    enforced_grant_controls: &'a [&'a str],
    enforced_session_controls: &'a [&'a str],
    result: &'a str,
}

const BLOCK_LEGACY: usize = 1;
const COMPLIANT_DEVICE: usize = 2;
const CA_BLOCKED: i32 = 53003;

fn ip_address(rng: &mut ChaCha20Rng) -> String {
    if rng.random_bool(0.25) {
        let s: [u16; 8] = [
            0x2001,
            0x0db8,
            rng.random(),
            0,
            0,
            rng.random(),
            rng.random(),
            rng.random(),
        ];
        Ipv6Addr::from(s).to_string()
    } else {
        const FIRST: &[u8] = &[20, 40, 52, 81, 85, 91, 131, 145, 176, 185, 193, 213];
        let first = *pick(rng, FIRST);
        Ipv4Addr::new(first, rng.random(), rng.random(), rng.random_range(1..255)).to_string()
    }
}

/// Risk fields: detail, aggregated, during, state, legacy events, v2 events.
type Risk = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<&'static str>,
    Vec<&'static str>,
);

fn risk(rng: &mut ChaCha20Rng, away: bool) -> Risk {
    if !((away && rng.random_bool(0.3)) || rng.random_bool(0.02)) {
        return ("none", "none", "none", "none", vec![], vec![]);
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
    (
        detail,
        LEVELS[aggregated],
        LEVELS[during],
        state,
        legacy,
        v2,
    )
}

/// Draws one sign-in at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> (String, String) {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let who = rng.random_range(0..PEOPLE.len());
    let person = &PEOPLE[who];
    let app = pick(rng, APPS);
    let (resource_id, resource_name) = vocab::RESOURCES[app.resource];
    let legacy = app.resource == 1 && rng.random_bool(0.08);
    let client_app_used = if legacy {
        *pick(rng, LEGACY_CLIENTS)
    } else {
        app.client
    };

    let failure = if legacy && rng.random_bool(0.7) {
        Some((CA_BLOCKED, FAILURES[3].1.1, None))
    } else if rng.random_bool(0.2) {
        Some(*weighted(rng, FAILURES))
    } else {
        None
    };
    let away = rng.random_bool(0.12);
    let city = if away {
        pick(rng, CITIES)
    } else {
        &CITIES[person.home]
    };
    let ip_address = ip_address(rng);
    let (risk_detail, risk_aggregated, risk_during, risk_state, events, events_v2) =
        risk(rng, away);

    // Device: legacy protocols report none; registered devices sometimes.
    let (os, browsers) = *pick(rng, DEVICES);
    let browser = if legacy {
        ""
    } else if app.client == "Browser" {
        let web: Vec<&str> = browsers
            .iter()
            .copied()
            .filter(|b| !b.starts_with("Rich"))
            .collect();
        *pick(rng, &web)
    } else {
        browsers
            .iter()
            .find(|b| b.starts_with("Rich"))
            .unwrap_or(&browsers[0])
    };
    let registered = dir.devices[who].as_ref().filter(|_| rng.random_bool(0.7));
    let device_detail = match registered {
        Some((id, name)) if !legacy => DeviceDetail {
            device_id: id,
            display_name: Some(name),
            operating_system: os,
            browser,
            is_compliant: Some(rng.random_bool(0.85)),
            is_managed: Some(true),
            trust_type: Some(*pick(
                rng,
                &[
                    "Azure AD joined",
                    "Hybrid Azure AD joined",
                    "Azure AD registered",
                ],
            )),
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
    };

    let geo_coordinates = if rng.random_bool(0.08) {
        Geo::Empty(EmptyObject {})
    } else {
        Geo::Point {
            altitude: None,
            latitude: f64::from(city.3),
            longitude: f64::from(city.4),
        }
    };

    // Conditional Access: 0–3 policies, a failing one when CA blocked.
    let mut policies: Vec<AppliedPolicy<'_>> = Vec::new();
    let blocked = failure.is_some_and(|f| f.0 == CA_BLOCKED);
    if blocked {
        let idx = if legacy {
            BLOCK_LEGACY
        } else {
            COMPLIANT_DEVICE
        };
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
            *pick(
                rng,
                &[
                    "reportOnlySuccess",
                    "reportOnlyNotApplied",
                    "reportOnlyFailure",
                ],
            )
        } else if failure.is_some() || grant == ["Block"] {
            *pick(rng, &["notApplied", "notEnabled"])
        } else {
            *pick(rng, &["success", "success", "notApplied", "notEnabled"])
        };
        let applied = matches!(
            result,
            "success" | "reportOnlySuccess" | "reportOnlyFailure"
        );
        policies.push(AppliedPolicy {
            id: &dir.policy_ids[idx],
            display_name: name,
            enforced_grant_controls: if applied { grant } else { &[] },
            enforced_session_controls: if applied { session } else { &[] },
            result,
        });
    }
    let conditional_access_status = if policies.iter().any(|p| p.result == "failure") {
        "failure"
    } else if policies.iter().any(|p| p.result == "success") {
        "success"
    } else {
        "notApplied"
    };

    let mfa_done = policies
        .iter()
        .any(|p| p.result == "success" && p.enforced_grant_controls.contains(&"Mfa"));
    let status = match failure {
        Some((code, reason, details)) => Status {
            error_code: code,
            failure_reason: Some(reason),
            additional_details: details,
        },
        None => Status {
            error_code: 0,
            failure_reason: None,
            additional_details: if mfa_done {
                Some(*pick(
                    rng,
                    &[
                        "MFA requirement satisfied by claim in the token",
                        "MFA completed in Azure AD",
                    ],
                ))
            } else {
                None
            },
        },
    };

    let id = guid(rng);
    let record = SignIn {
        id: id.clone(),
        created_date_time: format_ticks(time),
        user_display_name: person.name,
        user_principal_name: person.upn,
        user_id: &dir.user_ids[who],
        app_id: app.id,
        app_display_name: app.name,
        ip_address,
        client_app_used,
        correlation_id: guid(rng),
        conditional_access_status,
        is_interactive: rng.random_bool(0.97),
        risk_detail,
        risk_level_aggregated: risk_aggregated,
        risk_level_during_sign_in: risk_during,
        risk_state,
        risk_event_types: events,
        risk_event_types_v2: events_v2,
        resource_display_name: resource_name,
        resource_id,
        status,
        device_detail,
        location: Location {
            city: city.0,
            state: city.1,
            country_or_region: city.2,
            geo_coordinates,
        },
        applied_conditional_access_policies: policies,
    };
    let json = serde_json::to_string(&record).expect("a signIn always serializes");
    (id, json)
}

#[cfg(test)]
mod tests {
    use super::super::{Directory, Generator};
    use super::*;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;

    fn sample(n: usize) -> Vec<serde_json::Value> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::SignIns, n, from, to)
            .iter()
            .map(|r| serde_json::from_str(&r.json).unwrap())
            .collect()
    }

    #[test]
    fn has_every_documented_property() {
        const PROPS: &[&str] = &[
            "id",
            "createdDateTime",
            "userDisplayName",
            "userPrincipalName",
            "userId",
            "appId",
            "appDisplayName",
            "ipAddress",
            "clientAppUsed",
            "correlationId",
            "conditionalAccessStatus",
            "isInteractive",
            "riskDetail",
            "riskLevelAggregated",
            "riskLevelDuringSignIn",
            "riskState",
            "riskEventTypes",
            "riskEventTypes_v2",
            "resourceDisplayName",
            "resourceId",
            "status",
            "deviceDetail",
            "location",
            "appliedConditionalAccessPolicies",
        ];
        for v in sample(50) {
            for p in PROPS {
                assert!(v.get(p).is_some(), "{p} missing in {v}");
            }
        }
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all = sample(2000);
        let share = |f: &dyn Fn(&serde_json::Value) -> bool| {
            all.iter().filter(|v| f(v)).count() as f64 / all.len() as f64
        };
        let ok = share(&|v| v["status"]["errorCode"] == 0);
        assert!((0.72..0.88).contains(&ok), "{ok}");
        assert!(share(&|v| v["ipAddress"].as_str().unwrap().contains(':')) > 0.1);
        assert!(share(&|v| v["location"]["geoCoordinates"] == serde_json::json!({})) > 0.02);
        assert!(share(&|v| v["location"]["geoCoordinates"]["altitude"].is_null()) > 0.5);
        assert!(share(&|v| v["deviceDetail"]["deviceId"] == "") > 0.1);
        assert!(share(&|v| v["deviceDetail"]["isCompliant"].is_null()) > 0.05);
        assert!(share(&|v| v["userDisplayName"] == "🦄 Unicorn Ops") > 0.0);
        assert!(share(&|v| v["riskEventTypes_v2"].as_array().unwrap().len() > 0) > 0.0);
        let blocked = all.iter().filter(|v| v["status"]["errorCode"] == 53003);
        for v in blocked {
            assert_eq!(v["conditionalAccessStatus"], "failure");
        }
        for code in [50126, 50053, 50074, 53003, 500121] {
            assert!(share(&|v| v["status"]["errorCode"] == code) > 0.0, "{code}");
        }
        for v in &all {
            let n = v["appliedConditionalAccessPolicies"]
                .as_array()
                .unwrap()
                .len();
            assert!(n <= 3);
            let upn = v["userPrincipalName"].as_str().unwrap();
            assert_eq!(upn, upn.to_lowercase());
        }
    }

    #[test]
    fn json_is_compact_utf8_with_seven_digit_times() {
        let mut rng = super::super::stream(1, 1);
        let dir = Directory::new(&mut super::super::stream(1, 0), "t");
        let t = parse_filter_datetime("2026-11-24T08:15:41.6195833Z").unwrap();
        let (id, json) = generate(
            &mut Ctx {
                rng: &mut rng,
                dir: &dir,
            },
            t,
        );
        assert!(json.starts_with(&format!(
            "{{\"id\":\"{id}\",\"createdDateTime\":\"2026-11-24T08:15:41.6195833Z\","
        )));
        assert!(!json.contains('\n') && !json.contains("\": "));
        assert!(!json.contains("\\u"));
    }
}
