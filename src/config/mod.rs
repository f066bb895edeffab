//! Settings: raw strings in, a validated [`Config`] out.
//!
//! [`Settings`] is the one definition of every setting: its flag, its
//! environment variable, its default and its help, as one clap-derived
//! struct. The CLI flattens it into its commands; the Lambda fills it from the
//! environment through the same parser, with an empty command line. Adding a
//! setting means a field here and a line in [`Config::from_settings`], which
//! checks each value and turns it into a typed one (`values`); an error names
//! the flag and variable to fix, as clap knows them. The client secret is
//! never a flag: [`Settings::with_env_secret`] reads it from
//! `ENTRA_CLIENT_SECRET`, and nothing here ever echoes it.
//!
//! Settings are checked against each other and against now (`--now`, else the
//! clock) here, before anything is read or written: times lie between 2000
//! and a day from now, a first run's start within what Graph keeps, a run's
//! time longer than its commit margin.

mod values;

use std::path::PathBuf;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use clap::builder::BoolishValueParser;
use clap::{Args, Command};
use tracing::warn;
use url::Url;

pub use crate::cell::Limits;
use crate::credentials::{ClientCredentials, Credential};
use crate::datasets::{DEFAULT_DATASETS, DatasetDef};
use crate::destination::Location;
use crate::error::{Error, Result};
use crate::federation::Federation;
use crate::pace::Budget;
use crate::secret::Secret;
use values::{
    base_url, byte_size, dataset_list, destination, duration, guid, named_datasets, rfc3339, std_duration, time,
    time_until,
};

/// Default of `--dest`.
pub const DEFAULT_DEST: &str = "./archive";
/// Default of `--file-size`.
pub const DEFAULT_FILE_SIZE: &str = "128MiB";
/// Environment variable holding the client secret (never a flag).
pub(crate) const CLIENT_SECRET_VAR: &str = "ENTRA_CLIENT_SECRET";
/// Tenant and client IDs as the Azure workload identity webhook sets them,
/// read when `--credential token-file` is given without ours.
const AZURE_TENANT_VAR: &str = "AZURE_TENANT_ID";
const AZURE_CLIENT_VAR: &str = "AZURE_CLIENT_ID";
/// Set by the Lambda runtime; its presence selects the Lambda face.
const LAMBDA_RUNTIME_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// How long Microsoft Graph keeps sign-ins and audits: 30 days on Entra ID
/// P1/P2, 7 on free tenants.
const GRAPH_RETENTION: Duration = Duration::days(30);
/// Longest overlap accepted: Graph keeps at most 30 days.
const MAX_OVERLAP: Duration = GRAPH_RETENTION;
/// Longest lag accepted.
const MAX_LAG: Duration = Duration::days(1);
/// Longest commit margin accepted.
const MAX_DEADLINE_MARGIN: Duration = Duration::minutes(10);
/// Longest `--max-duration` accepted.
const MAX_RUN: Duration = Duration::days(7);

/// Every setting of a run, as given: flags and their environment variables,
/// with their defaults. Validated by [`Config::from_settings`].
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Directory (tenant) ID, a GUID.
    #[arg(long, env = "ENTRA_TENANT_ID", value_name = "GUID")]
    pub tenant_id: Option<String>,

    /// Application (client) ID of the app registration, a GUID.
    #[arg(long, env = "ENTRA_CLIENT_ID", value_name = "GUID")]
    pub client_id: Option<String>,

    /// AWS Secrets Manager secret (ARN or name) holding the credentials as JSON, instead of the three settings above.
    #[arg(long, env = "ENTRA_SECRET_ID", value_name = "ARN")]
    pub secret_id: Option<String>,

    /// How the app signs in: secret (ENTRA_CLIENT_SECRET or --secret-id; the default), aws-federation (this process's AWS identity through STS, no secret) or token-file (a federated token in --federated-token-file, no secret).
    #[arg(long, env = "ENTRA_CREDENTIAL", value_name = "KIND")]
    pub credential: Option<String>,

    /// File holding the workload's federated OIDC token, re-read at each token request (--credential token-file).
    #[arg(long, env = "AZURE_FEDERATED_TOKEN_FILE", value_name = "PATH")]
    pub federated_token_file: Option<String>,

    /// Audience of the AWS STS token (--credential aws-federation); the app's federated credential must list it. Default: Entra's for the --login-url cloud (api://AzureADTokenExchange; …USGov, …China).
    #[arg(long, env = "ENTRA_FEDERATION_AUDIENCE", value_name = "AUDIENCE")]
    pub federation_audience: Option<String>,

    /// Archive destination: a folder (created if missing) or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = DEFAULT_DEST, value_name = "DIR|S3 URL")]
    pub dest: String,

    /// KMS key (ID, ARN or alias) for SSE-KMS on an s3:// destination. Default: the bucket's own encryption.
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID", value_name = "KEY")]
    pub kms_key_id: Option<String>,

    /// Datasets to export, comma-separated (see `entra-archive datasets`).
    #[arg(long, env = "ARCHIVE_DATASETS", default_value = DEFAULT_DATASETS, value_name = "LIST")]
    pub datasets: String,

    /// Microsoft Graph base URL (national clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
    #[arg(long, env = "GRAPH_BASE_URL", default_value = "https://graph.microsoft.com", value_name = "URL")]
    pub graph_url: String,

    /// Entra login base URL (national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn).
    #[arg(long, env = "ENTRA_LOGIN_URL", default_value = "https://login.microsoftonline.com", value_name = "URL")]
    pub login_url: String,

    /// The window ends this long before now, giving Graph time to make recent events visible.
    #[arg(long, env = "ARCHIVE_LAG", default_value = "10m", value_name = "DURATION")]
    pub lag: String,

    /// Each run re-reads this much before its checkpoint and archives late-arriving records found there (never twice).
    #[arg(long, env = "ARCHIVE_OVERLAP", default_value = "1h", value_name = "DURATION")]
    pub overlap: String,

    /// Requests allowed per window to /auditLogs, all datasets together (Graph allows 5 per 10 s per app and tenant).
    #[arg(long, env = "ARCHIVE_GRAPH_BUDGET", default_value = "5/10s", value_name = "N/WINDOW")]
    pub graph_budget: String,

    /// Requests allowed per window to identityProtection (risk detections; Graph allows 1 per second per tenant).
    #[arg(long, env = "ARCHIVE_IDENTITY_PROTECTION_BUDGET", default_value = "1/1s", value_name = "N/WINDOW")]
    pub identity_protection_budget: String,

    /// Requests allowed per window to networkAccess (Global Secure Access traffic; Graph documents no limit of its own).
    #[arg(long, env = "ARCHIVE_NETWORK_ACCESS_BUDGET", default_value = "10/1s", value_name = "N/WINDOW")]
    pub network_access_budget: String,

    /// Stop starting new work after this long (e.g. 50m) and commit what was read; the next run resumes.
    #[arg(long, value_name = "DURATION")]
    pub max_duration: Option<String>,

    /// Time kept at the end of --max-duration (and of a Lambda invocation) to commit what was read.
    #[arg(long, env = "ARCHIVE_DEADLINE_MARGIN", default_value = "60s", value_name = "DURATION")]
    pub deadline_margin: String,

    /// Records' JSON text per Parquet file: a file is closed once it holds this much (e.g. 128MiB, 512MB, 1GiB).
    #[arg(long, env = "ARCHIVE_FILE_SIZE", default_value = DEFAULT_FILE_SIZE, value_name = "SIZE")]
    pub file_size: String,

    /// Pretend it is this time (RFC 3339): for tests and replays.
    #[arg(long, hide = true, value_name = "TIME")]
    pub now: Option<String>,

    /// Accept a `run --since` or `backfill --from` more than 30 days back, beyond what Graph keeps (default: refused).
    #[arg(long, env = "ARCHIVE_ALLOW_BEYOND_RETENTION", value_parser = BoolishValueParser::new())]
    pub allow_beyond_retention: bool,

    /// Where a first run starts (RFC 3339): `run --since` only.
    #[arg(skip)]
    pub since: Option<String>,

    /// The client secret's value, from `ENTRA_CLIENT_SECRET` only
    /// ([`with_env_secret`](Self::with_env_secret)).
    #[arg(skip)]
    pub client_secret: Option<Secret>,
}

impl Settings {
    /// Every setting at its default, whatever the environment holds: the
    /// base tests build on with struct update syntax.
    pub fn defaults() -> Settings {
        let command = Settings::augment_args(Command::new("entra-archive")).mut_args(|a| a.env(None::<&'static str>));
        let matches = command.get_matches_from(["entra-archive"]);
        <Settings as clap::FromArgMatches>::from_arg_matches(&matches).expect("the defaults parse")
    }

    /// The settings with the client secret read from `ENTRA_CLIENT_SECRET`.
    pub fn with_env_secret(self) -> Settings {
        Settings { client_secret: env_var(CLIENT_SECRET_VAR).map(Secret::remembered), ..self }
    }
}

/// How a setting is named in errors: its flag and environment variable as
/// [`Settings`] declares them (`--lag / ARCHIVE_LAG`); a name that is not a
/// field of [`Settings`] (another command's flag, `ENTRA_CLIENT_SECRET`) as
/// given.
pub(crate) fn label(id: &str) -> String {
    let command = Settings::augment_args(Command::new("entra-archive"));
    let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
        return id.to_string();
    };
    let flag = arg.get_long().map(|l| format!("--{l}"));
    let var = arg.get_env().map(|v| v.to_string_lossy().into_owned());
    match (flag, var) {
        (Some(flag), Some(var)) => format!("{flag} / {var}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => id.to_string(),
    }
}

/// Where the app's credentials come from.
#[derive(Debug, Clone)]
pub(crate) enum CredentialConfig {
    /// Tenant, client and secret from flags and the environment.
    Static(ClientCredentials),
    /// A Secrets Manager secret (ARN or name) holding their JSON.
    SecretsManager {
        /// The secret.
        secret_id: String,
    },
}

/// Validated settings of a run.
#[derive(Debug)]
pub struct Config {
    /// Where the app's credentials come from.
    pub(crate) credentials: CredentialConfig,
    /// Audience of STS web identity tokens (`aws-federation`).
    pub(crate) federation_audience: String,
    /// Where the archive goes.
    pub(crate) dest: Location,
    /// Datasets to export, in order.
    pub(crate) datasets: Vec<&'static DatasetDef>,
    /// Those named one by one (not through `all`): one the tenant's licence
    /// or kind rules out is `skipped` (exit 3), not `not applicable`.
    pub(crate) named: Vec<&'static str>,
    /// Microsoft Graph base URL, without a trailing slash.
    pub(crate) graph_url: Url,
    /// Entra login base URL.
    pub(crate) login_url: Url,
    /// First-run start.
    pub(crate) since: Option<DateTime<Utc>>,
    /// Window end is now minus this.
    pub(crate) lag: Duration,
    /// Re-read before the checkpoint.
    pub(crate) overlap: Duration,
    /// Pinned now, if given.
    pub(crate) now: Option<DateTime<Utc>>,
    /// Requests allowed per window to `/auditLogs`, all datasets together.
    pub(crate) graph_budget: Budget,
    /// Requests allowed per window to `identityProtection`.
    pub(crate) identity_protection_budget: Budget,
    /// Requests allowed per window to `networkAccess`.
    pub(crate) network_access_budget: Budget,
    /// Time kept free before a deadline to commit what was read.
    pub(crate) deadline_margin: std::time::Duration,
    /// Longest run, if limited.
    pub(crate) max_duration: Option<std::time::Duration>,
    /// Batch and file sizes.
    pub(crate) file_limits: Limits,
}

/// Reads one process environment variable (non-empty).
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The HOME directory a leading `~` of a destination stands for.
fn home() -> Option<PathBuf> {
    env_var("HOME").map(PathBuf::from)
}

/// Whether the process runs under the AWS Lambda runtime.
pub fn in_lambda() -> bool {
    env_var(LAMBDA_RUNTIME_VAR).is_some()
}

/// Validates a destination with an optional KMS key for SSE-KMS on S3
/// (`./archive` or `s3://bucket/prefix`), for commands that need no
/// credentials (`verify`, `import`).
pub fn parse_destination(value: &str, kms_key_id: Option<&str>) -> Result<Location> {
    destination(value, kms_key_id, home().as_deref())
}

/// Validates a tenant ID alone (lower-cases the GUID).
pub fn parse_tenant_id(value: Option<&str>) -> Result<String> {
    guid("tenant_id", value, "the directory (tenant) ID, a GUID")
}

/// Validates a file size alone (`--file-size`) into batch and file limits.
pub fn parse_file_limits(value: &str) -> Result<Limits> {
    Ok(Limits { file_bytes: byte_size("file_size", value)?, ..Default::default() })
}

/// Validates a comma-separated dataset list alone (`all` for every dataset).
pub fn parse_datasets(value: &str) -> Result<Vec<&'static DatasetDef>> {
    dataset_list(value)
}

/// Validates a lag (`--lag`) alone (`entra-archive checkpoint`).
pub fn parse_lag(value: &str) -> Result<Duration> {
    duration("lag", value, MAX_LAG)
}

/// Validates an overlap (`--overlap`) alone (`entra-archive compact`).
pub fn parse_overlap(value: &str) -> Result<Duration> {
    duration("overlap", value, MAX_OVERLAP)
}

/// Validates an RFC 3339 time given to `setting`.
pub fn parse_time(setting: &'static str, value: &str) -> Result<DateTime<Utc>> {
    time(setting, value)
}

/// Validates `backfill --from/--to` with the run's `settings` (`--now`, the
/// lag, `--allow-beyond-retention`): both from 2000 to a day after now,
/// `from` before `to`, before now − lag, and within what Graph keeps. A `to`
/// after now − lag is accepted: the window ends there (`run::window`).
pub fn parse_backfill_range(settings: &Settings, from: &str, to: &str) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    backfill_range(settings, from, to, Utc::now())
}

/// [`parse_backfill_range`] with the clock's reading `clock`.
fn backfill_range(
    settings: &Settings,
    from: &str,
    to: &str,
    clock: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let now = pinned_now(settings, clock)?.unwrap_or(clock);
    let lag = duration("lag", &settings.lag, MAX_LAG)?;
    let (from, to) = (time_until("--from", from, now)?, time_until("--to", to, now)?);
    if from >= to {
        return Err(invalid("--from", format!("{} must be before --to {}", rfc3339(from), rfc3339(to))));
    }
    window_start("--from", from, now, lag, settings.allow_beyond_retention)?;
    Ok((from, to))
}

/// `--now`, if given: from 2000 to a day after `clock`.
fn pinned_now(settings: &Settings, clock: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    settings.now.as_deref().map(|t| time_until("now", t, clock)).transpose()
}

/// Checks where a window asked for starts (`--since`, `--from`): before its
/// end, now − lag, and, unless `beyond_retention` is allowed, no more than
/// Graph's 30 days before now.
fn window_start(
    setting: &str,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    lag: Duration,
    beyond_retention: bool,
) -> Result<()> {
    let end = (now - lag).trunc_subsecs(0);
    if start >= end {
        return Err(invalid(
            setting,
            format!(
                "{} is not before now − lag ({}), where every window ends: there is nothing to archive yet; give an earlier time",
                rfc3339(start),
                rfc3339(end)
            ),
        ));
    }
    let kept = now - GRAPH_RETENTION;
    if start < kept && !beyond_retention {
        return Err(invalid(
            setting,
            format!(
                "{} is more than 30 days before now ({}): Microsoft Graph keeps sign-ins and audits 30 days at most \
                 (Entra ID P1/P2; 7 days on free tenants), so older requests return nothing and still cost requests. \
                 Give a time after {} (to re-read a specific range, `backfill --from … --to …`), or pass {} to ask anyway",
                rfc3339(start),
                rfc3339(now),
                rfc3339(kept),
                label("allow_beyond_retention")
            ),
        ));
    }
    Ok(())
}

/// A setting is missing or malformed; `setting` is a [`Settings`] field or
/// another flag's name.
pub(crate) fn invalid(setting: &str, problem: impl Into<String>) -> Error {
    Error::Config { setting: label(setting), problem: problem.into() }
}

impl Config {
    /// Validates `settings`, measuring times from `--now` or the clock.
    pub fn from_settings(settings: Settings) -> Result<Config> {
        Config::from_settings_at(settings, Utc::now())
    }

    /// Validates `settings` with the clock's reading `clock`.
    fn from_settings_at(settings: Settings, clock: DateTime<Utc>) -> Result<Config> {
        let s = &settings;
        let budget = |id: &str, text: &str| text.parse::<Budget>().map_err(|e| invalid(id, e));
        let now = pinned_now(s, clock)?;
        let lag = duration("lag", &s.lag, MAX_LAG)?;
        let since = |t: &str| {
            let since = time_until("--since", t, now.unwrap_or(clock))?;
            window_start("--since", since, now.unwrap_or(clock), lag, s.allow_beyond_retention).map(|()| since)
        };
        let credentials = credential_config(s)?;
        let login_url = base_url("login_url", &s.login_url)?;
        let config = Config {
            credentials,
            federation_audience: federation_audience(s.federation_audience.as_deref(), &login_url)?,
            dest: destination(&s.dest, s.kms_key_id.as_deref(), home().as_deref())?,
            datasets: dataset_list(&s.datasets)?,
            named: named_datasets(&s.datasets),
            graph_url: base_url("graph_url", &s.graph_url)?,
            login_url,
            since: s.since.as_deref().map(since).transpose()?,
            lag,
            overlap: duration("overlap", &s.overlap, MAX_OVERLAP)?,
            now,
            graph_budget: budget("graph_budget", &s.graph_budget)?,
            identity_protection_budget: budget("identity_protection_budget", &s.identity_protection_budget)?,
            network_access_budget: budget("network_access_budget", &s.network_access_budget)?,
            deadline_margin: std_duration("deadline_margin", &s.deadline_margin, MAX_DEADLINE_MARGIN)?,
            file_limits: parse_file_limits(&s.file_size)?,
            max_duration: s.max_duration.as_deref().map(|d| std_duration("max_duration", d, MAX_RUN)).transpose()?,
        };
        if let Some(max) = config.max_duration
            && max <= config.deadline_margin
        {
            return Err(invalid(
                "max_duration",
                format!(
                    "{} is not longer than {} {}, the time kept at its end to commit: no work could ever start; \
                     give a longer --max-duration or a shorter --deadline-margin",
                    humantime::format_duration(max),
                    label("deadline_margin"),
                    humantime::format_duration(config.deadline_margin)
                ),
            ));
        }
        if config.overlap.is_zero() {
            warn!(
                overlap = %s.overlap,
                "no overlap: records Graph makes visible after the lag has passed them will be missed; keep the default 1h unless you know they never come late"
            );
        }
        Ok(config)
    }
}

/// How the app signs in, as `--credential / ENTRA_CREDENTIAL` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A client secret or certificate: `ENTRA_CLIENT_SECRET` or a secret.
    Secret,
    /// This process's AWS identity through STS.
    AwsFederation,
    /// A federated token in a file.
    TokenFile,
}

fn credential_kind(s: &Settings) -> Result<Kind> {
    let given = s.credential.as_deref().map(str::trim).filter(|v| !v.is_empty());
    match given.map(str::to_ascii_lowercase).as_deref() {
        None | Some("secret") | Some("certificate") => Ok(Kind::Secret),
        Some("aws-federation") => Ok(Kind::AwsFederation),
        Some("token-file") => Ok(Kind::TokenFile),
        Some(other) => Err(invalid(
            "credential",
            format!("is {other:?}; it must be secret (the default), aws-federation or token-file"),
        )),
    }
}

fn credential_config(s: &Settings) -> Result<CredentialConfig> {
    let secret = s.client_secret.as_ref().map(|v| v.expose().trim()).filter(|v| !v.is_empty());
    let secret_id = s.secret_id.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let kind = credential_kind(s)?;
    if kind != Kind::Secret {
        return federated_config(s, kind, secret.is_some(), secret_id.is_some());
    }
    if let Some(secret_id) = secret_id {
        let conflicting = [
            (s.tenant_id.is_some(), label("tenant_id")),
            (s.client_id.is_some(), label("client_id")),
            (secret.is_some(), CLIENT_SECRET_VAR.to_string()),
        ];
        if let Some((_, name)) = conflicting.iter().find(|(set, _)| *set) {
            return Err(invalid(
                "secret_id",
                format!(
                    "is set, so the credentials come from that secret; unset {name} (one source only, so there is no doubt which is used)"
                ),
            ));
        }
        return Ok(CredentialConfig::SecretsManager { secret_id: secret_id.to_string() });
    }
    let tenant_id = guid(
        "tenant_id",
        s.tenant_id.as_deref(),
        "the Directory (tenant) ID GUID from the Entra admin center > Overview (a domain name is not accepted: archive keys must not change if the domain does), or set ENTRA_SECRET_ID",
    )?;
    let client_id =
        guid("client_id", s.client_id.as_deref(), "the Application (client) ID GUID of the app registration")?;
    let secret = secret.ok_or_else(|| {
        invalid(
            CLIENT_SECRET_VAR,
            "not set. Put the client secret's Value in this environment variable (it is never taken as a flag, which would leak into shell history and process lists), keep the credentials in Secrets Manager and set ENTRA_SECRET_ID, or sign in with no secret: --credential aws-federation (on AWS) or token-file",
        )
    })?;
    Ok(CredentialConfig::Static(ClientCredentials {
        tenant_id,
        client_id,
        credential: Credential::Secret(Secret::new(secret)),
    }))
}

/// `aws-federation` and `token-file`: tenant and client as plain settings,
/// no secret anywhere (a secret given too is refused, not ignored).
fn federated_config(s: &Settings, kind: Kind, has_secret: bool, has_secret_id: bool) -> Result<CredentialConfig> {
    let name = if kind == Kind::AwsFederation { "aws-federation" } else { "token-file" };
    if has_secret {
        return Err(invalid(
            CLIENT_SECRET_VAR,
            format!(
                "is set, but --credential {name} signs in with no secret: unset it (and delete the secret from the app if nothing else uses it)"
            ),
        ));
    }
    if has_secret_id {
        return Err(invalid(
            "secret_id",
            format!(
                "is set, but --credential {name} reads no secret: unset it and give {} and {} (or keep them in the secret as {{\"tenant_id\", \"client_id\", \"federation\": \"aws\"}} and leave {} unset)",
                label("tenant_id"),
                label("client_id"),
                label("credential")
            ),
        ));
    }
    // The Azure workload identity webhook sets AZURE_TENANT_ID and
    // AZURE_CLIENT_ID beside the token file; ours win when both are set.
    let fallback = |ours: &Option<String>, azure: &str| {
        ours.clone().or_else(|| (kind == Kind::TokenFile).then(|| env_var(azure)).flatten())
    };
    let tenant_id = guid(
        "tenant_id",
        fallback(&s.tenant_id, AZURE_TENANT_VAR).as_deref(),
        "the Directory (tenant) ID GUID from the Entra admin center > Overview",
    )?;
    let client_id = guid(
        "client_id",
        fallback(&s.client_id, AZURE_CLIENT_VAR).as_deref(),
        "the Application (client) ID GUID of the app registration that has the federated credential",
    )?;
    let federation = match kind {
        Kind::TokenFile => {
            let path = s.federated_token_file.as_deref().map(str::trim).filter(|p| !p.is_empty()).ok_or_else(|| {
                invalid(
                    "federated_token_file",
                    "not set: --credential token-file reads the workload's OIDC token from this file (the Azure workload identity webhook sets AZURE_FEDERATED_TOKEN_FILE)",
                )
            })?;
            Federation::TokenFile(PathBuf::from(path))
        }
        _ => Federation::Aws,
    };
    Ok(CredentialConfig::Static(ClientCredentials {
        tenant_id,
        client_id,
        credential: Credential::Federated(federation),
    }))
}

/// The STS audience: as given — a URI without spaces, at most 600
/// characters (the federated credential's `audiences` limit) — or Entra's
/// for the login URL's cloud.
fn federation_audience(given: Option<&str>, login_url: &Url) -> Result<String> {
    let Some(value) = given.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(crate::federation::audience_for(login_url).to_string());
    };
    if value.len() > 600 || value.contains(char::is_whitespace) {
        return Err(invalid(
            "federation_audience",
            format!(
                "must be one audience URI of at most 600 characters (the default is Entra's for the cloud: {})",
                crate::federation::audience_for(login_url)
            ),
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests;
