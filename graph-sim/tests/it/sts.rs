//! The STS stand-in over HTTP, as the AWS SDK speaks to it: the Query
//! protocol posted by hand (form and a well-formed SigV4 Authorization
//! header; the SDK itself is not a graph-sim dependency), each STS error,
//! the switches, and tokens that verify against the issuer's published key.

use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use graph_sim::sts::{StsConfig, StsRequest, StsSim};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::client;

const AUDIENCE: &str = "api://AzureADTokenExchange";

/// The form the SDK's serializer sends for one call.
pub fn call(audiences: &[&str], algorithm: Option<&str>, duration: Option<&str>) -> Vec<(String, String)> {
    let mut form =
        vec![("Action".to_owned(), "GetWebIdentityToken".to_owned()), ("Version".to_owned(), "2011-06-15".to_owned())];
    for (i, a) in audiences.iter().enumerate() {
        form.push((format!("Audience.member.{}", i + 1), (*a).to_owned()));
    }
    if let Some(d) = duration {
        form.push(("DurationSeconds".to_owned(), d.to_owned()));
    }
    if let Some(alg) = algorithm {
        form.push(("SigningAlgorithm".to_owned(), alg.to_owned()));
    }
    form
}

pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub request_id: String,
    pub body: String,
}

impl Answer {
    /// The text of the first `<name>` element.
    pub fn tag(&self, name: &str) -> &str {
        let open = format!("<{name}>");
        let start = self.body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {}", self.body)) + open.len();
        let end = start + self.body[start..].find(&format!("</{name}>")).unwrap();
        &self.body[start..end]
    }
}

/// Posts `form` to the stand-in with `authorization` (if any).
pub async fn post(sts: &StsSim, form: &[(String, String)], authorization: Option<&str>) -> Answer {
    let mut req = client().post(format!("{}/", sts.url())).form(form).header("x-amz-date", "20261124T100000Z");
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.unwrap();
    let header = |n: &str| resp.headers().get(n).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (content_type, request_id) = (header("content-type"), header("x-amzn-requestid"));
    Answer { status: resp.status(), content_type, request_id, body: resp.text().await.unwrap() }
}

/// A signed call, as the SDK would make it.
pub async fn get_token(sts: &StsSim, form: &[(String, String)]) -> Answer {
    post(sts, form, Some(&sts.authorization_header())).await
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap()).unwrap()
}

async fn get_json(url: &str) -> Value {
    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{url}");
    resp.json().await.unwrap()
}

/// Verifies `jwt` as a relying party would: discovery, then the key set,
/// then the key by `kid`.
async fn verify_with_published_key(sts: &StsSim, jwt: &str) {
    let discovery = get_json(&format!("{}/.well-known/openid-configuration", sts.issuer())).await;
    assert_eq!(discovery["issuer"], sts.issuer());
    assert_eq!(discovery["jwks_uri"], format!("{}/.well-known/jwks.json", sts.issuer()));
    assert_eq!(discovery["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    for field in ["response_types_supported", "subject_types_supported"] {
        assert!(discovery[field].is_array(), "{field}");
    }
    let jwks = get_json(discovery["jwks_uri"].as_str().unwrap()).await;
    let kid = header(jwt)["kid"].as_str().unwrap().to_owned();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("kid published");
    assert_eq!(
        (key["kty"].as_str(), key["use"].as_str(), key["alg"].as_str()),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
        .expect("the signature verifies with the published key");
}

#[tokio::test]
async fn get_web_identity_token_returns_a_verifiable_jwt_about_the_role() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let before = Utc::now().timestamp();
    let a = get_token(&sts, &call(&[AUDIENCE], Some("RS256"), Some("300"))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.content_type, "text/xml");
    assert!(a.body.starts_with("<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    assert_eq!(a.tag("RequestId"), a.request_id);
    let jwt = a.tag("WebIdentityToken").to_owned();
    assert_eq!(header(&jwt), serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "RSA_0"}));
    let c = claims(&jwt);
    let config = StsConfig::default();
    assert_eq!(c["iss"], sts.issuer());
    assert_eq!(c["sub"], config.role_arn);
    assert_eq!(c["aud"], AUDIENCE);
    let iat = c["iat"].as_i64().unwrap();
    assert!(iat >= before && iat <= Utc::now().timestamp());
    assert_eq!(c["nbf"], c["iat"]);
    assert_eq!(c["exp"].as_i64(), Some(iat + 300));
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let aws = &c["https://sts.amazonaws.com/"];
    assert_eq!(aws["aws_account"], "123456789012");
    assert_eq!(aws["source_region"], "us-east-1");
    assert_eq!(aws["principal_id"], config.role_arn);
    assert!(aws.get("lambda_source_function_arn").is_none());
    let expiration = DateTime::parse_from_rfc3339(a.tag("Expiration")).unwrap();
    assert_eq!(expiration.timestamp(), iat + 300);
    verify_with_published_key(&sts, &jwt).await;

    let stats = sts.stats();
    assert_eq!((stats.get_web_identity_token_requests, stats.tokens_issued), (1, 1));
    assert_eq!(
        stats.requests,
        [StsRequest {
            audiences: vec![AUDIENCE.to_owned()],
            signing_algorithm: Some("RS256".to_owned()),
            duration_seconds: Some(300),
            status: 200
        }]
    );
    assert_eq!(sts.issued(), [jwt.as_str()]);
    assert!(!format!("{stats:?}").contains(&jwt), "stats never hold the token");
    sts.shutdown().await;
}

#[tokio::test]
async fn audiences_duration_default_tags_and_the_lambda_function() {
    let config = StsConfig {
        function_arn: Some("arn:aws:lambda:us-east-1:123456789012:function:entra-archive".to_owned()),
        ..StsConfig::default()
    };
    let sts = StsSim::start(config).await.unwrap();
    let mut form = call(&["a", "b"], Some("RS256"), None);
    form.push(("Tags.member.1.Key".to_owned(), "team".to_owned()));
    form.push(("Tags.member.1.Value".to_owned(), "data".to_owned()));
    let a = get_token(&sts, &form).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let c = claims(a.tag("WebIdentityToken"));
    assert_eq!(c["aud"], serde_json::json!(["a", "b"]), "several audiences: an array");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300, "DurationSeconds defaults to 300");
    let aws = &c["https://sts.amazonaws.com/"];
    assert_eq!(aws["lambda_source_function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:entra-archive");
    assert_eq!(aws["request_tags"], serde_json::json!({"team": "data"}));
    assert_eq!(sts.stats().requests[0].duration_seconds, None);

    let minted = sts.mint("arn:aws:iam::123456789012:role/other", AUDIENCE, Duration::from_secs(60));
    let m = claims(&minted);
    assert_eq!((m["sub"].as_str(), m["aud"].as_str()), (Some("arn:aws:iam::123456789012:role/other"), Some(AUDIENCE)));
    assert_eq!(m["exp"].as_i64().unwrap() - m["iat"].as_i64().unwrap(), 60);
    verify_with_published_key(&sts, &minted).await;
    assert_eq!(sts.issued().len(), 2);
    assert_eq!(sts.stats().tokens_issued, 1, "minted tokens are not GetWebIdentityToken calls");
}

#[tokio::test]
async fn each_sts_error_in_its_xml_shape() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    let good = call(&[AUDIENCE], Some("RS256"), Some("300"));
    let check = |a: &Answer, status: u16, fault: &str, code: &str| {
        assert_eq!(a.status.as_u16(), status, "{}", a.body);
        assert!(
            a.body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            "{}",
            a.body
        );
        assert_eq!((a.tag("Type"), a.tag("Code")), (fault, code));
        assert!(!a.tag("Message").is_empty());
        assert_eq!(a.tag("RequestId"), a.request_id);
    };

    check(&post(&sts, &good, None).await, 403, "Sender", "MissingAuthenticationToken");
    let other_key = sts.authorization_header().replace("Credential=testing/", "Credential=AKIAEXAMPLE/");
    check(&post(&sts, &good, Some(&other_key)).await, 403, "Sender", "InvalidClientTokenId");
    let other_region = sts.authorization_header().replace("/us-east-1/", "/eu-west-1/");
    check(&post(&sts, &good, Some(&other_region)).await, 403, "Sender", "SignatureDoesNotMatch");
    check(&post(&sts, &good, Some("AWS4-HMAC-SHA256 nonsense")).await, 400, "Sender", "IncompleteSignature");

    let a = get_token(&sts, &call(&[AUDIENCE], Some("RS256"), Some("30"))).await;
    check(&a, 400, "Sender", "ValidationError");
    assert!(a.tag("Message").contains("durationSeconds"), "{}", a.body);
    check(&get_token(&sts, &call(&[], Some("RS256"), None)).await, 400, "Sender", "ValidationError");
    check(&get_token(&sts, &call(&[AUDIENCE], None, None)).await, 400, "Sender", "ValidationError");
    let a = get_token(&sts, &call(&[AUDIENCE], Some("ES384"), None)).await;
    check(&a, 400, "Sender", "NotSupportedByStandIn");
    assert!(a.tag("Message").contains("RS256 only"));
    let mut assume = good.clone();
    assume[0].1 = "AssumeRole".to_owned();
    check(&get_token(&sts, &assume).await, 400, "Sender", "InvalidAction");

    sts.set_switches(|s| s.access_denied = true);
    let a = get_token(&sts, &good).await;
    check(&a, 403, "Sender", "AccessDenied");
    assert!(a.tag("Message").contains("not authorized to perform: sts:GetWebIdentityToken"));
    sts.set_switches(|s| {
        s.access_denied = false;
        s.federation_disabled = true;
    });
    let a = get_token(&sts, &good).await;
    check(&a, 403, "Sender", "OutboundWebIdentityFederationDisabledException");
    assert!(a.tag("Message").starts_with("The outbound web identity federation feature is not enabled"));
    sts.set_switches(|s| {
        s.federation_disabled = false;
        s.unavailable = true;
    });
    check(&get_token(&sts, &good).await, 503, "Receiver", "ServiceUnavailable");
    sts.set_switches(|s| s.unavailable = false);
    assert_eq!(get_token(&sts, &good).await.status, StatusCode::OK);

    let stats = sts.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.get_web_identity_token_requests, 12, "the AssumeRole call is not counted");
    let statuses: Vec<u16> = stats.requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 403, 403, 400, 400, 400, 400, 400, 403, 403, 503, 200]);
    assert!(sts.issued().len() == 1, "no token for a refused call");

    let resp = client().get(format!("{}/nothing", sts.url())).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_expired_switch_issues_tokens_already_past() {
    let sts = StsSim::start(StsConfig::default()).await.unwrap();
    sts.set_switches(|s| s.expired = true);
    let a = get_token(&sts, &call(&[AUDIENCE], Some("RS256"), Some("900"))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let c = claims(a.tag("WebIdentityToken"));
    let now = Utc::now().timestamp();
    let (iat, nbf, exp) = (c["iat"].as_i64().unwrap(), c["nbf"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert!(exp < now - 3000 && nbf == iat && exp - iat == 900, "{c}");
    assert_eq!(DateTime::parse_from_rfc3339(a.tag("Expiration")).unwrap().timestamp(), exp);
}
