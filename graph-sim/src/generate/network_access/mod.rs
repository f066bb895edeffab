//! One beta `networkaccess.networkAccessTraffic` record: a connection that
//! Global Secure Access carried (Microsoft's
//! `networkaccess-logs-list-traffic.md` and the beta Prod metadata, whose
//! 45 properties the resource page lists only 29 of).
//!
//! Three traffic profiles: internet traffic (web categories, filtering
//! policies, Defender for Cloud Apps metadata for known SaaS apps, threat
//! intelligence blocks, and — where TLS inspection sees it — URL, method,
//! status and headers), Microsoft 365 traffic (tenant restrictions block
//! other tenants' resources), and private traffic through Private Network
//! connectors (`privateAccessDetails`). Most connections come from users'
//! devices running the client; some from branch offices (remote networks),
//! which name no user, device or process. The record's key is its
//! `transactionId` (there is no `id`); byte counts are Int64 numbers, and
//! large downloads exceed 32 bits. Enum values follow the metadata (`allow`,
//! `tcp`, `ipv4`), not the example's `allowed`, `TCP`, `IPv4`.

mod catalogue;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::vocab::{PEOPLE, RESOURCES};
use super::{Ctx, Directory, Drawn, guid, lower_hex, pick, weighted};
use crate::time::format_ticks;
pub use catalogue::GsaIds;
use catalogue::{
    BASELINE, CONNECTORS, M365_ENDPOINTS, PLATFORMS, POLICIES, PRIVATE_APPS, PROFILES, REGIONS, REMOTE_NETWORKS,
    SEGMENTS, SITES, Site, TENANT_RESTRICTIONS,
};

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Traffic {
    tenant_id: String,
    created_date_time: String,
    transaction_id: String,
    connection_id: String,
    session_id: String,
    traffic_type: &'static str,
    device_category: &'static str,
    destination_ip: String,
    destination_port: i32,
    #[serde(rename = "destinationFQDN")]
    destination_fqdn: Option<&'static str>,
    source_ip: String,
    source_port: i32,
    device_operating_system: Option<&'static str>,
    device_operating_system_version: Option<&'static str>,
    agent_version: Option<&'static str>,
    device_id: Option<String>,
    user_id: Option<String>,
    user_principal_name: Option<&'static str>,
    transport_protocol: &'static str,
    network_protocol: &'static str,
    action: &'static str,
    sent_bytes: i64,
    received_bytes: i64,
    headers: Option<Headers>,
    application_snapshot: Option<AppSnapshot>,
    cloud_application_metadata: Option<CloudAppMetadata>,
    description: Option<String>,
    destination_url: Option<String>,
    destination_web_category: Option<WebCategory>,
    filtering_profile_id: Option<String>,
    filtering_profile_name: Option<&'static str>,
    http_method: Option<&'static str>,
    initiating_process_name: Option<&'static str>,
    operation_status: &'static str,
    policy_id: Option<String>,
    policy_name: Option<&'static str>,
    policy_rule_id: Option<String>,
    policy_rule_name: Option<&'static str>,
    pop_processing_region: &'static str,
    private_access_details: Option<PrivateAccess>,
    remote_network_id: Option<String>,
    resource_tenant_id: Option<String>,
    response_code: Option<i32>,
    threat_type: Option<&'static str>,
    vendor_names: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Headers {
    origin: Option<String>,
    referrer: Option<String>,
    x_forwarded_for: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppSnapshot {
    app_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudAppMetadata {
    activity: &'static str,
    categories: &'static [&'static str],
    cloud_application_catalog_id: &'static str,
    compliance_score: i32,
    general_score: i32,
    legal_score: i32,
    login_user: Option<&'static str>,
    name: &'static str,
    risk_score: i32,
    security_score: i32,
    subactivity: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebCategory {
    display_name: &'static str,
    group: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrivateAccess {
    access_type: &'static str,
    app_segment_id: String,
    connection_status: &'static str,
    connector_id: String,
    connector_ip: &'static str,
    connector_name: &'static str,
    processing_region: &'static str,
    third_party_token_details: Option<TokenDetails>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenDetails {
    expiration_date_time: String,
    issued_at_date_time: String,
    unique_token_identifier: String,
    valid_from_date_time: String,
}

/// `n` characters of the set Global Secure Access connection ids use.
fn connection_chars(rng: &mut ChaCha20Rng, n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|_| SET[rng.random_range(0..SET.len())] as char).collect()
}

fn public_ip(rng: &mut ChaCha20Rng, firsts: &[u8]) -> String {
    format!("{}.{}.{}.{}", pick(rng, firsts), rng.random::<u8>(), rng.random::<u8>(), rng.random_range(1..255u8))
}

/// Sets the policy (and its rule) a connection matched.
fn matched(t: &mut Traffic, dir: &Directory, policy: usize) {
    let (name, rule, action) = POLICIES[policy];
    let [policy_id, rule_id] = &dir.gsa.policies[policy];
    t.policy_id = Some(policy_id.clone());
    t.policy_name = Some(name);
    t.policy_rule_id = Some(rule_id.clone());
    t.policy_rule_name = Some(rule);
    t.action = action;
}

/// Internet traffic to one of [`SITES`].
fn internet(rng: &mut ChaCha20Rng, dir: &Directory, t: &mut Traffic, upn: Option<&'static str>) {
    let table: Vec<(u32, usize)> = SITES.iter().enumerate().map(|(i, s)| (s.weight, i)).collect();
    let s: &Site = &SITES[*weighted(rng, &table)];
    t.traffic_type = "internet";
    t.destination_fqdn = Some(s.fqdn);
    t.destination_port = 443;
    if rng.random_bool(0.1) {
        t.network_protocol = "ipv6";
        t.destination_ip = format!("2606:4700::{:x}:{:x}", rng.random::<u16>(), rng.random::<u16>());
    } else {
        t.destination_ip = public_ip(rng, &[23, 104, 140, 151, 172]);
    }
    let (display, group, name) = s.category;
    t.destination_web_category = Some(WebCategory { display_name: display, group, name });
    let profile = if rng.random_bool(0.2) { 1 } else { 0 };
    t.filtering_profile_id = Some(dir.gsa.profiles[profile].clone());
    t.filtering_profile_name = Some(PROFILES[profile]);
    match s.blocked_by {
        Some(p) => matched(t, dir, p),
        None if rng.random_bool(0.6) => matched(t, dir, BASELINE),
        None => {}
    }
    if let Some(threat) = s.threat {
        t.threat_type = Some(threat);
        t.vendor_names = vec!["Microsoft Threat Intelligence"];
        t.description = Some(format!("{threat} destination blocked by threat intelligence."));
    } else if t.action == "block" {
        t.description = Some(format!("Web category {display} is blocked for the {} profile.", PROFILES[profile]));
    }
    let prompt = s.app.is_some_and(|a| a.0 == "ChatGPT") && rng.random_bool(0.5);
    let upload = s.app.is_some_and(|a| a.0 == "Dropbox") && rng.random_bool(0.3);
    // TLS inspection: what the HTTP request said.
    let inspected = rng.random_bool(0.7);
    if inspected {
        let url = format!("https://{}{}", s.fqdn, s.path);
        t.http_method =
            Some(if prompt || upload { "post" } else { *pick(rng, &["get", "get", "get", "head", "options"]) });
        t.response_code =
            Some(if t.action == "block" { 403 } else { *weighted(rng, &[(85, 200), (8, 304), (5, 302), (2, 404)]) });
        t.headers = Some(Headers {
            origin: rng.random_bool(0.5).then(|| format!("https://{}", s.fqdn)),
            referrer: rng.random_bool(0.6).then(|| url.clone()),
            x_forwarded_for: (t.device_category == "remoteNetwork").then(|| t.source_ip.clone()),
        });
        t.destination_url = Some(url);
    }
    if let Some((app, catalog, categories, [general, security, compliance, legal], risk)) = s.app {
        t.cloud_application_metadata = Some(CloudAppMetadata {
            activity: if prompt { "prompt" } else { "none" },
            categories,
            cloud_application_catalog_id: catalog,
            compliance_score: compliance,
            general_score: general,
            legal_score: legal,
            login_user: upn.filter(|_| inspected),
            name: app,
            risk_score: risk,
            security_score: security,
            subactivity: if prompt {
                Some("Send prompt")
            } else if upload {
                Some("Upload file")
            } else {
                None
            },
        });
    }
    if t.action == "block" {
        t.sent_bytes = rng.random_range(300..2_000);
        t.received_bytes = rng.random_range(0..1_500);
    } else if s.fqdn == "www.dropbox.com" && !upload && rng.random_bool(0.2) {
        // A large download: more than 32 bits of bytes.
        t.received_bytes = rng.random_range(4_500_000_000..9_000_000_000);
    }
}

/// Microsoft 365 traffic; another tenant's resources are blocked by tenant
/// restrictions.
fn microsoft365(rng: &mut ChaCha20Rng, dir: &Directory, t: &mut Traffic) {
    let table: Vec<(u32, usize)> = M365_ENDPOINTS.iter().enumerate().map(|(i, e)| (e.3, i)).collect();
    let (fqdn, resource, foreign, _) = M365_ENDPOINTS[*weighted(rng, &table)];
    t.traffic_type = "microsoft365";
    t.destination_fqdn = Some(fqdn);
    t.destination_port = 443;
    // Microsoft 365's published ranges (13.107.136.0/22, 52.96.0.0/14,
    // 52.112.0.0/14, 40.96.0.0/13).
    t.destination_ip = format!(
        "{}.{}.{}",
        pick(rng, &["13.107", "52.96", "52.112", "40.99"]),
        rng.random::<u8>() / 64 + 136,
        rng.random_range(1..255u8)
    );
    t.application_snapshot = Some(AppSnapshot { app_id: RESOURCES[resource].0.to_owned() });
    if foreign {
        t.resource_tenant_id = Some(dir.guest_tenant_id.clone());
        matched(t, dir, TENANT_RESTRICTIONS);
        t.description = Some("Access to another tenant's resources is blocked by tenant restrictions.".to_owned());
        t.sent_bytes = rng.random_range(500..3_000);
        t.received_bytes = rng.random_range(200..2_000);
    } else {
        t.resource_tenant_id = Some(dir.tenant_id.clone());
    }
}

/// Private traffic to a published app segment through a connector.
fn private(rng: &mut ChaCha20Rng, dir: &Directory, t: &mut Traffic, time: DateTime<Utc>) {
    let table: Vec<(u32, usize)> = SEGMENTS.iter().enumerate().map(|(i, s)| (s.6, i)).collect();
    let segment = *weighted(rng, &table);
    let (app, fqdn, ip, port, transport, process, _) = SEGMENTS[segment];
    let connector = rng.random_range(0..CONNECTORS.len());
    let (connector_name, connector_ip, region) = CONNECTORS[connector];
    let access = PRIVATE_APPS[app].1;
    let status = *weighted(rng, &[(20, "open"), (50, "active"), (30, "closed")]);
    t.traffic_type = "private";
    t.destination_fqdn = Some(fqdn);
    t.destination_ip = ip.to_owned();
    t.destination_port = port;
    t.transport_protocol = transport;
    t.initiating_process_name = t.initiating_process_name.map(|_| process);
    t.application_snapshot = Some(AppSnapshot { app_id: dir.gsa.apps[app].clone() });
    if status == "closed" && rng.random_bool(0.15) {
        t.operation_status = "failure";
        t.description = Some(format!("The connector could not reach {fqdn}:{port}."));
    }
    let token = (access == "appAccess").then(|| {
        let issued = time - TimeDelta::seconds(rng.random_range(60..3000));
        TokenDetails {
            expiration_date_time: format_ticks(issued + TimeDelta::hours(1)),
            issued_at_date_time: format_ticks(issued),
            unique_token_identifier: lower_hex(rng, 32),
            valid_from_date_time: format_ticks(issued - TimeDelta::minutes(5)),
        }
    });
    t.private_access_details = Some(PrivateAccess {
        access_type: access,
        app_segment_id: dir.gsa.segments[segment].clone(),
        connection_status: status,
        connector_id: dir.gsa.connectors[connector].clone(),
        connector_ip,
        connector_name,
        processing_region: region,
        third_party_token_details: token,
    });
}

/// Draws one traffic log entry at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let kind = *weighted(rng, &[(45, 0u8), (35, 1), (20, 2)]);
    let region = *pick(rng, REGIONS);
    let branch = kind != 2 && rng.random_bool(0.12);
    let transaction_id =
        format!("{}-{}0000000080000000{}", time.format("%Y%m%dT%H%M%SZ"), lower_hex(rng, 26), lower_hex(rng, 7));
    let mut t = Traffic {
        tenant_id: dir.tenant_id.clone(),
        created_date_time: format_ticks(time),
        transaction_id: transaction_id.clone(),
        connection_id: format!("{}.{}", connection_chars(rng, 16), rng.random_range(1..4u8)),
        session_id: if rng.random_bool(0.1) { String::new() } else { guid(rng) },
        device_category: if branch { "remoteNetwork" } else { "client" },
        source_port: rng.random_range(49_152..65_536),
        transport_protocol: "tcp",
        network_protocol: "ipv4",
        action: "allow",
        sent_bytes: rng.random_range(400..250_000),
        received_bytes: rng.random_range(1_000..8_000_000),
        operation_status: "success",
        pop_processing_region: region,
        ..Traffic::default()
    };
    let mut upn = None;
    if branch {
        let n = rng.random_range(0..REMOTE_NETWORKS.len());
        t.source_ip = format!("{}{}", REMOTE_NETWORKS[n].1, rng.random_range(2..30u8));
        t.remote_network_id = Some(dir.gsa.remote_networks[n].clone());
    } else {
        let who = rng.random_range(0..PEOPLE.len());
        let (os, version, agent) = *pick(rng, PLATFORMS);
        t.source_ip = public_ip(rng, &[31, 82, 86, 98, 176, 217]);
        t.device_operating_system = Some(os);
        t.device_operating_system_version = Some(version);
        t.agent_version = Some(agent);
        t.device_id = dir.devices[who].as_ref().map(|(id, _)| id.clone());
        t.user_id = Some(dir.user_ids[who].clone());
        t.user_principal_name = Some(PEOPLE[who].upn);
        t.initiating_process_name =
            Some(*pick(rng, &["msedge.exe", "chrome.exe", "ms-teams.exe", "OUTLOOK.EXE", "firefox.exe"]));
        upn = Some(PEOPLE[who].upn);
    }
    match kind {
        0 => internet(rng, dir, &mut t, upn),
        1 => microsoft365(rng, dir, &mut t),
        _ => private(rng, dir, &mut t, time),
    }
    if t.operation_status == "success" && t.action == "allow" && rng.random_bool(0.02) {
        t.operation_status = "failure";
        t.description = Some("The connection was reset by the destination.".to_owned());
    }
    let json = serde_json::to_string(&t).expect("a networkAccessTraffic always serializes");
    Drawn { id: transaction_id, json, segment: 0 }
}

#[cfg(test)]
mod tests;
