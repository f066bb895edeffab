//! The composition root: a validated [`Config`] in, the clients every face
//! uses out.
//!
//! [`Services`] is built once (per command, per Lambda cold start) and holds
//! what a run, a backfill, `doctor` and the Lambda share: the credential
//! source, the federated assertions, the token client, the request pacers,
//! the Graph client, the AWS settings and the destination (opened for
//! writing on first use). Building it does no network I/O beyond loading
//! AWS settings a Secrets Manager source needs (STS's are loaded when the
//! first federated assertion is asked for); nothing else in the library
//! constructs these clients.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use crate::aws::Aws;
use crate::config::{Config, CredentialConfig};
use crate::credentials::{CredentialSource, StaticCredentials};
use crate::destination::{self, Access, Destination};
use crate::error::{Error, Result};
use crate::federation::Assertions;
use crate::graph::GraphClient;
use crate::pace::Pacers;
use crate::retry::RetryPolicy;
use crate::secrets_manager::{self, SecretsManagerCredentials};
use crate::token::TokenClient;

/// Time allowed to connect to Graph or the token endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The wall clock, as an input.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything a face needs, built once from a [`Config`].
pub struct Services {
    pub(crate) config: Config,
    pub(crate) aws: Aws,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Clock,
    pub(crate) credentials: Arc<dyn CredentialSource>,
    pub(crate) assertions: Arc<Assertions>,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: Arc<TokenClient>,
    pub(crate) graph: GraphClient,
    dest: OnceCell<Arc<dyn Destination>>,
}

impl Services {
    /// Builds the clients `config` needs: AWS settings from `aws`, failed
    /// requests repeated as `retry` says, time from `clock`.
    pub async fn new(config: Config, aws: Aws, retry: RetryPolicy, clock: Clock) -> Result<Services> {
        let credentials: Arc<dyn CredentialSource> = match &config.credentials {
            CredentialConfig::Static(creds) => Arc::new(StaticCredentials(creds.clone())),
            CredentialConfig::SecretsManager { secret_id } => Arc::new(SecretsManagerCredentials::new(
                aws_sdk_secretsmanager::Client::new(aws.config().await),
                secret_id.clone(),
                secrets_manager::DEFAULT_CACHE_TTL,
            )),
        };
        let http = http_client()?;
        let assertions = Arc::new(Assertions::new(aws.clone(), config.federation_audience.clone()));
        let tokens = Arc::new(TokenClient::new(
            http.clone(),
            &config.login_url,
            &config.graph_url,
            credentials.clone(),
            assertions.clone(),
        ));
        let budgets = (config.graph_budget, config.identity_protection_budget, config.network_access_budget);
        let pacers = Arc::new(Pacers::new(budgets));
        let graph = GraphClient::new(http.clone(), config.graph_url.clone(), tokens.clone(), retry.clone(), pacers);
        Ok(Services { config, aws, retry, clock, credentials, assertions, http, tokens, graph, dest: OnceCell::new() })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The destination, opened for writing the first time it is asked for.
    pub(crate) async fn destination(&self) -> Result<Arc<dyn Destination>> {
        let open = || destination::open(&self.config.dest, &self.aws, Access::ReadWrite);
        Ok(self.dest.get_or_try_init(open).await?.clone())
    }
}

/// The HTTP client every Graph and token request goes through (rustls, no OpenSSL).
fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("entra-archive/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        // A redirect would carry the token or the secret to another origin,
        // and its answer would be trusted: none is followed (issue 14, finding 9).
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| Error::Http { url: "(client setup)".into(), source: e })
}
