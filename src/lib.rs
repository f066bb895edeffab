//! entra-archive: Microsoft Entra ID activity logs from Microsoft Graph into
//! Hive-partitioned, zstd Parquet, incrementally and without loss or
//! duplicates.
//!
//! ```text
//! config ─► credentials ─► token ─► graph pages ─► records→Arrow ─► Parquet ─► destination ─► checkpoint
//! ```
//!
//! - [`config`]: raw settings → validated [`Config`]; the only reader of the environment.
//! - [`credentials`]: the app's credentials, their sources, the [`Secret`](credentials::Secret) newtype.
//! - [`secrets_manager`]: credentials kept in AWS Secrets Manager, cached and re-read on rejection.
//! - [`assertion`]: certificate credentials and the signed client assertion.
//! - [`token`]: client-credentials tokens, cached until shortly before expiry.
//! - [`graph`]: paged GETs and error classification.
//! - [`retry`]: the retry policy and loop, bounded by the [`deadline`].
//! - [`pace`]: client-side pacing under Graph's request budget.
//! - [`datasets`]: each Graph activity log as data: endpoint, time field, permissions, schema.
//! - [`convert`]: Graph JSON → Arrow record batches (typed columns + `raw`).
//! - [`encode`]: Arrow → zstd Parquet files, and ids back out of them.
//! - [`layout`]: keys, partitions, hour cells and slices, as pure functions.
//! - [`manifest`]: each data file's manifest (hashes, counts, provenance), built from the file.
//! - [`progress`]: the CLI's progress bar (terminal only).
//! - [`metrics`]: the run's CloudWatch metrics as Embedded Metric Format lines.
//! - [`destination`]: the storage trait and its local-folder and S3 backends.
//! - [`checkpoint`]: progress (conditional writes) and the per-dataset lease.
//! - [`run`]: one export pass over the selected datasets.
//! - [`summary`]: what a pass did, as text, JSON and an exit status.
//! - [`lambda`]: the AWS Lambda face: events in, summaries out.
//! - [`doctor`]: every prerequisite checked (credentials, token, permissions, licence, destination), each with its fix.
//! - [`verify`]: re-reads an archive offline and checks every file against its manifest.
//!
//! [`Archiver`] ties them together: built once from a [`Config`] (once per
//! Lambda cold start), it runs any number of passes.

#![warn(missing_docs)]

pub mod assertion;
pub mod cell;
pub mod checkpoint;
pub mod columns;
pub mod config;
pub mod convert;
pub mod crashpoint;
pub mod credentials;
pub mod datasets;
pub mod deadline;
pub mod destination;
pub mod doctor;
pub mod encode;
mod error;
pub mod graph;
pub mod import;
pub mod lambda;
pub mod layout;
pub mod manifest;
pub mod metrics;
pub mod pace;
pub mod progress;
pub mod retry;
pub mod run;
pub mod secrets_manager;
pub mod summary;
pub mod token;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

pub use config::Config;
pub use error::{Error, Result};
pub use summary::RunSummary;

use config::{CredentialConfig, DestinationConfig};
use crashpoint::CrashPoint;
use credentials::{CredentialSource, StaticCredentials};
use datasets::DatasetDef;
use deadline::Deadline;
use destination::{Destination, LocalFolder, S3Destination};
use graph::GraphClient;
use pace::Pacers;
use retry::RetryPolicy;
use run::{Clock, Exporter, Mode, Plan};
use secrets_manager::SecretsManagerCredentials;
use token::TokenClient;

/// Time allowed to connect to Graph or the token endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Folder name for files on their way to a remote destination.
const STAGING_DIR: &str = "entra-archive-staging";

/// The HTTP client every Graph and token request goes through (rustls, no OpenSSL).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("entra-archive/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| Error::Http { url: "(client setup)".into(), source: e })
}

/// What one pass is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// Datasets, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// Incremental or backfill.
    pub mode: Mode,
    /// When to stop starting work (Lambda: the invocation's remaining time).
    pub deadline: Option<Deadline>,
    /// Told of each finished slice (the CLI's progress bar).
    pub observer: Option<Arc<dyn run::Observer>>,
}

/// Everything needed to run passes, built once.
pub struct Archiver {
    config: Config,
    graph: GraphClient,
    tokens: Arc<TokenClient>,
    tenant_id: String,
    aws: Option<aws_config::SdkConfig>,
    dest: OnceCell<Arc<dyn Destination>>,
    retry: RetryPolicy,
    clock: Clock,
    crash: Arc<CrashPoint>,
}

impl Archiver {
    /// Builds the clients `config` needs and reads the credentials (which
    /// gives the tenant). AWS settings come from the standard chain
    /// (environment, profile, Lambda role). Touches neither Graph nor the
    /// destination.
    pub async fn connect(config: Config, retry: RetryPolicy, clock: Clock) -> Result<Archiver> {
        let uses_aws = matches!(config.credentials, CredentialConfig::SecretsManager { .. })
            || matches!(config.dest, DestinationConfig::S3 { .. });
        let aws = match uses_aws {
            true => Some(aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await),
            false => None,
        };
        Archiver::connect_with(config, aws, retry, clock).await
    }

    /// [`connect`](Self::connect) with the AWS settings given (tests point
    /// them at a local server).
    pub async fn connect_with(
        mut config: Config,
        aws: Option<aws_config::SdkConfig>,
        retry: RetryPolicy,
        clock: Clock,
    ) -> Result<Archiver> {
        let needs_aws = |what: &str| {
            aws.clone().ok_or_else(|| Error::Config { setting: "AWS", problem: format!("{what} needs AWS settings") })
        };
        let source: Arc<dyn CredentialSource> = match &config.credentials {
            CredentialConfig::Static(creds) => Arc::new(StaticCredentials(creds.clone())),
            CredentialConfig::SecretsManager { secret_id } => Arc::new(SecretsManagerCredentials::new(
                aws_sdk_secretsmanager::Client::new(&needs_aws("ENTRA_SECRET_ID")?),
                secret_id.clone(),
                secrets_manager::DEFAULT_CACHE_TTL,
            )),
        };
        if matches!(config.dest, DestinationConfig::S3 { .. }) {
            needs_aws("an s3:// ARCHIVE_DEST")?;
        }
        let tenant_id = source.credentials().await?.tenant_id;
        let http = http_client()?;
        let tokens = Arc::new(TokenClient::new(http.clone(), &config.login_url, &config.graph_url, source));
        let pacers = Arc::new(Pacers::new(config.graph_budget, config.identity_protection_budget));
        let graph = GraphClient::new(http, config.graph_url.clone(), tokens.clone(), retry.clone(), pacers);
        let crash = Arc::new(std::mem::take(&mut config.crash_point));
        Ok(Archiver { config, graph, tokens, tenant_id, aws, dest: OnceCell::new(), retry, clock, crash })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The tenant archived.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The pass the configuration describes: incremental, its datasets,
    /// within `--max-duration` if given.
    pub fn default_request(&self) -> Request {
        Request {
            datasets: self.config.datasets.clone(),
            mode: Mode::Incremental,
            deadline: self.config.max_duration.map(|d| Deadline::within(d, self.config.deadline_margin)),
            observer: None,
        }
    }

    /// Runs one pass: checks the credentials first (a token error stops the
    /// run before anything is written), then exports each dataset. Errors
    /// returned here concern the whole run; per-dataset outcomes are in the
    /// summary.
    pub async fn run(&self, request: Request) -> Result<RunSummary> {
        retry::retrying(&self.retry, request.deadline.as_ref(), "token", || self.tokens.bearer()).await?;
        let dest = self.dest.get_or_try_init(|| self.open_destination()).await?.clone();
        let now = self.config.now.unwrap_or_else(|| (self.clock)());
        let plan = Plan {
            datasets: request.datasets,
            now,
            lag: self.config.lag,
            overlap: self.config.overlap,
            since: self.config.since,
            mode: request.mode,
            deadline: request.deadline,
            observer: request.observer,
        };
        let exporter = Exporter {
            graph: self.graph.clone(),
            dest,
            tenant_id: self.tenant_id.clone(),
            run_id: new_run_id((self.clock)()),
            clock: self.clock.clone(),
            crash: self.crash.clone(),
            limits: self.config.file_limits,
        };
        Ok(exporter.run(&plan).await)
    }

    async fn open_destination(&self) -> Result<Arc<dyn Destination>> {
        Ok(match &self.config.dest {
            DestinationConfig::Local(path) => Arc::new(LocalFolder::open(path)?),
            DestinationConfig::S3 { bucket, prefix, sse } => {
                let aws = self.aws.as_ref().expect("loaded for S3");
                let client = destination::s3_client(aws).await;
                let staging = std::env::temp_dir().join(STAGING_DIR);
                Arc::new(S3Destination::new(client, bucket.clone(), prefix.clone(), sse.clone(), staging)?)
            }
        })
    }
}

/// A run id: sortable by start time, unique.
fn new_run_id(now: DateTime<Utc>) -> String {
    format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..8])
}
