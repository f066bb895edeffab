use serde_json::Value;

use super::super::Generator;
use super::*;
use crate::dataset::Dataset;
use crate::record::{Record, Store};
use crate::time::parse_filter_datetime;

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

/// Whether `small` is `big` less some object keys, at any depth.
fn is_within(small: &Value, big: &Value) -> bool {
    match (small, big) {
        (Value::Object(s), Value::Object(b)) => s.iter().all(|(k, v)| b.get(k).is_some_and(|w| is_within(v, w))),
        (Value::Array(s), Value::Array(b)) => s.len() == b.len() && s.iter().zip(b).all(|(v, w)| is_within(v, w)),
        _ => small == big,
    }
}

/// A record's top-level keys in the order it writes them.
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, serde::de::IgnoredAny)) = map.next_entry::<String, _>()? {
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(Visit)
    }
}

fn keys(r: &Record) -> Vec<String> {
    serde_json::from_str::<Keys>(&r.json).unwrap().0
}

#[test]
fn every_record_has_one_shape_with_the_v1_properties_first() {
    let (v1, beta) = tenant(100, 400);
    let v1_keys = keys(&v1[0]);
    let shape = keys(&beta[0]);
    assert_eq!(shape[..v1_keys.len()], v1_keys[..], "v1.0's properties first, in v1.0's order");
    assert!(shape.iter().any(|k| k == "riskEventTypes") && shape.iter().any(|k| k == "agent"));
    for r in &beta {
        let v = parse(r);
        assert_eq!(keys(r), shape, "{v}");
        assert_eq!(v["signInEventTypes"].as_array().unwrap().len(), 1);
        assert!(r.json.starts_with(&format!("{{\"id\":\"{}\",\"createdDateTime\":", r.id)));
        for p in v["appliedConditionalAccessPolicies"].as_array().unwrap() {
            assert!(p.get("conditionsSatisfied").is_some() && p.get("authenticationStrength").is_some(), "{p}");
        }
        assert!(v["deviceDetail"].get("browserId").is_some());
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
        match v["alternateSignInName"].as_str() {
            Some(phone) => assert_eq!(
                (v["signInIdentifier"].as_str(), v["signInIdentifierType"].as_str()),
                (Some(phone), Some("phoneNumber"))
            ),
            None => assert_eq!(v["signInIdentifier"], v["userPrincipalName"]),
        }
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
        let federated = ["clientAssertion", "federatedIdentityCredential"].contains(&cred);
        assert!(["clientSecret", "certificate"].contains(&cred) || federated, "{cred}");
        assert!(v["managedServiceIdentity"].is_null());
        assert_eq!(v["federatedCredentialId"].is_string(), federated);
        let thumbprint = v["servicePrincipalCredentialThumbprint"].as_str();
        assert_eq!(thumbprint.is_some_and(|t| t.len() == 40), cred == "certificate");
        // An agent's identity signs in with its blueprint's federated credential.
        assert_eq!(v["agent"].is_object(), cred == "federatedIdentityCredential", "{v}");
        assert_eq!(v["conditionalAccessAudiences"], serde_json::json!([v["resourceId"]]));
    }
    // Agents: a share of non-interactive and service principal sign-ins, no others.
    let agents = |of: &[&Value]| of.iter().filter(|v| v["agent"].is_object()).count() as f64 / of.len() as f64;
    for (kind, of) in [("nonInteractiveUser", &non), ("servicePrincipal", &sp)] {
        assert!((0.08..0.22).contains(&agents(of)), "{kind}: {}", agents(of));
    }
    assert_eq!(agents(&interactive) + agents(&mi), 0.0);
    for v in non.iter().filter(|v| v["agent"].is_object()) {
        assert_eq!(v["agent"]["agentSubjectType"], "notAgentic");
        assert_eq!(v["appOwnerTenantId"], v["resourceTenantId"]);
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
fn twins_are_the_v1_events_with_every_v1_value() {
    let (v1, beta) = tenant(300, 0);
    assert_eq!(v1.len(), beta.len());
    for (a, b) in v1.iter().zip(&beta) {
        assert_eq!((&a.id, a.time), (&b.id, b.time));
        let (va, vb) = (parse(a), parse(b));
        assert!(is_within(&va, &vb), "{}\n{}", a.json, b.json);
        // Byte for byte up to the first object beta extends.
        let head = &a.json[..a.json.find(",\"deviceDetail\":").unwrap()];
        assert!(b.json.starts_with(head), "{}\n{}", a.json, b.json);
        assert_eq!(kind(&vb), "interactiveUser");
        // The beta facts agree with the v1.0 ones.
        let password = &vb["authenticationDetails"][0];
        assert_eq!(password["authenticationMethod"], "Password");
        let bad_password = matches!(va["status"]["errorCode"].as_i64(), Some(50126 | 50053));
        assert_eq!(password["succeeded"], !bad_password, "{vb}");
        let guest = va["userPrincipalName"].as_str().unwrap().ends_with("@fabrikam.com");
        assert_eq!(vb["userType"], if guest { "guest" } else { "member" });
        assert_eq!(vb["crossTenantAccessType"] == "b2bCollaboration", guest);
        // The Authenticator device is v1.0's, and beta shows the prompt it answered.
        let steps = vb["authenticationDetails"].as_array().unwrap();
        let prompt = steps.iter().find(|s| s["authenticationMethod"] == "Mobile app notification");
        if va["authenticationAppDeviceDetails"].is_object() {
            let prompt = prompt.unwrap_or_else(|| panic!("{vb}"));
            let at = |v: &Value| parse_filter_datetime(v.as_str().unwrap()).unwrap();
            let after = at(&prompt["authenticationStepDateTime"]) - at(&vb["createdDateTime"]);
            assert!((3..=40).contains(&after.num_seconds()), "{after}");
            assert_eq!(vb["mfaDetail"]["authDetail"], "Microsoft Authenticator");
            assert_eq!(vb["authenticationAppPolicyEvaluationDetails"].as_array().unwrap().len(), 2);
        } else {
            assert!(prompt.is_none() || va["status"]["errorCode"] == 50074, "{vb}");
        }
    }
    let beta: Vec<Value> = beta.iter().map(parse).collect();
    let mfa = beta.iter().filter(|v| v["authenticationRequirement"] == "multiFactorAuthentication").count();
    assert!(mfa > 10, "{mfa}");
    assert!(beta.iter().any(|v| v["authenticationAppDeviceDetails"].is_object()));
    assert!(beta.iter().any(|v| v["authenticationDetails"][1]["authenticationMethod"] == "Previously satisfied"));
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
