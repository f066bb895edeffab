//! Each check of `verify`, with a fixed clock and the fixture certificates.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
use serde_json::json;
use x509_cert::der::pem;

use super::*;

const APP_CERT: &str = include_str!("../../../../tests/fixtures/certs/app.cert.pem");
const APP_KEY: &str = include_str!("../../../../tests/fixtures/certs/app.key.pem");
const OTHER_CERT: &str = include_str!("../../../../tests/fixtures/certs/other.cert.pem");
const OTHER_KEY: &str = include_str!("../../../../tests/fixtures/certs/other.key.pem");

const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";
const AUD: &str = "https://login.microsoftonline.com/tid/oauth2/v2.0/token";
const SIM_AUD: &str = "http://127.0.0.1:1/tid/oauth2/v2.0/token";
/// 2026-11-24T10:00:00Z
const NOW: i64 = 1_795_514_400;

fn cert(pem: &str) -> ClientCertificate {
    ClientCertificate::from_pem(pem).unwrap()
}

fn key(pem_text: &str) -> RsaKeyPair {
    let (label, der) = pem::decode_vec(pem_text.as_bytes()).unwrap();
    assert_eq!(label, "PRIVATE KEY");
    RsaKeyPair::from_pkcs8(&der).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn claims() -> Value {
    json!({
        "aud": AUD,
        "iss": CLIENT,
        "sub": CLIENT,
        "jti": "5d4b9f0e-7a8e-4c0f-9d4e-1f2a3b4c5d6e",
        "nbf": NOW,
        "iat": NOW,
        "exp": NOW + 600,
    })
}

fn ps256_header(cert: &ClientCertificate) -> Value {
    json!({"alg": "PS256", "typ": "JWT", "x5t#S256": b64(&cert.sha256)})
}

fn sign(header: &Value, claims: &Value, key: &RsaKeyPair, enc: &'static dyn RsaEncoding) -> String {
    let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(enc, &SystemRandom::new(), signed.as_bytes(), &mut sig).unwrap();
    format!("{signed}.{}", b64(&sig))
}

fn good_with(claims: &Value) -> String {
    sign(&ps256_header(&cert(APP_CERT)), claims, &key(APP_KEY), &RSA_PSS_SHA256)
}

fn check(assertion: &str, certificate: Option<&ClientCertificate>) -> Result<(), AadError> {
    let audiences = [SIM_AUD.to_owned(), AUD.to_owned()];
    let expected = Expected {
        client_id: CLIENT,
        audiences: &audiences,
        certificate,
        now: DateTime::from_timestamp(NOW, 0).unwrap(),
    };
    verify(Some(JWT_BEARER), assertion, &expected)
}

fn check_app(assertion: &str) -> Result<(), AadError> {
    check(assertion, Some(&cert(APP_CERT)))
}

fn code(r: Result<(), AadError>) -> u32 {
    let e = r.unwrap_err();
    e.code
}

#[test]
fn ps256_with_x5t_s256_is_accepted() {
    assert_eq!(check_app(&good_with(&claims())), Ok(()));
}

#[test]
fn legacy_rs256_with_x5t_is_accepted() {
    let c = cert(APP_CERT);
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": b64(&c.sha1)});
    let a = sign(&header, &claims(), &key(APP_KEY), &RSA_PKCS1_SHA256);
    assert_eq!(check_app(&a), Ok(()));
    // The thumbprint names the key; the algorithm is independent of it.
    let header = json!({"alg": "PS256", "x5t": b64(&c.sha1)});
    let a = sign(&header, &claims(), &key(APP_KEY), &RSA_PSS_SHA256);
    assert_eq!(check_app(&a), Ok(()));
}

#[test]
fn padding_must_match_alg() {
    let header = ps256_header(&cert(APP_CERT));
    let a = sign(&header, &claims(), &key(APP_KEY), &RSA_PKCS1_SHA256);
    let e = check_app(&a).unwrap_err();
    assert_eq!((e.code, e.error), (700027, "invalid_client"));
    assert!(e.message.contains("did not match the expected signature"), "{}", e.message);
    assert!(e.message.contains("Found key 'Start=01/01/2025 00:00:00, End=01/01/2045 00:00:00'"));
}

#[test]
fn signature_by_another_key_is_rejected() {
    let a = sign(&ps256_header(&cert(APP_CERT)), &claims(), &key(OTHER_KEY), &RSA_PSS_SHA256);
    let e = check_app(&a).unwrap_err();
    assert_eq!(e.code, 700027);
    assert!(e.message.contains("did not match the expected signature"), "{}", e.message);
}

#[test]
fn thumbprint_of_another_certificate_is_key_not_found() {
    let other = cert(OTHER_CERT);
    let a = sign(&ps256_header(&other), &claims(), &key(OTHER_KEY), &RSA_PSS_SHA256);
    let e = check_app(&a).unwrap_err();
    assert_eq!(e.code, 700027);
    assert!(e.message.contains("The key was not found."), "{}", e.message);
    assert!(e.message.contains(&format!("Thumbprint of key used by client: '{}'", hex(&other.sha256))));
    assert!(e.message.contains(&format!("app Id '{CLIENT}'")));
}

#[test]
fn no_registered_certificate_is_700027() {
    let e = check(&good_with(&claims()), None).unwrap_err();
    assert_eq!(e.code, 700027);
    assert!(e.message.contains("The key was not found."));
    // Even a token without a thumbprint: there is no key to find.
    assert_eq!(code(check("eyJhbGciOiJQUzI1NiJ9.e30.c2ln", None)), 700027);
}

#[test]
fn malformed_tokens_are_50027() {
    for bad in ["", "abc", "a.b", "a.b.c.d", "!!.e30.c2ln", "e30.!!.c2ln", "e30.e30.!!"] {
        assert_eq!(code(check_app(bad)), 50027, "{bad:?}");
    }
    // Valid base64url, not JSON.
    let not_json = format!("{}.e30.c2ln", b64(b"not json"));
    assert_eq!(code(check_app(&not_json)), 50027);
    // No thumbprint header.
    let a = sign(&json!({"alg": "PS256"}), &claims(), &key(APP_KEY), &RSA_PSS_SHA256);
    let e = check_app(&a).unwrap_err();
    assert_eq!(e.code, 50027);
    assert!(e.message.contains("No certificate thumbprint"));
    // A thumbprint of the wrong length.
    let a = sign(&json!({"alg": "PS256", "x5t#S256": b64(b"short")}), &claims(), &key(APP_KEY), &RSA_PSS_SHA256);
    assert_eq!(code(check_app(&a)), 50027);
}

#[test]
fn unsupported_alg_is_700027() {
    let c = cert(APP_CERT);
    for alg in ["none", "HS256", "RS512"] {
        let header = json!({"alg": alg, "x5t#S256": b64(&c.sha256)});
        let a = sign(&header, &claims(), &key(APP_KEY), &RSA_PSS_SHA256);
        assert_eq!(code(check_app(&a)), 700027, "{alg}");
    }
}

#[test]
fn audience_must_be_the_token_endpoint() {
    let mut c = claims();
    for ok in [AUD, SIM_AUD, &AUD.to_uppercase()] {
        c["aud"] = json!(ok);
        assert_eq!(check_app(&good_with(&c)), Ok(()), "{ok}");
    }
    for bad in [
        "https://login.microsoftonline.com/tid/oauth2/token/",
        "https://login.microsoftonline.com/other/oauth2/v2.0/token",
        "https://graph.microsoft.com",
        "",
    ] {
        c["aud"] = json!(bad);
        let e = check_app(&good_with(&c)).unwrap_err();
        assert_eq!((e.code, e.error), (700023, "invalid_client"), "{bad}");
        assert!(e.message.starts_with("Client assertion audience claim does not match Realm issuer."));
    }
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(code(check_app(&good_with(&c))), 700023);
    c["aud"] = json!([AUD]);
    assert_eq!(code(check_app(&good_with(&c))), 50027);
}

#[test]
fn issuer_and_subject_must_be_the_client() {
    let mut c = claims();
    c["iss"] = json!("99999999-9999-4999-8999-999999999999");
    c["sub"] = c["iss"].clone();
    assert_eq!(code(check_app(&good_with(&c))), 700021);
    c.as_object_mut().unwrap().remove("iss");
    assert_eq!(code(check_app(&good_with(&c))), 700021);

    let mut c = claims();
    c["sub"] = json!("99999999-9999-4999-8999-999999999999");
    assert_eq!(code(check_app(&good_with(&c))), 50048);
    c.as_object_mut().unwrap().remove("sub");
    assert_eq!(code(check_app(&good_with(&c))), 50048);

    // Client ids are GUIDs: case does not matter.
    let mut c = claims();
    c["iss"] = json!(CLIENT.to_uppercase());
    c["sub"] = c["iss"].clone();
    assert_eq!(check_app(&good_with(&c)), Ok(()));
}

#[test]
fn jti_and_exp_are_required() {
    for claim in ["jti", "exp"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        let e = check_app(&good_with(&c)).unwrap_err();
        assert_eq!(e.code, 50027, "{claim}");
        assert!(e.message.contains(&format!("'{claim}'")), "{}", e.message);
    }
    let mut c = claims();
    c["jti"] = json!("");
    assert_eq!(code(check_app(&good_with(&c))), 50027);
    c = claims();
    c["exp"] = json!("soon");
    assert_eq!(code(check_app(&good_with(&c))), 50027);
}

#[test]
fn time_window_allows_five_minutes_of_skew() {
    let window = |nbf: i64, exp: i64| {
        let mut c = claims();
        c["nbf"] = json!(nbf);
        c["exp"] = json!(exp);
        check_app(&good_with(&c))
    };
    // Expired, but within the skew; then just beyond it.
    assert_eq!(window(NOW - 900, NOW - 299), Ok(()));
    assert_eq!(code(window(NOW - 900, NOW - 300)), 700024);
    assert_eq!(code(window(NOW - 900, NOW - 3600)), 700024);
    // Not yet valid, but within the skew; then beyond it.
    assert_eq!(window(NOW + 300, NOW + 900), Ok(()));
    assert_eq!(code(window(NOW + 301, NOW + 900)), 700024);
    // Entra places no limit on the lifetime.
    assert_eq!(window(NOW - 60, NOW + 86_400), Ok(()));
    // Fractional NumericDates.
    let mut c = claims();
    c["nbf"] = json!(NOW as f64 + 0.5);
    c["exp"] = json!(NOW as f64 + 600.25);
    assert_eq!(check_app(&good_with(&c)), Ok(()));
    // A missing nbf means "valid from the epoch".
    c = claims();
    c.as_object_mut().unwrap().remove("nbf");
    assert_eq!(check_app(&good_with(&c)), Ok(()));
    c["exp"] = json!(NOW - 3600);
    let e = check_app(&good_with(&c)).unwrap_err();
    assert_eq!((e.code, e.error), (700024, "invalid_client"));
    assert_eq!(
        e.message,
        "Client assertion is not within its valid time range. Current time: \
         2026-11-24T10:00:00.0000000Z, assertion valid from 1970-01-01T00:00:00.0000000Z, \
         expiry time of assertion 2026-11-24T09:00:00.0000000Z. Review the documentation at \
         https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
    );
}

#[test]
fn assertion_type_is_checked_first() {
    let audiences = [AUD.to_owned()];
    let expected = Expected {
        client_id: CLIENT,
        audiences: &audiences,
        certificate: None,
        now: DateTime::from_timestamp(NOW, 0).unwrap(),
    };
    let e = verify(None, "x", &expected).unwrap_err();
    assert_eq!((e.code, e.error, e.status.as_u16()), (900144, "invalid_request", 400));
    let e = verify(Some("urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), "x", &expected).unwrap_err();
    assert_eq!((e.code, e.error, e.status.as_u16()), (90011, "invalid_request", 400));
}

#[test]
fn errors_never_carry_the_assertion() {
    let a = sign(&ps256_header(&cert(APP_CERT)), &claims(), &key(OTHER_KEY), &RSA_PSS_SHA256);
    let sig = a.rsplit('.').next().unwrap();
    let claims_b64 = a.split('.').nth(1).unwrap();
    let e = check_app(&a).unwrap_err();
    assert!(!e.message.contains(sig));
    assert!(!e.message.contains(claims_b64));
}

#[test]
fn entra_time_has_seven_fraction_digits() {
    let t = DateTime::from_timestamp(1_727_906_703, 675_516_500).unwrap();
    assert_eq!(entra_time(t), "2024-10-02T22:05:03.6755165Z");
}
