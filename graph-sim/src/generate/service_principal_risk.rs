//! One v1.0 `servicePrincipalRiskDetection` record (Microsoft's
//! `serviceprincipalriskdetection.md` and the example of
//! `identityprotectionroot-list-serviceprincipalriskdetections.md`), and its
//! in-place updates.
//!
//! Detections concern the tenant's workloads (apps that sign in as
//! themselves, [`super::signins_beta::SERVICE_PRINCIPALS`]). Identity
//! Protection raises them offline, as the example shows; only suspicious
//! sign-ins carry a request, an address and a location, and only leaked
//! credentials name the credential (`keyIds`). Like a user's risk detection
//! ([`super::risk`]), a detection is drawn backwards from its
//! `lastUpdatedDateTime`, so `lastUpdatedDateTime ≥ detectedDateTime ≥
//! activityDateTime`, and `additionalInfo` is a JSON-encoded string of
//! `{"Key","Value"}` pairs. [`update`] moves an `atRisk` detection to
//! dismissed or confirmed compromised — the two outcomes an administrator
//! has for a workload identity — and stamps `lastUpdatedDateTime`.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::signins_beta::SERVICE_PRINCIPALS;
use super::vocab::CITIES;
use super::{Ctx, Drawn, guid, lower_hex, pick, record_rng, weighted};
use crate::time::{format_ticks, parse_filter_datetime, truncate_to_tick};

/// A kind of workload detection: `riskEventType`, `source`, whether it
/// follows a sign-in, whether it names a credential, levels it is raised at,
/// relative share.
type Kind = (&'static str, &'static str, bool, bool, &'static [&'static str], u32);

static KINDS: &[Kind] = &[
    ("investigationsThreatIntelligence", "IdentityProtection", false, false, &["high"], 15),
    ("suspiciousSignins", "IdentityProtection", true, false, &["medium", "high", "low"], 25),
    ("leakedCredentials", "IdentityProtection", false, true, &["high"], 15),
    ("anomalousServicePrincipalActivity", "IdentityProtection", false, false, &["medium", "low"], 15),
    ("suspiciousAPITraffic", "IdentityProtection", true, false, &["medium"], 10),
    ("maliciousApplication", "MicrosoftCloudAppSecurity", false, false, &["high"], 8),
    ("suspiciousApplication", "MicrosoftCloudAppSecurity", false, false, &["medium", "high"], 12),
];

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detection {
    id: String,
    request_id: Option<String>,
    correlation_id: Option<String>,
    risk_event_type: String,
    risk_state: String,
    risk_level: String,
    risk_detail: String,
    source: String,
    detection_timing_type: String,
    activity: String,
    token_issuer_type: String,
    ip_address: Option<String>,
    location: Option<Location>,
    activity_date_time: String,
    detected_date_time: String,
    last_updated_date_time: String,
    service_principal_id: String,
    service_principal_display_name: String,
    app_id: String,
    key_ids: Vec<String>,
    additional_info: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    city: String,
    state: String,
    country_or_region: String,
    geo_coordinates: Option<Geo>,
}

#[derive(Serialize, Deserialize)]
struct Geo {
    altitude: Option<f64>,
    latitude: f64,
    longitude: f64,
}

#[derive(Serialize)]
struct Info<'a> {
    #[serde(rename = "Key")]
    key: &'static str,
    #[serde(rename = "Value")]
    value: Option<&'a str>,
}

/// Where a reviewed detection ends, with its `riskDetail`.
fn closed_state(rng: &mut ChaCha20Rng) -> (&'static str, &'static str) {
    *weighted(
        rng,
        &[
            (60, ("dismissed", "adminDismissedAllRiskForServicePrincipal")),
            (40, ("confirmedCompromised", "adminConfirmedServicePrincipalCompromised")),
        ],
    )
}

/// Draws one detection last updated at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let table: Vec<(u32, usize)> = KINDS.iter().enumerate().map(|(i, k)| (k.5, i)).collect();
    let (event, source, sign_in, names_key, levels, _) = KINDS[*weighted(rng, &table)];
    let who = rng.random_range(0..SERVICE_PRINCIPALS.len());
    let workload = &SERVICE_PRINCIPALS[who];
    let [app_id, sp_id, key_id, ..] = &dir.workloads[who];
    let mut level = *pick(rng, levels);
    let (state, detail) = if rng.random_bool(0.65) { ("atRisk", "none") } else { closed_state(rng) };
    if state == "confirmedCompromised" {
        level = "high";
    }
    let reviewed_after = match state {
        "atRisk" => TimeDelta::zero(),
        _ => TimeDelta::seconds(rng.random_range(900..4 * 86_400)),
    };
    let detected = truncate_to_tick(time - reviewed_after - TimeDelta::milliseconds(rng.random_range(0..1000)));
    // Offline: hours after the activity.
    let activity_at = truncate_to_tick(detected - TimeDelta::seconds(rng.random_range(3600..36 * 3600)));
    let city = if rng.random_bool(0.6) { pick(rng, CITIES) } else { &CITIES[workload.city] };
    let location = sign_in.then(|| Location {
        city: city.0.to_owned(),
        state: city.1.to_owned(),
        country_or_region: city.2.to_owned(),
        geo_coordinates: rng.random_bool(0.85).then(|| Geo {
            altitude: None,
            latitude: f64::from(city.3),
            longitude: f64::from(city.4),
        }),
    });
    let ip_address = sign_in.then(|| {
        let first = *pick(rng, &[5u8, 45, 91, 103, 185, 193]);
        format!("{first}.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random_range(1..255u8))
    });
    let alert = (source == "MicrosoftCloudAppSecurity")
        .then(|| format!("https://security.microsoft.com/alerts/ca{}", lower_hex(rng, 30)));
    let mut info = vec![Info { key: "alertUrl", value: alert.as_deref() }];
    if sign_in {
        info.push(Info { key: "userAgent", value: Some(workload.user_agent) });
    }
    // The 52 hex digits of Microsoft's example ids.
    let id = lower_hex(rng, 52);
    let mut location = location;
    if let Some(geo) = location.as_mut().and_then(|l| l.geo_coordinates.as_mut()) {
        let x = &mut record_rng("servicePrincipalRiskDetection", &id);
        geo.altitude = x.random_bool(0.1).then(|| f64::from(x.random_range(2..900u16)));
    }
    let record = Detection {
        id: id.clone(),
        request_id: sign_in.then(|| guid(rng)),
        correlation_id: sign_in.then(|| guid(rng)),
        risk_event_type: event.to_owned(),
        risk_state: state.to_owned(),
        risk_level: level.to_owned(),
        risk_detail: detail.to_owned(),
        source: source.to_owned(),
        detection_timing_type: "offline".to_owned(),
        activity: "servicePrincipal".to_owned(),
        token_issuer_type: "AzureAD".to_owned(),
        ip_address,
        location,
        activity_date_time: format_ticks(activity_at),
        detected_date_time: format_ticks(detected),
        last_updated_date_time: format_ticks(time),
        service_principal_id: sp_id.clone(),
        service_principal_display_name: workload.name.to_owned(),
        app_id: app_id.clone(),
        key_ids: if names_key { vec![key_id.clone()] } else { vec![] },
        additional_info: serde_json::to_string(&info).expect("key/value pairs serialize"),
    };
    let json = serde_json::to_string(&record).expect("a servicePrincipalRiskDetection always serializes");
    Drawn { id, json, segment: 0 }
}

/// Moves an `atRisk` detection to dismissed or confirmed compromised at
/// `at`; `None` for any other state, a time not after its
/// `lastUpdatedDateTime`, or a record this module did not write.
pub fn update(rng: &mut ChaCha20Rng, record: &crate::Record, at: DateTime<Utc>) -> Option<String> {
    let mut d: Detection = serde_json::from_str(&record.json).ok()?;
    let last = parse_filter_datetime(&d.last_updated_date_time)?;
    if d.risk_state != "atRisk" || at <= last {
        return None;
    }
    let (state, detail) = closed_state(rng);
    d.risk_state = state.to_owned();
    d.risk_detail = detail.to_owned();
    if state == "confirmedCompromised" {
        d.risk_level = "high".to_owned();
    }
    d.last_updated_date_time = format_ticks(at);
    Some(serde_json::to_string(&d).expect("a servicePrincipalRiskDetection always serializes"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::Generator;
    use super::*;
    use crate::Record;
    use crate::dataset::Dataset;
    use crate::record::Store;

    fn t(s: &str) -> DateTime<Utc> {
        parse_filter_datetime(s).unwrap()
    }

    fn sample(n: usize) -> Vec<Record> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let (from, to) = (t("2026-11-22T00:00:00Z"), t("2026-11-24T00:00:00Z"));
        g.generate(&mut s, Dataset::ServicePrincipalRiskDetections, None, n, from, to)
    }

    #[test]
    fn has_the_documented_properties_in_the_examples_order() {
        const PROPS: &[&str] = &[
            "id",
            "requestId",
            "correlationId",
            "riskEventType",
            "riskState",
            "riskLevel",
            "riskDetail",
            "source",
            "detectionTimingType",
            "activity",
            "tokenIssuerType",
            "ipAddress",
            "location",
            "activityDateTime",
            "detectedDateTime",
            "lastUpdatedDateTime",
            "servicePrincipalId",
            "servicePrincipalDisplayName",
            "appId",
            "keyIds",
            "additionalInfo",
        ];
        for r in sample(300) {
            let v: Value = serde_json::from_str(&r.json).unwrap();
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), PROPS.len());
            let mut at = 0;
            for p in PROPS {
                let pos = r.json.find(&format!("\"{p}\":")).unwrap_or_else(|| panic!("{p} missing in {v}"));
                assert!(pos >= at, "{p} out of order");
                at = pos;
            }
            let times: Vec<DateTime<Utc>> = ["activityDateTime", "detectedDateTime", "lastUpdatedDateTime"]
                .iter()
                .map(|f| parse_filter_datetime(v[f].as_str().unwrap()).unwrap())
                .collect();
            assert!(times[0] <= times[1] && times[1] <= times[2], "{v}");
            assert_eq!(times[2], r.time);
            assert_eq!(v["activity"], "servicePrincipal");
            assert_eq!(v["id"].as_str().unwrap().len(), 52);
            assert_eq!(v["requestId"].is_string(), v["ipAddress"].is_string());
            assert_eq!(v["riskEventType"] == "leakedCredentials", !v["keyIds"].as_array().unwrap().is_empty());
            let info: Value = serde_json::from_str(v["additionalInfo"].as_str().unwrap()).unwrap();
            assert!(info.as_array().unwrap().iter().all(|kv| kv["Key"].is_string()), "{info}");
        }
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all: Vec<Value> = sample(1000).iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect();
        let any = |f: &dyn Fn(&Value) -> bool| all.iter().any(f);
        for kind in KINDS {
            assert!(any(&|v| v["riskEventType"] == kind.0), "{}", kind.0);
        }
        for state in ["atRisk", "dismissed", "confirmedCompromised"] {
            assert!(any(&|v| v["riskState"] == state), "{state}");
        }
        for w in SERVICE_PRINCIPALS {
            assert!(any(&|v| v["servicePrincipalDisplayName"] == w.name), "{}", w.name);
        }
        assert!(any(&|v| v["location"]["geoCoordinates"]["altitude"].is_number()));
        assert!(any(&|v| v["location"].is_object() && v["location"]["geoCoordinates"].is_null()));
    }

    #[test]
    fn update_moves_at_risk_detections_only_and_only_forwards() {
        let mut rng = super::super::stream(1, 9);
        let at = t("2026-11-25T00:00:00Z");
        let mut moved = 0;
        for r in sample(100) {
            let before: Value = serde_json::from_str(&r.json).unwrap();
            match update(&mut rng, &r, at) {
                Some(json) => {
                    moved += 1;
                    let after: Value = serde_json::from_str(&json).unwrap();
                    assert_eq!(before["riskState"], "atRisk");
                    assert!(["dismissed", "confirmedCompromised"].contains(&after["riskState"].as_str().unwrap()));
                    assert_eq!(after["lastUpdatedDateTime"], "2026-11-25T00:00:00.0000000Z");
                    for same in ["id", "detectedDateTime", "activityDateTime", "keyIds", "servicePrincipalId"] {
                        assert_eq!(after[same], before[same], "{same}");
                    }
                    assert!(update(&mut rng, &Record { json, ..r.clone() }, at + TimeDelta::hours(1)).is_none());
                }
                None => assert_ne!(before["riskState"], "atRisk"),
            }
            assert!(update(&mut rng, &r, r.time).is_none(), "not backwards or in place");
        }
        assert!(moved > 40, "{moved}");
    }
}
