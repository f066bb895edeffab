//! The shipped queries of agentic sign-ins and of the datasets issue 15 added
//! (workload risk detections, custom security attribute audits, External ID
//! sign-ups, Global Secure Access traffic): each answer recomputed from the
//! records graph-sim served.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use graph_sim::{Dataset, Record, SignInEventType};
use serde_json::{Value, json};

use super::rows;
use crate::common::*;

/// The records in `[FROM, end)`, parsed.
fn window(records: Vec<Record>, end: DateTime<Utc>) -> Vec<Value> {
    records
        .into_iter()
        .filter(|r| t(FROM) <= r.time && r.time < end)
        .map(|r| serde_json::from_str(&r.json).unwrap())
        .collect()
}

/// A string (or NULL, as "") for a key.
fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn failed(record: &Value) -> bool {
    record["status"]["errorCode"].as_i64() != Some(0)
}

pub(super) fn check_answers(h: &Harness, results: &Value, end: DateTime<Utc>, sp_updated: &[Record]) {
    agentic_sign_ins(h, results, end);
    attribute_value_changes(h, results, end);
    workload_risk(h, results, end, sp_updated);
    sign_ups(h, results, end);
    blocked_traffic(h, results, end);
}

/// `signins_agentic_by_agent`: per agent, identity and subject type and kind,
/// the sign-ins, failures and users of exactly the agentic beta sign-ins.
fn agentic_sign_ins(h: &Harness, results: &Value, end: DateTime<Utc>) {
    let agentic = |s: &Value| {
        let of = |field: &str| s["agent"][field].as_str().unwrap_or("notAgentic") != "notAgentic";
        of("agentType") || of("agentSubjectType")
    };
    type Counts = (i64, i64, BTreeSet<String>);
    let mut expected: BTreeMap<[String; 5], Counts> = BTreeMap::new();
    let kinds =
        [SignInEventType::NonInteractiveUser, SignInEventType::ServicePrincipal, SignInEventType::ManagedIdentity];
    for kind in kinds {
        for s in window(h.sim.signins_of_type(kind), end).iter().filter(|s| agentic(s)) {
            let agent = &s["agent"];
            let kind = json!(kind.as_str());
            let key =
                [&s["appDisplayName"], &agent["parentAppId"], &agent["agentType"], &agent["agentSubjectType"], &kind]
                    .map(text);
            let counts = expected.entry(key).or_default();
            counts.0 += 1;
            counts.1 += i64::from(failed(s));
            if let Some(user) = s["userId"].as_str().filter(|u| !u.is_empty()) {
                counts.2.insert(user.to_string());
            }
        }
    }
    let subjects: HashSet<&str> = expected.keys().map(|k| k[3].as_str()).collect();
    assert!(subjects.len() >= 2, "agents acting for users and as themselves: {subjects:?}");
    let expected: BTreeMap<[String; 5], [i64; 3]> =
        expected.into_iter().map(|(k, (n, f, users))| (k, [n, f, users.len() as i64])).collect();
    let got: BTreeMap<[String; 5], [i64; 3]> = rows(results, "signins_agentic_by_agent")
        .iter()
        .map(|r| {
            let key = ["agent", "blueprint_app_id", "agent_type", "subject_type", "kind"].map(|c| text(&r[c]));
            (key, ["sign_ins", "failures", "users"].map(|c| r[c].as_i64().unwrap()))
        })
        .collect();
    assert_eq!(got, expected);
}

/// An attribute value as the query shows it: a JSON-encoded string decoded,
/// a list's values joined with ", ", a number as written; NULL stays NULL.
fn attribute_value(encoded: &Value) -> Value {
    let Some(encoded) = encoded.as_str() else { return Value::Null };
    let plain = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    match serde_json::from_str::<Value>(encoded).expect("attribute values are JSON") {
        Value::Array(values) => json!(values.iter().map(plain).collect::<Vec<_>>().join(", ")),
        value => json!(plain(&value)),
    }
}

/// `custom_security_attribute_value_changes`: one row per attribute changed
/// on a user or service principal, values decoded.
fn attribute_value_changes(h: &Harness, results: &Value, end: DateTime<Utc>) {
    let mut expected: BTreeMap<[String; 3], Value> = BTreeMap::new();
    for a in window(h.sim.records(Dataset::CustomSecurityAttributeAudits), end) {
        if !text(&a["activityDisplayName"]).starts_with("Update attribute values assigned to ") {
            continue;
        }
        let by = &a["initiatedBy"];
        let changed_by = by["user"]["userPrincipalName"].as_str().or(by["app"]["displayName"].as_str());
        for target in a["targetResources"].as_array().unwrap() {
            let name = target["userPrincipalName"].as_str().or(target["displayName"].as_str());
            for m in target["modifiedProperties"].as_array().unwrap() {
                let property = text(&m["displayName"]);
                if property == "Included Updated Properties" || property.starts_with("TargetId.") {
                    continue;
                }
                let (set, attribute) = property.split_once('_').unwrap();
                let key = [text(&a["id"]), set.to_string(), attribute.to_string()];
                let old = attribute_value(&m["oldValue"]);
                let new = attribute_value(&m["newValue"]);
                expected.insert(key, json!([changed_by, target["type"], name, old, new, a["result"]]));
            }
        }
    }
    let lists = expected.values().filter(|v| v[4].as_str().is_some_and(|s| s.contains(", "))).count();
    let numbers = expected.values().filter(|v| v[4].as_str().is_some_and(|s| s.parse::<i64>().is_ok())).count();
    assert!(lists > 0 && numbers > 0, "multi-valued and integer attributes changed");
    let answer = rows(results, "custom_security_attribute_value_changes");
    let got: BTreeMap<[String; 3], Value> = answer
        .iter()
        .map(|r| {
            let key = ["id", "attribute_set", "attribute"].map(|c| text(&r[c]));
            let columns = ["changed_by", "target_type", "target", "old_value", "new_value", "result"];
            (key, Value::Array(columns.iter().map(|c| r[*c].clone()).collect()))
        })
        .collect();
    assert_eq!(got.len(), answer.len(), "one row per attribute changed");
    assert_eq!(got, expected);
    let order: Vec<[String; 2]> = answer.iter().map(|r| ["attribute_set", "attribute"].map(|c| text(&r[c]))).collect();
    assert!(order.is_sorted(), "rows per attribute");
}

/// `service_principal_risk_detections_latest_state`: the state Graph holds
/// now of every detection, how many states the archive saw, the credentials
/// it names; those still at risk first.
fn workload_risk(h: &Harness, results: &Value, end: DateTime<Utc>, updated: &[Record]) {
    let held: HashMap<String, Value> = window(h.sim.records(Dataset::ServicePrincipalRiskDetections), end)
        .into_iter()
        .map(|d| (text(&d["id"]), d))
        .collect();
    let latest = rows(results, "service_principal_risk_detections_latest_state");
    assert_eq!(latest.len(), held.len(), "one row per detection");
    let updated: HashSet<&str> = updated.iter().map(|r| r.id.as_str()).collect();
    for r in &latest {
        let id = text(&r["id"]);
        let source = &held[&id];
        for (column, property) in [
            ("risk_state", "riskState"),
            ("risk_level", "riskLevel"),
            ("risk_event_type", "riskEventType"),
            ("service_principal_display_name", "servicePrincipalDisplayName"),
        ] {
            assert_eq!(r[column], source[property], "{id}: {column}");
        }
        let keys = source["keyIds"].as_array().map(|k| json!(k.iter().map(text).collect::<Vec<_>>().join(", ")));
        assert_eq!(r["key_ids"], keys.unwrap_or(Value::Null), "{id}");
        let states = if updated.contains(id.as_str()) { 2 } else { 1 };
        assert_eq!(r["states_seen"], json!(states), "{id}");
    }
    let at_risk: Vec<bool> = latest.iter().map(|r| r["risk_state"] == "atRisk").collect();
    assert!(at_risk.contains(&true) && at_risk.contains(&false), "{at_risk:?}");
    assert!(at_risk.is_sorted_by(|a, b| a >= b), "detections still at risk come first");
}

/// `signups_by_stage`: per app, identity provider and stage, the records,
/// failures, users created, error codes and reasons.
fn sign_ups(h: &Harness, results: &Value, end: DateTime<Utc>) {
    #[derive(Default, PartialEq, Debug)]
    struct Stage {
        records: i64,
        failures: i64,
        users_created: usize,
        error_codes: BTreeSet<i64>,
        failure_reasons: BTreeSet<String>,
    }
    let mut expected: BTreeMap<[String; 3], (Stage, BTreeSet<String>)> = BTreeMap::new();
    for s in window(h.sim.records(Dataset::SignUps), end) {
        let key = [&s["appDisplayName"], &s["signUpIdentityProvider"], &s["signUpStage"]].map(text);
        let (stage, users) = expected.entry(key).or_default();
        stage.records += 1;
        users.extend(s["userId"].as_str().filter(|u| !u.is_empty()).map(str::to_string));
        stage.users_created = users.len();
        if failed(&s) {
            stage.failures += 1;
            stage.error_codes.insert(s["status"]["errorCode"].as_i64().unwrap());
            stage.failure_reasons.extend(s["status"]["failureReason"].as_str().map(str::to_string));
        }
    }
    let expected: BTreeMap<[String; 3], Stage> = expected.into_iter().map(|(k, (stage, _))| (k, stage)).collect();
    assert!(expected.values().any(|s| !s.failure_reasons.is_empty()), "failures with reasons");
    let got: BTreeMap<[String; 3], Stage> = rows(results, "signups_by_stage")
        .iter()
        .map(|r| {
            let key = ["app_display_name", "sign_up_identity_provider", "sign_up_stage"].map(|c| text(&r[c]));
            let list = |c: &str| r[c].as_array().cloned().unwrap_or_default();
            let stage = Stage {
                records: r["records"].as_i64().unwrap(),
                failures: r["failures"].as_i64().unwrap(),
                users_created: r["users_created"].as_u64().unwrap() as usize,
                error_codes: list("error_codes").iter().map(|c| c.as_i64().unwrap()).collect(),
                failure_reasons: list("failure_reasons").iter().map(text).collect(),
            };
            (key, stage)
        })
        .collect();
    assert_eq!(got, expected);
}

/// `network_access_traffic_blocked`: every blocked connection counted once,
/// under its user (or remote network), destination, category, rule and threat.
fn blocked_traffic(h: &Harness, results: &Value, end: DateTime<Utc>) {
    let mut expected: BTreeMap<[String; 7], i64> = BTreeMap::new();
    for c in window(h.sim.records(Dataset::NetworkAccessTraffic), end).iter().filter(|c| c["action"] == "block") {
        let source = match c["userPrincipalName"].as_str() {
            Some(upn) => upn.to_string(),
            None => format!("remote network {}", text(&c["remoteNetworkId"])),
        };
        let key = [
            source,
            text(&c["trafficType"]),
            text(&c["destinationFQDN"]),
            text(&c["destinationWebCategory"]["displayName"]),
            text(&c["policyName"]),
            text(&c["policyRuleName"]),
            text(&c["threatType"]),
        ];
        *expected.entry(key).or_default() += 1;
    }
    assert!(expected.keys().any(|k| !k[6].is_empty()), "threat intelligence blocks");
    assert!(expected.keys().any(|k| k[1] == "microsoft365"), "tenant restrictions blocks");
    let got: BTreeMap<[String; 7], i64> = rows(results, "network_access_traffic_blocked")
        .iter()
        .map(|r| {
            let key = [
                "source",
                "traffic_type",
                "destination_fqdn",
                "web_category",
                "policy_name",
                "policy_rule_name",
                "threat_type",
            ]
            .map(|c| text(&r[c]));
            (key, r["connections"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(got, expected);
}
