//! A whole deployment on loopback: graph-sim as Entra and Graph, moto as S3
//! and Secrets Manager, the credentials in a secret, the archive in a bucket.

use std::path::Path;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use entra_archive::config::Settings;
use entra_archive::lambda::App;
use entra_archive::{Aws, RetryPolicy};
use graph_sim::{GraphSim, SimConfig};

use super::moto::Moto;
use super::{FROM, now_for_end};

pub const BUCKET: &str = "entra-archive-test";
pub const PREFIX: &str = "tenants/contoso";
pub const SECRET_NAME: &str = "entra-archive/credentials";

pub struct World {
    pub sim: GraphSim,
    pub moto: Moto,
    pub aws: SdkConfig,
    pub secret_arn: String,
}

/// The secret JSON for the sim's app with its client secret.
pub fn secret_json(sim: &SimConfig) -> String {
    serde_json::json!({
        "tenant_id": sim.tenant_id, "client_id": sim.client_id, "client_secret": sim.client_secret,
    })
    .to_string()
}

/// The secret JSON for the sim's app with the test certificate.
pub fn certificate_json(sim: &SimConfig) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/certs");
    serde_json::json!({
        "tenant_id": sim.tenant_id, "client_id": sim.client_id,
        "certificate_pem": std::fs::read_to_string(dir.join("app.cert.pem")).unwrap(),
        "private_key_pem": std::fs::read_to_string(dir.join("app.key.pem")).unwrap(),
    })
    .to_string()
}

impl World {
    /// Starts both servers, creates the bucket and a secret holding `secret`.
    pub async fn start(config: SimConfig, secret: impl FnOnce(&SimConfig) -> String) -> World {
        let secret = secret(&config);
        let sim = GraphSim::start(config).await.expect("graph-sim starts");
        let moto = Moto::start().await;
        moto.create_bucket(BUCKET).await;
        let aws = moto.sdk_config().await;
        let created = aws_sdk_secretsmanager::Client::new(&aws)
            .create_secret()
            .name(SECRET_NAME)
            .secret_string(secret)
            .send()
            .await
            .expect("secret created");
        World { sim, moto, aws, secret_arn: created.arn().unwrap().to_string() }
    }

    pub async fn put_secret(&self, value: &str) {
        aws_sdk_secretsmanager::Client::new(&self.aws)
            .put_secret_value()
            .secret_id(&self.secret_arn)
            .secret_string(value)
            .send()
            .await
            .expect("secret updated");
    }

    /// The settings a deployed function would have, with its window ending at `end`.
    pub fn settings(&self, end: DateTime<Utc>) -> Settings {
        Settings {
            secret_id: Some(self.secret_arn.clone()),
            dest: format!("s3://{BUCKET}/{PREFIX}"),
            datasets: "signins,directory_audits".into(),
            graph_url: self.sim.url(),
            login_url: self.sim.url(),
            since: Some(FROM.into()),
            now: Some(now_for_end(end)),
            graph_budget: "1000/1s".into(),
            identity_protection_budget: "1000/1s".into(),
            ..Settings::defaults()
        }
    }

    /// A Lambda app as the runtime would host it, pointed at these servers.
    pub fn app(&self, settings: Settings) -> App {
        self.app_as(settings, self.aws.clone())
    }

    /// [`app`](Self::app) with other AWS settings (another identity).
    pub fn app_as(&self, settings: Settings, aws: SdkConfig) -> App {
        App::new(settings, Aws::given(aws), RetryPolicy { max_retries: 2, ..RetryPolicy::default() })
    }

    /// The real `entra-archive` as a deployed function is configured: the
    /// credentials in the secret, the archive in the bucket, AWS at moto.
    pub fn binary(&self) -> tokio::process::Command {
        let mut cmd = super::binary(&self.sim, &format!("s3://{BUCKET}/{PREFIX}"));
        cmd.env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", super::moto::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", super::moto::SECRET_KEY)
            .env("AWS_REGION", super::moto::REGION)
            .env("ENTRA_SECRET_ID", &self.secret_arn);
        cmd
    }

    /// Every object under the archive prefix, copied to `dir` with the same
    /// relative keys (so the local readers apply).
    pub async fn download(&self, dir: &Path) -> Vec<String> {
        self.download_with(&self.aws, dir).await
    }

    /// [`download`](Self::download) signing with `aws`'s credentials.
    pub async fn download_with(&self, aws: &SdkConfig, dir: &Path) -> Vec<String> {
        download_prefix(aws, BUCKET, PREFIX, dir).await
    }

    /// The bytes of an object under the prefix, if it exists.
    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let s3 = self.moto.s3().await;
        let got = s3.get_object().bucket(BUCKET).key(format!("{PREFIX}/{key}")).send().await.ok()?;
        Some(got.body.collect().await.unwrap().into_bytes().to_vec())
    }
}

/// Every object under `bucket`/`prefix`/, copied to `dir` with the same
/// relative keys (so the local readers apply); returns those keys.
pub async fn download_prefix(aws: &SdkConfig, bucket: &str, prefix: &str, dir: &Path) -> Vec<String> {
    let s3 = entra_archive::destination::s3_client(aws).await;
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix(format!("{prefix}/")).into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            let key = object.key().unwrap().to_string();
            let body = s3.get_object().bucket(bucket).key(&key).send().await.unwrap().body.collect().await.unwrap();
            let relative = key.strip_prefix(&format!("{prefix}/")).unwrap().to_string();
            let path = dir.join(&relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body.into_bytes()).unwrap();
            keys.push(relative);
        }
    }
    keys
}
