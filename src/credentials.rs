//! The Entra application's credentials, and where they come from.
//!
//! A [`CredentialSource`] hands `token` the tenant, the application (client)
//! ID and a client secret, a certificate, or where a federated assertion
//! comes from (`federation`: no secret at all). Sources: the environment
//! ([`StaticCredentials`], validated by `config`) and an AWS Secrets Manager
//! secret (`secrets_manager`), whose JSON is read by [`parse_secret_json`].
//! Secrets are [`Secret`]s, which never print their content, and errors
//! about a secret's JSON name the field, never its value. The client secret
//! and private key read here are remembered by `redact`, which masks them in
//! anything a server echoes.

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;

use crate::assertion::Certificate;
use crate::error::{Error, Result};
use crate::federation::Federation;
use crate::secret::Secret;

/// How the app proves who it is.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// A client secret's value.
    Secret(Secret),
    /// A certificate uploaded to the app, with its private key.
    Certificate(Certificate),
    /// A federated assertion (workload identity federation): no secret.
    Federated(Federation),
}

/// What identifies the app to the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct ClientCredentials {
    /// Directory (tenant) ID, a lower-case GUID.
    pub tenant_id: String,
    /// Application (client) ID, a lower-case GUID.
    pub client_id: String,
    /// Secret or certificate.
    pub credential: Credential,
}

/// Where credentials come from.
#[async_trait]
pub(crate) trait CredentialSource: Send + Sync + fmt::Debug {
    /// The current credentials (possibly cached).
    async fn credentials(&self) -> Result<ClientCredentials>;

    /// Forgets cached credentials after Entra rejected them, so the next
    /// [`credentials`](Self::credentials) reads them anew (a rotated secret).
    /// Returns whether a re-read can give anything different.
    async fn refresh(&self) -> bool;
}

/// Credentials fixed at start-up (from the environment).
#[derive(Debug, Clone)]
pub(crate) struct StaticCredentials(pub ClientCredentials);

#[async_trait]
impl CredentialSource for StaticCredentials {
    async fn credentials(&self) -> Result<ClientCredentials> {
        Ok(self.0.clone())
    }

    async fn refresh(&self) -> bool {
        false
    }
}

/// Checks a GUID and returns it in lower case; `None` if it is not one.
pub(crate) fn normalise_guid(value: &str) -> Option<String> {
    let groups: Vec<&str> = value.trim().split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let is_guid = lengths == [8, 4, 4, 4, 12] && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    is_guid.then(|| value.trim().to_ascii_lowercase())
}

/// The shapes a credentials secret may take, for error messages.
pub(crate) const SECRET_SHAPES: &str = r#"{"tenant_id": "…", "client_id": "…", "client_secret": "…"} or, for a certificate, {"tenant_id": "…", "client_id": "…", "certificate_pem": "…", "private_key_pem": "…"}, or, to sign in with the function's AWS identity, {"tenant_id": "…", "client_id": "…", "federation": "aws"}"#;

/// Reads a credentials secret's JSON text. `origin` names the secret in
/// errors (e.g. its ARN); errors name the field at fault, never a value.
pub(crate) fn parse_secret_json(origin: &str, text: &str) -> Result<ClientCredentials> {
    let fail = |problem: String| Error::Credentials { origin: origin.to_string(), problem };
    // Parse into a tree first: serde's typed errors would quote the value.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        fail(format!("is not valid JSON (line {}, column {}). It must be {SECRET_SHAPES}", e.line(), e.column()))
    })?;
    let object = value.as_object().ok_or_else(|| fail(format!("is not a JSON object. It must be {SECRET_SHAPES}")))?;
    let field = |name: &'static str| -> Result<Option<&str>> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.as_str())),
            Some(_) => Err(fail(format!("field \"{name}\" must be a non-empty string"))),
        }
    };
    let required = |name: &'static str| {
        field(name)?.ok_or_else(|| fail(format!("field \"{name}\" is missing. It must be {SECRET_SHAPES}")))
    };
    let guid = |name: &'static str| {
        normalise_guid(required(name)?).ok_or_else(|| fail(format!("field \"{name}\" is not a GUID")))
    };
    let tenant_id = guid("tenant_id")?;
    let client_id = guid("client_id")?;
    let credential = credential(&field, &fail)?;
    Ok(ClientCredentials { tenant_id, client_id, credential })
}

fn credential<'a>(
    field: &dyn Fn(&'static str) -> Result<Option<&'a str>>,
    fail: &dyn Fn(String) -> Error,
) -> Result<Credential> {
    let secret = field("client_secret")?;
    let cert = field("certificate_pem")?;
    let key = field("private_key_pem")?;
    if let Some(federation) = field("federation")? {
        if federation.trim() != "aws" {
            return Err(fail(
                "field \"federation\" must be \"aws\" (sign in with this process's AWS identity through STS GetWebIdentityToken)".into(),
            ));
        }
        if secret.is_some() || cert.is_some() || key.is_some() {
            return Err(fail(
                "has \"federation\" and a client secret or certificate; keep one (federation needs no secret)".into(),
            ));
        }
        return Ok(Credential::Federated(Federation::Aws));
    }
    match (secret, cert, key) {
        (Some(secret), None, None) => Ok(Credential::Secret(Secret::remembered(secret.trim()))),
        (None, Some(cert), Some(key)) => {
            crate::redact::remember(key);
            Certificate::from_pem(cert, key)
                .map(Credential::Certificate)
                .map_err(|p| fail(format!("field \"{}\" {}", p.field, p.problem)))
        }
        (None, Some(_), None) => {
            Err(fail("field \"private_key_pem\" is missing (certificate_pem needs its key)".into()))
        }
        (None, None, Some(_)) => {
            Err(fail("field \"certificate_pem\" is missing (private_key_pem needs its certificate)".into()))
        }
        (None, None, None) => Err(fail(format!(
            "has neither \"client_secret\" nor \"certificate_pem\"/\"private_key_pem\". It must be {SECRET_SHAPES}"
        ))),
        (Some(_), _, _) => Err(fail("has both \"client_secret\" and a certificate; keep one".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5";
    const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";
    const CANARY: &str = "Canary~Value.0123456789";

    #[test]
    fn secrets_never_print() {
        let creds = ClientCredentials {
            tenant_id: "t".into(),
            client_id: "c".into(),
            credential: Credential::Secret(Secret::new("hunter2-value")),
        };
        let Credential::Secret(secret) = &creds.credential else { unreachable!() };
        let shown = format!("{creds:?} {secret} {secret:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(secret.expose(), "hunter2-value");
    }

    #[test]
    fn secret_json_with_a_client_secret() {
        let json = format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","client_secret":"{CANARY}"}}"#);
        let creds = parse_secret_json("arn:s", &json).unwrap();
        assert_eq!(creds.tenant_id, TENANT.to_lowercase());
        assert!(matches!(creds.credential, Credential::Secret(ref s) if s.expose() == CANARY));
    }

    #[test]
    fn secret_json_with_a_certificate() {
        let json = serde_json::json!({
            "tenant_id": TENANT, "client_id": CLIENT,
            "certificate_pem": include_str!("../tests/fixtures/certs/app.cert.pem"),
            "private_key_pem": include_str!("../tests/fixtures/certs/app.key.pem"),
        });
        let creds = parse_secret_json("arn:s", &json.to_string()).unwrap();
        assert!(matches!(creds.credential, Credential::Certificate(_)));
    }

    #[test]
    fn secret_json_with_aws_federation_holds_no_secret() {
        let json = format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","federation":"aws"}}"#);
        let creds = parse_secret_json("arn:s", &json).unwrap();
        assert!(matches!(creds.credential, Credential::Federated(Federation::Aws)));
        assert_eq!(creds.client_id, CLIENT);
    }

    #[test]
    fn bad_secrets_name_the_field_and_never_echo_a_value() {
        let cert = include_str!("../tests/fixtures/certs/app.cert.pem");
        let other_key = include_str!("../tests/fixtures/certs/other.key.pem");
        let cases: Vec<(String, &str)> = vec![
            (format!("{{\"tenant_id\": \"{CANARY}"), "not valid JSON"),
            (format!("[\"{CANARY}\"]"), "not a JSON object"),
            (format!(r#"{{"client_id":"{CLIENT}","client_secret":"{CANARY}"}}"#), "\"tenant_id\" is missing"),
            (format!(r#"{{"tenant_id":"{CANARY}","client_id":"{CLIENT}","client_secret":"x"}}"#), "\"tenant_id\" is not a GUID"),
            (format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","client_secret":42}}"#), "\"client_secret\" must be a non-empty string"),
            (format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}"}}"#), "neither"),
            (format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","client_secret":"{CANARY}","certificate_pem":"x"}}"#), "both"),
            (format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","federation":"{CANARY}"}}"#), "must be \"aws\""),
            (format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","federation":"aws","client_secret":"{CANARY}"}}"#), "keep one"),
            (serde_json::json!({"tenant_id": TENANT, "client_id": CLIENT, "certificate_pem": cert}).to_string(), "\"private_key_pem\" is missing"),
            (serde_json::json!({"tenant_id": TENANT, "client_id": CLIENT, "certificate_pem": CANARY, "private_key_pem": other_key}).to_string(), "\"certificate_pem\" is not a PEM certificate"),
            (serde_json::json!({"tenant_id": TENANT, "client_id": CLIENT, "certificate_pem": cert, "private_key_pem": other_key}).to_string(), "\"private_key_pem\" does not belong"),
        ];
        for (json, needle) in cases {
            let e = parse_secret_json("arn:aws:secretsmanager:x", &json).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
            assert!(e.contains("arn:aws:secretsmanager:x"), "{e}");
            assert!(!e.contains(CANARY) && !e.contains("MII"), "value echoed: {e}");
        }
    }

    #[test]
    fn secrets_read_from_json_are_masked_in_server_text() {
        let secret = "Loaded~Secret.From_Json_42";
        let json = format!(r#"{{"tenant_id":"{TENANT}","client_id":"{CLIENT}","client_secret":"{secret}"}}"#);
        parse_secret_json("arn:s", &json).unwrap();
        assert_eq!(crate::redact::redact(&format!("echo: {secret}")), "echo: ***");
    }

    #[test]
    fn guids_are_checked_and_lowercased() {
        assert_eq!(normalise_guid(TENANT).unwrap(), TENANT.to_lowercase());
        for bad in ["contoso.onmicrosoft.com", "1234", "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4eZ", ""] {
            assert!(normalise_guid(bad).is_none(), "{bad}");
        }
    }
}
