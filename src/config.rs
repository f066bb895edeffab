//! Settings: raw strings in, a validated [`Config`] out.
//!
//! The CLI (and later the Lambda) gathers raw strings into [`RawSettings`];
//! [`Config::from_raw`] checks each one and turns it into a typed value, and
//! an error names the flag and environment variable to fix. This is the only
//! module that reads the process environment (the client secret is never a
//! flag, so it is read here), and it never echoes the secret.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use url::{Host, Url};

use crate::crashpoint::CrashPoint;
use crate::credentials::{ClientCredentials, Secret};
use crate::datasets::{self, DatasetDef};
use crate::error::{Error, Result};

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
}

/// Where the archive goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationConfig {
    /// A local folder.
    Local(PathBuf),
}

/// Validated settings of a run.
#[derive(Debug)]
pub struct Config {
    /// The app's credentials.
    pub credentials: ClientCredentials,
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
}

/// Reads one process environment variable (non-empty).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether the process runs under the AWS Lambda runtime.
pub fn in_lambda() -> bool {
    env_var(LAMBDA_RUNTIME_VAR).is_some()
}

fn invalid(setting: &'static str, problem: impl Into<String>) -> Error {
    Error::Config {
        setting,
        problem: problem.into(),
    }
}

impl Config {
    /// Validates `raw`; `env` supplies the environment (the process
    /// environment in production, a map in tests).
    pub fn from_raw(raw: RawSettings, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let tenant_id = guid(
            names::TENANT_ID,
            raw.tenant_id.as_deref(),
            "the Directory (tenant) ID GUID from the Entra admin center > Overview (a domain name is not accepted: archive keys must not change if the domain does)",
        )?;
        let client_id = guid(
            names::CLIENT_ID,
            raw.client_id.as_deref(),
            "the Application (client) ID GUID of the app registration",
        )?;
        let secret = env(CLIENT_SECRET_VAR).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).ok_or_else(|| {
            invalid(
                names::CLIENT_SECRET,
                "not set. Put the client secret's Value in this environment variable (it is never taken as a flag, which would leak into shell history and process lists)",
            )
        })?;
        let crash_point = match env(CRASH_POINT_VAR) {
            Some(spec) => CrashPoint::parse(&spec).map_err(|p| invalid(names::CRASH_POINT, p))?,
            None => CrashPoint::default(),
        };
        Ok(Config {
            credentials: ClientCredentials {
                tenant_id,
                client_id,
                client_secret: Secret::new(secret),
            },
            dest: destination(&raw.dest)?,
            datasets: dataset_list(&raw.datasets)?,
            graph_url: base_url(names::GRAPH_URL, &raw.graph_url)?,
            login_url: base_url(names::LOGIN_URL, &raw.login_url)?,
            since: raw
                .since
                .as_deref()
                .map(|s| time(names::SINCE, s))
                .transpose()?,
            lag: duration(names::LAG, &raw.lag, Duration::days(1))?,
            overlap: duration(names::OVERLAP, &raw.overlap, MAX_OVERLAP)?,
            now: raw
                .now
                .as_deref()
                .map(|s| time(names::NOW, s))
                .transpose()?,
            crash_point,
        })
    }
}

fn guid(setting: &'static str, value: Option<&str>, expected: &str) -> Result<String> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(setting, format!("not set; expected {expected}")))?;
    let hex_groups: Vec<&str> = value.split('-').collect();
    let lengths: Vec<usize> = hex_groups.iter().map(|g| g.len()).collect();
    let is_guid = lengths == [8, 4, 4, 4, 12]
        && hex_groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !is_guid {
        return Err(invalid(
            setting,
            format!("{value:?} is not a GUID; expected {expected}"),
        ));
    }
    Ok(value.to_ascii_lowercase())
}

fn destination(value: &str) -> Result<DestinationConfig> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(
            names::DEST,
            "empty; give a folder such as ./archive",
        ));
    }
    if let Some((scheme, _)) = value.split_once("://") {
        return Err(invalid(
            names::DEST,
            format!(
                "{scheme}:// destinations are not supported by this version; give a local folder"
            ),
        ));
    }
    Ok(DestinationConfig::Local(PathBuf::from(value)))
}

fn dataset_list(value: &str) -> Result<Vec<&'static DatasetDef>> {
    let known = || {
        datasets::ALL
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Vec<&'static DatasetDef> = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let def = datasets::by_name(name).ok_or_else(|| {
            invalid(
                names::DATASETS,
                format!("unknown dataset {name:?}; known: {}", known()),
            )
        })?;
        if !out.iter().any(|d| d.name == def.name) {
            out.push(def);
        }
    }
    if out.is_empty() {
        return Err(invalid(
            names::DATASETS,
            format!("names no dataset; known: {}", known()),
        ));
    }
    Ok(out)
}

fn base_url(setting: &'static str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| invalid(setting, format!("{value:?} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                setting,
                format!(
                    "{value} is plain http; use https (http is only accepted on loopback, for test servers)"
                ),
            ));
        }
        other => {
            return Err(invalid(
                setting,
                format!("{value}: scheme {other} is not http(s)"),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            setting,
            format!("{value} must be a base URL without query or fragment"),
        ));
    }
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Ok(Url::parse(&trimmed).expect("trimming a slash keeps a URL valid"))
}

fn time(setting: &'static str, value: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            invalid(
                setting,
                format!("{value:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})"),
            )
        })
}

fn duration(setting: &'static str, value: &str, max: Duration) -> Result<Duration> {
    let parsed = humantime::parse_duration(value.trim()).map_err(|e| {
        invalid(
            setting,
            format!("{value:?} is not a duration such as 10m or 1h ({e})"),
        )
    })?;
    let d = Duration::from_std(parsed)
        .map_err(|_| invalid(setting, format!("{value:?} is too long")))?;
    if d > max {
        return Err(invalid(
            setting,
            format!("{value:?} is longer than the maximum {}h", max.num_hours()),
        ));
    }
    Ok(d)
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
            datasets: datasets::DEFAULT_DATASETS.into(),
            graph_url: "https://graph.microsoft.com/".into(),
            login_url: "https://login.microsoftonline.com".into(),
            since: None,
            lag: "10m".into(),
            overlap: "1h".into(),
            now: None,
        }
    }

    fn env_with_secret(name: &str) -> Option<String> {
        (name == CLIENT_SECRET_VAR).then(|| "s3cr3t-value\n".to_string())
    }

    fn error_of(raw: RawSettings) -> String {
        Config::from_raw(raw, env_with_secret)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_validate_into_typed_values() {
        let c = Config::from_raw(raw(), env_with_secret).unwrap();
        assert_eq!(c.credentials.tenant_id, TENANT.to_lowercase());
        assert_eq!(c.credentials.client_secret.expose(), "s3cr3t-value");
        assert_eq!(c.graph_url.as_str(), "https://graph.microsoft.com/");
        assert_eq!(c.lag, Duration::minutes(10));
        assert_eq!(c.overlap, Duration::hours(1));
        assert_eq!(
            c.datasets.iter().map(|d| d.name).collect::<Vec<_>>(),
            ["signins", "directory_audits"]
        );
        assert_eq!(c.dest, DestinationConfig::Local("./archive".into()));
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn every_error_names_its_setting() {
        let cases: Vec<(RawSettings, &str)> = vec![
            (
                RawSettings {
                    tenant_id: None,
                    ..raw()
                },
                "ENTRA_TENANT_ID",
            ),
            (
                RawSettings {
                    tenant_id: Some("contoso.onmicrosoft.com".into()),
                    ..raw()
                },
                "ENTRA_TENANT_ID",
            ),
            (
                RawSettings {
                    client_id: Some("1234".into()),
                    ..raw()
                },
                "ENTRA_CLIENT_ID",
            ),
            (
                RawSettings {
                    datasets: "signins,bogus".into(),
                    ..raw()
                },
                "ARCHIVE_DATASETS",
            ),
            (
                RawSettings {
                    datasets: " , ".into(),
                    ..raw()
                },
                "ARCHIVE_DATASETS",
            ),
            (
                RawSettings {
                    graph_url: "http://graph.example.com".into(),
                    ..raw()
                },
                "GRAPH_BASE_URL",
            ),
            (
                RawSettings {
                    login_url: "not a url".into(),
                    ..raw()
                },
                "ENTRA_LOGIN_URL",
            ),
            (
                RawSettings {
                    since: Some("yesterday".into()),
                    ..raw()
                },
                "--since",
            ),
            (
                RawSettings {
                    lag: "ten minutes".into(),
                    ..raw()
                },
                "ARCHIVE_LAG",
            ),
            (
                RawSettings {
                    overlap: "90d".into(),
                    ..raw()
                },
                "ARCHIVE_OVERLAP",
            ),
            (
                RawSettings {
                    dest: "s3://bucket/prefix".into(),
                    ..raw()
                },
                "ARCHIVE_DEST",
            ),
        ];
        for (settings, name) in cases {
            let e = error_of(settings);
            assert!(e.contains(name), "{name}: {e}");
        }
        let e = Config::from_raw(raw(), |_| None).unwrap_err().to_string();
        assert!(
            e.contains("ENTRA_CLIENT_SECRET") && e.contains("never taken as a flag"),
            "{e}"
        );
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
            RawSettings {
                datasets: "directory_audits, signins,directory_audits".into(),
                ..raw()
            },
            env_with_secret,
        )
        .unwrap();
        assert_eq!(
            c.datasets.iter().map(|d| d.name).collect::<Vec<_>>(),
            ["directory_audits", "signins"]
        );
    }

    #[test]
    fn crash_points_come_from_the_environment_only_when_valid() {
        let env = |name: &str| match name {
            CLIENT_SECRET_VAR => Some("x".to_string()),
            CRASH_POINT_VAR => Some("nowhere".to_string()),
            _ => None,
        };
        assert!(
            Config::from_raw(raw(), env)
                .unwrap_err()
                .to_string()
                .contains(CRASH_POINT_VAR)
        );
    }
}
