//! A federated client assertion, decoded: the JWT an external identity
//! provider issued (an AWS role's web identity token, a Kubernetes service
//! account token), which the client hands to Entra as `client_assertion`.
//!
//! Takes the assertion text; hands on its header (`alg`, `kid`), the claims
//! Entra matches (`iss`, `sub`, `aud`, `exp`, `nbf`) and what the signature
//! covers. Telling a federated assertion from one of the app's own
//! certificate assertions is here too ([`is_federated`]). The assertion is
//! never logged, and the decoded value has no `Debug` that could print it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::super::assertion::{decode_json, seconds, unparseable};
use super::super::reply::AadError;

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    x5t: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

/// A decoded federated assertion.
pub struct FederatedAssertion {
    /// Header `alg`.
    pub alg: Option<String>,
    /// Header `kid`: which of the issuer's keys signed it.
    pub kid: Option<String>,
    /// `iss`.
    pub issuer: String,
    /// `sub`, when a string.
    pub subject: Option<String>,
    /// `aud`: one string, or each member of an array.
    pub audiences: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub not_before: Option<i64>,
    /// `base64url(header).base64url(claims)`: what the signature signs.
    pub signed: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Whether `assertion` is federated rather than one of the app's own
/// certificate assertions: its header names no certificate thumbprint
/// (`x5t#S256`, `x5t`) and its `iss` is a string other than the app's
/// client id. Anything unparseable is not federated, so the certificate
/// path answers it (AADSTS50027) exactly as before.
pub fn is_federated(assertion: &str, client_id: &str) -> bool {
    let mut parts = assertion.split('.');
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(header), Ok(claims)) = (decode_json::<Header>(header), decode_json::<Map<String, Value>>(claims)) else {
        return false;
    };
    let thumbprint = header.x5t.is_some() || header.x5t_s256.is_some();
    let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    !thumbprint && !issuer.is_empty() && !issuer.eq_ignore_ascii_case(client_id)
}

/// Decodes a federated assertion; AADSTS50027 when it is not a signed JWT
/// with JSON header and claims, or a claim Entra reads has the wrong type.
pub fn decode(assertion: &str) -> Result<FederatedAssertion, AadError> {
    let mut parts = assertion.split('.');
    let (Some(header_b64), Some(claims_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unparseable());
    };
    let header: Header = decode_json(header_b64)?;
    let claims: Map<String, Value> = decode_json(claims_b64)?;
    let signature = URL_SAFE_NO_PAD.decode(sig_b64).map_err(|_| unparseable())?;
    let issuer = match claims.get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(unparseable()),
    };
    let subject = match claims.get("sub") {
        None => None,
        Some(Value::String(sub)) => Some(sub.clone()),
        Some(_) => return Err(unparseable()),
    };
    let audiences = match claims.get("aud") {
        None => Vec::new(),
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(members)) => {
            members.iter().map(|m| m.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>().ok_or_else(unparseable)?
        }
        Some(_) => return Err(unparseable()),
    };
    Ok(FederatedAssertion {
        alg: header.alg,
        kid: header.kid,
        issuer,
        subject,
        audiences,
        expires: claims.get("exp").map(seconds).transpose()?,
        not_before: claims.get("nbf").map(seconds).transpose()?,
        signed: format!("{header_b64}.{claims_b64}"),
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

    fn jwt(header: &Value, claims: &Value) -> String {
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{}", b64(header), b64(claims), URL_SAFE_NO_PAD.encode(b"sig"))
    }

    #[test]
    fn federated_means_no_thumbprint_and_a_foreign_issuer() {
        let aws = json!({"iss": "https://abc.tokens.sts.global.api.aws", "sub": "arn:aws:iam::1:role/r"});
        assert!(is_federated(&jwt(&json!({"alg": "RS256", "kid": "k"}), &aws), CLIENT));
        assert!(!is_federated(&jwt(&json!({"alg": "PS256", "x5t#S256": "AAAA"}), &aws), CLIENT));
        assert!(!is_federated(&jwt(&json!({"alg": "RS256", "x5t": "AAAA"}), &aws), CLIENT));
        let own = json!({"iss": CLIENT.to_uppercase(), "sub": CLIENT});
        assert!(!is_federated(&jwt(&json!({"alg": "PS256"}), &own), CLIENT));
        assert!(!is_federated(&jwt(&json!({"alg": "PS256"}), &json!({})), CLIENT));
        for bad in ["", "abc", "!!.e30.c2ln", "e30"] {
            assert!(!is_federated(bad, CLIENT), "{bad:?}");
        }
    }

    #[test]
    fn decode_reads_the_claims_entra_matches() {
        let claims = json!({"iss": "https://i", "sub": "s", "aud": ["a", "b"], "exp": 20, "nbf": 10.5});
        let a = decode(&jwt(&json!({"alg": "RS256", "kid": "k1"}), &claims)).unwrap();
        assert_eq!((a.alg.as_deref(), a.kid.as_deref()), (Some("RS256"), Some("k1")));
        assert_eq!((a.issuer.as_str(), a.subject.as_deref()), ("https://i", Some("s")));
        assert_eq!(a.audiences, ["a", "b"]);
        assert_eq!((a.expires, a.not_before), (Some(20), Some(10)));
        assert_eq!(a.signature, b"sig");
        assert_eq!(a.signed.split('.').count(), 2);
        let one = decode(&jwt(&json!({}), &json!({"iss": "https://i", "aud": "a"}))).unwrap();
        assert_eq!(one.audiences, ["a"]);
        assert_eq!((one.subject, one.expires), (None, None));
    }

    #[test]
    fn malformed_assertions_are_50027() {
        let header = json!({"alg": "RS256"});
        for claims in
            [json!({"sub": "s"}), json!({"iss": 1}), json!({"iss": "i", "aud": 5}), json!({"iss": "i", "aud": [1]})]
        {
            let e = decode(&jwt(&header, &claims)).err().unwrap();
            assert_eq!((e.code, e.error), (50027, "invalid_client"), "{claims}");
        }
        assert_eq!(decode(&jwt(&header, &json!({"iss": "i", "exp": "soon"}))).err().unwrap().code, 50027);
        for bad in ["", "a.b", "a.b.c.d", "e30.e30.!!"] {
            assert_eq!(decode(bad).err().unwrap().code, 50027, "{bad:?}");
        }
    }
}
