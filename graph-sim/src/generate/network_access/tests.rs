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
    g.generate(&mut s, Dataset::NetworkAccessTraffic, None, n, from, to)
        .into_iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.json).unwrap();
            assert_eq!(v["transactionId"], r.id.as_str(), "the key is the transactionId");
            (r.json, v)
        })
        .collect()
}

#[test]
fn has_the_examples_properties_first_and_no_id() {
    const FIRST: &[&str] = &[
        "tenantId",
        "createdDateTime",
        "transactionId",
        "connectionId",
        "sessionId",
        "trafficType",
        "deviceCategory",
        "destinationIp",
        "destinationPort",
        "destinationFQDN",
        "sourceIp",
        "sourcePort",
        "deviceOperatingSystem",
        "deviceOperatingSystemVersion",
        "agentVersion",
        "deviceId",
        "userId",
        "userPrincipalName",
        "transportProtocol",
        "networkProtocol",
        "action",
        "sentBytes",
        "receivedBytes",
        "headers",
    ];
    for (json, v) in sample(300) {
        let object = v.as_object().unwrap();
        assert_eq!(object.len(), 45);
        assert!(!object.contains_key("id"));
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert!(json.starts_with("{\"tenantId\":"));
        let mut at = 0;
        for p in FIRST {
            let pos = json.find(&format!("\"{p}\":")).unwrap_or_else(|| panic!("{p} missing: {keys:?}"));
            assert!(pos >= at, "{p} out of order");
            at = pos;
        }
        assert!(v["sentBytes"].is_i64() && v["receivedBytes"].is_i64());
        for ip in [&v["destinationIp"], &v["sourceIp"], &v["privateAccessDetails"]["connectorIp"]] {
            if let Some(ip) = ip.as_str() {
                assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip} is not an address");
            }
        }
        let private = v["trafficType"] == "private";
        assert_eq!(private, v["privateAccessDetails"].is_object(), "{v}");
        let branch = v["deviceCategory"] == "remoteNetwork";
        assert_eq!(branch, v["remoteNetworkId"].is_string());
        assert_eq!(branch, v["userId"].is_null());
        let tx = v["transactionId"].as_str().unwrap();
        let stamp = &v["createdDateTime"].as_str().unwrap().replace(['-', ':'], "")[..15];
        assert!(tx.starts_with(stamp), "{tx} {stamp}");
    }
}

#[test]
fn has_the_variety_downstream_must_handle() {
    let all = sample(2000);
    let any = |f: &dyn Fn(&Value) -> bool| all.iter().any(|(_, v)| f(v));
    for kind in ["internet", "private", "microsoft365"] {
        assert!(any(&|v| v["trafficType"] == kind), "{kind}");
    }
    for action in ["allow", "block"] {
        assert!(any(&|v| v["action"] == action), "{action}");
    }
    assert!(any(&|v| v["receivedBytes"].as_i64().unwrap() > i64::from(u32::MAX)), "Int64 byte counts");
    assert!(any(&|v| v["threatType"] == "Malware" && !v["vendorNames"].as_array().unwrap().is_empty()));
    assert!(any(&|v| v["cloudApplicationMetadata"]["activity"] == "prompt"));
    assert!(any(&|v| v["privateAccessDetails"]["thirdPartyTokenDetails"].is_object()));
    assert!(any(&|v| v["resourceTenantId"].is_string() && v["policyName"] == "Tenant restrictions v2"));
    assert!(any(&|v| v["networkProtocol"] == "ipv6"));
    assert!(any(&|v| v["transportProtocol"] == "udp"));
    assert!(any(&|v| v["operationStatus"] == "failure"));
    assert!(any(&|v| v["sessionId"] == ""));
    assert!(any(&|v| v["headers"]["xForwardedFor"].is_string()));
    assert!(any(&|v| v["destinationUrl"].as_str().is_some_and(|u| u.contains("Übergabe"))));
}
