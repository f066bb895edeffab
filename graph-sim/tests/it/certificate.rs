//! Certificate credentials over HTTP: client assertions built here, the way
//! the exporter builds them (the other side of the wire), signed with the
//! fixture keys in `tests/fixtures/certs/`, and each AADSTS error Entra sends
//! for a bad one.

use crate::common::*;
use aws_lc_rs::digest::{self, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use graph_sim::{GraphSim, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn fixture(name: &str) -> String {
    let path = format!("{}/../tests/fixtures/certs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The DER inside the first PEM block labelled `label`.
fn pem_der(text: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).unwrap() + begin.len();
    let stop = start + text[start..].find(&end).unwrap();
    let b64: String = text[start..stop].split_whitespace().collect();
    STANDARD.decode(b64).unwrap()
}

fn pkcs8_key(name: &str) -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(&pem_der(&fixture(name), "PRIVATE KEY")).unwrap()
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `x5t#S256` of a fixture certificate.
fn x5t_s256(cert: &str) -> String {
    b64url(digest::digest(&SHA256, &pem_der(&fixture(cert), "CERTIFICATE")).as_ref())
}

/// Legacy `x5t` (SHA-1) of a fixture certificate.
fn x5t(cert: &str) -> String {
    b64url(digest::digest(&SHA1_FOR_LEGACY_USE_ONLY, &pem_der(&fixture(cert), "CERTIFICATE")).as_ref())
}

/// The claims Microsoft documents, for `sim`'s tenant and app, valid now.
fn claims(sim: &GraphSim) -> Value {
    let now = Utc::now().timestamp();
    let c = sim.config();
    json!({
        "aud": format!("https://login.microsoftonline.com/{}/oauth2/v2.0/token", c.tenant_id),
        "iss": c.client_id,
        "sub": c.client_id,
        "jti": uuid_like(now),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    })
}

fn uuid_like(n: i64) -> String {
    format!("00000000-0000-4000-8000-{:012x}", n.unsigned_abs() % (1 << 48))
}

fn sign(header: &Value, claims: &Value, key: &RsaKeyPair, enc: &'static dyn RsaEncoding) -> String {
    let signed = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(enc, &SystemRandom::new(), signed.as_bytes(), &mut sig).unwrap();
    format!("{signed}.{}", b64url(&sig))
}

/// PS256, `x5t#S256` of `cert`, signed by `key`.
fn ps256(cert: &str, key: &str, claims: &Value) -> String {
    let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256(cert)});
    sign(&header, claims, &pkcs8_key(key), &RSA_PSS_SHA256)
}

/// The documented good assertion for `sim`.
fn good(sim: &GraphSim) -> String {
    ps256("app.cert.pem", "app.key.pem", &claims(sim))
}

fn assertion_form(sim: &GraphSim, assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", sim.config().client_id.clone()),
        ("scope", GRAPH_SCOPE.to_owned()),
        ("client_assertion_type", JWT_BEARER.to_owned()),
        ("client_assertion", assertion.to_owned()),
        ("grant_type", "client_credentials".to_owned()),
    ]
}

async fn start_with_cert() -> GraphSim {
    GraphSim::start(SimConfig { client_certificate_pem: Some(fixture("app.cert.pem")), ..config() }).await.unwrap()
}

async fn expect(sim: &GraphSim, assertion: &str, status: StatusCode, error: &str, code: u64) -> String {
    let (got, body) = post_token(sim, &assertion_form(sim, assertion)).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let desc = body["error_description"].as_str().unwrap().to_owned();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    // Never echoed, not even in part.
    for part in assertion.split('.').filter(|p| p.len() > 8) {
        assert!(!body.to_string().contains(part), "{body}");
    }
    desc
}

async fn expect_invalid_client(sim: &GraphSim, assertion: &str, code: u64) -> String {
    expect(sim, assertion, StatusCode::UNAUTHORIZED, "invalid_client", code).await
}

fn token_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn documented_ps256_assertion_gets_a_working_token() {
    let sim = start_with_cert().await;
    let assertion = good(&sim);
    let (status, body) = post_token(&sim, &assertion_form(&sim, &assertion)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();
    // appidacr 2: the client authenticated with a certificate.
    assert_eq!(token_claims(token)["appidacr"], "2");
    let page = get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(token)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    // The sim's own token URL is an accepted audience too.
    let mut c = claims(&sim);
    c["aud"] = json!(token_url(&sim));
    let a = ps256("app.cert.pem", "app.key.pem", &c);
    assert_eq!(post_token(&sim, &assertion_form(&sim, &a)).await.0, StatusCode::OK);

    // Nothing logged carries the assertion.
    for r in sim.requests() {
        assert!(!r.path_and_query.contains("assertion"), "{r:?}");
    }
}

#[tokio::test]
async fn legacy_rs256_with_x5t_is_accepted() {
    let sim = start_with_cert().await;
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": x5t("app.cert.pem")});
    // The PKCS#1 form of the same key signs the same way.
    let key = RsaKeyPair::from_der(&pem_der(&fixture("app.rsa.key.pem"), "RSA PRIVATE KEY")).unwrap();
    let a = sign(&header, &claims(&sim), &key, &RSA_PKCS1_SHA256);
    let (status, body) = post_token(&sim, &assertion_form(&sim, &a)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn signature_by_the_wrong_key_is_700027() {
    let sim = start_with_cert().await;
    // app.cert.pem's thumbprint, other.key.pem's signature.
    let a = ps256("app.cert.pem", "other.key.pem", &claims(&sim));
    let desc = expect_invalid_client(&sim, &a, 700027).await;
    assert!(desc.contains("did not match the expected signature value"), "{desc}");

    // PKCS#1 v1.5 padding under a PS256 header.
    let header = json!({"alg": "PS256", "x5t#S256": x5t_s256("app.cert.pem")});
    let a = sign(&header, &claims(&sim), &pkcs8_key("app.key.pem"), &RSA_PKCS1_SHA256);
    expect_invalid_client(&sim, &a, 700027).await;
}

#[tokio::test]
async fn thumbprint_of_an_unregistered_certificate_is_700027() {
    let sim = start_with_cert().await;
    let a = ps256("other.cert.pem", "other.key.pem", &claims(&sim));
    let desc = expect_invalid_client(&sim, &a, 700027).await;
    assert!(desc.contains("[Reason - The key was not found."), "{desc}");
}

#[tokio::test]
async fn wrong_claims_get_their_codes() {
    let sim = start_with_cert().await;
    let with = |name: &str, value: Value| {
        let mut c = claims(&sim);
        c[name] = value;
        ps256("app.cert.pem", "app.key.pem", &c)
    };
    let other_tenant = "https://login.microsoftonline.com/00000000-0000-0000-0000-00000000dead/oauth2/v2.0/token";
    let desc = expect_invalid_client(&sim, &with("aud", json!(other_tenant)), 700023).await;
    assert!(desc.contains("audience claim does not match"), "{desc}");
    expect_invalid_client(&sim, &with("aud", json!("https://graph.microsoft.com")), 700023).await;

    let stranger = json!("99999999-9999-4999-8999-999999999999");
    let mut c = claims(&sim);
    c["iss"] = stranger.clone();
    c["sub"] = stranger.clone();
    let desc = expect_invalid_client(&sim, &ps256("app.cert.pem", "app.key.pem", &c), 700021).await;
    assert!(desc.contains("doesn't match 'client_id' parameter"), "{desc}");
    expect_invalid_client(&sim, &with("sub", stranger), 50048).await;
}

#[tokio::test]
async fn assertions_outside_their_time_range_are_700024() {
    let sim = start_with_cert().await;
    let now = Utc::now().timestamp();
    let window = |nbf: i64, exp: i64| {
        let mut c = claims(&sim);
        c["nbf"] = json!(nbf);
        c["iat"] = json!(nbf);
        c["exp"] = json!(exp);
        ps256("app.cert.pem", "app.key.pem", &c)
    };
    let desc = expect_invalid_client(&sim, &window(now - 3600, now - 3000), 700024).await;
    assert!(desc.contains("Client assertion is not within its valid time range."), "{desc}");
    expect_invalid_client(&sim, &window(now + 3600, now + 4200), 700024).await;
    // A minute of skew either way is tolerated.
    let late = window(now - 660, now - 60);
    assert_eq!(post_token(&sim, &assertion_form(&sim, &late)).await.0, StatusCode::OK);
    let early = window(now + 60, now + 660);
    assert_eq!(post_token(&sim, &assertion_form(&sim, &early)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn certificate_is_changed_at_runtime() {
    let sim = start().await;
    let assertion = good(&sim);
    // No certificate uploaded.
    let desc = expect_invalid_client(&sim, &assertion, 700027).await;
    assert!(desc.contains("The key was not found."), "{desc}");

    sim.set_client_certificate(Some(fixture("app.cert.pem")));
    let (status, body) = post_token(&sim, &assertion_form(&sim, &assertion)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();

    // Replaced by another certificate: app's key is no longer registered.
    sim.set_client_certificate(Some(fixture("other.cert.pem")));
    expect_invalid_client(&sim, &assertion, 700027).await;
    let other = ps256("other.cert.pem", "other.key.pem", &claims(&sim));
    assert_eq!(post_token(&sim, &assertion_form(&sim, &other)).await.0, StatusCode::OK);

    sim.set_client_certificate(None);
    expect_invalid_client(&sim, &other, 700027).await;
    // Tokens already issued stay valid.
    let page = get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&token)).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_assertions_are_50027() {
    let sim = start_with_cert().await;
    expect_invalid_client(&sim, "not-a-jwt", 50027).await;
    expect_invalid_client(&sim, "a.b.c", 50027).await;
    let no_thumbprint = sign(&json!({"alg": "PS256"}), &claims(&sim), &pkcs8_key("app.key.pem"), &RSA_PSS_SHA256);
    let desc = expect_invalid_client(&sim, &no_thumbprint, 50027).await;
    assert!(desc.contains("No certificate thumbprint"), "{desc}");
    let mut c = claims(&sim);
    c.as_object_mut().unwrap().remove("jti");
    expect_invalid_client(&sim, &ps256("app.cert.pem", "app.key.pem", &c), 50027).await;
}

#[tokio::test]
async fn request_shape_errors() {
    let sim = start_with_cert().await;
    let assertion = good(&sim);

    // A secret as well as an assertion: one client authentication only.
    let mut both = assertion_form(&sim, &assertion);
    both.push(("client_secret", sim.config().client_secret.clone()));
    let (status, body) = post_token(&sim, &both).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"], json!([90023]));
    let resp = client()
        .post(token_url(&sim))
        .basic_auth(&sim.config().client_id, Some(&sim.config().client_secret))
        .form(&assertion_form(&sim, &assertion))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let wrong_type: Vec<_> = assertion_form(&sim, &assertion)
        .into_iter()
        .map(|(k, v)| match k {
            "client_assertion_type" => (k, "urn:ietf:params:oauth:client-assertion-type:saml2-bearer".to_owned()),
            _ => (k, v),
        })
        .collect();
    let (status, body) = post_token(&sim, &wrong_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_codes"], json!([90011]));
    let no_type: Vec<_> =
        assertion_form(&sim, &assertion).into_iter().filter(|(k, _)| *k != "client_assertion_type").collect();
    let (status, body) = post_token(&sim, &no_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_codes"], json!([900144]));
}

#[tokio::test]
async fn an_unusable_certificate_is_refused_at_start() {
    let err = GraphSim::start(SimConfig { client_certificate_pem: Some(fixture("app.key.pem")), ..config() })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("CERTIFICATE"), "{err}");
}

#[tokio::test]
#[should_panic(expected = "set_client_certificate")]
async fn set_client_certificate_panics_on_garbage() {
    let sim = start().await;
    sim.set_client_certificate(Some("not a certificate".to_owned()));
}
