//! Certificate credentials: the app's certificate and private key, and the
//! signed client assertion Entra accepts in place of a client secret.
//!
//! Takes the PEM texts of a certificate and its RSA private key (PKCS#8 or
//! PKCS#1), checks that they belong together, and hands `token` a JWT signed
//! with PS256 whose header carries `x5t#S256`, the certificate's SHA-256
//! thumbprint, as Microsoft documents (graph-api.md §5). The private key never
//! leaves this module and is never printed.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PSS_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// How long an assertion is valid (Microsoft: "5-10 minutes after nbf at most").
const ASSERTION_LIFETIME: Duration = Duration::minutes(5);

/// An app certificate with its private key, ready to sign assertions.
#[derive(Clone)]
pub(crate) struct Certificate {
    der: Vec<u8>,
    key: Arc<RsaKeyPair>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").field("x5t#S256", &self.thumbprint()).field("key", &"***").finish()
    }
}

/// Which PEM was unreadable, and why (never the content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemProblem {
    /// `certificate_pem` or `private_key_pem`.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl Certificate {
    /// Reads a certificate and its RSA private key from PEM.
    pub(crate) fn from_pem(certificate_pem: &str, private_key_pem: &str) -> Result<Certificate, PemProblem> {
        let cert_problem = |problem: &str| PemProblem { field: "certificate_pem", problem: problem.to_string() };
        let key_problem = |problem: &str| PemProblem { field: "private_key_pem", problem: problem.to_string() };
        let der = CertificateDer::from_pem_slice(certificate_pem.as_bytes())
            .map_err(|_| cert_problem("is not a PEM certificate (-----BEGIN CERTIFICATE-----)"))?;
        let key_der = PrivateKeyDer::from_pem_slice(private_key_pem.as_bytes()).map_err(|_| {
            key_problem("is not a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")
        })?;
        let key = match &key_der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(key_problem(
                    "is not an RSA key; Entra certificate credentials need RSA (2048 bits or more)",
                ));
            }
        }
        .map_err(|_| key_problem("is not a usable RSA private key (2048 to 8192 bits)"))?;
        // The certificate's SubjectPublicKeyInfo holds the key's RSAPublicKey bytes.
        let public = key.public_key().as_ref();
        if !der.as_ref().windows(public.len()).any(|w| w == public) {
            return Err(key_problem("does not belong to certificate_pem (their public keys differ)"));
        }
        Ok(Certificate { der: der.as_ref().to_vec(), key: Arc::new(key) })
    }

    /// The certificate's DER bytes.
    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    /// base64url SHA-256 of the certificate: the `x5t#S256` header value.
    pub(crate) fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(&self.der))
    }

    /// A client assertion for `client_id` at the token endpoint `audience`,
    /// valid from `now` for five minutes.
    pub(crate) fn client_assertion(&self, client_id: &str, audience: &str, now: DateTime<Utc>) -> Secret {
        let header = json!({ "alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint() });
        let claims = json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now.timestamp(),
            "iat": now.timestamp(),
            "exp": (now + ASSERTION_LIFETIME).timestamp(),
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PSS_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .expect("an RSA key of a supported size signs");
        Secret::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};

    const CERT: &str = include_str!("../tests/fixtures/certs/app.cert.pem");
    const KEY: &str = include_str!("../tests/fixtures/certs/app.key.pem");
    const RSA_KEY: &str = include_str!("../tests/fixtures/certs/app.rsa.key.pem");
    const OTHER_KEY: &str = include_str!("../tests/fixtures/certs/other.key.pem");

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn assertions_are_ps256_with_the_sha256_thumbprint_and_verify() {
        let cert = Certificate::from_pem(CERT, KEY).unwrap();
        let now: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        let aud = "https://login.microsoftonline.com/t/oauth2/v2.0/token";
        let jwt = cert.client_assertion("app-id", aud, now);
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("PS256"), Some("JWT")));
        assert_eq!(header["x5t#S256"], cert.thumbprint());
        let claims = decode(parts[1]);
        assert_eq!(
            (claims["aud"].as_str(), claims["iss"].as_str(), claims["sub"].as_str()),
            (Some(aud), Some("app-id"), Some("app-id"))
        );
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(), 300);
        let key = RsaKeyPair::from_pkcs8(PrivateKeyDer::from_pem_slice(KEY.as_bytes()).unwrap().secret_der()).unwrap();
        let public = UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, key.public_key().as_ref().to_vec());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        public.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("signature verifies");
        assert_ne!(cert.client_assertion("app-id", aud, now).expose(), jwt.expose(), "fresh jti each time");
    }

    #[test]
    fn pkcs1_keys_work_too_and_mismatches_name_the_field() {
        assert_eq!(
            Certificate::from_pem(CERT, RSA_KEY).unwrap().thumbprint(),
            Certificate::from_pem(CERT, KEY).unwrap().thumbprint()
        );
        let e = Certificate::from_pem(CERT, OTHER_KEY).unwrap_err();
        assert_eq!(e.field, "private_key_pem");
        assert!(e.problem.contains("does not belong"));
        assert_eq!(Certificate::from_pem("garbage", KEY).unwrap_err().field, "certificate_pem");
        assert_eq!(Certificate::from_pem(CERT, "garbage").unwrap_err().field, "private_key_pem");
        assert_eq!(Certificate::from_pem(KEY, CERT).unwrap_err().field, "certificate_pem");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let text = format!("{:?}", Certificate::from_pem(CERT, KEY).unwrap());
        assert!(text.contains("***") && !text.contains("PRIVATE"), "{text}");
    }
}
