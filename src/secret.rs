//! A value that must never be shown: a client secret, a client assertion, a
//! bearer token.
//!
//! Takes the value once and hands it out only through [`Secret::expose`], for
//! the one place that sends it; `Debug` and `Display` print `***`, so a
//! secret inside any struct, log field or error message stays hidden. A
//! credential's value (the client secret, a private key) is made with
//! [`Secret::remembered`], so that `redact` also masks it in whatever a
//! server echoes back.

use std::fmt;

/// A value that must never reach a log, an error message or a file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Wraps a credential's value and has `redact` mask it wherever a server
    /// echoes it (values shorter than 8 characters excepted).
    pub(crate) fn remembered(value: impl Into<String>) -> Secret {
        let secret = Secret::new(value);
        crate::redact::remember(secret.expose());
        secret
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2-value");
        let shown = format!("{secret} {secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(secret.expose(), "hunter2-value");
    }

    #[test]
    fn remembered_secrets_are_masked_in_server_text() {
        let secret = Secret::remembered("remembered~Value.42");
        assert_eq!(crate::redact::redact("echo remembered~Value.42 and remembered%7EValue.42"), "echo *** and ***");
        assert_eq!(secret.expose(), "remembered~Value.42");
    }
}
