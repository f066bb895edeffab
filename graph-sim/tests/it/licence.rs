//! Licence, tenant-kind and permission switches on every dataset: which
//! answer 403 and with which code and message, permission checked before
//! licence, the optional permissions granted by config or at run time, and
//! the `roles` tokens carry.

use std::io::ErrorKind;

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_sim::{Dataset, GraphSim, SimConfig};
use reqwest::StatusCode;

const NON_PREMIUM: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";
const DENIED: &str = "Authorization_RequestDenied";
const CSA: &str = "CustomSecAttributeAuditLogs.Read.All";
const GSA: &str = "NetworkAccess-Reports.Read.All";

fn small(config: SimConfig) -> SimConfig {
    SimConfig {
        signins: 30,
        directory_audits: 30,
        signins_noninteractive: 30,
        signins_service_principal: 10,
        signins_managed_identity: 10,
        provisioning: 30,
        risk_detections: 30,
        service_principal_risk_detections: 30,
        custom_security_attribute_audits: 30,
        signups: 30,
        network_access_traffic: 30,
        ..config
    }
}

/// A tenant where every dataset answers (see [`open_config`]).
async fn start_small() -> GraphSim {
    GraphSim::start(small(open_config())).await.unwrap()
}

type Status = (Dataset, StatusCode, Option<String>, Option<String>);

async fn statuses(sim: &GraphSim, tok: &str) -> Vec<Status> {
    let mut out = Vec::new();
    for &ds in Dataset::all() {
        let r = get(sim, &format!("{}?$top=1", ds.path()), Some(tok)).await;
        let (code, message) =
            if r.status == StatusCode::OK { (None, None) } else { (Some(r.error_code()), Some(r.error_message())) };
        out.push((ds, r.status, code, message));
    }
    out
}

fn roles(token: &str) -> serde_json::Value {
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    claims["roles"].clone()
}

#[tokio::test]
async fn unlicensed_tenants_lose_the_premium_datasets_only() {
    let sim = start_small().await;
    let tok = token(&sim).await;
    assert!(statuses(&sim, &tok).await.iter().all(|(_, s, _, _)| *s == StatusCode::OK));
    sim.set_switches(|s| s.unlicensed = true);
    for (ds, status, code, message) in statuses(&sim, &tok).await {
        let premium = matches!(ds, Dataset::SignIns | Dataset::SignInsBeta | Dataset::RiskDetections);
        assert_eq!(ds.requires_premium(), premium, "{ds}");
        if premium {
            assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
            assert_eq!(code.as_deref(), Some(NON_PREMIUM));
            assert_eq!(message.as_deref(), Some("Neither tenant is B2C or tenant doesn't have premium license"));
        } else {
            assert_eq!(status, StatusCode::OK, "{ds}: Workload ID, External ID and GSA are other licences");
        }
    }
}

#[tokio::test]
async fn the_default_tenant_closes_the_optional_logs_each_with_its_own_answer() {
    let sim = GraphSim::start(small(config())).await.unwrap();
    let tok = token(&sim).await;
    for (ds, status, code, message) in statuses(&sim, &tok).await {
        let (code, message) = (code.as_deref(), message.as_deref());
        match ds {
            Dataset::CustomSecurityAttributeAudits | Dataset::NetworkAccessTraffic => {
                let permission = ds.permission();
                assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
                assert_eq!(code, Some(DENIED), "{ds}");
                assert_eq!(
                    message.unwrap(),
                    format!(
                        "Insufficient privileges to complete the operation. The application requires the {permission} permission."
                    )
                );
            }
            Dataset::SignUps => {
                assert_eq!(status, StatusCode::FORBIDDEN);
                assert_eq!(code, Some("Authentication_RequestFromUnsupportedTenantType"));
                assert_eq!(message, Some("Sign-up logs are only available in external (customer) tenants."));
            }
            _ => assert_eq!(status, StatusCode::OK, "{ds}: Workload ID Premium is on by default"),
        }
    }
    // The optional permissions are not roles of the default app.
    assert_eq!(
        roles(&tok),
        serde_json::json!(["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All"])
    );
}

#[tokio::test]
async fn each_licence_switch_closes_its_dataset_with_403() {
    let cases = [
        (
            SimConfig { workload_id_premium: false, ..open_config() },
            Dataset::ServicePrincipalRiskDetections,
            NON_PREMIUM,
            "Neither tenant is B2C or tenant doesn't have Workload Identities Premium license",
        ),
        (
            SimConfig { external_id_tenant: false, ..open_config() },
            Dataset::SignUps,
            "Authentication_RequestFromUnsupportedTenantType",
            "Sign-up logs are only available in external (customer) tenants.",
        ),
        (
            SimConfig { global_secure_access: false, ..open_config() },
            Dataset::NetworkAccessTraffic,
            NON_PREMIUM,
            "Neither tenant is B2C or tenant doesn't have a Global Secure Access (Microsoft Entra Internet Access or Private Access) license",
        ),
    ];
    for (config, closed, code, message) in cases {
        let sim = GraphSim::start(small(config)).await.unwrap();
        let tok = token(&sim).await;
        for (ds, status, got_code, got_message) in statuses(&sim, &tok).await {
            if ds != closed {
                assert_eq!(status, StatusCode::OK, "{ds} stays open while {closed} is closed");
                continue;
            }
            assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
            assert_eq!(got_code.as_deref(), Some(code), "{ds}");
            assert_eq!(got_message.as_deref(), Some(message), "{ds}");
        }
    }
}

#[tokio::test]
async fn optional_permissions_are_granted_by_config_or_at_run_time() {
    // By config: one of the two.
    let sim = GraphSim::start(small(SimConfig {
        extra_permissions: vec![CSA.to_lowercase()],
        global_secure_access: true,
        ..config()
    }))
    .await
    .unwrap();
    let tok = token(&sim).await;
    assert_eq!(
        roles(&tok),
        serde_json::json!(["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All", CSA])
    );
    let audits = format!("{}?$top=1", Dataset::CustomSecurityAttributeAudits.path());
    let traffic = format!("{}?$top=1", Dataset::NetworkAccessTraffic.path());
    assert_eq!(get(&sim, &audits, Some(&tok)).await.status, StatusCode::OK);
    let r = get(&sim, &traffic, Some(&tok)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, DENIED.to_owned()));
    assert!(r.error_message().contains(GSA), "{}", r.body);

    // At run time: served at once, a role of tokens issued afterwards.
    sim.grant_permission("networkaccess-reports.read.all");
    assert_eq!(get(&sim, &traffic, Some(&tok)).await.status, StatusCode::OK);
    assert!(sim.granted_permissions().contains(&GSA));
    assert_eq!(roles(&token(&sim).await).as_array().unwrap().last().unwrap(), GSA);

    // Revoking wins over granting.
    sim.set_switches(|s| s.revoked_permissions = vec![CSA.into()]);
    let r = get(&sim, &audits, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!sim.granted_permissions().contains(&CSA));
}

#[tokio::test]
async fn a_permission_the_sim_does_not_model_is_refused_at_start() {
    let config = SimConfig { extra_permissions: vec!["User.Read.All".into()], ..config() };
    let e = GraphSim::start(config).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("User.Read.All"), "{e}");
}

#[tokio::test]
async fn a_revoked_permission_closes_the_datasets_that_need_it() {
    let sim = start_small().await;
    let tok = token(&sim).await;

    sim.set_switches(|s| s.revoked_permissions = vec!["AuditLog.Read.All".into()]);
    for (ds, status, code, message) in statuses(&sim, &tok).await {
        if ds.permission() != "AuditLog.Read.All" {
            assert_eq!(status, StatusCode::OK, "{ds}");
            continue;
        }
        assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
        assert_eq!(code.as_deref(), Some("Authentication_MSGraphPermissionMissing"));
        assert_eq!(
            message.as_deref(),
            Some("Calling principal does not have required MSGraph permissions AuditLog.Read.All")
        );
    }

    sim.set_switches(|s| s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".into()]);
    for (ds, status, code, message) in statuses(&sim, &tok).await {
        if ds.permission() != "IdentityRiskEvent.Read.All" {
            assert_eq!(status, StatusCode::OK, "{ds}");
            continue;
        }
        assert!(matches!(ds, Dataset::RiskDetections | Dataset::ServicePrincipalRiskDetections), "{ds}");
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(code.as_deref(), Some(DENIED));
        let message = message.unwrap();
        assert_eq!(message, "Insufficient privileges to complete the operation.");
        assert!(!message.contains("IdentityRiskEvent"), "Graph does not name the permission here");
    }

    // Directory.Read.All only shapes the token.
    sim.set_switches(|s| s.revoked_permissions = vec!["Directory.Read.All".into()]);
    assert!(statuses(&sim, &tok).await.iter().all(|(_, s, _, _)| *s == StatusCode::OK));
    assert_eq!(
        roles(&token(&sim).await),
        serde_json::json!(["AuditLog.Read.All", "IdentityRiskEvent.Read.All", CSA, GSA])
    );
}

#[tokio::test]
async fn permission_is_checked_before_licence() {
    let sim = GraphSim::start(small(SimConfig {
        workload_id_premium: false,
        external_id_tenant: false,
        global_secure_access: false,
        ..open_config()
    }))
    .await
    .unwrap();
    let tok = token(&sim).await;
    sim.set_switches(|s| {
        s.unlicensed = true;
        s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".into(), CSA.into(), GSA.into()];
        s.missing_permission = true;
    });
    for (ds, status, code, _) in statuses(&sim, &tok).await {
        assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
        let want =
            if ds.permission() == "AuditLog.Read.All" { "Authentication_MSGraphPermissionMissing" } else { DENIED };
        assert_eq!(code.as_deref(), Some(want), "{ds}");
    }
    sim.set_switches(|s| {
        s.revoked_permissions.clear();
        s.missing_permission = false;
    });
    for (ds, status, code, _) in statuses(&sim, &tok).await {
        if matches!(ds, Dataset::DirectoryAudits | Dataset::Provisioning | Dataset::CustomSecurityAttributeAudits) {
            assert_eq!(status, StatusCode::OK, "{ds} needs no licence");
        } else if ds == Dataset::SignUps {
            assert_eq!(code.as_deref(), Some("Authentication_RequestFromUnsupportedTenantType"));
        } else {
            assert_eq!(code.as_deref(), Some(NON_PREMIUM), "{ds}");
        }
    }
}
