//! One v1.0 `signIn` record (graph-api.md §6.1, §6.3, §6.7): an interactive
//! user sign-in.
//!
//! Draws a person, an app, a place and an outcome, then the nested pieces
//! (`parts`) consistently with them: a 53003 failure has a failing policy,
//! risky sign-ins tend to come from away from home, legacy clients have no
//! browser, an Authenticator device only where an MFA prompt went to the
//! app. Property order follows Microsoft's documented example, with the
//! properties it leaves out (`userAgent`, the tenants, the service
//! principal, `authenticationAppDeviceDetails`) where beta's example puts
//! them. v1.0 serves only interactive sign-ins, so `isInteractive` is always
//! true, and a user's sign-in has an empty `servicePrincipalId` and
//! `servicePrincipalName`; each record is also served by beta (see
//! `signins_beta::twin`). The record's shape (`shape`) is shared with beta.

pub(crate) mod parts;
pub(crate) mod shape;

use chrono::{DateTime, Utc};
use rand::RngExt;

use super::vocab::{self, APPS, CITIES, FAILURES, LEGACY_CLIENTS, PEOPLE, user_agent};
use super::{Ctx, Directory, Drawn, guid, pick, record_rng, weighted};
use crate::time::format_ticks;
use parts::{CA_BLOCKED, mfa_required};
use shape::V1SignIn;

/// Label of the per-record stream v1.0 sign-ins draw later properties from.
pub const RECORD_STREAM: &str = "signIn";

/// Draws one sign-in at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let who = rng.random_range(0..PEOPLE.len());
    let person = &PEOPLE[who];
    let app = pick(rng, APPS);
    let (resource_id, resource_name) = vocab::RESOURCES[app.resource];
    // Legacy protocols only against Exchange, and mostly blocked by policy.
    let legacy = app.resource == 1 && rng.random_bool(0.08);
    let client_app_used = if legacy { *pick(rng, LEGACY_CLIENTS) } else { app.client };
    let failure = if legacy && rng.random_bool(0.7) {
        Some((CA_BLOCKED, FAILURES[3].1.1, None))
    } else if rng.random_bool(0.2) {
        Some(*weighted(rng, FAILURES))
    } else {
        None
    };
    let away = rng.random_bool(0.12);
    let city = if away { pick(rng, CITIES) } else { &CITIES[person.home] };
    let ip_address = parts::ip_address(rng);
    let risk = parts::risk(rng, away);
    let in_browser = app.client == "Browser";
    let device_detail = parts::device_detail(rng, dir.devices[who].as_ref(), legacy, in_browser);
    let location = parts::location(rng, city);
    let policies = parts::policies(rng, dir, failure.as_ref(), legacy);
    let status = parts::status(rng, failure.as_ref(), &policies);

    let id = guid(rng);
    let correlation_id = guid(rng);
    // The draw that once decided isInteractive, kept so that every seed keeps
    // its sequence now that v1.0 sign-ins are all interactive.
    let _ = rng.random_bool(0.97);
    let mut record = V1SignIn {
        id: id.clone(),
        created_date_time: format_ticks(time),
        user_display_name: Some(person.name.to_owned()),
        user_principal_name: Some(person.upn.to_owned()),
        user_id: dir.user_ids[who].clone(),
        app_id: app.id.to_owned(),
        app_display_name: app.name.to_owned(),
        ip_address,
        client_app_used: Some(client_app_used.to_owned()),
        user_agent: user_agent(app.name, client_app_used, &device_detail.operating_system, &device_detail.browser)
            .to_owned(),
        correlation_id,
        conditional_access_status: parts::conditional_access_status(&policies).to_owned(),
        is_interactive: true,
        resource_display_name: resource_name.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_tenant_id: dir.tenant_id.clone(),
        home_tenant_id: home_tenant(dir, person.guest).to_owned(),
        service_principal_id: String::new(),
        service_principal_name: Some(String::new()),
        device_detail,
        location,
        ..V1SignIn::default()
    };
    risk.apply(&mut record);
    // Later properties come from the record's own stream (see `generate`).
    let x = &mut record_rng(RECORD_STREAM, &id);
    parts::altitude(x, &mut record.location);
    let code = i64::from(status.error_code);
    let second = parts::second_factor(code, status.additional_details.as_deref(), mfa_required(&policies));
    record.authentication_app_device_details = parts::authenticator_device(x, second, code, dir.devices[who].as_ref());
    record.status = status;
    record.applied_conditional_access_policies = policies;
    let json = serde_json::to_string(&record).expect("a signIn always serializes");
    Drawn { id, json, segment: 0 }
}

/// A user's home tenant: the guests' for a guest, else the simulated one.
pub fn home_tenant(dir: &Directory, guest: bool) -> &str {
    if guest { &dir.guest_tenant_id } else { &dir.tenant_id }
}

#[cfg(test)]
mod tests {
    use super::super::{Generator, stream};
    use super::*;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;

    fn sample(n: usize) -> Vec<serde_json::Value> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::SignIns, None, n, from, to)
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
            "userAgent",
            "resourceTenantId",
            "homeTenantId",
            "servicePrincipalId",
            "servicePrincipalName",
            "authenticationAppDeviceDetails",
        ];
        for v in sample(50) {
            assert_eq!(v.as_object().unwrap().len(), PROPS.len(), "{v}");
            for p in PROPS {
                assert!(v.get(p).is_some(), "{p} missing in {v}");
            }
        }
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all = sample(2000);
        let share =
            |f: &dyn Fn(&serde_json::Value) -> bool| all.iter().filter(|v| f(v)).count() as f64 / all.len() as f64;
        let ok = share(&|v| v["status"]["errorCode"] == 0);
        assert!((0.72..0.88).contains(&ok), "{ok}");
        assert!(share(&|v| v["ipAddress"].as_str().unwrap().contains(':')) > 0.1);
        assert!(share(&|v| v["location"]["geoCoordinates"] == serde_json::json!({})) > 0.02);
        assert!(share(&|v| v["location"]["geoCoordinates"]["altitude"].is_null()) > 0.5);
        assert!(share(&|v| v["deviceDetail"]["deviceId"] == "") > 0.1);
        assert!(share(&|v| v["deviceDetail"]["isCompliant"].is_null()) > 0.05);
        assert!(share(&|v| v["userDisplayName"] == "🦄 Unicorn Ops") > 0.0);
        assert!(share(&|v| !v["riskEventTypes_v2"].as_array().unwrap().is_empty()) > 0.0);
        assert_eq!(share(&|v| v["isInteractive"] == true), 1.0, "v1.0 serves interactive sign-ins only");
        let blocked = all.iter().filter(|v| v["status"]["errorCode"] == 53003);
        for v in blocked {
            assert_eq!(v["conditionalAccessStatus"], "failure");
        }
        for code in [50126, 50053, 50074, 53003, 500121] {
            assert!(share(&|v| v["status"]["errorCode"] == code) > 0.0, "{code}");
        }
        // An Authenticator device exactly where the Authenticator app was prompted.
        let prompted = |v: &serde_json::Value| {
            let code = v["status"]["errorCode"].as_i64().unwrap();
            let by_policy = v["appliedConditionalAccessPolicies"].as_array().unwrap().iter().any(|p| {
                p["result"] == "success" && p["enforcedGrantControls"].as_array().unwrap().iter().any(|g| g == "Mfa")
            });
            let second = parts::second_factor(code, v["status"]["additionalDetails"].as_str(), by_policy);
            matches!(second, parts::SecondFactor::Prompted { .. }) && code != 50074
        };
        assert!(share(&|v| v["authenticationAppDeviceDetails"].is_object()) > 0.02);
        assert!(share(&|v| v["location"]["geoCoordinates"]["altitude"].is_number()) > 0.01);
        for v in &all {
            assert_eq!(v["authenticationAppDeviceDetails"].is_object(), prompted(v), "{v}");
            let guest = v["userPrincipalName"].as_str().unwrap().ends_with("@fabrikam.com");
            assert_eq!(v["homeTenantId"] == v["resourceTenantId"], !guest);
            let n = v["appliedConditionalAccessPolicies"].as_array().unwrap().len();
            assert!(n <= 3);
            let upn = v["userPrincipalName"].as_str().unwrap();
            assert_eq!(upn, upn.to_lowercase());
        }
    }

    #[test]
    fn json_is_compact_utf8_with_seven_digit_times() {
        let mut rng = stream(1, 1);
        let dir = Directory::new(&mut stream(1, 0), "t");
        let t = parse_filter_datetime("2026-11-24T08:15:41.6195833Z").unwrap();
        let Drawn { id, json, .. } = generate(&mut Ctx { rng: &mut rng, dir: &dir, segment: None }, t);
        assert!(json.starts_with(&format!("{{\"id\":\"{id}\",\"createdDateTime\":\"2026-11-24T08:15:41.6195833Z\",")));
        assert!(!json.contains('\n') && !json.contains("\": "));
        assert!(!json.contains("\\u"));
    }
}
