//! Settings: raw strings in, a validated [`Config`] out.
//!
//! The CLI gathers raw strings into [`RawSettings`] with clap (flags and
//! their environment variables); the Lambda reads the same variables with
//! [`RawSettings::from_env`]. [`Config::from_raw`] checks each one and turns
//! it into a typed value (`values`), and an error names the flag and
//! environment variable to fix. This is the only module that reads the
//! process environment (the client secret is never a flag, so it is read
//! here), and it never echoes the secret.

mod values;

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use url::Url;

use crate::crashpoint::CrashPoint;
use crate::credentials::{ClientCredentials, Credential, Secret};
use crate::datasets::{DEFAULT_DATASETS, DatasetDef};
use crate::destination::Sse;
use crate::error::Result;
use crate::pace::Budget;
use values::{base_url, dataset_list, destination, duration, guid, invalid, std_duration, time};

/// The flag and variable of each setting, as errors name them.
pub mod names {
    /// Tenant.
    pub const TENANT_ID: &str = "--tenant-id / ENTRA_TENANT_ID";
    /// Application.
    pub const CLIENT_ID: &str = "--client-id / ENTRA_CLIENT_ID";
    /// Secret (environment only).
    pub const CLIENT_SECRET: &str = "ENTRA_CLIENT_SECRET";
    /// Destination.
    pub const DEST: &str = "--dest / ARCHIVE_DEST";
    /// Datasets.
    pub const DATASETS: &str = "--datasets / ARCHIVE_DATASETS";
    /// Graph base URL.
    pub const GRAPH_URL: &str = "--graph-url / GRAPH_BASE_URL";
    /// Login base URL.
    pub const LOGIN_URL: &str = "--login-url / ENTRA_LOGIN_URL";
    /// First-run start.
    pub const SINCE: &str = "--since";
    /// Lag.
    pub const LAG: &str = "--lag / ARCHIVE_LAG";
    /// Overlap.
    pub const OVERLAP: &str = "--overlap / ARCHIVE_OVERLAP";
    /// Pinned now (testing and replay).
    pub const NOW: &str = "--now";
    /// Crash injection (testing).
    pub const CRASH_POINT: &str = "ENTRA_ARCHIVE_CRASH_POINT";
    /// Secrets Manager secret holding the credentials.
    pub const SECRET_ID: &str = "--secret-id / ENTRA_SECRET_ID";
    /// KMS key for S3 server-side encryption.
    pub const KMS_KEY_ID: &str = "--kms-key-id / ARCHIVE_KMS_KEY_ID";
    /// Graph request budget.
    pub const GRAPH_BUDGET: &str = "--graph-budget / ARCHIVE_GRAPH_BUDGET";
    /// Identity Protection request budget.
    pub const IDENTITY_PROTECTION_BUDGET: &str = "--identity-protection-budget / ARCHIVE_IDENTITY_PROTECTION_BUDGET";
    /// Safety margin before a deadline.
    pub const DEADLINE_MARGIN: &str = "--deadline-margin / ARCHIVE_DEADLINE_MARGIN";
    /// Longest CLI run.
    pub const MAX_DURATION: &str = "--max-duration";
    /// JSON bytes per Parquet file.
    pub const FILE_SIZE: &str = "--file-size / ARCHIVE_FILE_SIZE";
}

/// Default of `--dest`.
pub const DEFAULT_DEST: &str = "./archive";
/// Default of `--graph-url`.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// Default of `--login-url`.
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// Default of `--lag`.
pub const DEFAULT_LAG: &str = "10m";
/// Default of `--overlap`.
pub const DEFAULT_OVERLAP: &str = "1h";
/// Default of `--graph-budget`: Graph's documented limit for the activity reports.
pub const DEFAULT_GRAPH_BUDGET: &str = "5/10s";
/// Default of `--identity-protection-budget`: Graph's limit for
/// `identityProtection`, per tenant for all apps together.
pub const DEFAULT_IDENTITY_PROTECTION_BUDGET: &str = "1/1s";
/// Default of `--deadline-margin`.
pub const DEFAULT_DEADLINE_MARGIN: &str = "60s";
/// Default of `--file-size`.
pub const DEFAULT_FILE_SIZE: &str = "128MiB";

/// Environment variables of the settings, as the Lambda reads them.
pub mod vars {
    /// Tenant.
    pub const TENANT_ID: &str = "ENTRA_TENANT_ID";
    /// Application.
    pub const CLIENT_ID: &str = "ENTRA_CLIENT_ID";
    /// Secrets Manager secret.
    pub const SECRET_ID: &str = "ENTRA_SECRET_ID";
    /// Destination.
    pub const DEST: &str = "ARCHIVE_DEST";
    /// Datasets.
    pub const DATASETS: &str = "ARCHIVE_DATASETS";
    /// Graph base URL.
    pub const GRAPH_URL: &str = "GRAPH_BASE_URL";
    /// Login base URL.
    pub const LOGIN_URL: &str = "ENTRA_LOGIN_URL";
    /// Lag.
    pub const LAG: &str = "ARCHIVE_LAG";
    /// Overlap.
    pub const OVERLAP: &str = "ARCHIVE_OVERLAP";
    /// KMS key.
    pub const KMS_KEY_ID: &str = "ARCHIVE_KMS_KEY_ID";
    /// Graph request budget.
    pub const GRAPH_BUDGET: &str = "ARCHIVE_GRAPH_BUDGET";
    /// Identity Protection request budget.
    pub const IDENTITY_PROTECTION_BUDGET: &str = "ARCHIVE_IDENTITY_PROTECTION_BUDGET";
    /// Deadline margin.
    pub const DEADLINE_MARGIN: &str = "ARCHIVE_DEADLINE_MARGIN";
    /// JSON bytes per Parquet file.
    pub const FILE_SIZE: &str = "ARCHIVE_FILE_SIZE";
}

/// Environment variable holding the client secret.
pub const CLIENT_SECRET_VAR: &str = "ENTRA_CLIENT_SECRET";
/// Environment variable arming a crash point (tests only).
pub const CRASH_POINT_VAR: &str = "ENTRA_ARCHIVE_CRASH_POINT";
/// Set by the Lambda runtime; its presence selects the Lambda face.
pub const LAMBDA_RUNTIME_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// Longest overlap accepted: Graph keeps at most 30 days.
const MAX_OVERLAP: Duration = Duration::days(30);

/// Settings as gathered, before validation. Defaults are applied by the
/// gatherer (clap documents them in `--help`).
#[derive(Debug, Clone, Default)]
pub struct RawSettings {
    /// Directory (tenant) ID.
    pub tenant_id: Option<String>,
    /// Application (client) ID.
    pub client_id: Option<String>,
    /// Destination folder.
    pub dest: String,
    /// Comma-separated dataset names.
    pub datasets: String,
    /// Microsoft Graph base URL.
    pub graph_url: String,
    /// Entra login base URL.
    pub login_url: String,
    /// First-run start (RFC 3339).
    pub since: Option<String>,
    /// Lag (e.g. `10m`).
    pub lag: String,
    /// Overlap (e.g. `1h`).
    pub overlap: String,
    /// Pinned now (RFC 3339).
    pub now: Option<String>,
    /// Secrets Manager secret (ARN or name) holding the credentials.
    pub secret_id: Option<String>,
    /// KMS key for SSE-KMS on S3.
    pub kms_key_id: Option<String>,
    /// Graph request budget (`5/10s`).
    pub graph_budget: String,
    /// Identity Protection request budget (`1/1s`).
    pub identity_protection_budget: String,
    /// Safety margin before a deadline (`60s`).
    pub deadline_margin: String,
    /// Longest run (CLI), e.g. `30m`.
    pub max_duration: Option<String>,
    /// Records' JSON per Parquet file before the next begins (`128MiB`).
    pub file_size: String,
}

impl RawSettings {
    /// The settings from environment variables alone, with the CLI's
    /// defaults (the Lambda's way).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> RawSettings {
        let or = |name: &str, default: &str| env(name).unwrap_or_else(|| default.to_string());
        RawSettings {
            tenant_id: env(vars::TENANT_ID),
            client_id: env(vars::CLIENT_ID),
            dest: or(vars::DEST, DEFAULT_DEST),
            datasets: or(vars::DATASETS, DEFAULT_DATASETS),
            graph_url: or(vars::GRAPH_URL, DEFAULT_GRAPH_URL),
            login_url: or(vars::LOGIN_URL, DEFAULT_LOGIN_URL),
            since: None,
            lag: or(vars::LAG, DEFAULT_LAG),
            overlap: or(vars::OVERLAP, DEFAULT_OVERLAP),
            now: None,
            secret_id: env(vars::SECRET_ID),
            kms_key_id: env(vars::KMS_KEY_ID),
            graph_budget: or(vars::GRAPH_BUDGET, DEFAULT_GRAPH_BUDGET),
            identity_protection_budget: or(vars::IDENTITY_PROTECTION_BUDGET, DEFAULT_IDENTITY_PROTECTION_BUDGET),
            deadline_margin: or(vars::DEADLINE_MARGIN, DEFAULT_DEADLINE_MARGIN),
            file_size: or(vars::FILE_SIZE, DEFAULT_FILE_SIZE),
            max_duration: None,
        }
    }
}

/// Where the app's credentials come from.
#[derive(Debug, Clone)]
pub enum CredentialConfig {
    /// Tenant, client and secret from flags and the environment.
    Static(ClientCredentials),
    /// A Secrets Manager secret (ARN or name) holding their JSON.
    SecretsManager {
        /// The secret.
        secret_id: String,
    },
}

/// Where the archive goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationConfig {
    /// A local folder.
    Local(PathBuf),
    /// An S3 bucket and key prefix.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix, without leading or trailing `/` (may be empty).
        prefix: String,
        /// Server-side encryption of written objects.
        sse: Sse,
    },
}

/// Validated settings of a run.
#[derive(Debug)]
pub struct Config {
    /// Where the app's credentials come from.
    pub credentials: CredentialConfig,
    /// Where the archive goes.
    pub dest: DestinationConfig,
    /// Datasets to export, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// Microsoft Graph base URL, without a trailing slash.
    pub graph_url: Url,
    /// Entra login base URL.
    pub login_url: Url,
    /// First-run start.
    pub since: Option<DateTime<Utc>>,
    /// Window end is now minus this.
    pub lag: Duration,
    /// Re-read before the checkpoint.
    pub overlap: Duration,
    /// Pinned now, if given.
    pub now: Option<DateTime<Utc>>,
    /// Crash injection, tests only.
    pub crash_point: CrashPoint,
    /// Requests allowed per window to `/auditLogs`, all datasets together.
    pub graph_budget: Budget,
    /// Requests allowed per window to `identityProtection`.
    pub identity_protection_budget: Budget,
    /// Time kept free before a deadline to commit what was read.
    pub deadline_margin: std::time::Duration,
    /// Longest run, if limited.
    pub max_duration: Option<std::time::Duration>,
    /// Batch and file sizes.
    pub file_limits: crate::cell::Limits,
}

/// Reads one process environment variable (non-empty).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether the process runs under the AWS Lambda runtime.
pub fn in_lambda() -> bool {
    env_var(LAMBDA_RUNTIME_VAR).is_some()
}

/// Validates a destination alone (`./archive` or `s3://bucket/prefix`), for
/// commands that only read the archive and need no credentials (`verify`).
pub fn parse_destination(value: &str) -> Result<DestinationConfig> {
    destination(value, None)
}

/// Validates a destination with an optional KMS key for SSE-KMS on S3.
pub fn parse_destination_with_kms(value: &str, kms_key_id: Option<&str>) -> Result<DestinationConfig> {
    destination(value, kms_key_id)
}

/// Validates a tenant ID alone (lower-cases the GUID).
pub fn parse_tenant_id(value: Option<&str>) -> Result<String> {
    guid(names::TENANT_ID, value, "the directory (tenant) ID, a GUID")
}

/// Validates a file size alone (`--file-size`) into batch and file limits.
pub fn parse_file_limits(value: &str) -> Result<crate::cell::Limits> {
    Ok(crate::cell::Limits { file_bytes: values::byte_size(names::FILE_SIZE, value)?, ..Default::default() })
}

/// Validates a comma-separated dataset list alone (`all` for every dataset).
pub fn parse_datasets(value: &str) -> Result<Vec<&'static DatasetDef>> {
    dataset_list(value)
}

impl Config {
    /// Validates `raw`; `env` supplies the environment (the process
    /// environment in production, a map in tests).
    pub fn from_raw(raw: RawSettings, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let crash_point = match env(CRASH_POINT_VAR) {
            Some(spec) => CrashPoint::parse(&spec).map_err(|p| invalid(names::CRASH_POINT, p))?,
            None => CrashPoint::default(),
        };
        Ok(Config {
            credentials: credential_config(&raw, &env)?,
            dest: destination(&raw.dest, raw.kms_key_id.as_deref())?,
            datasets: dataset_list(&raw.datasets)?,
            graph_url: base_url(names::GRAPH_URL, &raw.graph_url)?,
            login_url: base_url(names::LOGIN_URL, &raw.login_url)?,
            since: raw.since.as_deref().map(|s| time(names::SINCE, s)).transpose()?,
            lag: duration(names::LAG, &raw.lag, Duration::days(1))?,
            overlap: duration(names::OVERLAP, &raw.overlap, MAX_OVERLAP)?,
            now: raw.now.as_deref().map(|s| time(names::NOW, s)).transpose()?,
            crash_point,
            graph_budget: raw.graph_budget.parse().map_err(|e: String| invalid(names::GRAPH_BUDGET, e))?,
            identity_protection_budget: raw
                .identity_protection_budget
                .parse()
                .map_err(|e: String| invalid(names::IDENTITY_PROTECTION_BUDGET, e))?,
            deadline_margin: std_duration(names::DEADLINE_MARGIN, &raw.deadline_margin, Duration::minutes(10))?,
            file_limits: parse_file_limits(&raw.file_size)?,
            max_duration: raw
                .max_duration
                .as_deref()
                .map(|d| std_duration(names::MAX_DURATION, d, Duration::days(7)))
                .transpose()?,
        })
    }
}

fn credential_config(raw: &RawSettings, env: &impl Fn(&str) -> Option<String>) -> Result<CredentialConfig> {
    let secret = env(CLIENT_SECRET_VAR).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(secret_id) = raw.secret_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let conflicting = [
            (raw.tenant_id.is_some(), names::TENANT_ID),
            (raw.client_id.is_some(), names::CLIENT_ID),
            (secret.is_some(), names::CLIENT_SECRET),
        ];
        if let Some((_, name)) = conflicting.iter().find(|(set, _)| *set) {
            return Err(invalid(
                names::SECRET_ID,
                format!(
                    "is set, so the credentials come from that secret; unset {name} (one source only, so there is no doubt which is used)"
                ),
            ));
        }
        return Ok(CredentialConfig::SecretsManager { secret_id: secret_id.to_string() });
    }
    let tenant_id = guid(
        names::TENANT_ID,
        raw.tenant_id.as_deref(),
        "the Directory (tenant) ID GUID from the Entra admin center > Overview (a domain name is not accepted: archive keys must not change if the domain does), or set ENTRA_SECRET_ID",
    )?;
    let client_id =
        guid(names::CLIENT_ID, raw.client_id.as_deref(), "the Application (client) ID GUID of the app registration")?;
    let secret = secret.ok_or_else(|| {
        invalid(
            names::CLIENT_SECRET,
            "not set. Put the client secret's Value in this environment variable (it is never taken as a flag, which would leak into shell history and process lists), or keep the credentials in Secrets Manager and set ENTRA_SECRET_ID",
        )
    })?;
    Ok(CredentialConfig::Static(ClientCredentials {
        tenant_id,
        client_id,
        credential: Credential::Secret(Secret::new(secret)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5";
    const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

    fn raw() -> RawSettings {
        RawSettings {
            tenant_id: Some(TENANT.into()),
            client_id: Some(CLIENT.into()),
            dest: "./archive".into(),
            datasets: DEFAULT_DATASETS.into(),
            graph_url: "https://graph.microsoft.com/".into(),
            login_url: "https://login.microsoftonline.com".into(),
            since: None,
            lag: "10m".into(),
            overlap: "1h".into(),
            now: None,
            secret_id: None,
            kms_key_id: None,
            graph_budget: DEFAULT_GRAPH_BUDGET.into(),
            identity_protection_budget: DEFAULT_IDENTITY_PROTECTION_BUDGET.into(),
            deadline_margin: DEFAULT_DEADLINE_MARGIN.into(),
            file_size: DEFAULT_FILE_SIZE.into(),
            max_duration: None,
        }
    }

    fn env_with_secret(name: &str) -> Option<String> {
        (name == CLIENT_SECRET_VAR).then(|| "s3cr3t-value\n".to_string())
    }

    fn error_of(raw: RawSettings) -> String {
        Config::from_raw(raw, env_with_secret).unwrap_err().to_string()
    }

    #[test]
    fn defaults_validate_into_typed_values() {
        let c = Config::from_raw(raw(), env_with_secret).unwrap();
        let CredentialConfig::Static(creds) = &c.credentials else { panic!("static credentials") };
        assert_eq!(creds.tenant_id, TENANT.to_lowercase());
        assert!(matches!(&creds.credential, Credential::Secret(s) if s.expose() == "s3cr3t-value"));
        assert_eq!(c.graph_url.as_str(), "https://graph.microsoft.com/");
        assert_eq!(c.lag, Duration::minutes(10));
        assert_eq!(c.overlap, Duration::hours(1));
        assert_eq!(c.datasets.len(), crate::datasets::ALL.len(), "every dataset by default");
        let mut r = raw();
        r.datasets = "directory_audits, ALL ,signins".into();
        let c = Config::from_raw(r, env_with_secret).unwrap();
        assert_eq!(c.datasets[0].name, "directory_audits", "order as named, each once");
        assert_eq!(c.datasets.len(), crate::datasets::ALL.len());
        assert_eq!(c.dest, DestinationConfig::Local("./archive".into()));
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn every_error_names_its_setting() {
        let cases: Vec<(RawSettings, &str)> = vec![
            (RawSettings { tenant_id: None, ..raw() }, "ENTRA_TENANT_ID"),
            (RawSettings { tenant_id: Some("contoso.onmicrosoft.com".into()), ..raw() }, "ENTRA_TENANT_ID"),
            (RawSettings { client_id: Some("1234".into()), ..raw() }, "ENTRA_CLIENT_ID"),
            (RawSettings { datasets: "signins,bogus".into(), ..raw() }, "ARCHIVE_DATASETS"),
            (RawSettings { datasets: " , ".into(), ..raw() }, "ARCHIVE_DATASETS"),
            (RawSettings { graph_url: "http://graph.example.com".into(), ..raw() }, "GRAPH_BASE_URL"),
            (RawSettings { login_url: "not a url".into(), ..raw() }, "ENTRA_LOGIN_URL"),
            (RawSettings { since: Some("yesterday".into()), ..raw() }, "--since"),
            (RawSettings { lag: "ten minutes".into(), ..raw() }, "ARCHIVE_LAG"),
            (RawSettings { overlap: "90d".into(), ..raw() }, "ARCHIVE_OVERLAP"),
            (RawSettings { dest: "s3://Bucket/prefix".into(), ..raw() }, "ARCHIVE_DEST"),
            (RawSettings { secret_id: Some("arn:aws:secretsmanager:x".into()), ..raw() }, "ENTRA_SECRET_ID"),
        ];
        for (settings, name) in cases {
            let e = error_of(settings);
            assert!(e.contains(name), "{name}: {e}");
        }
        let e = Config::from_raw(raw(), |_| None).unwrap_err().to_string();
        assert!(e.contains("ENTRA_CLIENT_SECRET") && e.contains("never taken as a flag"), "{e}");
    }

    #[test]
    fn lambda_settings_come_from_the_environment_alone() {
        let env = |name: &str| {
            match name {
                vars::SECRET_ID => Some("arn:aws:secretsmanager:us-east-1:1:secret:entra"),
                vars::DEST => Some("s3://archive-bucket/entra/"),
                vars::KMS_KEY_ID => Some("alias/entra-archive"),
                vars::DATASETS => Some("directory_audits"),
                _ => None,
            }
            .map(String::from)
        };
        let c = Config::from_raw(RawSettings::from_env(env), env).unwrap();
        assert!(
            matches!(c.credentials, CredentialConfig::SecretsManager { ref secret_id } if secret_id.ends_with(":entra"))
        );
        assert_eq!(
            c.dest,
            DestinationConfig::S3 {
                bucket: "archive-bucket".into(),
                prefix: "entra".into(),
                sse: Sse::Kms { key_id: "alias/entra-archive".into() }
            }
        );
        assert_eq!(c.datasets.len(), 1);
        assert_eq!((c.lag, c.overlap), (Duration::minutes(10), Duration::hours(1)));
        assert_eq!(c.graph_url.as_str(), "https://graph.microsoft.com/");
    }

    #[test]
    fn loopback_http_is_allowed_for_test_servers() {
        let c = Config::from_raw(
            RawSettings {
                graph_url: "http://127.0.0.1:8400".into(),
                login_url: "http://localhost:8400/".into(),
                ..raw()
            },
            env_with_secret,
        )
        .unwrap();
        assert_eq!(c.graph_url.as_str(), "http://127.0.0.1:8400/");
        assert_eq!(c.login_url.as_str(), "http://localhost:8400/");
    }

    #[test]
    fn duplicate_datasets_are_kept_once_in_the_given_order() {
        let c = Config::from_raw(
            RawSettings { datasets: "directory_audits, signins,directory_audits".into(), ..raw() },
            env_with_secret,
        )
        .unwrap();
        assert_eq!(c.datasets.iter().map(|d| d.name).collect::<Vec<_>>(), ["directory_audits", "signins"]);
    }

    #[test]
    fn crash_points_come_from_the_environment_only_when_valid() {
        let env = |name: &str| match name {
            CLIENT_SECRET_VAR => Some("x".to_string()),
            CRASH_POINT_VAR => Some("nowhere".to_string()),
            _ => None,
        };
        assert!(Config::from_raw(raw(), env).unwrap_err().to_string().contains(CRASH_POINT_VAR));
    }
}
