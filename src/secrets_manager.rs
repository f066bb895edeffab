//! AWS Secrets Manager as the source of the app's credentials.
//!
//! Takes a secret ARN or name, reads its JSON (see
//! [`parse_secret_json`](crate::credentials::parse_secret_json)) and hands the
//! credentials to `token`, cached for a bounded time so warm Lambda
//! invocations do not read it every time. When Entra rejects the credentials,
//! `refresh` drops the cache so a rotated secret is picked up at once. Never
//! logs or returns the secret's content (the client secret and private key
//! are remembered by `redact` as they are read); errors say which permission
//! or setting to fix, and AWS's own text in them is masked.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::debug;

use crate::credentials::{ClientCredentials, CredentialSource, parse_secret_json};
use crate::error::{Error, Result};
use crate::redact::redact;

/// How long credentials read from Secrets Manager are reused.
pub(crate) const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// Credentials kept in a Secrets Manager secret.
#[derive(Debug)]
pub(crate) struct SecretsManagerCredentials {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    ttl: Duration,
    cached: Mutex<Option<(ClientCredentials, Instant)>>,
}

impl SecretsManagerCredentials {
    /// A source reading `secret_id` (ARN or name), cached for `ttl`.
    pub(crate) fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>, ttl: Duration) -> Self {
        SecretsManagerCredentials { client, secret_id: secret_id.into(), ttl, cached: Mutex::new(None) }
    }

    async fn read(&self) -> Result<ClientCredentials> {
        let origin = format!("Secrets Manager secret {}", self.secret_id);
        let fail = |problem: String| Error::Credentials { origin: origin.clone(), problem };
        let output =
            self.client.get_secret_value().secret_id(&self.secret_id).send().await.map_err(|e| fail(describe(&e)))?;
        let text = output
            .secret_string()
            .ok_or_else(|| fail("holds binary data; store the credentials as a JSON SecretString".into()))?;
        debug!(secret = %self.secret_id, "credentials read from Secrets Manager");
        parse_secret_json(&origin, text)
    }
}

/// What went wrong reading the secret, and the fix; AWS's text passes
/// `redact` (an error that echoes a request shows no credential).
fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = match error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or_default();
            let fix = match code {
                "ResourceNotFoundException" => "Check ENTRA_SECRET_ID (ARN or name) and AWS_REGION.",
                "AccessDeniedException" => {
                    "The role needs secretsmanager:GetSecretValue on this secret (and kms:Decrypt if it is encrypted with a customer-managed key)."
                }
                "DecryptionFailure" => "The role needs kms:Decrypt on the secret's KMS key.",
                "InvalidRequestException" => {
                    "The secret may be scheduled for deletion; restore it or point ENTRA_SECRET_ID elsewhere."
                }
                _ => "",
            };
            format!("could not be read: {code}: {message}. {fix}").trim_end().to_string()
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            "could not be read: Secrets Manager is unreachable (check the network, AWS_REGION and AWS_ENDPOINT_URL)"
                .into()
        }
        other => format!("could not be read: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(other)),
    };
    redact(&text).into_owned()
}

#[async_trait]
impl CredentialSource for SecretsManagerCredentials {
    async fn credentials(&self) -> Result<ClientCredentials> {
        let mut cached = self.cached.lock().await;
        if let Some((credentials, at)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(credentials.clone());
        }
        let credentials = self.read().await?;
        *cached = Some((credentials.clone(), Instant::now()));
        Ok(credentials)
    }

    async fn refresh(&self) -> bool {
        *self.cached.lock().await = None;
        true
    }
}
