//! The nested pieces of a `directoryAudit` — initiator, target resources,
//! modified properties, key/value details — and small constructors for them.
//!
//! Pure shapes plus helpers that draw only what a piece itself varies
//! (an initiator's IP, whether a group's key is spelled `Type`). Which pieces
//! an activity uses is decided in `activities`.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::super::vocab::{GROUPS, PEOPLE, TENANT_NAME};
use super::super::{Directory, pick};

#[derive(Serialize, Default)]
pub(super) struct Initiator<'a> {
    pub(super) app: Option<AppIdentity<'a>>,
    pub(super) user: Option<UserIdentity<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AppIdentity<'a> {
    pub(super) app_id: Option<&'a str>,
    pub(super) display_name: &'a str,
    pub(super) service_principal_id: &'a str,
    pub(super) service_principal_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserIdentity<'a> {
    pub(super) id: &'a str,
    pub(super) display_name: Option<&'a str>,
    pub(super) user_principal_name: Option<&'a str>,
    pub(super) ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) user_type: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) home_tenant_id: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) home_tenant_name: Option<Option<&'a str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    pub(super) id: String,
    pub(super) display_name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<&'static str>,
    /// Some records spell the key `Type` (see Microsoft's example 1).
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub(super) kind_capitalised: Option<&'static str>,
    pub(super) user_principal_name: Option<String>,
    pub(super) group_type: Option<&'static str>,
    pub(super) modified_properties: Vec<Modified>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Modified {
    pub(super) display_name: &'static str,
    pub(super) old_value: Option<String>,
    pub(super) new_value: Option<String>,
}

#[derive(Serialize)]
pub(super) struct KeyValue {
    pub(super) key: &'static str,
    pub(super) value: String,
}

/// JSON-encodes `v` into a string, as Graph does for modified values.
pub(super) fn js<T: Serialize + ?Sized>(v: &T) -> Option<String> {
    Some(serde_json::to_string(v).expect("plain values serialize"))
}

pub(super) fn modified(name: &'static str, old: Option<String>, new: Option<String>) -> Modified {
    Modified { display_name: name, old_value: old, new_value: new }
}

pub(super) fn target(id: &str, name: Option<&str>, kind: &'static str) -> Target {
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

pub(super) fn user_target(dir: &Directory, who: usize) -> Target {
    Target { user_principal_name: Some(PEOPLE[who].upn.to_owned()), ..target(&dir.user_ids[who], None, "User") }
}

pub(super) fn group_target(rng: &mut ChaCha20Rng, dir: &Directory, g: usize) -> Target {
    let (name, group_type) = GROUPS[g];
    let mut t = target(&dir.group_ids[g], Some(name), "Group");
    t.group_type = Some(group_type);
    if rng.random_bool(0.3) {
        t.kind_capitalised = t.kind.take();
    }
    t
}

pub(super) fn user_initiator<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory, who: usize) -> Initiator<'a> {
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
            // Entra names the actor only in the records that carry the
            // tenant details too.
            display_name: extras.then_some(PEOPLE[who].name),
            user_principal_name: Some(PEOPLE[who].upn),
            ip_address: ip,
            user_type: extras.then_some(Some("Member")),
            home_tenant_id: extras.then_some(Some(dir.tenant_id.as_str())),
            home_tenant_name: extras.then_some(Some(TENANT_NAME)),
        }),
    }
}

/// An app as initiator; Microsoft's first-party services with an app id
/// also carry their service principal's name.
pub(super) fn app_initiator<'a>(name: &'a str, app_id: Option<&'a str>, sp_id: &'a str) -> Initiator<'a> {
    Initiator {
        app: Some(AppIdentity {
            app_id,
            display_name: name,
            service_principal_id: sp_id,
            service_principal_name: app_id.map(|_| name),
        }),
        user: None,
    }
}

/// What one catalogue entry produced.
pub(super) struct Event<'a> {
    pub(super) category: &'static str,
    pub(super) service: &'static str,
    pub(super) name: &'static str,
    pub(super) op: &'static str,
    pub(super) initiated_by: Initiator<'a>,
    pub(super) targets: Vec<Target>,
    pub(super) details: Vec<KeyValue>,
    pub(super) ok_reason: &'static str,
    pub(super) fail_reason: &'static str,
}

pub(super) fn event<'a>(
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
