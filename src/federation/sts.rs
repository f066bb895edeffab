//! AWS STS `GetWebIdentityToken`: a signed JWT about this process's own AWS
//! identity, for Entra to accept as a client assertion.
//!
//! Takes an STS client (the standard AWS chain: the Lambda role, a profile,
//! the environment) and the audience, asks for an RS256 token valid five
//! minutes, and hands it back as a [`Secret`]. Facts, from AWS's API reference
//! (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetWebIdentityToken.html)
//! and the IAM guide "Getting started with outbound identity federation":
//! `Audience` 1–10 values (the `aud` claim), `SigningAlgorithm` RS256 or
//! ES384 (Entra documents RS256 only), `DurationSeconds` 60–3600, regional
//! STS endpoints only, and the account must first enable outbound federation
//! (`aws iam enable-outbound-web-identity-federation`), or STS answers
//! `OutboundWebIdentityFederationDisabledException`. Errors name the fix;
//! AWS's text in them passes `redact`. The token is never logged.

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::get_web_identity_token::GetWebIdentityTokenError;
use tracing::debug;

use crate::error::{Error, Result};
use crate::redact::redact;
use crate::secret::Secret;

/// How long each token is valid: Entra only needs it for one token request,
/// and a short life limits what a leaked one is worth (STS's default, and
/// the template's `sts:DurationSeconds` condition).
pub(crate) const TOKEN_SECONDS: i32 = 300;
/// The shortest token STS issues, asked for when the session ends sooner
/// than [`TOKEN_SECONDS`].
const MIN_TOKEN_SECONDS: i32 = 60;
/// The algorithm Entra documents for federated assertions.
pub(crate) const SIGNING_ALGORITHM: &str = "RS256";
/// Where errors say the token came from.
pub(crate) const ORIGIN: &str = "AWS STS GetWebIdentityToken (credential aws-federation)";
/// The one command that enables outbound identity federation for an account.
pub(crate) const ENABLE_COMMAND: &str = "aws iam enable-outbound-web-identity-federation";

/// A fresh token about the caller's AWS identity for `audience`.
pub(crate) async fn web_identity_token(client: &aws_sdk_sts::Client, audience: &str) -> Result<Secret> {
    let fail = |problem: String| Error::Credentials { origin: ORIGIN.to_string(), problem };
    if client.config().region().is_none() {
        return Err(fail(
            "has no AWS region: GetWebIdentityToken is served by regional STS endpoints only; set AWS_REGION (a Lambda function has it)"
                .into(),
        ));
    }
    let request = |seconds: i32| {
        client
            .get_web_identity_token()
            .audience(audience)
            .signing_algorithm(SIGNING_ALGORITHM)
            .duration_seconds(seconds)
            .send()
    };
    let output = match request(TOKEN_SECONDS).await {
        // The role session ends within 5 minutes (a long-lived Lambda
        // environment): a token may not outlive it, so ask for the shortest.
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), GetWebIdentityTokenError::SessionDurationEscalationException(_)) =>
        {
            request(MIN_TOKEN_SECONDS).await
        }
        other => other,
    }
    .map_err(|e| fail(describe(&e, audience)))?;
    let token = output.web_identity_token().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        fail("answered without a WebIdentityToken; check AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL point at STS".into())
    })?;
    debug!(expires = ?output.expiration(), "web identity token issued by STS");
    Ok(Secret::new(token.trim()))
}

/// What went wrong, and the fix.
fn describe(
    error: &SdkError<GetWebIdentityTokenError, aws_sdk_sts::config::http::HttpResponse>,
    audience: &str,
) -> String {
    let text = match error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or_default().trim_end_matches('.');
            let fix = match e {
                GetWebIdentityTokenError::OutboundWebIdentityFederationDisabledException(_) => format!(
                    "Outbound identity federation is not enabled for this AWS account: run `{ENABLE_COMMAND}` once (it prints the account's issuer URL, which the app's federated credential in Entra must name), then try again."
                ),
                GetWebIdentityTokenError::SessionDurationEscalationException(_) => {
                    "The AWS session this process runs with ends within a minute, sooner than any token STS issues; renew the session (a new role session) and try again.".to_string()
                }
                _ => match code {
                    "AccessDenied" | "AccessDeniedException" => format!(
                        "This identity may not call sts:GetWebIdentityToken for audience {audience} with {SIGNING_ALGORITHM}: grant it (the template's Credential=federation does, restricted by sts:IdentityTokenAudience and sts:SigningAlgorithm)."
                    ),
                    "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
                        "The AWS credentials of this process are not valid; check the role or profile (aws sts get-caller-identity).".into()
                    }
                    _ => String::new(),
                },
            };
            format!("failed: {code}: {message}. {fix}").trim_end().to_string()
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            "failed: STS is unreachable (check the network, AWS_REGION and AWS_ENDPOINT_URL_STS; GetWebIdentityToken is not on the global endpoint sts.amazonaws.com)".into()
        }
        other => format!("failed: {}", DisplayErrorContext(other)),
    };
    redact(&text).into_owned()
}
