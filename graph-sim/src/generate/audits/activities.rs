//! The catalogue of audited activities, as a weighted table of functions.
//!
//! Each entry builds one [`Event`]: category, service, activity name,
//! operation type, initiator, targets and details, as Entra records that
//! activity (user, group, role, application, policy, device and self-service
//! events). Adding an activity means adding a function and a table row.

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::vocab::{self, DEPARTMENTS, GROUPS, PEOPLE, POLICIES, ROLES};
use super::super::{Directory, guid, pick, weighted};
use super::parts::{
    Event, KeyValue, app_initiator, event, group_target, js, modified, target, user_initiator, user_target,
};

const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// What every activity may draw on.
pub(super) struct Draw<'a, 'r> {
    rng: &'r mut ChaCha20Rng,
    dir: &'a Directory,
    time: DateTime<Utc>,
    /// A random person: the subject, or the actor of self-service events.
    who: usize,
    /// A random administrator: the actor of admin events.
    admin: usize,
}

type Activity = for<'a, 'r> fn(&mut Draw<'a, 'r>) -> Event<'a>;

/// The catalogue, with relative weights.
const ACTIVITIES: &[(u32, Activity)] = &[
    (8, add_user),
    (20, update_user),
    (3, delete_user),
    (6, self_service_password_reset),
    (14, add_member_to_group),
    (6, remove_member_from_group),
    (8, group_lifecycle_get),
    (5, update_application_secrets),
    (4, consent_to_application),
    (3, add_member_to_role),
    (3, update_conditional_access_policy),
    (8, add_device),
    (8, register_security_info),
    (4, update_group_by_app),
];

/// Draws one activity.
pub(super) fn draw<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory, time: DateTime<Utc>) -> Event<'a> {
    let admins: Vec<usize> = (0..PEOPLE.len()).filter(|&i| PEOPLE[i].admin).collect();
    let admin = *pick(rng, &admins);
    let who = rng.random_range(0..PEOPLE.len());
    let activity = *weighted(rng, ACTIVITIES);
    activity(&mut Draw { rng, dir, time, who, admin })
}

fn user_type(who: usize) -> KeyValue {
    let value = if PEOPLE[who].guest { "Guest" } else { "Member" };
    KeyValue { key: "UserType", value: value.to_owned() }
}

fn add_user<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let mut t = user_target(d.dir, d.who);
    t.modified_properties = vec![
        modified("AccountEnabled", None, js(&[true])),
        modified("DisplayName", None, js(&[PEOPLE[d.who].name])),
        modified("UserPrincipalName", None, js(&[PEOPLE[d.who].upn])),
        modified("Included Updated Properties", None, js("AccountEnabled, DisplayName, UserPrincipalName")),
    ];
    let by = user_initiator(d.rng, d.dir, d.admin);
    let mut e = event("UserManagement", "Core Directory", "Add user", "Add", by, vec![t]);
    e.details.push(user_type(d.who));
    e.fail_reason = "Microsoft.Online.Workflows.ObjectAlreadyExistsException";
    e
}

fn update_user<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let mut t = user_target(d.dir, d.who);
    let upn = PEOPLE[d.who].upn;
    t.modified_properties = match d.rng.random_range(0..3) {
        0 => {
            let old = pick(d.rng, DEPARTMENTS);
            let new = pick(d.rng, DEPARTMENTS);
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
            modified("OtherMail", js(&[format!("old.{upn}")]), js(&[upn])),
            modified("Included Updated Properties", None, js("OtherMail")),
        ],
    };
    let by = user_initiator(d.rng, d.dir, d.admin);
    let mut e = event("UserManagement", "Core Directory", "Update user", "Update", by, vec![t]);
    e.details.push(user_type(d.who));
    e
}

fn delete_user<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    // Deleted users' UPNs gain their object id (without dashes) as a prefix.
    let mut t = user_target(d.dir, d.who);
    let prefix = d.dir.user_ids[d.who].replace('-', "");
    t.user_principal_name = Some(format!("{prefix}{}", PEOPLE[d.who].upn));
    let by = user_initiator(d.rng, d.dir, d.admin);
    event("UserManagement", "Core Directory", "Delete user", "Delete", by, vec![t])
}

fn self_service_password_reset<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let by = user_initiator(d.rng, d.dir, d.who);
    let mut e = event(
        "UserManagement",
        "Self-service Password Management",
        "Reset password (self-service)",
        "Update",
        by,
        vec![user_target(d.dir, d.who)],
    );
    e.ok_reason = "Successfully completed reset.";
    e.fail_reason = "User's account is locked";
    e
}

fn group_membership<'a>(d: &mut Draw<'a, '_>, name: &'static str, op: &'static str) -> Event<'a> {
    let g = d.rng.random_range(0..GROUPS.len());
    let mut group = group_target(d.rng, d.dir, g);
    group.modified_properties = vec![
        modified("Group.ObjectID", None, js(&d.dir.group_ids[g])),
        modified("Group.DisplayName", None, js(GROUPS[g].0)),
    ];
    let by = user_initiator(d.rng, d.dir, d.admin);
    let targets = vec![user_target(d.dir, d.who), group];
    event("GroupManagement", "Core Directory", name, op, by, targets)
}

fn add_member_to_group<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    group_membership(d, "Add member to group", "Assign")
}

fn remove_member_from_group<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    group_membership(d, "Remove member from group", "Unassign")
}

/// Microsoft's documented example 2, nearly verbatim: a zero-GUID initiator
/// with null extras, an `N/A` target, `SSGM_` id and `OK` reason.
fn group_lifecycle_get<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let mut by = user_initiator(d.rng, d.dir, d.who);
    if let Some(u) = by.user.as_mut() {
        (u.id, u.display_name, u.user_principal_name) = (ZERO_GUID, None, None);
        u.ip_address = Some("10.0.0.0".to_owned());
        (u.user_type, u.home_tenant_id, u.home_tenant_name) = (Some(None), Some(None), Some(None));
    }
    let mut e = event(
        "GroupManagement",
        "Self-service Group Management",
        "GroupLifecyclePolicies_Get",
        "Update",
        by,
        vec![target(ZERO_GUID, None, "N/A")],
    );
    e.ok_reason = "OK";
    e
}

fn update_application_secrets<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let app = pick(d.rng, &d.dir.app_sp_ids[..3]);
    let key = format!(
        "[KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName=exporter {}]",
        guid(d.rng),
        d.time.format("%Y-%m")
    );
    let mut t = target(app, Some("entra-archive"), "Application");
    t.modified_properties = vec![
        modified("KeyDescription", js(&[] as &[&str]), js(&[key])),
        modified("Included Updated Properties", None, js("KeyDescription")),
    ];
    let by = user_initiator(d.rng, d.dir, d.admin);
    // The trailing space is in Entra's own activity name.
    let name = "Update application – Certificates and secrets management ";
    event("ApplicationManagement", "Core Directory", name, "Update", by, vec![t])
}

fn consent_to_application<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let idx = d.rng.random_range(0..vocab::APPS.len());
    let sp = &d.dir.app_sp_ids[idx];
    let mut t = target(sp, Some(vocab::APPS[idx].name), "ServicePrincipal");
    let permissions = format!(
        "[] => [[Id: {}, ClientId: {sp}, PrincipalId: , ResourceId: , ConsentType: AllPrincipals, \
         Scope:  AuditLog.Read.All Directory.Read.All, ]];",
        guid(d.rng)
    );
    t.modified_properties = vec![
        modified("ConsentContext.IsAdminConsent", None, js("True")),
        modified("ConsentAction.Permissions", None, js(&permissions)),
    ];
    let by = user_initiator(d.rng, d.dir, d.admin);
    let name = "Consent to application";
    let mut e = event("ApplicationManagement", "Core Directory", name, "Assign", by, vec![t]);
    e.details.push(KeyValue { key: "User-Agent", value: vocab::USER_AGENT.to_owned() });
    e
}

fn add_member_to_role<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let (role, template) = *pick(d.rng, ROLES);
    let mut r = target(&guid(d.rng), Some(role), "Role");
    r.modified_properties = vec![
        modified("Role.DisplayName", None, js(role)),
        modified("Role.TemplateId", None, js(template)),
        modified("Role.WellKnownObjectName", None, js(&role.replace(' ', ""))),
    ];
    let by = user_initiator(d.rng, d.dir, d.admin);
    let targets = vec![r, user_target(d.dir, d.who)];
    event("RoleManagement", "Core Directory", "Add member to role", "Assign", by, targets)
}

/// Old and new values are whole policies, JSON inside a JSON string.
fn update_conditional_access_policy<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let idx = d.rng.random_range(0..POLICIES.len());
    let (id, name) = (&d.dir.policy_ids[idx], POLICIES[idx].0);
    let policy = |state: &str| {
        js(&format!(
            "{{\"id\":\"{id}\",\"displayName\":\"{name}\",\"state\":\"{state}\",\
             \"conditions\":{{\"clientAppTypes\":[\"all\"]}}}}"
        ))
    };
    let mut t = target(id, Some(name), "Policy");
    t.modified_properties =
        vec![modified("ConditionalAccessPolicy", policy("enabledForReportingButNotEnforced"), policy("enabled"))];
    let by = user_initiator(d.rng, d.dir, d.admin);
    let activity = "Update conditional access policy";
    event("Policy", "Conditional Access", activity, "Update", by, vec![t])
}

fn add_device<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let device = match &d.dir.devices[d.who] {
        Some((id, name)) => target(id, Some(name), "Device"),
        None => target(&guid(d.rng), Some("DESKTOP-UNKNOWN"), "Device"),
    };
    let by = app_initiator(
        "Device Registration Service",
        Some("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9"),
        &d.dir.device_registration_sp_id,
    );
    let mut e = event("Device", "Core Directory", "Add device", "Add", by, vec![device]);
    e.details.push(KeyValue { key: "AdditionalInfo", value: "MS-PKCS10 Certificate Signing Request".to_owned() });
    e
}

fn register_security_info<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let by = user_initiator(d.rng, d.dir, d.who);
    let mut e = event(
        "UserManagement",
        "Authentication Methods",
        "User registered security info",
        "Add",
        by,
        vec![user_target(d.dir, d.who)],
    );
    e.ok_reason = *pick(
        d.rng,
        &[
            "User registered Authenticator App with Notification and Code",
            "User registered Mobile Phone SMS",
            "User registered FIDO2 security key",
        ],
    );
    e.fail_reason = "User canceled registration";
    e
}

/// An app-initiated change with a null `appId`, as Microsoft's services log.
fn update_group_by_app<'a>(d: &mut Draw<'a, '_>) -> Event<'a> {
    let g = d.rng.random_range(0..GROUPS.len());
    let mut group = group_target(d.rng, d.dir, g);
    let description = format!("{} – team site", GROUPS[g].0);
    group.modified_properties = vec![modified("Description", js(&[""]), js(&[description]))];
    let by = app_initiator("Microsoft Substrate Management", None, &d.dir.substrate_sp_id);
    event("GroupManagement", "Core Directory", "Update group", "Update", by, vec![group])
}
