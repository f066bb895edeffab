//! One beta `customSecurityAttributeAudit` record: a change to the tenant's
//! custom security attributes — an attribute set, an attribute definition,
//! its predefined values, or the values assigned to a user or a service
//! principal (Microsoft's `auditlogroot-list-customsecurityattributeaudits.md`
//! and the beta metadata).
//!
//! The record is a directory audit in beta's shape, logged by Core
//! Directory under category `AttributeManagement` (as Microsoft's example
//! is): `initiatedBy` holds the beta `auditUserIdentity` (with its home
//! tenant) or an app, and `linkableIdentifiers` tie it to the session and
//! token it was made with. Attribute names appear as `<set>_<attribute>`,
//! and old and new values JSON-encoded in `modifiedProperties`, as in the
//! directory audit log. Custom security attributes are assigned to users and
//! service principals only, so `targetResources[].groupType` is always null.
//! The activity names other than Microsoft's example ("Add custom security
//! attribute definition in an attribute set") and "Update attribute values
//! assigned to a user" are the sim's, in the same style.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::signins_beta::SERVICE_PRINCIPALS;
use super::vocab::{PEOPLE, TENANT_NAME, USER_AGENT};
use super::{Ctx, Directory, Drawn, guid, pick, upper_alnum, weighted};
use crate::time::format_ticks;

/// [`SERVICE_PRINCIPALS`] index of the app that writes attributes.
const HR_SYNC: usize = 0;

/// A custom security attribute: set, name, type, multi-valued, predefined
/// values (JSON literals for integers), whether it is assigned to service
/// principals rather than users.
type Attribute = (&'static str, &'static str, &'static str, bool, &'static [&'static str], bool);

static ATTRIBUTES: &[Attribute] = &[
    ("Engineering", "Project", "String", true, &["Alpine", "Baker", "Cascade", "Ωmega"], false),
    ("Engineering", "CostCenter", "Integer", false, &["1001", "1002", "2040"], false),
    ("Security", "Clearance", "String", false, &["Public", "Confidential", "Secret"], false),
    ("Marketing", "AppCountry", "String", true, &["US", "DE", "GB", "BR", "JP"], false),
    ("HR", "Department", "String", false, &["Sales", "Finance", "R&D", "Forschung & Entwicklung"], false),
    ("Workload", "DataClassification", "String", false, &["Internal", "Restricted", "Public"], true),
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Audit {
    id: String,
    category: &'static str,
    correlation_id: String,
    result: &'static str,
    result_reason: &'static str,
    activity_display_name: &'static str,
    activity_date_time: String,
    logged_by_service: &'static str,
    operation_type: &'static str,
    user_agent: Option<&'static str>,
    initiated_by: Initiator,
    target_resources: Vec<Target>,
    additional_details: Vec<KeyValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Initiator {
    app: Option<AppIdentity>,
    user: Option<UserIdentity>,
    linkable_identifiers: Option<Linkable>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppIdentity {
    app_id: String,
    display_name: &'static str,
    service_principal_id: String,
    service_principal_name: &'static str,
}

/// Beta's `auditUserIdentity`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity {
    id: String,
    display_name: Option<&'static str>,
    user_principal_name: &'static str,
    ip_address: String,
    home_tenant_id: Option<String>,
    home_tenant_name: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Linkable {
    device_id: Option<String>,
    session_id: Option<String>,
    token_details: TokenDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenDetails {
    issued_at_date_time: String,
    unique_token_identifier: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    id: String,
    display_name: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    user_principal_name: Option<&'static str>,
    group_type: Option<&'static str>,
    modified_properties: Vec<Modified>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Modified {
    display_name: String,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(Serialize)]
struct KeyValue {
    key: &'static str,
    value: &'static str,
}

/// JSON-encodes a value into a string, as the audit log does.
fn js<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("plain values serialize")
}

fn modified(name: impl Into<String>, old: Option<String>, new: Option<String>) -> Modified {
    Modified { display_name: name.into(), old_value: old, new_value: new }
}

/// An attribute's value as the log encodes it: a JSON array for a
/// multi-valued attribute, a JSON string or number otherwise.
fn encoded(rng: &mut ChaCha20Rng, a: &Attribute) -> String {
    let (_, _, kind, collection, values, _) = *a;
    if collection {
        let n = rng.random_range(1..=values.len().min(3));
        let start = rng.random_range(0..values.len());
        let picked: Vec<&str> = (0..n).map(|i| values[(start + i) % values.len()]).collect();
        return js(&picked);
    }
    let v = *pick(rng, values);
    if kind == "Integer" { v.to_owned() } else { js(v) }
}

/// What changed: activity, operation, target, and whether it concerns a
/// service principal's values.
fn change(rng: &mut ChaCha20Rng, dir: &Directory) -> (&'static str, &'static str, Target) {
    let a = pick(rng, ATTRIBUTES);
    let (set, name, kind, collection, values, for_apps) = *a;
    let attribute = format!("{set}_{name}");
    let what = *weighted(rng, &[(55, 0u8), (15, 1), (8, 2), (8, 3), (4, 4), (4, 5), (6, 6)]);
    let other = |id: String, display: &str, props: Vec<Modified>| Target {
        id,
        display_name: Some(display.to_owned()),
        kind: "Other",
        user_principal_name: None,
        group_type: None,
        modified_properties: props,
    };
    match what {
        // Values assigned to a user (or, for workload attributes, to an app).
        0 if !for_apps => {
            let who = rng.random_range(0..PEOPLE.len());
            let old = rng.random_bool(0.6).then(|| encoded(rng, a));
            let new = rng.random_bool(0.9).then(|| encoded(rng, a));
            let user_type = if PEOPLE[who].guest { "Guest" } else { "Member" };
            let target = Target {
                id: dir.user_ids[who].clone(),
                display_name: None,
                kind: "User",
                user_principal_name: Some(PEOPLE[who].upn),
                group_type: None,
                modified_properties: vec![
                    modified(attribute.clone(), old, new),
                    modified("Included Updated Properties", None, Some(js(&attribute))),
                    modified("TargetId.UserType", None, Some(js(user_type))),
                ],
            };
            ("Update attribute values assigned to a user", "Update", target)
        }
        0 | 1 => {
            let w = rng.random_range(0..SERVICE_PRINCIPALS.len());
            let old = rng.random_bool(0.5).then(|| encoded(rng, a));
            let new = Some(encoded(rng, a));
            let target = Target {
                id: dir.workloads[w][1].clone(),
                display_name: Some(SERVICE_PRINCIPALS[w].name.to_owned()),
                kind: "ServicePrincipal",
                user_principal_name: None,
                group_type: None,
                modified_properties: vec![
                    modified(attribute.clone(), old, new),
                    modified("Included Updated Properties", None, Some(js(&attribute))),
                ],
            };
            ("Update attribute values assigned to a servicePrincipal", "Update", target)
        }
        2 => {
            let props = vec![
                modified("AttributeSet", None, Some(js(set))),
                modified("Name", None, Some(js(name))),
                modified("Type", None, Some(js(kind))),
                modified("IsCollection", None, Some(js(&collection))),
                modified("UsePreDefinedValuesOnly", None, Some(js(&true))),
                modified("Status", None, Some(js("Available"))),
                modified("Included Updated Properties", None, Some(js(""))),
            ];
            ("Add custom security attribute definition in an attribute set", "Add", other(attribute, name, props))
        }
        3 => {
            let props = if rng.random_bool(0.5) {
                vec![modified("Status", Some(js("Available")), Some(js("Deprecated")))]
            } else {
                vec![modified("Description", Some(js("")), Some(js(&format!("{name} of the {set} team"))))]
            };
            ("Update custom security attribute definition in an attribute set", "Update", other(attribute, name, props))
        }
        4 => {
            let props = vec![
                modified("Description", None, Some(js(&format!("Attributes for {set}")))),
                modified("MaxAttributesPerSet", None, Some("25".to_owned())),
            ];
            ("Add an attribute set", "Add", other(set.to_owned(), set, props))
        }
        5 => {
            let props = vec![modified("MaxAttributesPerSet", Some("25".to_owned()), Some("50".to_owned()))];
            ("Update an attribute set", "Update", other(set.to_owned(), set, props))
        }
        _ => {
            let value = *pick(rng, values);
            let props = vec![modified("Id", None, Some(js(value))), modified("IsActive", None, Some(js(&true)))];
            ("Add a predefined value for a custom security attribute definition", "Add", other(attribute, name, props))
        }
    }
}

/// Who made the change: an attribute administrator, or an app that keeps
/// attributes in step with HR.
fn initiator(rng: &mut ChaCha20Rng, dir: &Directory, time: DateTime<Utc>) -> (Initiator, Option<&'static str>) {
    let token = TokenDetails {
        issued_at_date_time: format_ticks(time - TimeDelta::seconds(rng.random_range(30..3000))),
        unique_token_identifier: upper_alnum(rng, 22),
    };
    if rng.random_bool(0.2) {
        // Contoso HR Sync keeps HR attributes in step.
        let w = HR_SYNC;
        let app = AppIdentity {
            app_id: dir.workloads[w][0].clone(),
            display_name: SERVICE_PRINCIPALS[w].name,
            service_principal_id: dir.workloads[w][1].clone(),
            service_principal_name: SERVICE_PRINCIPALS[w].name,
        };
        let linkable = Linkable { device_id: None, session_id: None, token_details: token };
        let ua = SERVICE_PRINCIPALS[w].user_agent;
        return (Initiator { app: Some(app), user: None, linkable_identifiers: Some(linkable) }, Some(ua));
    }
    let admins: Vec<usize> = (0..PEOPLE.len()).filter(|&i| PEOPLE[i].admin).collect();
    let who = *pick(rng, &admins);
    let full = rng.random_bool(0.6);
    let user = UserIdentity {
        id: dir.user_ids[who].clone(),
        display_name: full.then_some(PEOPLE[who].name),
        user_principal_name: PEOPLE[who].upn,
        ip_address: format!(
            "{}.{}.{}.{}",
            pick(rng, &[20u8, 81, 131, 193]),
            rng.random::<u8>(),
            rng.random::<u8>(),
            rng.random_range(1..255u8)
        ),
        home_tenant_id: full.then(|| dir.tenant_id.clone()),
        home_tenant_name: full.then_some(TENANT_NAME),
    };
    let linkable = rng.random_bool(0.9).then(|| Linkable {
        device_id: dir.devices[who].as_ref().map(|(id, _)| id.clone()),
        session_id: Some(guid(rng)),
        token_details: token,
    });
    let ua = rng.random_bool(0.7).then_some(USER_AGENT);
    (Initiator { app: None, user: Some(user), linkable_identifiers: linkable }, ua)
}

/// Draws one custom security attribute audit at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let (activity, operation, target) = change(rng, dir);
    let (initiated_by, user_agent) = initiator(rng, dir, time);
    let correlation_id = guid(rng);
    let id = format!(
        "Directory_{correlation_id}_{}_{}",
        upper_alnum(rng, 5),
        rng.random_range(100_000_000..1_000_000_000u32)
    );
    let failed = rng.random_bool(0.04);
    let user_agent_detail = user_agent.unwrap_or(USER_AGENT);
    let record = Audit {
        id: id.clone(),
        category: "AttributeManagement",
        correlation_id,
        result: if failed { "failure" } else { "success" },
        result_reason: if failed { "The value is not one of the attribute's predefined values." } else { "" },
        activity_display_name: activity,
        activity_date_time: format_ticks(time),
        logged_by_service: "Core Directory",
        operation_type: operation,
        // Microsoft's example leaves it null and puts the agent in
        // additionalDetails; the sim does both now and then.
        user_agent: user_agent.filter(|_| rng.random_bool(0.7)),
        initiated_by,
        target_resources: vec![target],
        additional_details: if rng.random_bool(0.8) {
            vec![KeyValue { key: "User-Agent", value: user_agent_detail }]
        } else {
            vec![]
        },
    };
    let json = serde_json::to_string(&record).expect("a customSecurityAttributeAudit always serializes");
    Drawn { id, json, segment: 0 }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::Generator;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;

    fn sample(n: usize) -> Vec<(String, Value)> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::CustomSecurityAttributeAudits, None, n, from, to)
            .into_iter()
            .map(|r| {
                let v = serde_json::from_str(&r.json).unwrap();
                (r.json, v)
            })
            .collect()
    }

    #[test]
    fn has_the_examples_properties_in_its_order() {
        const PROPS: &[&str] = &[
            "id",
            "category",
            "correlationId",
            "result",
            "resultReason",
            "activityDisplayName",
            "activityDateTime",
            "loggedByService",
            "operationType",
            "userAgent",
            "initiatedBy",
            "targetResources",
            "additionalDetails",
        ];
        for (json, v) in sample(300) {
            let mut at = 0;
            for p in PROPS {
                let pos = json.find(&format!("\"{p}\":")).unwrap_or_else(|| panic!("{p} missing in {v}"));
                assert!(pos >= at, "{p} out of order");
                at = pos;
            }
            assert_eq!(v["category"], "AttributeManagement");
            assert_eq!(v["loggedByService"], "Core Directory");
            let by = &v["initiatedBy"];
            assert!(by["app"].is_null() != by["user"].is_null(), "{by}");
            let targets = v["targetResources"].as_array().unwrap();
            assert_eq!(targets.len(), 1);
            assert!(targets[0]["groupType"].is_null());
            assert!(!targets[0]["modifiedProperties"].as_array().unwrap().is_empty());
        }
    }

    #[test]
    fn attributes_are_written_by_people_or_the_hr_sync_app() {
        assert_eq!(super::SERVICE_PRINCIPALS[super::HR_SYNC].name, "Contoso HR Sync");
        for (_, v) in sample(300) {
            let app = &v["initiatedBy"]["app"];
            assert!(app.is_null() || app["displayName"] == "Contoso HR Sync", "{app}");
        }
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all = sample(1500);
        let any = |f: &dyn Fn(&str, &Value) -> bool| all.iter().any(|(j, v)| f(j, v));
        for activity in [
            "Update attribute values assigned to a user",
            "Update attribute values assigned to a servicePrincipal",
            "Add custom security attribute definition in an attribute set",
            "Update custom security attribute definition in an attribute set",
            "Add an attribute set",
            "Update an attribute set",
            "Add a predefined value for a custom security attribute definition",
        ] {
            assert!(any(&|_, v| v["activityDisplayName"] == activity), "{activity}");
        }
        assert!(any(&|j, _| j.contains(r#""displayName":"Engineering_Project","oldValue":"#)));
        assert!(any(&|j, _| j.contains(r#""newValue":"[\"Alpine\""#)), "collections are JSON arrays in a string");
        assert!(any(&|j, _| j.contains(r#""newValue":"\"Forschung & Entwicklung\"""#)));
        assert!(any(&|_, v| v["initiatedBy"]["user"]["homeTenantName"] == "Contoso"));
        assert!(
            any(&|_, v| v["initiatedBy"]["user"].is_object() && v["initiatedBy"]["user"]["homeTenantId"].is_null())
        );
        assert!(any(&|_, v| v["initiatedBy"]["linkableIdentifiers"].is_null()));
        assert!(any(&|_, v| v["initiatedBy"]["linkableIdentifiers"]["deviceId"].is_string()));
        assert!(any(&|_, v| v["result"] == "failure"));
        assert!(any(&|_, v| v["userAgent"].is_null()));
        assert!(any(&|_, v| v["additionalDetails"].as_array().unwrap().is_empty()));
    }
}
