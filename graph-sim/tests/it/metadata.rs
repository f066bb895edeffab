//! Records carry what Microsoft's metadata declares
//! (`tests/fixtures/graph-metadata.txt` of the workspace): for each served
//! dataset — v1.0 signIns, each kind of beta signIns, directoryAudits,
//! provisioning, riskDetections, servicePrincipalRiskDetections, beta
//! customSecurityAttributeAudits, signUps and networkAccess traffic — over a
//! default-size generation, every
//! declared property (through complex types and collections) has a value
//! in some record, every value has the declared JSON shape (enums:
//! documented members; times: Graph's format), and no record carries a
//! top-level property the metadata does not declare.
//!
//! Beta sign-ins are checked against the union of the two beta listings.
//! Where Graph leaves a property empty for a whole kind of sign-in (or a
//! whole dataset), the kind's (dataset's) exemptions below say so, and why;
//! an exemption that is no longer needed fails the test.

mod check;
mod enums;
mod schema;

use graph_sim::{Dataset, GraphSim, SignInEventType, SimConfig};
use serde_json::Value;

use crate::common::t;
use check::Check;

/// Top-level properties the metadata does not declare but Microsoft's
/// documented examples show (`tests/fixtures/examples`), per dataset. The
/// sim sends neither; a record that did would not fail for it.
fn documented_extras(dataset: &str) -> &'static [&'static str] {
    match dataset {
        // v1.0 directoryaudit-get.md's example prints `targetResource`
        // (singular) beside the declared `targetResources`.
        "directoryAudits" => &["targetResource"],
        // v1.0 riskdetection-list.md's and riskdetection-get.md's example
        // items carry `"@odata.type": "#microsoft.graph.riskDetection"`, and
        // the servicePrincipalRiskDetections list example its own.
        "riskDetections" | "servicePrincipalRiskDetections" => &["@odata.type"],
        // The older selfservicesignup-list.md example prints `userSnapshot`
        // (the metadata now has `userId`).
        "signUps" => &["userSnapshot"],
        // networkaccess-logs-list-traffic.md's example prints `policyRule`
        // and `policy` objects (the metadata has their ids and names).
        "networkAccessTraffic" => &["policyRule", "policy"],
        // The signin-list/get (v1.0 and beta) and
        // provisioningobjectsummary-list examples show declared properties
        // only.
        _ => &[],
    }
}

/// App-only sign-ins have no user: no names or identifiers, no browser, no
/// interactive authentication, MFA or session, no user sign-in risk, no
/// Global Secure Access.
const NO_USER: &[&str] = &[
    "riskEventTypes",
    "riskEventTypes_v2",
    "authenticationMethodsUsed",
    "userDisplayName",
    "userPrincipalName",
    "clientAppUsed",
    "userType",
    "signInIdentifier",
    "signInIdentifierType",
    "alternateSignInName",
    "deviceDetail.browserId",
    "authenticationDetails",
    "mfaDetail",
    "authenticationAppDeviceDetails",
    "authenticationAppPolicyEvaluationDetails",
    "authenticationRequirementPolicies",
    "authenticationContextClassReferences",
    "sessionLifetimePolicies",
    "appliedEventListeners",
    "globalSecureAccessIpAddress",
];

/// Users sign in with no app credential, no managed identity, no Azure resource.
const NO_APP_CREDENTIAL: &[&str] = &[
    "servicePrincipalCredentialKeyId",
    "servicePrincipalCredentialThumbprint",
    "federatedCredentialId",
    "managedServiceIdentity",
    "azureResourceId",
];

/// What Graph leaves empty in a whole dataset other than sign-ins.
fn dataset_exemptions(dataset: &str) -> &'static [&'static str] {
    match dataset {
        // Custom security attributes are assigned to users and service
        // principals, never to groups.
        "customSecurityAttributeAudits" => &["targetResources[].groupType"],
        _ => &[],
    }
}

/// What Graph leaves empty for each kind of beta sign-in.
fn exemptions(kind: SignInEventType) -> Vec<&'static str> {
    match kind {
        // Agents act as themselves or for users, never in an interactive sign-in.
        SignInEventType::InteractiveUser => [NO_APP_CREDENTIAL, &["agent"]].concat(),
        // No prompt in a non-interactive sign-in, so no method used and no
        // Authenticator app; its steps are all "Previously satisfied", which
        // name no method detail.
        SignInEventType::NonInteractiveUser => [
            NO_APP_CREDENTIAL,
            &[
                "authenticationMethodsUsed",
                "authenticationAppDeviceDetails",
                "authenticationAppPolicyEvaluationDetails",
                "authenticationDetails[].authenticationMethodDetail",
            ],
        ]
        .concat(),
        // Only managed identities have one. The workload identity policy
        // blocks sign-ins from outside trusted locations, which the
        // tenant's workloads never leave: it enforces no control, and
        // workload identities cannot be asked for an authentication
        // strength.
        SignInEventType::ServicePrincipal => [
            NO_USER,
            &[
                "managedServiceIdentity",
                "azureResourceId",
                "appliedConditionalAccessPolicies[].authenticationStrength",
                "appliedConditionalAccessPolicies[].enforcedGrantControls",
                "appliedConditionalAccessPolicies[].enforcedSessionControls",
                "appliedConditionalAccessPolicies[].sessionControlsNotSatisfied",
            ],
        ]
        .concat(),
        // Managed identities get tokens from inside Azure (no client
        // network, resource-provider address or Private Link), hold no app
        // credential, are not agents, and Conditional Access does not
        // evaluate them.
        SignInEventType::ManagedIdentity => [
            NO_USER,
            &[
                "servicePrincipalCredentialKeyId",
                "servicePrincipalCredentialThumbprint",
                "federatedCredentialId",
                "agent",
                "appliedConditionalAccessPolicies",
                "conditionalAccessAudiences",
                "networkLocationDetails",
                "ipAddressFromResourceProvider",
                "privateLinkDetails",
            ],
        ]
        .concat(),
    }
}

fn parse(records: Vec<graph_sim::Record>) -> Vec<Value> {
    records.iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect()
}

#[tokio::test]
async fn every_declared_property_is_sent_in_its_declared_shape() {
    let meta = schema::load();
    // The default tenant's record counts over a fixed window.
    let config = SimConfig { from: t("2026-11-22T00:00:00Z"), to: t("2026-11-24T00:00:00Z"), ..SimConfig::default() };
    let sim = GraphSim::start(config).await.unwrap();
    let mut problems = Vec::new();
    let v1 = [
        ("v1.0 signIns", Dataset::SignIns, "signIn"),
        ("directoryAudits", Dataset::DirectoryAudits, "directoryAudit"),
        ("provisioning", Dataset::Provisioning, "provisioningObjectSummary"),
        ("riskDetections", Dataset::RiskDetections, "riskDetection"),
    ];
    let v1 = v1.into_iter().chain([(
        "servicePrincipalRiskDetections",
        Dataset::ServicePrincipalRiskDetections,
        "servicePrincipalRiskDetection",
    )]);
    for (name, ds, root) in v1 {
        let mut check = Check::new(&meta.v1, name, dataset_exemptions(name));
        check.records(root, &parse(sim.records(ds)), documented_extras(name));
        problems.append(&mut check.problems);
    }
    let beta = [
        ("customSecurityAttributeAudits", Dataset::CustomSecurityAttributeAudits, "customSecurityAttributeAudit"),
        ("signUps", Dataset::SignUps, "selfServiceSignUp"),
        ("networkAccessTraffic", Dataset::NetworkAccessTraffic, "networkAccessTraffic"),
    ];
    for (name, ds, root) in beta {
        let mut check = Check::new(&meta.beta, name, dataset_exemptions(name));
        check.records(root, &parse(sim.records(ds)), documented_extras(name));
        problems.append(&mut check.problems);
    }
    for &kind in SignInEventType::all() {
        let exempt = exemptions(kind);
        let mut check = Check::new(&meta.beta, format!("beta signIns ({kind})"), &exempt);
        check.records("signIn", &parse(sim.signins_of_type(kind)), documented_extras("beta signIns"));
        problems.append(&mut check.problems);
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_metadata_reads_as_expected() {
    let meta = schema::load();
    let names = |s: &schema::Schema, ty: &str| s.props(ty).iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let beta = names(&meta.beta, "signIn");
    // The union of both beta listings: USNat's riskEventTypes and
    // alternateSignInName, the SDK's agent and sessionLifetimePolicies.
    for p in ["riskEventTypes", "alternateSignInName", "agent", "sessionLifetimePolicies", "privateLinkDetails"] {
        assert!(beta.iter().any(|b| b == p), "{p}");
    }
    assert!(!names(&meta.v1, "signIn").iter().any(|p| p == "agent"));
    let audiences = meta.beta.props("signIn").into_iter().find(|p| p.name == "conditionalAccessAudiences").unwrap();
    assert!(audiences.list && audiences.kind == schema::Kind::Edm(schema::Edm::String));
    let protocol = meta.beta.props("signIn").into_iter().find(|p| p.name == "authenticationProtocol").unwrap();
    assert_eq!(protocol.kind, schema::Kind::Enum { name: "protocolType".into(), flags: true });
    assert!(meta.v1.props("detailsInfo").is_empty());
    // An abstract type stands for its derived types.
    let handler = meta.beta.props("authenticationEventHandlerResult");
    assert!(handler.iter().any(|p| p.name == "customExtensionId"), "{handler:?}");
    assert_eq!(schema::normalize("agentic.agent_sign_in"), "agentSignIn");
    // The newer logs' sections: v1.0 and beta, each in its own version.
    assert_eq!(meta.v1.props("servicePrincipalRiskDetection").len(), 21);
    assert_eq!(meta.beta.props("customSecurityAttributeAudit").len(), 13);
    assert_eq!(meta.beta.props("selfServiceSignUp").len(), 12);
    let traffic = meta.beta.props("networkAccessTraffic");
    assert_eq!(traffic.len(), 45);
    assert!(!traffic.iter().any(|p| p.name == "id"), "keyed by transactionId");
    let bytes = traffic.iter().find(|p| p.name == "sentBytes").unwrap();
    assert_eq!(bytes.kind, schema::Kind::Edm(schema::Edm::Int));
    let initiator = names(&meta.beta, "auditActivityInitiator");
    assert!(initiator.iter().any(|p| p == "linkableIdentifiers"), "{initiator:?}");
    assert!(names(&meta.beta, "auditUserIdentity").iter().any(|p| p == "homeTenantName"));
}
