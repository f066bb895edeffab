//! The spec table agrees with the variants and with what Microsoft
//! documents.

use super::*;
use crate::filter::CmpOp;
use crate::generate;

#[test]
fn specs_line_up_with_variants() {
    for (i, d) in Dataset::all().iter().enumerate() {
        assert_eq!(d.index(), i);
        let (version, collection) = d.spec().context.split_once("/$metadata#").unwrap();
        assert!(d.spec().path.starts_with(version) && d.spec().path.ends_with(collection), "{d}");
        assert!(d.spec().path.ends_with(d.spec().name), "{d}");
        assert!(d.default_page_size() <= d.max_page_size());
    }
    assert_eq!(Dataset::SignIns.path(), "/v1.0/auditLogs/signIns");
    assert_eq!(Dataset::DirectoryAudits.time_field(), "activityDateTime");
    assert_eq!(Dataset::RiskDetections.time_fields(), ["lastUpdatedDateTime", "detectedDateTime"]);
    assert_eq!(Dataset::SignIns.to_string(), "auditLogs/signIns");
    assert_eq!(Dataset::SignInsBeta.to_string(), "beta/auditLogs/signIns");
    assert_eq!(Dataset::NetworkAccessTraffic.key_property(), "transactionId");
    assert!(Dataset::all().iter().filter(|d| **d != Dataset::NetworkAccessTraffic).all(|d| d.key_property() == "id"));
}

#[test]
fn archive_names_are_the_archives() {
    let names: Vec<Option<&str>> = Dataset::all().iter().map(|d| d.archive_name()).collect();
    assert_eq!(
        names,
        [
            Some("signins"),
            Some("directory_audits"),
            None,
            Some("provisioning"),
            Some("risk_detections"),
            Some("service_principal_risk_detections"),
            Some("custom_security_attribute_audits"),
            Some("signups"),
            Some("network_access_traffic"),
        ]
    );
    assert_eq!(Dataset::from_archive_name("signups"), Some(Dataset::SignUps));
    assert_eq!(Dataset::from_archive_name("signins_noninteractive"), None);
}

#[test]
fn page_sizes_filters_and_throttles_of_the_newer_logs() {
    let row = |d: Dataset| (d.default_page_size(), d.max_page_size(), d.time_fields(), d.spec().throttle);
    assert_eq!(
        row(Dataset::ServicePrincipalRiskDetections),
        (20, 500, &["lastUpdatedDateTime"][..], ThrottleGroup::IdentityProtection)
    );
    assert_eq!(
        row(Dataset::CustomSecurityAttributeAudits),
        (100, 100, &["activityDateTime"][..], ThrottleGroup::AuditLogs)
    );
    assert_eq!(row(Dataset::SignUps), (1000, 1000, &["createdDateTime"][..], ThrottleGroup::AuditLogs));
    assert_eq!(
        row(Dataset::NetworkAccessTraffic),
        (1000, 1000, &["createdDateTime"][..], ThrottleGroup::NetworkAccess)
    );
    // Only the two whose docs show fewer operators than the sim accepts
    // have a stricter, documented set.
    for &d in Dataset::all() {
        let documented = d.spec().filter.documented_ops;
        match d {
            Dataset::ServicePrincipalRiskDetections | Dataset::NetworkAccessTraffic => {
                assert_eq!(documented, Some(&[CmpOp::Eq][..]), "{d}");
            }
            _ => assert_eq!(documented, None, "{d}"),
        }
    }
}

#[test]
fn audit_logs_share_one_throttle_group() {
    for d in Dataset::all() {
        let group = d.spec().throttle;
        if d.path().contains("/auditLogs/") {
            assert_eq!(group, ThrottleGroup::AuditLogs, "{d}");
        } else if d.path().contains("/identityProtection/") {
            assert_eq!(group, ThrottleGroup::IdentityProtection, "{d}");
        } else {
            assert_eq!(group, ThrottleGroup::NetworkAccess, "{d}");
        }
    }
}

#[test]
fn path_lookup_ignores_case() {
    assert_eq!(Dataset::from_path("/v1.0/auditLogs/signins"), Some(Dataset::SignIns));
    assert_eq!(Dataset::from_path("/V1.0/AUDITLOGS/DIRECTORYAUDITS"), Some(Dataset::DirectoryAudits));
    assert_eq!(Dataset::from_path("/beta/auditlogs/signins"), Some(Dataset::SignInsBeta));
    assert_eq!(Dataset::from_path("/v1.0/auditLogs/provisioning"), Some(Dataset::Provisioning));
    assert_eq!(Dataset::from_path("/v1.0/identityProtection/riskDetections"), Some(Dataset::RiskDetections));
    assert_eq!(
        Dataset::from_path("/v1.0/identityprotection/serviceprincipalriskdetections"),
        Some(Dataset::ServicePrincipalRiskDetections)
    );
    assert_eq!(
        Dataset::from_path("/beta/auditLogs/customSecurityAttributeAudits"),
        Some(Dataset::CustomSecurityAttributeAudits)
    );
    assert_eq!(Dataset::from_path("/beta/auditLogs/signups"), Some(Dataset::SignUps));
    assert_eq!(Dataset::from_path("/beta/networkAccess/logs/traffic"), Some(Dataset::NetworkAccessTraffic));
    assert_eq!(Dataset::from_path("/v1.0/auditLogs/customSecurityAttributeAudits"), None, "beta only");
    assert_eq!(Dataset::from_path("/v1.0/auditLogs/signUps"), None, "beta only");
    assert_eq!(Dataset::from_path("/beta/auditLogs/directoryAudits"), None);
    assert_eq!(Dataset::from_path("/v1.0/identityProtection/riskyUsers"), None);
}

#[test]
fn streams_are_distinct() {
    let mut streams: Vec<u64> =
        Dataset::all().iter().flat_map(|d| [d.spec().rng_stream, d.spec().rng_stream + generate::AUX_STREAM]).collect();
    streams.sort();
    streams.dedup();
    assert_eq!(streams.len(), 2 * Dataset::all().len());
    assert!(!streams.contains(&0), "stream 0 draws the directory");
}

#[test]
fn sign_in_event_types_are_the_beta_segments() {
    let seg = Dataset::SignInsBeta.spec().filter.segments.as_ref().unwrap();
    for &k in SignInEventType::all() {
        assert_eq!(seg.values[k.segment()], k.as_str());
    }
    assert_eq!(seg.default, SignInEventType::InteractiveUser.segment());
    let twin = Dataset::SignIns.spec().twin.as_ref().unwrap();
    assert_eq!((twin.dataset, twin.segment), (Dataset::SignInsBeta, SignInEventType::InteractiveUser.segment()));
    assert_eq!(
        SignInEventType::NonInteractiveUser.filter_clause(),
        "signInEventTypes/any(t: t eq 'nonInteractiveUser')"
    );
}

#[test]
fn licence_and_permission_rows() {
    let premium: Vec<Dataset> = Dataset::all().iter().copied().filter(|d| d.requires_premium()).collect();
    assert_eq!(premium, [Dataset::SignIns, Dataset::SignInsBeta, Dataset::RiskDetections]);
    let licence = |d: Dataset| d.spec().licence;
    assert_eq!(licence(Dataset::ServicePrincipalRiskDetections), Some(Licence::WorkloadIdPremium));
    assert_eq!(licence(Dataset::CustomSecurityAttributeAudits), None);
    assert_eq!(licence(Dataset::SignUps), Some(Licence::ExternalIdTenant));
    assert_eq!(licence(Dataset::NetworkAccessTraffic), Some(Licence::GlobalSecureAccess));
    assert_eq!(Dataset::RiskDetections.permission(), "IdentityRiskEvent.Read.All");
    assert_eq!(Dataset::ServicePrincipalRiskDetections.permission(), "IdentityRiskEvent.Read.All");
    assert_eq!(Dataset::CustomSecurityAttributeAudits.permission(), "CustomSecAttributeAuditLogs.Read.All");
    assert_eq!(Dataset::SignUps.permission(), "AuditLog.Read.All");
    assert_eq!(Dataset::NetworkAccessTraffic.permission(), "NetworkAccess-Reports.Read.All");
    let (code, message) = Denial::RequestDenied.error("IdentityRiskEvent.Read.All");
    assert_eq!(code, "Authorization_RequestDenied");
    assert!(!message.contains("IdentityRiskEvent"));
    let (code, message) = Denial::RequestDeniedNaming.error("NetworkAccess-Reports.Read.All");
    assert_eq!(code, "Authorization_RequestDenied");
    assert_eq!(
        message,
        "Insufficient privileges to complete the operation. The application requires the NetworkAccess-Reports.Read.All permission."
    );
}

#[test]
fn licences_follow_the_tenant() {
    let config = SimConfig::default();
    let switches = Switches::default();
    let held = |l: Licence, c: &SimConfig, s: &Switches| l.held(c, s);
    assert!(held(Licence::EntraIdPremium, &config, &switches));
    assert!(held(Licence::WorkloadIdPremium, &config, &switches));
    assert!(!held(Licence::ExternalIdTenant, &config, &switches), "a workforce tenant by default");
    assert!(!held(Licence::GlobalSecureAccess, &config, &switches));
    let unlicensed = Switches { unlicensed: true, ..Switches::default() };
    assert!(!held(Licence::EntraIdPremium, &config, &unlicensed));
    assert!(held(Licence::WorkloadIdPremium, &config, &unlicensed), "a licence of its own");
    let other = SimConfig {
        workload_id_premium: false,
        external_id_tenant: true,
        global_secure_access: true,
        ..SimConfig::default()
    };
    assert!(!held(Licence::WorkloadIdPremium, &other, &switches));
    assert!(held(Licence::ExternalIdTenant, &other, &switches));
    assert!(held(Licence::GlobalSecureAccess, &other, &switches));
    assert_eq!(
        Licence::ExternalIdTenant.error(),
        (
            "Authentication_RequestFromUnsupportedTenantType",
            "Sign-up logs are only available in external (customer) tenants."
        )
    );
    assert!(Licence::WorkloadIdPremium.error().1.contains("Workload Identities Premium"));
    assert!(Licence::GlobalSecureAccess.error().1.contains("Global Secure Access"));
    assert_eq!(Licence::GlobalSecureAccess.error().0, NON_PREMIUM);
}
