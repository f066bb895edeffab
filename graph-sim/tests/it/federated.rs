//! Secretless sign-in end to end: a web identity token from the STS
//! stand-in (its issuer's discovery and key set served on loopback), posted
//! to the token endpoint as a federated client assertion, and each AADSTS
//! answer Entra gives when the app's federated credentials, the token or
//! the issuer do not fit.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use graph_sim::sts::{StsConfig, StsSim};
use graph_sim::{FederatedCredential, GraphSim, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::sts::{call, get_token};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const AUDIENCE: &str = "api://AzureADTokenExchange";

/// The app's credential trusting `sts`'s role.
fn trusting(sts: &StsSim) -> FederatedCredential {
    FederatedCredential::new("aws-role", sts.issuer(), sts.config().role_arn.clone())
}

async fn start(fics: Vec<FederatedCredential>) -> GraphSim {
    GraphSim::start(SimConfig { federated_credentials: fics, ..config().empty() }).await.unwrap()
}

/// The client-credentials form with `assertion` as the client credential.
fn assertion_form(sim: &GraphSim, assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", sim.config().client_id.clone()),
        ("scope", GRAPH_SCOPE.to_owned()),
        ("grant_type", "client_credentials".to_owned()),
        ("client_assertion_type", JWT_BEARER.to_owned()),
        ("client_assertion", assertion.to_owned()),
    ]
}

/// Posts `assertion`; status and body.
async fn exchange(sim: &GraphSim, assertion: &str) -> (StatusCode, Value) {
    post_token(sim, &assertion_form(sim, assertion)).await
}

/// The AADSTS number, status and `error` of a refusal, checking that it
/// never echoes the assertion.
async fn refused(sim: &GraphSim, assertion: &str) -> (u64, u16, String, String) {
    let (status, v) = exchange(sim, assertion).await;
    assert_ne!(status, StatusCode::OK, "{v}");
    let body = v.to_string();
    for part in assertion.split('.').filter(|p| p.len() > 8) {
        assert!(!body.contains(part), "the answer echoes the assertion: {body}");
    }
    let description = v["error_description"].as_str().unwrap().to_owned();
    let code = v["error_codes"][0].as_u64().unwrap();
    assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
    (code, status.as_u16(), v["error"].as_str().unwrap().to_owned(), description)
}

/// A token from the stand-in's `GetWebIdentityToken`, as the exporter gets it.
async fn web_identity_token(sts: &StsSim, audiences: &[&str]) -> String {
    let a = get_token(sts, &call(audiences, Some("RS256"), Some("300"))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.tag("WebIdentityToken").to_owned()
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

/// `jwt` with its header replaced (the signature no longer covers it).
fn with_header(jwt: &str, header: &Value) -> String {
    let (_, rest) = jwt.split_once('.').unwrap();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[tokio::test]
async fn a_web_identity_token_the_app_trusts_gets_an_access_token() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![trusting(&sts)]).await;
    let jwt = web_identity_token(&sts, &[AUDIENCE]).await;
    let (status, v) = exchange(&sim, &jwt).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let access = v["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!((c["appid"].as_str(), c["appidacr"].as_str()), (Some(sim.config().client_id.as_str()), Some("2")));
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    let page = get(&sim, "/v1.0/auditLogs/directoryAudits", Some(access)).await;
    assert_eq!(page.status, StatusCode::OK, "the token opens Graph");

    // An array `aud` holding the credential's audience fits too.
    let jwt = web_identity_token(&sts, &["https://other.example", AUDIENCE]).await;
    assert_eq!(exchange(&sim, &jwt).await.0, StatusCode::OK);

    let stats = sim.stats();
    assert_eq!((stats.federated_token_requests, stats.federated_tokens_issued), (2, 2));
    assert_eq!((stats.token_requests, stats.tokens_issued), (2, 2));
    for r in sim.requests() {
        assert!(!r.path_and_query.contains("eyJ"), "the request log holds no assertion: {r:?}");
    }
}

#[tokio::test]
async fn issuer_subject_and_audience_each_refused_with_entras_code() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![trusting(&sts)]).await;
    let jwt = web_identity_token(&sts, &[AUDIENCE]).await;

    let other_issuer = FederatedCredential { issuer: "https://abc.tokens.sts.global.api.aws".into(), ..trusting(&sts) };
    sim.set_federated_credentials(vec![other_issuer]);
    let (code, status, error, text) = refused(&sim, &jwt).await;
    assert_eq!((code, status, error.as_str()), (700211, 401, "invalid_client"));
    assert!(text.contains(&format!("presented assertion issuer '{}'", sts.issuer())), "{text}");

    let other_role = FederatedCredential { subject: "arn:aws:iam::123456789012:role/old".into(), ..trusting(&sts) };
    sim.set_federated_credentials(vec![other_role]);
    let (code, status, error, text) = refused(&sim, &jwt).await;
    assert_eq!((code, status, error.as_str()), (700213, 401, "invalid_client"));
    assert!(text.contains(&format!("presented assertion subject '{}'", sts.config().role_arn)), "{text}");

    let other_audience = FederatedCredential { audiences: vec!["api://other".into()], ..trusting(&sts) };
    sim.set_federated_credentials(vec![other_audience]);
    let (code, status, error, text) = refused(&sim, &jwt).await;
    assert_eq!((code, status, error.as_str()), (700212, 401, "invalid_client"));
    assert!(text.contains(&format!("presented assertion audience '{AUDIENCE}'")), "{text}");

    sim.set_federated_credentials(vec![trusting(&sts)]);
    let minted = sts.mint(&sts.config().role_arn, "api://not-entra", Duration::from_secs(300));
    assert_eq!(refused(&sim, &minted).await.0, 700212);
    assert_eq!(exchange(&sim, &jwt).await.0, StatusCode::OK, "trusted again");

    let stats = sim.stats();
    assert_eq!((stats.federated_token_requests, stats.federated_tokens_issued), (5, 1));
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_700024() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![trusting(&sts)]).await;

    sts.set_switches(|s| s.expired = true);
    let skewed = web_identity_token(&sts, &[AUDIENCE]).await;
    sts.set_switches(|s| s.expired = false);
    let (code, status, error, text) = refused(&sim, &skewed).await;
    assert_eq!((code, status, error.as_str()), (700024, 401, "invalid_client"));
    assert!(text.contains("Client assertion is not within its valid time range. Current time: "), "{text}");

    let now = Utc::now().timestamp();
    let role = sts.config().role_arn.clone();
    let base = json!({"iss": sts.issuer(), "sub": role, "aud": AUDIENCE, "jti": "j"});
    let with_times = |nbf: i64, exp: i64| {
        let mut c = base.clone();
        c["nbf"] = json!(nbf);
        c["iat"] = json!(nbf);
        c["exp"] = json!(exp);
        c
    };
    let not_yet = sts.sign(&with_times(now + 600, now + 900));
    assert_eq!(refused(&sim, &not_yet).await.0, 700024);
    // No leeway: a token that expired a few seconds ago is refused.
    let just_expired = sts.sign(&with_times(now - 300, now - 5));
    assert_eq!(refused(&sim, &just_expired).await.0, 700024);
    assert_eq!(exchange(&sim, &sts.sign(&with_times(now - 5, now + 300))).await.0, StatusCode::OK);
    // A missing `exp` is a malformed token.
    let mut no_exp = base.clone();
    no_exp["nbf"] = json!(now);
    assert_eq!(refused(&sim, &sts.sign(&no_exp)).await.0, 50027);
}

#[tokio::test]
async fn a_bad_signature_or_an_unknown_key_is_refused() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![trusting(&sts)]).await;
    let jwt = web_identity_token(&sts, &[AUDIENCE]).await;

    // Another kid: the issuer's key set has no such key.
    let unknown = with_header(&jwt, &json!({"alg": "RS256", "typ": "JWT", "kid": "RSA_9"}));
    let (code, status, error, text) = refused(&sim, &unknown).await;
    assert_eq!((code, status, error.as_str()), (7000272, 401, "invalid_client"));
    assert!(text.contains(&format!("identifier RSA_9 used to sign the federated credential could not be found in the metadata of identity provider {}", sts.issuer())), "{text}");

    // The claims changed after signing.
    let (head, rest) = jwt.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut forged = claims(&jwt);
    forged["jti"] = json!("forged");
    let tampered = format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode(forged.to_string()));
    let (code, status, error, text) = refused(&sim, &tampered).await;
    assert_eq!((code, status, error.as_str()), (500126, 401, "invalid_client"));
    assert!(text.contains("failed signature verification. KeyID of token is 'RSA_0'"), "{text}");

    // Signed by another issuer's key under the same kid.
    let impostor = StsSim::start(StsConfig::default()).await.unwrap();
    let mut c = claims(&jwt);
    c["jti"] = json!("impostor");
    assert_eq!(refused(&sim, &impostor.sign(&c)).await.0, 500126);
    // Not RS256.
    assert_eq!(refused(&sim, &with_header(&jwt, &json!({"alg": "none", "kid": "RSA_0"}))).await.0, 500126);

    // Not a JWT at all, though it reads as a federated one's start.
    let (code, status, ..) = refused(&sim, &format!("{head}.{}", URL_SAFE_NO_PAD.encode(r#"{"iss":"x"}"#))).await;
    assert_eq!((code, status), (50027, 401));
}

#[tokio::test]
async fn a_new_credential_answers_70021_until_it_has_propagated() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![]).await;
    let jwt = web_identity_token(&sts, &[AUDIENCE]).await;
    assert_eq!(refused(&sim, &jwt).await.0, 700211, "no credential yet");

    sim.add_federated_credential(trusting(&sts), Duration::from_millis(1500));
    let (code, status, error, text) = refused(&sim, &jwt).await;
    assert_eq!((code, status, error.as_str()), (70021, 400, "invalid_request"));
    assert!(
        text.contains(&format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. \
             Assertion Subject: '{}'. Assertion Audience: '{AUDIENCE}'.",
            sts.issuer(),
            sts.config().role_arn
        )),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(exchange(&sim, &jwt).await.0, StatusCode::OK, "propagated");
    assert_eq!(sim.federated_credentials(), [trusting(&sts)]);
}

#[tokio::test]
async fn an_unreachable_or_wrong_issuer_endpoint_is_50166() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let issuer = sts.issuer();
    let sim = start(vec![trusting(&sts)]).await;
    let jwt = web_identity_token(&sts, &[AUDIENCE]).await;

    // The issuer's discovery document names another issuer.
    let slash = format!("{issuer}/");
    sim.set_federated_credentials(vec![FederatedCredential { issuer: slash.clone(), ..trusting(&sts) }]);
    let mut c = claims(&jwt);
    c["iss"] = json!(slash);
    let (code, status, error, text) = refused(&sim, &sts.sign(&c)).await;
    assert_eq!((code, status, error.as_str()), (50166, 400, "invalid_request"));
    assert_eq!(text.split("\r\n").next(), Some("AADSTS50166: Request to External OIDC endpoint failed."));

    sim.set_federated_credentials(vec![trusting(&sts)]);
    sts.shutdown().await;
    let (code, status, error, _) = refused(&sim, &jwt).await;
    assert_eq!((code, status, error.as_str()), (50166, 400, "invalid_request"));
    assert_eq!(sim.stats().federated_token_requests, 2);
}

#[tokio::test]
async fn certificate_and_secret_sign_in_are_unchanged_beside_federation() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let sim = start(vec![trusting(&sts)]).await;
    let (status, _) = post_token(&sim, &token_form(&sim)).await;
    assert_eq!(status, StatusCode::OK);
    // An assertion whose issuer is the app itself is a certificate
    // assertion: with no certificate uploaded, AADSTS700027.
    let own = sts.sign(&json!({"iss": sim.config().client_id, "sub": sim.config().client_id, "aud": "x"}));
    assert_eq!(refused(&sim, &own).await.0, 700027);
    let stats = sim.stats();
    assert_eq!((stats.token_requests, stats.federated_token_requests), (2, 0));
}

#[tokio::test]
async fn more_than_twenty_credentials_are_refused_at_start() {
    let fics: Vec<FederatedCredential> = (0..21)
        .map(|i| FederatedCredential::new(format!("fic-{i}"), "https://issuer.example", format!("sub-{i}")))
        .collect();
    let e = GraphSim::start(SimConfig { federated_credentials: fics.clone(), ..config().empty() }).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("at most 20"), "{e}");
    let sim = start(fics[..20].to_vec()).await;
    let extra = fics[20].clone();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sim.add_federated_credential(extra, Duration::ZERO);
    }));
    assert!(panicked.is_err(), "a 21st credential is refused");
    assert_eq!(sim.federated_credentials().len(), 20);
}
