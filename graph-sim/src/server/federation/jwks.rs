//! An issuer's JSON Web Key Set (RFC 7517) and the RS256 signature check
//! Entra makes with it.
//!
//! Takes the key set document and a decoded assertion; finds the key by the
//! assertion's `kid` and verifies the RSASSA-PKCS1-v1_5 SHA-256 signature
//! over `header.claims`. Keys other than RSA are ignored, as a verifier that
//! supports only RS256 would. Answers `Ok(())`, AADSTS7000272 (no key with
//! that `kid`) or AADSTS500126 (the signature does not verify).

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::super::reply::AadError;
use super::assertion::FederatedAssertion;
use super::errors;

/// The only algorithm Microsoft supports for workload identity federation
/// (<https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#supported-signing-algorithms-and-issuers>).
pub const RS256: &str = "RS256";

/// One RSA public key of the set.
#[derive(Debug)]
struct RsaKey {
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
}

/// The RSA keys of an issuer's key set.
#[derive(Debug)]
pub struct Jwks {
    keys: Vec<RsaKey>,
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Jwks {
    /// Parses a key set document; `None` when it is not a JSON object with a
    /// `keys` array. RSA keys without a `kid`, or with `n`/`e` that are not
    /// base64url, are skipped.
    pub fn parse(document: &[u8]) -> Option<Jwks> {
        let doc: Document = serde_json::from_slice(document).ok()?;
        let keys = doc
            .keys
            .into_iter()
            .filter(|k| k.kty.as_deref() == Some("RSA"))
            .filter_map(|k| {
                let decode = |v: Option<String>| URL_SAFE_NO_PAD.decode(v?).ok().filter(|b| !b.is_empty());
                Some(RsaKey { kid: k.kid?, n: strip_zeros(decode(k.n)?), e: strip_zeros(decode(k.e)?) })
            })
            .collect();
        Some(Jwks { keys })
    }

    /// Checks the assertion's signature with the key its `kid` names.
    pub fn verify(&self, assertion: &FederatedAssertion) -> Result<(), AadError> {
        let kid = assertion.kid.as_deref().unwrap_or("");
        let Some(key) = self.keys.iter().find(|k| k.kid == kid) else {
            return Err(errors::key_not_found(kid, &assertion.issuer));
        };
        let invalid = || errors::signature_invalid(&assertion.issuer, kid);
        if assertion.alg.as_deref() != Some(RS256) {
            return Err(invalid());
        }
        RsaPublicKeyComponents { n: &key.n, e: &key.e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, assertion.signed.as_bytes(), &assertion.signature)
            .map_err(|_| invalid())
    }
}

/// Big-endian integers without leading zero bytes, as the verifier wants.
fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count().min(bytes.len().saturating_sub(1));
    bytes.drain(..zeros);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
    use serde_json::json;

    use super::super::assertion::decode;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn key_set(key: &RsaKeyPair, kid: &str) -> Jwks {
        let public = key.public_key();
        let doc = json!({"keys": [
            {"kty": "EC", "kid": kid, "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
             "n": b64(public.modulus().big_endian_without_leading_zero()),
             "e": b64(public.exponent().big_endian_without_leading_zero())},
        ]});
        Jwks::parse(doc.to_string().as_bytes()).unwrap()
    }

    fn sign(key: &RsaKeyPair, header: &serde_json::Value) -> FederatedAssertion {
        let claims = json!({"iss": "https://issuer.example", "sub": "s", "aud": "a"});
        let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signed.as_bytes(), &mut sig).unwrap();
        decode(&format!("{signed}.{}", b64(&sig))).unwrap()
    }

    #[test]
    fn rs256_by_kid() {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let other = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let set = key_set(&key, "k1");
        assert_eq!(set.verify(&sign(&key, &json!({"alg": "RS256", "kid": "k1"}))), Ok(()));

        let e = set.verify(&sign(&key, &json!({"alg": "RS256", "kid": "k2"}))).unwrap_err();
        assert_eq!((e.code, e.error), (7000272, "invalid_client"));
        assert!(e.message.contains("identifier k2") && e.message.contains("https://issuer.example"), "{}", e.message);
        assert_eq!(set.verify(&sign(&key, &json!({"alg": "RS256"}))).unwrap_err().code, 7000272);

        let e = set.verify(&sign(&other, &json!({"alg": "RS256", "kid": "k1"}))).unwrap_err();
        assert_eq!((e.code, e.error), (500126, "invalid_client"));
        assert!(e.message.contains("KeyID of token is 'k1'"), "{}", e.message);
        for alg in ["PS256", "none", "HS256"] {
            assert_eq!(set.verify(&sign(&key, &json!({"alg": alg, "kid": "k1"}))).unwrap_err().code, 500126, "{alg}");
        }
    }

    #[test]
    fn documents_that_are_not_key_sets() {
        assert!(Jwks::parse(b"<html>").is_none());
        assert!(Jwks::parse(b"{}").is_none());
        let empty = Jwks::parse(
            br#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}, {"kty": "RSA", "kid": "x", "n": "!"}]}"#,
        );
        assert!(empty.unwrap().keys.is_empty(), "no kid, or n that is not base64url");
        assert_eq!(strip_zeros(vec![0, 0, 1, 0]), [1, 0]);
        assert_eq!(strip_zeros(vec![0]), [0]);
    }
}
