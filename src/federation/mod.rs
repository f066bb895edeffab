//! Secretless sign-in: a federated assertion in place of a client secret or
//! certificate (Entra workload identity federation).
//!
//! Entra accepts a JWT from another identity provider as the client
//! assertion of a client-credentials token request when the app registration
//! has a *federated identity credential* whose issuer, subject and audience
//! match the JWT's `iss`, `sub` and `aud` (Microsoft Graph's
//! federatedIdentityCredential resource). A [`Federation`] says where that
//! JWT comes from: AWS STS `GetWebIdentityToken` about this process's own AWS
//! identity (`sts`), or a file the platform keeps fresh (`token_file`).
//! [`Assertions`] hands `token` a fresh JWT for every token request — never
//! cached, never logged, never written — and `doctor` what it says about
//! itself (`claims`) and whether its issuer publishes its keys (`discovery`).

mod claims;
mod discovery;
mod sts;
mod token_file;

use std::path::PathBuf;

use tokio::sync::OnceCell;

use crate::aws::Aws;
use crate::error::Result;
use crate::secret::Secret;

pub(crate) use claims::AssertionClaims;
pub(crate) use claims::peek;
pub(crate) use discovery::issuer_keys;
pub(crate) use sts::{ENABLE_COMMAND, ORIGIN as STS_ORIGIN};
pub(crate) use token_file::TOKEN_FILE_VAR;

/// The audience Entra expects in a federated assertion: "should be set to
/// api://AzureADTokenExchange for Microsoft Entra ID" (Microsoft Graph,
/// federatedIdentityCredential resource type, `audiences`).
pub(crate) const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Entra's token-exchange audience for the cloud of `login_url`: the US
/// Government and China clouds have their own (Microsoft Entra workload ID,
/// "Configure an application to trust a managed identity": audiences
/// api://AzureADTokenExchangeUSGov, api://AzureADTokenExchangeChina).
pub(crate) fn audience_for(login_url: &url::Url) -> &'static str {
    match login_url.host_str().unwrap_or_default().to_ascii_lowercase().as_str() {
        "login.microsoftonline.us" => "api://AzureADTokenExchangeUSGov",
        "login.chinacloudapi.cn" | "login.partner.microsoftonline.cn" => "api://AzureADTokenExchangeChina",
        _ => DEFAULT_AUDIENCE,
    }
}

/// Where a federated assertion comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Federation {
    /// AWS STS `GetWebIdentityToken` with this process's AWS identity.
    Aws,
    /// A file holding the workload's OIDC token, read at each request.
    TokenFile(PathBuf),
}

impl Federation {
    /// The credential's name, as `ENTRA_CREDENTIAL` spells it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Federation::Aws => "aws-federation",
            Federation::TokenFile(_) => "token-file",
        }
    }
}

/// Fetches federated assertions: STS with the AWS settings (loaded on
/// first use), or the token file.
#[derive(Debug)]
pub(crate) struct Assertions {
    aws: Aws,
    audience: String,
    sts: OnceCell<aws_sdk_sts::Client>,
}

impl Assertions {
    /// Assertions for `audience`, asking STS with `aws`'s settings.
    pub(crate) fn new(aws: Aws, audience: impl Into<String>) -> Assertions {
        Assertions { aws, audience: audience.into(), sts: OnceCell::new() }
    }

    /// The audience STS tokens are requested for.
    pub(crate) fn audience(&self) -> &str {
        &self.audience
    }

    /// A fresh assertion from `federation`.
    pub(crate) async fn fetch(&self, federation: &Federation) -> Result<Secret> {
        match federation {
            Federation::Aws => {
                let client = self.sts.get_or_init(|| async { aws_sdk_sts::Client::new(self.aws.config().await) }).await;
                sts::web_identity_token(client, &self.audience).await
            }
            Federation::TokenFile(path) => token_file::read(path).await,
        }
    }
}
