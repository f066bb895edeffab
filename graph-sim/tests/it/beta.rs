//! Beta sign-ins over HTTP: each `signInEventTypes` filter returns exactly
//! the server's records of that kind, in every documented spelling; no type
//! filter means interactive only, the same events v1.0 serves; v1.0 never
//! serves any other kind; the deprecation `Link` header; filter errors.

use crate::common::*;
use graph_sim::{Dataset, GraphSim, SignInEventType, SimConfig};
use reqwest::StatusCode;

const BETA: &str = "/beta/auditLogs/signIns";

fn beta_config() -> SimConfig {
    SimConfig {
        signins: 300,
        signins_noninteractive: 900,
        signins_service_principal: 250,
        signins_managed_identity: 150,
        ..config()
    }
}

async fn start_beta() -> GraphSim {
    GraphSim::start(beta_config()).await.unwrap()
}

fn enc(filter: &str) -> String {
    url::form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

fn ids_of_kind_between(sim: &GraphSim, kind: SignInEventType, lo: &str, hi: &str) -> Vec<String> {
    let (lo, hi) = (t(lo), t(hi));
    sim.signins_of_type(kind).into_iter().filter(|r| r.time >= lo && r.time <= hi).map(|r| r.id).collect()
}

#[tokio::test]
async fn each_type_filter_returns_exactly_that_types_records() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    let (lo, hi) = ("2026-11-22T06:00:00Z", "2026-11-23T18:30:00.5Z");
    let window = format!("createdDateTime ge {lo} and createdDateTime le {hi}");
    for &kind in SignInEventType::all() {
        let clause = kind.filter_clause();
        let want = ids_of_kind_between(&sim, kind, lo, hi);
        assert!(want.len() > 100, "{kind}: {}", want.len());
        for filter in
            [format!("({window}) and {clause}"), format!("{window} and {clause}"), format!("{clause} and ({window})")]
        {
            let first = format!("{BETA}?$filter={}&$top=100", enc(&filter));
            let (ids, pages) = walk(&sim, Dataset::SignInsBeta, &first, &tok).await;
            assert_eq!(ids, want, "{filter}");
            assert_eq!(pages, want.len().div_ceil(100), "{filter}");
        }
        // Every record served is of that kind.
        let r = get(&sim, &format!("{BETA}?$filter={}", enc(&clause)), Some(&tok)).await;
        let page = r.json();
        let values = page["value"].as_array().unwrap();
        assert_eq!(values.len(), sim.signins_of_type(kind).len().min(1000));
        for v in values {
            assert_eq!(v["signInEventTypes"], serde_json::json!([kind.as_str()]));
            assert_eq!(v["isInteractive"], kind == SignInEventType::InteractiveUser);
        }
    }
    // Non-interactive sign-ins are the most numerous.
    let count = |k| sim.signins_of_type(k).len();
    assert!(count(SignInEventType::NonInteractiveUser) > count(SignInEventType::InteractiveUser));
    assert_eq!(sim.records(Dataset::SignInsBeta).len(), 300 + 900 + 250 + 150);
}

#[tokio::test]
async fn without_a_type_filter_beta_serves_the_interactive_sign_ins_v1_serves() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    let (ids, pages) = walk(&sim, Dataset::SignInsBeta, &format!("{BETA}?$top=70"), &tok).await;
    assert_eq!(pages, 300usize.div_ceil(70));
    let v1: Vec<String> = sim.records(Dataset::SignIns).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, v1, "the same events, in the same order");
    let interactive: Vec<String> =
        sim.signins_of_type(SignInEventType::InteractiveUser).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, interactive);

    // A time filter alone is still interactive only.
    let filter = "createdDateTime ge 2026-11-23T00:00:00Z and createdDateTime le 2026-11-23T12:00:00Z";
    let (ids, _) = walk(&sim, Dataset::SignInsBeta, &format!("{BETA}?$filter={}&$top=40", enc(filter)), &tok).await;
    let want =
        ids_of_kind_between(&sim, SignInEventType::InteractiveUser, "2026-11-23T00:00:00Z", "2026-11-23T12:00:00Z");
    assert_eq!(ids, want);
    let (v1_ids, _) =
        walk(&sim, Dataset::SignIns, &format!("/v1.0/auditLogs/signIns?$filter={}&$top=40", enc(filter)), &tok).await;
    assert_eq!(v1_ids, want);

    // Same event, same time: the beta record has every v1.0 value, then beta's.
    let v1 = sim.records(Dataset::SignIns);
    for (a, b) in v1.iter().zip(sim.signins_of_type(SignInEventType::InteractiveUser)) {
        assert_eq!((&a.id, a.time), (&b.id, b.time));
        let (va, vb): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&a.json).unwrap(), serde_json::from_str(&b.json).unwrap());
        for (key, value) in va.as_object().unwrap() {
            if key != "deviceDetail" && key != "appliedConditionalAccessPolicies" {
                assert_eq!(&vb[key], value, "{key}");
            }
        }
        assert!(vb["signInEventTypes"].is_array() && va.get("signInEventTypes").is_none());
    }
}

#[tokio::test]
async fn v1_never_serves_another_kind_of_sign_in() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    // Runtime additions of every kind.
    let (from, to) = (t("2026-11-24T00:00:00Z"), t("2026-11-24T02:00:00Z"));
    for &kind in SignInEventType::all() {
        let added = sim.generate_signins(kind, 25, from, to);
        assert_eq!(added.len(), 25);
        assert!(added.iter().all(|r| r.json.contains(&format!("\"signInEventTypes\":[\"{kind}\"]"))));
    }
    let added = sim.generate(Dataset::SignInsBeta, 40, from, to);
    assert!(added.iter().all(|r| !r.json.contains("\"interactiveUser\"")));

    let others: std::collections::HashSet<String> =
        [SignInEventType::NonInteractiveUser, SignInEventType::ServicePrincipal, SignInEventType::ManagedIdentity]
            .into_iter()
            .flat_map(|k| sim.signins_of_type(k))
            .map(|r| r.id)
            .collect();
    assert_eq!(others.len(), 900 + 250 + 150 + 3 * 25 + 40);
    let (ids, _) = walk(&sim, Dataset::SignIns, "/v1.0/auditLogs/signIns?$top=200", &tok).await;
    assert_eq!(ids.len(), 300 + 25);
    assert!(ids.iter().all(|id| !others.contains(id)));
    for r in sim.records(Dataset::SignIns) {
        assert!(r.json.contains("\"isInteractive\":true"), "{}", r.json);
    }
    // Interactive sign-ins added at runtime are served by both.
    let interactive: Vec<String> =
        sim.signins_of_type(SignInEventType::InteractiveUser).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, interactive);
}

#[tokio::test]
async fn beta_responses_carry_the_deprecation_link() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    let link = |r: &Resp| r.header("link").map(str::to_owned);
    let r = get(&sim, &format!("{BETA}?$top=1"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    let l = link(&r).expect("Link header");
    assert!(l.starts_with("<https://developer.microsoft-tst.com/en-us/graph/changes?$filterby=beta,SignIn"), "{l}");
    assert!(l.ends_with(";rel=\"deprecation\""), "{l}");
    assert_eq!(r.json()["@odata.context"], format!("{}/beta/$metadata#auditLogs/signIns", sim.url()));
    // Errors too; v1.0 never.
    assert!(link(&get(&sim, BETA, None).await).is_some());
    assert!(link(&get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&tok)).await).is_none());
}

#[tokio::test]
async fn type_filter_errors_name_the_clause() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    let bad = |filter: &'static str| {
        let (sim, tok) = (&sim, &tok);
        async move {
            let r = get(sim, &format!("{BETA}?$filter={}", enc(filter)), Some(tok)).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{filter}: {}", r.body);
            assert_eq!(r.error_code(), "BadRequest");
            r.error_message()
        }
    };
    let e = bad("signInEventTypes/any(t: t ne 'interactiveUser')").await;
    assert!(e.contains("signInEventTypes/any(t: t ne 'interactiveUser')") && e.contains("'ne'"), "{e}");
    assert!(bad("signInEventTypes/any(t: t eq 'robot')").await.contains("'robot'"));
    assert!(
        bad("signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')").await.contains("only one")
    );
    let e = bad("signInEventTypes/any(t: t eq 'servicePrincipal') and signInEventTypes/any(t: t eq 'managedIdentity')")
        .await;
    assert!(e.contains("at most one"), "{e}");
    assert!(bad("createdDateTime gt 2026-11-23T00:00:00Z").await.contains("'gt'"));
    // v1.0 has no such property.
    let r = get(
        &sim,
        &format!("/v1.0/auditLogs/signIns?$filter={}", enc("signInEventTypes/any(t: t eq 'interactiveUser')")),
        Some(&tok),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("signInEventTypes"));
}

#[tokio::test]
async fn a_skip_token_belongs_to_its_type() {
    let sim = start_beta().await;
    let tok = token(&sim).await;
    let first = format!("{BETA}?$filter={}&$top=5", enc(&SignInEventType::ServicePrincipal.filter_clause()));
    let next = get(&sim, &first, Some(&tok)).await.json()["@odata.nextLink"].as_str().unwrap().to_owned();
    let token_part = next.split("$skiptoken=").nth(1).unwrap();
    for other in [
        format!("{BETA}?$filter={}&$skiptoken={token_part}", enc(&SignInEventType::ManagedIdentity.filter_clause())),
        format!("{BETA}?$skiptoken={token_part}"),
    ] {
        let r = get(&sim, &other, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{other}");
        assert_eq!(r.error_message(), "Invalid skip token");
    }
    assert_eq!(get_url(&next, Some(&tok)).await.status, StatusCode::OK);
}
