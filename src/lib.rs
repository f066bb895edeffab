//! entra-archive: Microsoft Entra ID activity logs from Microsoft Graph into
//! Hive-partitioned, zstd Parquet, incrementally and without loss or
//! duplicates.
//!
//! ```text
//! config ─► credentials ─► token ─► graph pages ─► records→Arrow ─► Parquet ─► destination ─► checkpoint
//! ```
//!
//! - [`config`]: raw settings → validated [`Config`]; the only reader of the environment.
//! - [`credentials`]: the app's client credentials and the [`Secret`](credentials::Secret) newtype.
//! - [`token`]: client-credentials tokens, cached until shortly before expiry.
//! - [`graph`]: paged GETs, error classification, retries.
//! - [`datasets`]: each Graph activity log as data: endpoint, time field, permissions, schema.
//! - [`convert`]: Graph JSON → Arrow record batches (typed columns + `raw`).
//! - [`encode`]: Arrow → zstd Parquet files, and ids back out of them.
//! - [`layout`]: keys, partitions, hour cells and slices, as pure functions.
//! - [`destination`]: the storage trait and its local-folder backend.
//! - [`checkpoint`]: progress (conditional writes) and the per-dataset lease.
//! - [`run`]: one export pass over the selected datasets.
//! - [`summary`]: what a pass did, as text, JSON and an exit status.

#![warn(missing_docs)]

pub mod checkpoint;
pub mod config;
pub mod convert;
pub mod crashpoint;
pub mod credentials;
pub mod datasets;
pub mod destination;
pub mod encode;
mod error;
pub mod graph;
pub mod layout;
pub mod run;
pub mod summary;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

pub use config::Config;
pub use error::{Error, Result};
pub use summary::RunSummary;

use config::DestinationConfig;
use destination::{Destination, LocalFolder};
use graph::{GraphClient, RetryPolicy};
use run::{Clock, Exporter, Plan};
use token::TokenClient;

/// Time allowed to connect to Graph or the token endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The HTTP client every request goes through (rustls, no OpenSSL).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("entra-archive/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| Error::Http {
            url: "(client setup)".into(),
            source: e,
        })
}

/// Opens the configured destination.
pub fn open_destination(config: &DestinationConfig) -> Result<Arc<dyn Destination>> {
    match config {
        DestinationConfig::Local(path) => Ok(Arc::new(LocalFolder::open(path)?)),
    }
}

/// Runs one incremental export pass as `config` says: checks the credentials
/// (a token error stops the run before anything is written), then exports
/// each dataset. Errors returned here concern the whole run; per-dataset
/// outcomes are in the summary.
pub async fn export(config: Config, retry: RetryPolicy, clock: Clock) -> Result<RunSummary> {
    let http = http_client()?;
    let tenant_id = config.credentials.tenant_id.clone();
    let tokens = Arc::new(TokenClient::new(
        http.clone(),
        &config.login_url,
        &config.graph_url,
        config.credentials,
    ));
    graph::retrying(&retry, "token", || tokens.bearer()).await?;
    let dest = open_destination(&config.dest)?;
    let now = config.now.unwrap_or_else(|| clock());
    let plan = Plan {
        datasets: config.datasets,
        now,
        lag: config.lag,
        overlap: config.overlap,
        since: config.since,
    };
    let exporter = Exporter {
        graph: GraphClient::new(http, config.graph_url, tokens, retry),
        dest,
        tenant_id,
        run_id: new_run_id(now),
        clock,
        crash: Arc::new(config.crash_point),
    };
    Ok(exporter.run(&plan).await)
}

/// A run id: sortable by start time, unique.
fn new_run_id(now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
