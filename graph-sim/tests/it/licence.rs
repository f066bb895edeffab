//! Licence and permission switches on every dataset: which answer 403 and
//! with which code and message, permission checked before licence, and the
//! `roles` tokens carry.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_sim::{Dataset, GraphSim, SimConfig};
use reqwest::StatusCode;

const NON_PREMIUM: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

async fn start_small() -> GraphSim {
    let config = SimConfig {
        signins: 30,
        directory_audits: 30,
        signins_noninteractive: 30,
        signins_service_principal: 10,
        signins_managed_identity: 10,
        provisioning: 30,
        risk_detections: 30,
        ..config()
    };
    GraphSim::start(config).await.unwrap()
}

async fn statuses(sim: &GraphSim, tok: &str) -> Vec<(Dataset, StatusCode, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    for &ds in Dataset::all() {
        let r = get(sim, &format!("{}?$top=1", ds.path()), Some(tok)).await;
        let (code, message) =
            if r.status == StatusCode::OK { (None, None) } else { (Some(r.error_code()), Some(r.error_message())) };
        out.push((ds, r.status, code, message));
    }
    out
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
            assert_eq!(status, StatusCode::OK, "{ds}");
        }
    }
}

#[tokio::test]
async fn a_revoked_permission_closes_the_datasets_that_need_it() {
    let sim = start_small().await;
    let tok = token(&sim).await;

    sim.set_switches(|s| s.revoked_permissions = vec!["AuditLog.Read.All".into()]);
    for (ds, status, code, message) in statuses(&sim, &tok).await {
        if ds == Dataset::RiskDetections {
            assert_eq!(status, StatusCode::OK);
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
        if ds != Dataset::RiskDetections {
            assert_eq!(status, StatusCode::OK, "{ds}");
            continue;
        }
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(code.as_deref(), Some("Authorization_RequestDenied"));
        let message = message.unwrap();
        assert_eq!(message, "Insufficient privileges to complete the operation.");
        assert!(!message.contains("IdentityRiskEvent"), "Graph does not name the permission here");
    }

    // Directory.Read.All only shapes the token.
    sim.set_switches(|s| s.revoked_permissions = vec!["Directory.Read.All".into()]);
    assert!(statuses(&sim, &tok).await.iter().all(|(_, s, _, _)| *s == StatusCode::OK));
    let fresh = token(&sim).await;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(fresh.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["roles"], serde_json::json!(["AuditLog.Read.All", "IdentityRiskEvent.Read.All"]));
}

#[tokio::test]
async fn permission_is_checked_before_licence() {
    let sim = start_small().await;
    let tok = token(&sim).await;
    sim.set_switches(|s| {
        s.unlicensed = true;
        s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".into()];
        s.missing_permission = true;
    });
    for (ds, status, code, _) in statuses(&sim, &tok).await {
        assert_eq!(status, StatusCode::FORBIDDEN, "{ds}");
        let want = if ds == Dataset::RiskDetections {
            "Authorization_RequestDenied"
        } else {
            "Authentication_MSGraphPermissionMissing"
        };
        assert_eq!(code.as_deref(), Some(want), "{ds}");
    }
    sim.set_switches(|s| {
        s.revoked_permissions.clear();
        s.missing_permission = false;
    });
    let r = get(&sim, "/v1.0/identityProtection/riskDetections", Some(&tok)).await;
    assert_eq!(r.error_code(), NON_PREMIUM);
}
