//! One v1.0 `riskDetection` record (graph-api.md §6.6 and Microsoft's
//! example in `riskdetection-list.md`), and its in-place updates.
//!
//! A detection is drawn backwards from its `lastUpdatedDateTime` (the time
//! the generator is given): if its state has changed since detection, the
//! change came minutes to days after `detectedDateTime`; real-time detections
//! come seconds after the sign-in (`activityDateTime`), offline ones hours
//! after. So `lastUpdatedDateTime ≥ detectedDateTime ≥ activityDateTime`.
//! `additionalInfo` is a JSON-encoded string of `{"Key","Value"}` pairs, as
//! Graph sends it. [`update`] moves an `atRisk` detection to remediated,
//! dismissed or confirmed compromised and stamps `lastUpdatedDateTime`; the
//! record keeps its id, so Graph (and the sim) then serve only the new state.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::vocab::{CITIES, PEOPLE, user_agent};
use super::{Ctx, Drawn, guid, lower_hex, pick, record_rng, weighted};
use crate::time::{format_ticks, parse_filter_datetime, truncate_to_tick};

/// A kind of detection: `riskEventType`, `source`, `detectionTimingType`,
/// `activity`, MITRE technique, levels it is raised at, relative share.
type Kind = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [&'static str], u32);

static KINDS: &[Kind] = &[
    ("unfamiliarFeatures", "IdentityProtection", "realtime", "signin", "T1078", &["low", "medium"], 25),
    ("anonymizedIPAddress", "IdentityProtection", "realtime", "signin", "T1090.003", &["medium", "low"], 15),
    ("unlikelyTravel", "IdentityProtection", "offline", "signin", "T1078", &["medium", "high"], 15),
    ("maliciousIPAddress", "IdentityProtection", "offline", "signin", "T1078", &["high", "medium"], 8),
    ("passwordSpray", "IdentityProtection", "offline", "signin", "T1110.003", &["high", "medium"], 8),
    ("leakedCredentials", "IdentityProtection", "offline", "user", "T1589.001", &["high"], 8),
    ("mcasImpossibleTravel", "MicrosoftCloudAppSecurity", "offline", "signin", "T1078", &["medium"], 8),
    ("investigationsThreatIntelligence", "IdentityProtection", "offline", "signin", "T1078", &["high"], 5),
];

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RiskDetection {
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
    user_id: String,
    user_display_name: String,
    user_principal_name: String,
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
    #[serde(default)]
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

/// A state a detection may have been moved to, with its `riskDetail`.
fn closed_state(rng: &mut ChaCha20Rng) -> (&'static str, &'static str) {
    *weighted(
        rng,
        &[
            (30, ("remediated", "userPerformedSecuredPasswordChange")),
            (20, ("remediated", "userPassedMFADrivenByRiskBasedPolicy")),
            (30, ("dismissed", "adminDismissedAllRiskForUser")),
            (20, ("confirmedCompromised", "adminConfirmedUserCompromised")),
        ],
    )
}

/// Draws one detection last updated at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let table: Vec<(u32, usize)> = KINDS.iter().enumerate().map(|(i, k)| (k.6, i)).collect();
    let (event, source, timing, activity, mitre, levels, _) = KINDS[*weighted(rng, &table)];
    let who = rng.random_range(0..PEOPLE.len());
    let person = &PEOPLE[who];
    let mut level = *pick(rng, levels);
    let (state, detail) = if rng.random_bool(0.65) {
        ("atRisk", "none")
    } else if rng.random_bool(0.15) {
        ("confirmedSafe", "adminConfirmedSigninSafe")
    } else {
        closed_state(rng)
    };
    if state == "confirmedCompromised" {
        level = "high";
    }
    let changed_after = match state {
        "atRisk" => TimeDelta::zero(),
        _ => TimeDelta::seconds(rng.random_range(600..3 * 86_400)),
    };
    let detected = truncate_to_tick(time - changed_after - TimeDelta::milliseconds(rng.random_range(0..1000)));
    let lag = match timing {
        "realtime" => TimeDelta::milliseconds(rng.random_range(200..8000)),
        _ => TimeDelta::seconds(rng.random_range(2 * 3600..48 * 3600)),
    };
    let activity_at = truncate_to_tick(detected - lag);
    let sign_in = activity == "signin";
    let city = if rng.random_bool(0.7) { pick(rng, CITIES) } else { &CITIES[person.home] };
    let location = sign_in.then(|| Location {
        city: city.0.to_owned(),
        state: city.1.to_owned(),
        country_or_region: city.2.to_owned(),
        geo_coordinates: rng.random_bool(0.8).then(|| Geo {
            altitude: None,
            latitude: f64::from(city.3),
            longitude: f64::from(city.4),
        }),
    });
    let ip_address = sign_in.then(|| {
        let first = *pick(rng, &[45u8, 89, 103, 176, 185, 194]);
        format!("{first}.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random_range(1..255u8))
    });
    let ua = user_agent("", "Browser", pick::<&str>(rng, &["Windows 10", "MacOs", "Linux"]), "Chrome 131.0.0");
    let related = format_ticks(activity_at - TimeDelta::hours(rng.random_range(1..6)));
    let alert = (source == "MicrosoftCloudAppSecurity")
        .then(|| format!("https://security.microsoft.com/alerts/ca{}", lower_hex(rng, 30)));
    let mut info = Vec::new();
    if sign_in {
        info.push(Info { key: "userAgent", value: Some(ua) });
    }
    info.push(Info { key: "alertUrl", value: alert.as_deref() });
    if matches!(event, "unlikelyTravel" | "mcasImpossibleTravel") {
        info.push(Info { key: "relatedEventTimeInUtc", value: Some(&related) });
    }
    info.push(Info { key: "mitreTechniques", value: Some(mitre) });
    let id = lower_hex(rng, 64);
    // Now and then an altitude (Graph mostly sends null), from the record's
    // own stream (see `generate`).
    let mut location = location;
    if let Some(geo) = location.as_mut().and_then(|l| l.geo_coordinates.as_mut()) {
        let x = &mut record_rng("riskDetection", &id);
        geo.altitude = x.random_bool(0.1).then(|| f64::from(x.random_range(2..900u16)));
    }
    let record = RiskDetection {
        id: id.clone(),
        request_id: sign_in.then(|| guid(rng)),
        correlation_id: sign_in.then(|| guid(rng)),
        risk_event_type: event.to_owned(),
        risk_state: state.to_owned(),
        risk_level: level.to_owned(),
        risk_detail: detail.to_owned(),
        source: source.to_owned(),
        detection_timing_type: timing.to_owned(),
        activity: activity.to_owned(),
        token_issuer_type: "AzureAD".to_owned(),
        ip_address,
        location,
        activity_date_time: format_ticks(activity_at),
        detected_date_time: format_ticks(detected),
        last_updated_date_time: format_ticks(time),
        user_id: dir.user_ids[who].clone(),
        user_display_name: person.name.to_owned(),
        user_principal_name: person.upn.to_owned(),
        additional_info: serde_json::to_string(&info).expect("key/value pairs serialize"),
    };
    let json = serde_json::to_string(&record).expect("a riskDetection always serializes");
    Drawn { id, json, segment: 0 }
}

/// Moves an `atRisk` detection to remediated, dismissed or confirmed
/// compromised at `at`; `None` for any other state, a time not after its
/// `lastUpdatedDateTime`, or a record this module did not write.
pub fn update(rng: &mut ChaCha20Rng, record: &crate::Record, at: DateTime<Utc>) -> Option<String> {
    let mut d: RiskDetection = serde_json::from_str(&record.json).ok()?;
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
    Some(serde_json::to_string(&d).expect("a riskDetection always serializes"))
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
        g.generate(&mut s, Dataset::RiskDetections, None, n, t("2026-11-22T00:00:00Z"), t("2026-11-24T00:00:00Z"))
    }

    #[test]
    fn has_every_documented_property_in_the_documented_order() {
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
            "userId",
            "userDisplayName",
            "userPrincipalName",
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
            // additionalInfo is a string holding a JSON array of Key/Value pairs.
            let info: Value = serde_json::from_str(v["additionalInfo"].as_str().unwrap()).unwrap();
            for kv in info.as_array().unwrap() {
                assert!(kv["Key"].is_string() && kv.get("Value").is_some(), "{kv}");
            }
            assert_eq!(v["activity"] == "signin", v["requestId"].is_string());
        }
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all: Vec<Value> = sample(1000).iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect();
        let any = |f: &dyn Fn(&Value) -> bool| all.iter().any(f);
        for kind in KINDS {
            assert!(any(&|v| v["riskEventType"] == kind.0), "{}", kind.0);
        }
        for state in ["atRisk", "remediated", "dismissed", "confirmedSafe", "confirmedCompromised"] {
            assert!(any(&|v| v["riskState"] == state), "{state}");
        }
        let hours = |v: &Value, a: &str, b: &str| {
            let p = |f: &str| parse_filter_datetime(v[f].as_str().unwrap()).unwrap();
            (p(b) - p(a)).num_hours()
        };
        assert!(any(
            &|v| v["detectionTimingType"] == "offline" && hours(v, "activityDateTime", "detectedDateTime") >= 2
        ));
        assert!(any(&|v| hours(v, "detectedDateTime", "lastUpdatedDateTime") >= 1));
        assert!(any(&|v| v["location"].is_null() && v["activity"] == "user"));
        assert!(any(&|v| v["location"]["geoCoordinates"].is_null() && v["activity"] == "signin"));
        assert!(any(&|v| v["additionalInfo"].as_str().unwrap().contains(r#"{"Key":"alertUrl","Value":null}"#)));
        assert!(any(&|v| v["additionalInfo"].as_str().unwrap().contains(r#""Key":"mitreTechniques","Value":"T1078""#)));
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
                    assert_ne!(after["riskState"], "atRisk");
                    assert_ne!(after["riskDetail"], "none");
                    assert_eq!(after["lastUpdatedDateTime"], "2026-11-25T00:00:00.0000000Z");
                    for same in ["id", "detectedDateTime", "activityDateTime", "additionalInfo", "location"] {
                        assert_eq!(after[same], before[same], "{same}");
                    }
                    assert!(update(&mut rng, &Record { json, ..r.clone() }, at + TimeDelta::hours(1)).is_none());
                }
                None => assert_ne!(before["riskState"], "atRisk"),
            }
            assert!(update(&mut rng, &r, r.time).is_none(), "not backwards or in place");
        }
        assert!(moved > 40, "{moved}");
        let raw = Record { id: "x".into(), time: at, json: "{\"id\":\"x\"}".into() };
        assert!(update(&mut rng, &raw, at).is_none());
    }
}
