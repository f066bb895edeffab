//! The AWS settings the S3 destination, the Secrets Manager credentials and
//! STS (`aws-federation`) use: given (tests point them at local servers), or
//! AWS's standard chain (environment, profile, the Lambda role; a
//! service's own endpoint from `AWS_ENDPOINT_URL_<SERVICE>`, e.g.
//! `AWS_ENDPOINT_URL_STS`), loaded on first use only, so a run with a local archive and credentials from the
//! environment never touches AWS.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use tokio::sync::OnceCell;

/// Where AWS settings come from; clones share what was loaded.
#[derive(Debug, Clone, Default)]
pub struct Aws {
    config: Arc<OnceCell<SdkConfig>>,
}

impl Aws {
    /// AWS's standard configuration chain, read when first needed.
    pub fn standard() -> Aws {
        Aws::default()
    }

    /// These settings (a local S3 or Secrets Manager in tests).
    pub fn given(config: SdkConfig) -> Aws {
        Aws { config: Arc::new(OnceCell::new_with(Some(config))) }
    }

    /// The settings, loading the standard chain the first time.
    pub async fn config(&self) -> &SdkConfig {
        self.config.get_or_init(|| aws_config::defaults(BehaviorVersion::latest()).load()).await
    }
}
