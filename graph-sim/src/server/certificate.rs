//! The app's registered certificate, as Entra keeps a key credential: its
//! thumbprints, its RSA public key and its validity.
//!
//! Takes a PEM string and reads its first `CERTIFICATE` block; any other block
//! in the same text (a private key pasted alongside, say) is ignored and never
//! stored. Rejects what Entra would not accept as an app certificate: no
//! certificate, not X.509, not RSA, or an RSA key outside 2048–8192 bits.

use aws_lc_rs::digest::{self, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use aws_lc_rs::signature::RsaParameters;
use chrono::{DateTime, Utc};
use x509_cert::Certificate;
use x509_cert::der::{Decode, pem};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::time::Time;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";
/// `rsaEncryption` (RFC 8017), the SubjectPublicKeyInfo algorithm of RSA keys.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// RSA modulus sizes the verifier accepts (those of `RSA_*_2048_8192_*`).
const MIN_RSA_BITS: u32 = 2048;
const MAX_RSA_BITS: u32 = 8192;

/// A certificate uploaded to the simulated app registration.
#[derive(Clone, Debug)]
pub struct ClientCertificate {
    /// SHA-1 of the DER encoding (`x5t`, and the hex thumbprint Entra shows).
    pub sha1: Vec<u8>,
    /// SHA-256 of the DER encoding (`x5t#S256`).
    pub sha256: Vec<u8>,
    /// The RSA public key as a DER `RSAPublicKey` (RFC 8017).
    pub public_key: Vec<u8>,
    /// Start of the certificate's validity.
    pub not_before: DateTime<Utc>,
    /// End of the certificate's validity.
    pub not_after: DateTime<Utc>,
}

/// Why a PEM string is not a usable app certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertificateError {
    /// No `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block.
    #[error("no PEM CERTIFICATE block found (expected '{BEGIN}')")]
    NoCertificate,
    /// The block is not base64 DER of an X.509 certificate.
    #[error("the CERTIFICATE block is not a valid X.509 certificate: {0}")]
    Invalid(String),
    /// The subject public key is not RSA.
    #[error("the certificate's public key is not RSA; use an RSA certificate")]
    NotRsa,
    /// The RSA key is too small or too large.
    #[error("the certificate's RSA key has {0} bits; use {MIN_RSA_BITS} to {MAX_RSA_BITS} bits")]
    KeySize(u32),
}

impl ClientCertificate {
    /// Reads the first certificate in `text`.
    pub fn from_pem(text: &str) -> Result<Self, CertificateError> {
        let start = text.find(BEGIN).ok_or(CertificateError::NoCertificate)?;
        let len = text[start..].find(END).ok_or(CertificateError::NoCertificate)?;
        let block = &text[start..start + len + END.len()];
        let (_, der) = pem::decode_vec(block.as_bytes()).map_err(|e| CertificateError::Invalid(e.to_string()))?;
        let cert = Certificate::from_der(&der).map_err(|e| CertificateError::Invalid(e.to_string()))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(CertificateError::NotRsa);
        }
        let public_key = spki.subject_public_key.as_bytes().ok_or(CertificateError::NotRsa)?.to_vec();
        let bits = RsaParameters::public_modulus_len(&public_key).map_err(|_| CertificateError::NotRsa)?;
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(CertificateError::KeySize(bits));
        }
        let validity = tbs.validity();
        Ok(ClientCertificate {
            sha1: digest::digest(&SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref().to_vec(),
            sha256: digest::digest(&SHA256, &der).as_ref().to_vec(),
            public_key,
            not_before: to_utc(validity.not_before),
            not_after: to_utc(validity.not_after),
        })
    }
}

fn to_utc(t: Time) -> DateTime<Utc> {
    let since_epoch = t.to_unix_duration();
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_CERT: &str = include_str!("../../../tests/fixtures/certs/app.cert.pem");
    const APP_KEY: &str = include_str!("../../../tests/fixtures/certs/app.key.pem");

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    #[test]
    fn reads_the_fixture_certificate() {
        let c = ClientCertificate::from_pem(APP_CERT).unwrap();
        // `openssl x509 -in app.cert.pem -noout -fingerprint -sha1`
        assert_eq!(hex(&c.sha1), "A3E581F74FB7430B201244F8375792A708693F10");
        assert_eq!(c.sha256.len(), 32);
        assert_eq!(c.not_before.to_rfc3339(), "2025-01-01T00:00:00+00:00");
        assert_eq!(c.not_after.to_rfc3339(), "2045-01-01T00:00:00+00:00");
        assert_eq!(RsaParameters::public_modulus_len(&c.public_key), Ok(2048));
    }

    #[test]
    fn ignores_other_blocks_around_the_certificate() {
        let both = format!("{APP_KEY}\n{APP_CERT}");
        let c = ClientCertificate::from_pem(&both).unwrap();
        assert_eq!(hex(&c.sha1), "A3E581F74FB7430B201244F8375792A708693F10");
    }

    #[test]
    fn rejects_what_is_not_a_certificate() {
        assert_eq!(ClientCertificate::from_pem(APP_KEY).unwrap_err(), CertificateError::NoCertificate);
        assert_eq!(ClientCertificate::from_pem("").unwrap_err(), CertificateError::NoCertificate);
        let garbage = format!("{BEGIN}\nbm90IGEgY2VydA==\n{END}\n");
        assert!(matches!(ClientCertificate::from_pem(&garbage).unwrap_err(), CertificateError::Invalid(_)));
    }
}
