//! One v1.0 `directoryAudit` record (graph-api.md §6.3, §6.4, §6.7).
//!
//! Draws an activity from a small weighted catalogue (user, group, role,
//! application, policy, device and self-service events), then the initiator,
//! targets, modified properties and details that activity really carries.
//! Quirks from Microsoft's own examples are reproduced on purpose: ids that
//! are not GUIDs (`Directory_…`, `SSGM_…_MCDC4_…`), a capitalised `"Type"`
//! key, JSON-encoded strings in `oldValue`/`newValue`, null display names.

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::vocab::{self, DEPARTMENTS, GROUPS, PEOPLE, POLICIES, ROLES, TENANT_NAME};
use super::{Ctx, Directory, guid, pick, upper_alnum, weighted};
use crate::time::format_ticks;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryAudit<'a> {
    id: String,
    category: &'a str,
    correlation_id: String,
    result: &'a str,
    result_reason: &'a str,
    activity_display_name: &'a str,
    activity_date_time: String,
    logged_by_service: &'a str,
    operation_type: &'a str,
    initiated_by: Initiator<'a>,
    target_resources: Vec<Target>,
    additional_details: Vec<KeyValue>,
}

#[derive(Serialize, Default)]
struct Initiator<'a> {
    app: Option<AppIdentity<'a>>,
    user: Option<UserIdentity<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppIdentity<'a> {
    app_id: Option<&'a str>,
    display_name: &'a str,
    service_principal_id: &'a str,
    service_principal_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    id: &'a str,
    display_name: Option<&'a str>,
    user_principal_name: Option<&'a str>,
    ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_type: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_tenant_id: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_tenant_name: Option<Option<&'a str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    id: String,
    display_name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    /// Some records spell the key `Type` (see Microsoft's example 1).
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    kind_capitalised: Option<&'static str>,
    user_principal_name: Option<String>,
    group_type: Option<&'static str>,
    modified_properties: Vec<Modified>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Modified {
    display_name: &'static str,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(Serialize)]
struct KeyValue {
    key: &'static str,
    value: String,
}

/// JSON-encodes `v` into a string, as Graph does for modified values.
fn js<T: Serialize + ?Sized>(v: &T) -> Option<String> {
    Some(serde_json::to_string(v).expect("plain values serialize"))
}

fn modified(name: &'static str, old: Option<String>, new: Option<String>) -> Modified {
    Modified {
        display_name: name,
        old_value: old,
        new_value: new,
    }
}

fn target(id: &str, name: Option<&str>, kind: &'static str) -> Target {
    Target {
        id: id.to_owned(),
        display_name: name.map(str::to_owned),
        kind: Some(kind),
        kind_capitalised: None,
        user_principal_name: None,
        group_type: None,
        modified_properties: vec![],
    }
}

fn user_target(dir: &Directory, who: usize) -> Target {
    Target {
        user_principal_name: Some(PEOPLE[who].upn.to_owned()),
        ..target(&dir.user_ids[who], None, "User")
    }
}

fn group_target(rng: &mut ChaCha20Rng, dir: &Directory, g: usize) -> Target {
    let (name, group_type) = GROUPS[g];
    let mut t = target(&dir.group_ids[g], Some(name), "Group");
    t.group_type = Some(group_type);
    if rng.random_bool(0.3) {
        t.kind_capitalised = t.kind.take();
    }
    t
}

fn user_initiator<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory, who: usize) -> Initiator<'a> {
    let extras = rng.random_bool(0.4);
    let ip = match rng.random_range(0..4) {
        0 => None,
        _ => Some(format!(
            "{}.{}.{}.{}",
            pick(rng, &[20u8, 81, 131, 193]),
            rng.random::<u8>(),
            rng.random::<u8>(),
            rng.random_range(1..255u8)
        )),
    };
    Initiator {
        app: None,
        user: Some(UserIdentity {
            id: &dir.user_ids[who],
            display_name: None,
            user_principal_name: Some(PEOPLE[who].upn),
            ip_address: ip,
            user_type: extras.then_some(Some("Member")),
            home_tenant_id: extras.then_some(Some(dir.tenant_id.as_str())),
            home_tenant_name: extras.then_some(Some(TENANT_NAME)),
        }),
    }
}

fn app_initiator<'a>(name: &'a str, app_id: Option<&'a str>, sp_id: &'a str) -> Initiator<'a> {
    Initiator {
        app: Some(AppIdentity {
            app_id,
            display_name: name,
            service_principal_id: sp_id,
            service_principal_name: None,
        }),
        user: None,
    }
}

/// What one catalogue entry produced.
struct Event<'a> {
    category: &'static str,
    service: &'static str,
    name: &'static str,
    op: &'static str,
    initiated_by: Initiator<'a>,
    targets: Vec<Target>,
    details: Vec<KeyValue>,
    ok_reason: &'static str,
    fail_reason: &'static str,
}

fn event<'a>(
    category: &'static str,
    service: &'static str,
    name: &'static str,
    op: &'static str,
    initiated_by: Initiator<'a>,
    targets: Vec<Target>,
) -> Event<'a> {
    Event {
        category,
        service,
        name,
        op,
        initiated_by,
        targets,
        details: vec![],
        ok_reason: "",
        fail_reason: "Microsoft.Online.Workflows.ObjectNotFoundException",
    }
}

const ACTIVITIES: &[(u32, u8)] = &[
    (8, 0),
    (20, 1),
    (3, 2),
    (6, 3),
    (14, 4),
    (6, 5),
    (8, 6),
    (5, 7),
    (4, 8),
    (3, 9),
    (3, 10),
    (8, 11),
    (8, 12),
    (4, 13),
];

const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

fn draw<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory, time: DateTime<Utc>) -> Event<'a> {
    let admins: Vec<usize> = (0..PEOPLE.len()).filter(|&i| PEOPLE[i].admin).collect();
    let admin = *pick(rng, &admins);
    let who = rng.random_range(0..PEOPLE.len());
    let member_type = KeyValue {
        key: "UserType",
        value: if PEOPLE[who].guest { "Guest" } else { "Member" }.to_owned(),
    };
    match *weighted(rng, ACTIVITIES) {
        0 => {
            let mut t = user_target(dir, who);
            t.modified_properties = vec![
                modified("AccountEnabled", None, js(&[true])),
                modified("DisplayName", None, js(&[PEOPLE[who].name])),
                modified("UserPrincipalName", None, js(&[PEOPLE[who].upn])),
                modified(
                    "Included Updated Properties",
                    None,
                    js("AccountEnabled, DisplayName, UserPrincipalName"),
                ),
            ];
            let mut e = event(
                "UserManagement",
                "Core Directory",
                "Add user",
                "Add",
                user_initiator(rng, dir, admin),
                vec![t],
            );
            e.details.push(member_type);
            e.fail_reason = "Microsoft.Online.Workflows.ObjectAlreadyExistsException";
            e
        }
        1 => {
            let mut t = user_target(dir, who);
            t.modified_properties = match rng.random_range(0..3) {
                0 => {
                    let old = pick(rng, DEPARTMENTS);
                    let new = pick(rng, DEPARTMENTS);
                    vec![
                        modified("Department", js(&[old]), js(&[new])),
                        modified("Included Updated Properties", None, js("Department")),
                    ]
                }
                1 => vec![
                    modified("AccountEnabled", js(&[true]), js(&[false])),
                    modified("Included Updated Properties", None, js("AccountEnabled")),
                ],
                _ => vec![
                    modified(
                        "OtherMail",
                        js(&[format!("old.{}", PEOPLE[who].upn)]),
                        js(&[PEOPLE[who].upn]),
                    ),
                    modified("Included Updated Properties", None, js("OtherMail")),
                ],
            };
            let mut e = event(
                "UserManagement",
                "Core Directory",
                "Update user",
                "Update",
                user_initiator(rng, dir, admin),
                vec![t],
            );
            e.details.push(member_type);
            e
        }
        2 => {
            let mut t = user_target(dir, who);
            let prefix: String = guid(rng).replace('-', "");
            t.user_principal_name = Some(format!("{prefix}{}", PEOPLE[who].upn));
            event(
                "UserManagement",
                "Core Directory",
                "Delete user",
                "Delete",
                user_initiator(rng, dir, admin),
                vec![t],
            )
        }
        3 => {
            let mut e = event(
                "UserManagement",
                "Self-service Password Management",
                "Reset password (self-service)",
                "Update",
                user_initiator(rng, dir, who),
                vec![user_target(dir, who)],
            );
            e.ok_reason = "Successfully completed reset.";
            e.fail_reason = "User's account is locked";
            e
        }
        n @ (4 | 5) => {
            let g = rng.random_range(0..GROUPS.len());
            let mut group = group_target(rng, dir, g);
            group.modified_properties = vec![
                modified("Group.ObjectID", None, js(&dir.group_ids[g])),
                modified("Group.DisplayName", None, js(GROUPS[g].0)),
            ];
            let (name, op) = if n == 4 {
                ("Add member to group", "Assign")
            } else {
                ("Remove member from group", "Unassign")
            };
            event(
                "GroupManagement",
                "Core Directory",
                name,
                op,
                user_initiator(rng, dir, admin),
                vec![user_target(dir, who), group],
            )
        }
        6 => {
            let mut initiated_by = user_initiator(rng, dir, who);
            if let Some(u) = initiated_by.user.as_mut() {
                (u.id, u.user_principal_name, u.ip_address) =
                    (ZERO_GUID, None, Some("10.0.0.0".to_owned()));
                (u.user_type, u.home_tenant_id, u.home_tenant_name) =
                    (Some(None), Some(None), Some(None));
            }
            let mut e = event(
                "GroupManagement",
                "Self-service Group Management",
                "GroupLifecyclePolicies_Get",
                "Update",
                initiated_by,
                vec![target(ZERO_GUID, None, "N/A")],
            );
            e.ok_reason = "OK";
            e
        }
        7 => {
            let app = pick(rng, &dir.app_sp_ids[..3]);
            let key_id = guid(rng);
            let mut t = target(app, Some("entra-archive"), "Application");
            t.modified_properties = vec![
                modified(
                    "KeyDescription",
                    js(&[] as &[&str]),
                    js(&[format!(
                        "[KeyIdentifier={key_id},KeyType=Password,KeyUsage=Verify,DisplayName=exporter {}]",
                        time.format("%Y-%m")
                    )]),
                ),
                modified("Included Updated Properties", None, js("KeyDescription")),
            ];
            event(
                "ApplicationManagement",
                "Core Directory",
                "Update application – Certificates and secrets management ",
                "Update",
                user_initiator(rng, dir, admin),
                vec![t],
            )
        }
        8 => {
            let idx = rng.random_range(0..vocab::APPS.len());
            let mut t = target(
                &dir.app_sp_ids[idx],
                Some(vocab::APPS[idx].name),
                "ServicePrincipal",
            );
            t.modified_properties = vec![
                modified("ConsentContext.IsAdminConsent", None, js("True")),
                modified(
                    "ConsentAction.Permissions",
                    None,
                    js(&format!(
                        "[] => [[Id: {}, ClientId: {}, PrincipalId: , ResourceId: , ConsentType: AllPrincipals, Scope:  AuditLog.Read.All Directory.Read.All, ]];",
                        guid(rng),
                        dir.app_sp_ids[idx]
                    )),
                ),
            ];
            let mut e = event(
                "ApplicationManagement",
                "Core Directory",
                "Consent to application",
                "Assign",
                user_initiator(rng, dir, admin),
                vec![t],
            );
            e.details.push(KeyValue {
                key: "User-Agent",
                value: vocab::USER_AGENT.to_owned(),
            });
            e
        }
        9 => {
            let (role, template) = *pick(rng, ROLES);
            let mut r = target(&guid(rng), Some(role), "Role");
            r.modified_properties = vec![
                modified("Role.DisplayName", None, js(role)),
                modified("Role.TemplateId", None, js(template)),
                modified("Role.WellKnownObjectName", None, js(&role.replace(' ', ""))),
            ];
            event(
                "RoleManagement",
                "Core Directory",
                "Add member to role",
                "Assign",
                user_initiator(rng, dir, admin),
                vec![r, user_target(dir, who)],
            )
        }
        10 => {
            let idx = rng.random_range(0..POLICIES.len());
            let policy = |state: &str| {
                js(&format!(
                    "{{\"id\":\"{}\",\"displayName\":\"{}\",\"state\":\"{state}\",\"conditions\":{{\"clientAppTypes\":[\"all\"]}}}}",
                    dir.policy_ids[idx], POLICIES[idx].0
                ))
            };
            let mut t = target(&dir.policy_ids[idx], Some(POLICIES[idx].0), "Policy");
            t.modified_properties = vec![modified(
                "ConditionalAccessPolicy",
                policy("enabledForReportingButNotEnforced"),
                policy("enabled"),
            )];
            event(
                "Policy",
                "Conditional Access",
                "Update conditional access policy",
                "Update",
                user_initiator(rng, dir, admin),
                vec![t],
            )
        }
        11 => {
            let device = match &dir.devices[who] {
                Some((id, name)) => target(id, Some(name), "Device"),
                None => target(&guid(rng), Some("DESKTOP-UNKNOWN"), "Device"),
            };
            let mut e = event(
                "Device",
                "Core Directory",
                "Add device",
                "Add",
                app_initiator(
                    "Device Registration Service",
                    Some("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9"),
                    &dir.app_sp_ids[11],
                ),
                vec![device],
            );
            e.details.push(KeyValue {
                key: "AdditionalInfo",
                value: "MS-PKCS10 Certificate Signing Request".to_owned(),
            });
            e
        }
        12 => {
            let mut e = event(
                "UserManagement",
                "Authentication Methods",
                "User registered security info",
                "Add",
                user_initiator(rng, dir, who),
                vec![user_target(dir, who)],
            );
            e.ok_reason = *pick(
                rng,
                &[
                    "User registered Authenticator App with Notification and Code",
                    "User registered Mobile Phone SMS",
                    "User registered FIDO2 security key",
                ],
            );
            e.fail_reason = "User canceled registration";
            e
        }
        _ => {
            let g = rng.random_range(0..GROUPS.len());
            let mut group = group_target(rng, dir, g);
            group.modified_properties = vec![modified(
                "Description",
                js(&[""]),
                js(&[format!("{} – team site", GROUPS[g].0)]),
            )];
            event(
                "GroupManagement",
                "Core Directory",
                "Update group",
                "Update",
                app_initiator("Microsoft Substrate Management", None, &dir.app_sp_ids[1]),
                vec![group],
            )
        }
    }
}

/// Draws one directory audit at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> (String, String) {
    let rng = &mut *ctx.rng;
    let e = draw(rng, ctx.dir, time);
    let correlation_id = guid(rng);
    let id = if e.service == "Self-service Group Management" {
        format!(
            "SSGM_{correlation_id}_MCDC4_{}",
            rng.random_range(10_000_000..100_000_000u32)
        )
    } else {
        format!(
            "Directory_{correlation_id}_{}_{}",
            upper_alnum(rng, 5),
            rng.random_range(100_000_000..1_000_000_000u32)
        )
    };
    let failed = rng.random_bool(0.05);
    let record = DirectoryAudit {
        id: id.clone(),
        category: e.category,
        correlation_id,
        result: if failed { "failure" } else { "success" },
        result_reason: if failed { e.fail_reason } else { e.ok_reason },
        activity_display_name: e.name,
        activity_date_time: format_ticks(time),
        logged_by_service: e.service,
        operation_type: e.op,
        initiated_by: e.initiated_by,
        target_resources: e.targets,
        additional_details: e.details,
    };
    let json = serde_json::to_string(&record).expect("a directoryAudit always serializes");
    (id, json)
}

#[cfg(test)]
mod tests {
    use super::super::Generator;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;
    use serde_json::Value;

    fn sample(n: usize) -> Vec<(String, Value)> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::DirectoryAudits, n, from, to)
            .into_iter()
            .map(|r| {
                let v = serde_json::from_str(&r.json).unwrap();
                (r.json, v)
            })
            .collect()
    }

    #[test]
    fn has_every_documented_property() {
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
            "initiatedBy",
            "targetResources",
            "additionalDetails",
        ];
        for (_, v) in sample(100) {
            for p in PROPS {
                assert!(v.get(p).is_some(), "{p} missing in {v}");
            }
            let n = v["targetResources"].as_array().unwrap().len();
            assert!((1..=3).contains(&n));
            let by = &v["initiatedBy"];
            assert!(by["app"].is_null() != by["user"].is_null(), "{by}");
        }
    }

    #[test]
    fn reproduces_microsofts_quirks() {
        let all = sample(1500);
        let any = |f: &dyn Fn(&str, &Value) -> bool| all.iter().any(|(j, v)| f(j, v));
        assert!(any(&|_, v| v["id"].as_str().unwrap().starts_with("SSGM_")
            && v["id"].as_str().unwrap().contains("_MCDC4_")));
        assert!(any(&|_, v| v["id"]
            .as_str()
            .unwrap()
            .starts_with("Directory_")));
        assert!(any(&|j, _| j.contains("\"Type\":\"Group\"")));
        assert!(any(&|j, _| j.contains("\"type\":\"Group\"")));
        assert!(any(
            &|j, _| j.contains(r#""newValue":"[\"adelev@contoso.com\"]""#)
        ));
        assert!(any(&|j, _| j.contains("\"oldValue\":null")));
        assert!(any(&|j, _| j.contains("\"homeTenantName\":\"Contoso\"")));
        assert!(any(&|j, _| j.contains("\"groupType\":\"unifiedGroups\"")));
        assert!(any(&|_, v| v["result"] == "failure"));
        assert!(any(&|_, v| !v["initiatedBy"]["app"].is_null()));
        assert!(any(&|_, v| !v["additionalDetails"]
            .as_array()
            .unwrap()
            .is_empty()));
    }
}
