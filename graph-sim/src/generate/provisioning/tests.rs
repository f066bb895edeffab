use serde_json::Value;

use super::super::Generator;
use crate::dataset::Dataset;
use crate::record::Store;
use crate::time::parse_filter_datetime;

fn sample(n: usize) -> Vec<(String, Value)> {
    let mut g = Generator::new(42, "tenant");
    let mut s = Store::default();
    let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
    let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
    g.generate(&mut s, Dataset::Provisioning, None, n, from, to)
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
        "activityDateTime",
        "tenantId",
        "jobId",
        "cycleId",
        "changeId",
        "provisioningAction",
        "durationInMilliseconds",
        "provisioningStatusInfo",
        "provisioningSteps",
        "modifiedProperties",
        "servicePrincipal",
        "sourceSystem",
        "targetSystem",
        "initiatedBy",
        "sourceIdentity",
        "targetIdentity",
    ];
    for (json, v) in sample(200) {
        for p in PROPS {
            assert!(v.get(p).is_some(), "{p} missing in {v}");
        }
        assert_eq!(v.as_object().unwrap().len(), PROPS.len());
        assert!(json.starts_with("{\"id\":\""), "{json}");
        let by = &v["initiatedBy"];
        assert!(by["id"].is_string() && by["displayName"].is_string() && by["initiatorType"].is_string());
        for id in ["sourceIdentity", "targetIdentity"] {
            for key in ["id", "displayName", "identityType", "details"] {
                assert!(v[id].get(key).is_some(), "{id}.{key} in {v}");
            }
        }
        for sys in ["sourceSystem", "targetSystem"] {
            assert!(v[sys]["details"].is_object());
        }
        for step in v["provisioningSteps"].as_array().unwrap() {
            for key in ["name", "provisioningStepType", "status", "description", "details"] {
                assert!(step.get(key).is_some());
            }
            assert!(step["details"].as_object().unwrap().values().all(Value::is_string));
        }
        let status = &v["provisioningStatusInfo"];
        assert_eq!(status["errorInformation"].is_null(), status["status"] != "failure", "{status}");
        let action = v["provisioningAction"].as_str().unwrap();
        assert!(["create", "update", "delete", "stagedDelete", "disable", "other"].contains(&action), "{action}");
    }
}

#[test]
fn has_the_variety_downstream_must_handle() {
    let all = sample(1500);
    let any = |f: &dyn Fn(&str, &Value) -> bool| all.iter().any(|(j, v)| f(j, v));
    // servicePrincipal is one object, as the metadata declares it.
    for (_, v) in &all {
        let sp = &v["servicePrincipal"];
        assert!(sp.is_object() && sp["id"].is_string() && sp["displayName"].is_string(), "{sp}");
    }
    // The job's app details sit with the connected system; identities name
    // themselves in their system.
    for (_, v) in &all {
        let inbound = v["targetSystem"]["displayName"] == "Azure Active Directory";
        let connected = if inbound { &v["sourceSystem"] } else { &v["targetSystem"] };
        assert_eq!(connected["details"]["ServicePrincipalDisplayName"], v["servicePrincipal"]["displayName"]);
        assert!(
            v["sourceIdentity"]["details"]["ObjectType"].is_string()
                || v["sourceIdentity"]["details"]["SystemName"].is_string()
        );
    }
    // HR-inbound and app provisioning, users and groups.
    assert!(any(&|_, v| v["sourceSystem"]["displayName"] == "Workday"));
    assert!(any(&|_, v| v["sourceSystem"]["displayName"] == "SuccessFactors"));
    for app in ["ServiceNow", "Salesforce", "Slack"] {
        assert!(any(&|_, v| v["targetSystem"]["displayName"] == app), "{app}");
    }
    assert!(any(&|_, v| v["targetIdentity"]["identityType"] == "Group"));
    // Failures carry errorInformation; other outcomes occur.
    for status in ["success", "failure", "skipped", "warning"] {
        assert!(any(&|_, v| v["provisioningStatusInfo"]["status"] == status), "{status}");
    }
    assert!(any(&|_, v| v["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "DuplicateTargetEntries"));
    assert!(any(&|_, v| v["provisioningStatusInfo"]["errorInformation"]["errorCategory"] == "failure"));
    assert!(any(&|_, v| v["provisioningStatusInfo"]["errorInformation"]["additionalDetails"].is_string()));
    assert!(any(&|_, v| v["provisioningAction"] == "stagedDelete"));
    assert!(any(&|_, v| v["initiatedBy"]["initiatorType"] == "user"));
    assert!(any(&|j, _| j.contains(r#""displayName":"emails[type eq \"work\"].value""#)));
    assert!(any(&|j, _| j.contains("\"oldValue\":null")));
    assert!(any(&|_, v| v["jobId"].as_str().unwrap().starts_with("Workday2AAD.")));
}

#[test]
fn large_samples_generate_for_many_seeds() {
    // A short SuccessFactors id once panicked the generator (and with it the
    // request that triggered generation) for some subjects.
    let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
    let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
    for seed in [1, 9, 42, 1234] {
        let mut g = Generator::new(seed, "tenant");
        let mut s = Store::default();
        assert_eq!(g.generate(&mut s, Dataset::Provisioning, None, 20_000, from, to).len(), 20_000);
    }
}
