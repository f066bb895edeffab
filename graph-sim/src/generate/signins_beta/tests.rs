use serde_json::Value;

use super::super::Generator;
use super::*;
use crate::dataset::Dataset;
use crate::record::Store;
use crate::time::parse_filter_datetime;

const BETA_PROPS: &[&str] = &[
    "signInEventTypes",
    "userType",
    "userAgent",
    "originalRequestId",
    "uniqueTokenIdentifier",
    "sessionId",
    "authenticationProtocol",
    "authenticationRequirement",
    "authenticationMethodsUsed",
    "authenticationDetails",
    "authenticationProcessingDetails",
    "incomingTokenType",
    "tokenIssuerType",
    "tokenIssuerName",
    "clientCredentialType",
    "servicePrincipalId",
    "servicePrincipalName",
    "servicePrincipalCredentialKeyId",
    "servicePrincipalCredentialThumbprint",
    "federatedCredentialId",
    "managedServiceIdentity",
    "azureResourceId",
    "resourceServicePrincipalId",
    "resourceTenantId",
    "homeTenantId",
    "homeTenantName",
    "crossTenantAccessType",
    "conditionalAccessAudiences",
    "networkLocationDetails",
    "autonomousSystemNumber",
    "ipAddressFromResourceProvider",
    "isTenantRestricted",
    "isThroughGlobalSecureAccess",
    "globalSecureAccessIpAddress",
    "flaggedForReview",
    "processingTimeInMilliseconds",
    "signInIdentifier",
    "signInIdentifierType",
    "signInTokenProtectionStatus",
    "appTokenProtectionStatus",
];

/// v1.0 properties beta keeps (all but `riskEventTypes`).
const V1_PROPS: &[&str] = &[
    "id",
    "createdDateTime",
    "userDisplayName",
    "userPrincipalName",
    "userId",
    "appId",
    "appDisplayName",
    "ipAddress",
    "clientAppUsed",
    "correlationId",
    "conditionalAccessStatus",
    "isInteractive",
    "riskDetail",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "riskEventTypes_v2",
    "resourceDisplayName",
    "resourceId",
    "status",
    "deviceDetail",
    "location",
    "appliedConditionalAccessPolicies",
];

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (parse_filter_datetime("2026-11-22T00:00:00Z").unwrap(), parse_filter_datetime("2026-11-24T00:00:00Z").unwrap())
}

/// (v1.0 records, beta records) of a small tenant.
fn tenant(v1: usize, beta: usize) -> (Vec<Record>, Vec<Record>) {
    let (from, to) = window();
    let mut g = Generator::new(42, "tenant");
    let mut s = Store::default();
    g.materialize(&mut s, Dataset::SignInsBeta);
    let v1 = g.generate(&mut s, Dataset::SignIns, None, v1, from, to);
    g.generate(&mut s, Dataset::SignInsBeta, None, beta, from, to);
    (v1, s.all(Dataset::SignInsBeta))
}

fn parse(r: &Record) -> Value {
    serde_json::from_str(&r.json).unwrap()
}

fn kind(v: &Value) -> &str {
    v["signInEventTypes"][0].as_str().unwrap()
}

#[test]
fn every_record_has_the_beta_schema_in_order() {
    let (_, beta) = tenant(100, 400);
    for r in &beta {
        let v = parse(r);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for p in V1_PROPS.iter().chain(BETA_PROPS) {
            assert!(v.get(p).is_some(), "{p} missing in {v}");
        }
        assert!(v.get("riskEventTypes").is_none(), "beta drops riskEventTypes: {v}");
        assert_eq!(v["signInEventTypes"].as_array().unwrap().len(), 1);
        assert!(
            r.json.find("\"signInEventTypes\"").unwrap() > r.json.find("\"appliedConditionalAccessPolicies\"").unwrap()
        );
        assert!(r.json.starts_with(&format!("{{\"id\":\"{}\",\"createdDateTime\":", r.id)));
        assert_eq!(keys.len(), V1_PROPS.len() + BETA_PROPS.len(), "{keys:?}");
    }
}

#[test]
fn kinds_are_realistic() {
    let (_, beta) = tenant(100, 1000);
    let all: Vec<Value> = beta.iter().map(parse).collect();
    let of = |k: &str| all.iter().filter(|v| kind(v) == k).collect::<Vec<_>>();
    let (interactive, non, sp, mi) =
        (of("interactiveUser"), of("nonInteractiveUser"), of("servicePrincipal"), of("managedIdentity"));
    assert_eq!(interactive.len(), 100);
    assert!(non.len() > sp.len() && sp.len() > mi.len() && !mi.is_empty(), "{} {} {}", non.len(), sp.len(), mi.len());
    for v in &interactive {
        assert_eq!(v["isInteractive"], true);
        assert_eq!(v["clientCredentialType"], "none");
        assert!(v["managedServiceIdentity"].is_null());
        assert_eq!(v["signInIdentifier"], v["userPrincipalName"]);
    }
    for v in &non {
        assert_eq!(v["isInteractive"], false);
        assert!(v["userId"].as_str().unwrap().len() == 36);
        let incoming = v["incomingTokenType"].as_str().unwrap();
        assert!(["refreshToken", "primaryRefreshToken", "none"].contains(&incoming), "{incoming}");
        assert!(v["authenticationMethodsUsed"].as_array().unwrap().is_empty());
        assert_eq!(v["authenticationDetails"][0]["authenticationMethod"], "Previously satisfied");
    }
    assert!(non.iter().any(|v| v["incomingTokenType"] == "refreshToken"));
    assert!(non.iter().any(|v| v["incomingTokenType"] == "primaryRefreshToken"));
    assert!(non.iter().any(|v| v["status"]["errorCode"] != 0));
    for v in sp.iter().chain(&mi) {
        assert_eq!(v["isInteractive"], false);
        assert_eq!(v["userId"], "");
        assert!(v["userPrincipalName"].is_null() && v["userDisplayName"].is_null());
        assert_eq!(v["servicePrincipalId"].as_str().unwrap().len(), 36);
        assert_eq!(v["servicePrincipalName"], v["appDisplayName"]);
        assert!(v["userType"].is_null());
        assert!(v["authenticationDetails"].as_array().unwrap().is_empty());
    }
    for v in &sp {
        let cred = v["clientCredentialType"].as_str().unwrap();
        assert!(["clientSecret", "certificate", "clientAssertion"].contains(&cred), "{cred}");
        assert!(v["managedServiceIdentity"].is_null());
        assert_eq!(v["federatedCredentialId"].is_string(), cred == "clientAssertion");
        assert_eq!(v["servicePrincipalCredentialThumbprint"].as_str().unwrap().len() == 40, cred == "certificate");
    }
    for cred in ["clientSecret", "certificate", "clientAssertion"] {
        assert!(sp.iter().any(|v| v["clientCredentialType"] == cred), "{cred}");
    }
    for v in &mi {
        assert_eq!(v["clientCredentialType"], "managedIdentity");
        let msi = &v["managedServiceIdentity"];
        let resource = msi["associatedResourceId"].as_str().unwrap();
        assert!(resource.starts_with("/subscriptions/") && resource.contains("/providers/Microsoft."), "{resource}");
        assert!(["systemAssigned", "userAssigned"].contains(&msi["msiType"].as_str().unwrap()));
        assert!(msi.get("federatedTokenId").is_some() && msi.get("federatedTokenIssuer").is_some());
        assert_eq!(v["azureResourceId"], msi["associatedResourceId"]);
    }
    assert!(mi.iter().any(|v| v["managedServiceIdentity"]["federatedTokenIssuer"].is_string()));
}

#[test]
fn twins_are_the_v1_events_less_risk_event_types() {
    let (v1, beta) = tenant(300, 0);
    assert_eq!(v1.len(), beta.len());
    for (a, b) in v1.iter().zip(&beta) {
        assert_eq!((&a.id, a.time), (&b.id, b.time));
        let (va, vb) = (parse(a), parse(b));
        for p in V1_PROPS {
            assert_eq!(va[p], vb[p], "{p}");
        }
        // Byte for byte: the v1.0 JSON up to its end, less riskEventTypes.
        let legacy = a.json.find(",\"riskEventTypes\":[").unwrap();
        let end = legacy + a.json[legacy..].find(']').unwrap() + 1;
        let v1_less = format!("{}{}", &a.json[..legacy], &a.json[end..a.json.len() - 1]);
        assert!(b.json.starts_with(&v1_less), "{}\n{}", a.json, b.json);
        assert_eq!(kind(&vb), "interactiveUser");
        // The beta facts agree with the v1.0 ones.
        let password = &vb["authenticationDetails"][0];
        assert_eq!(password["authenticationMethod"], "Password");
        let bad_password = matches!(va["status"]["errorCode"].as_i64(), Some(50126 | 50053));
        assert_eq!(password["succeeded"], !bad_password, "{vb}");
        let guest = va["userPrincipalName"].as_str().unwrap().ends_with("@fabrikam.com");
        assert_eq!(vb["userType"], if guest { "guest" } else { "member" });
        assert_eq!(vb["crossTenantAccessType"] == "b2bCollaboration", guest);
    }
    let mfa = beta.iter().map(parse).filter(|v| v["authenticationRequirement"] == "multiFactorAuthentication").count();
    assert!(mfa > 10, "{mfa}");
}

#[test]
fn twins_of_hand_written_records_still_parse() {
    let dir = Directory::new(&mut super::super::stream(1, 0), "t");
    let mut rng = super::super::stream(1, 9);
    let time = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
    for json in [r#"{"id":"x","createdDateTime":"2026-11-24T00:00:00Z"}"#, r#"{}"#, "not json"] {
        let r = Record { id: "x".into(), time, json: json.into() };
        let out = twin(&mut rng, &dir, &r);
        if json.starts_with('{') {
            let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
            assert_eq!(v["signInEventTypes"][0], "interactiveUser");
        }
    }
}

#[test]
fn splice_drops_legacy_risk_types_and_appends() {
    assert_eq!(
        splice(r#"{"a":1,"riskEventTypes":["x","y"],"riskEventTypes_v2":[]}"#, r#"{"b":2}"#),
        r#"{"a":1,"riskEventTypes_v2":[],"b":2}"#
    );
    assert_eq!(splice(r#"{"a":1}"#, r#"{"b":2}"#), r#"{"a":1,"b":2}"#);
    assert_eq!(splice("{}", r#"{"b":2}"#), r#"{"b":2}"#);
}
