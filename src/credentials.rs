//! The Entra application's client credentials and the [`Secret`] newtype that
//! carries them.
//!
//! Takes the tenant, the application (client) ID and the client secret from
//! the validated configuration and hands them to `token`. A [`Secret`] never
//! prints its content: `Debug` and `Display` show `***`, and the only way to
//! read it is [`Secret::expose`], called where the token request is built.

use std::fmt;

/// A value that must never reach a log, an error message or a file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What identifies the app to the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// Directory (tenant) ID, a lower-case GUID.
    pub tenant_id: String,
    /// Application (client) ID, a lower-case GUID.
    pub client_id: String,
    /// The client secret's value.
    pub client_secret: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let creds = ClientCredentials {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: Secret::new("hunter2-value"),
        };
        let shown = format!(
            "{creds:?} {} {:?}",
            creds.client_secret, creds.client_secret
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
        assert_eq!(creds.client_secret.expose(), "hunter2-value");
    }
}
