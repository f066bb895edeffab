//! The command line: clap definitions → library calls → printed summaries.
//!
//! Parses flags (each also read from its environment variable), hands them to
//! `config` for validation, runs the library and prints the summary as a table
//! or, with `--json`, as one JSON object on stdout. Logs go to stderr. Holds no
//! export logic of its own.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use chrono::{DateTime, Utc};
use entra_archive::config::{self, Config, RawSettings, env_var};
use entra_archive::datasets::{self, DEFAULT_DATASETS, column_name};
use entra_archive::progress::Bars;
use entra_archive::retry::RetryPolicy;
use entra_archive::run::{Mode, Observer};
use entra_archive::summary::{EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE};
use entra_archive::{Archiver, Error};

/// Archive Microsoft Entra ID sign-in and audit logs as Parquet.
///
/// Entra keeps activity logs for 7 to 30 days. entra-archive copies them from
/// Microsoft Graph into Hive-partitioned, zstd-compressed Parquet files that
/// DuckDB, Athena, Spark and pandas query directly — each run picks up where
/// the last one stopped, and no record is written twice.
#[derive(Debug, Parser)]
#[command(name = "entra-archive", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// More log detail on stderr (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 100)]
    verbose: u8,

    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose", display_order = 101)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Export everything new since the last run (one incremental pass).
    ///
    /// The app registration needs the Microsoft Graph application permissions
    /// AuditLog.Read.All and Directory.Read.All with admin consent; sign-in
    /// logs also need an Entra ID P1 or P2 licence. Credentials: --tenant-id,
    /// --client-id and the ENTRA_CLIENT_SECRET environment variable, or
    /// --secret-id naming a Secrets Manager secret that holds them.
    ///
    /// Exit status: 0 all datasets archived, 1 failure, 2 bad settings,
    /// 3 partial (some datasets skipped for a missing licence or permission).
    Run(Box<RunArgs>),
    /// Re-read a past time range and archive whatever of it is missing.
    ///
    /// Records already in the archive are not written again, and the
    /// checkpoint of incremental runs is left where it is. Graph only returns
    /// what Entra still keeps (7 to 30 days).
    Backfill(Box<BackfillArgs>),
    /// Check every prerequisite and say the fix: settings, credentials,
    /// token and clock, the token's permissions, each dataset's licence and
    /// access (a one-record probe), the destination and the checkpoints.
    ///
    /// Takes the same settings as `run`. Exit status: 0 no check failed
    /// (warnings allowed), 1 a check failed, 2 bad settings.
    Doctor(Box<DoctorArgs>),
    /// List the datasets, their permissions, licences and columns.
    Datasets {
        /// Print the full schema (every column and nested field with its type) as Markdown.
        #[arg(long, conflicts_with = "glue")]
        markdown: bool,
        /// Print each dataset's Glue (Athena) table columns and types as JSON.
        #[arg(long)]
        glue: bool,
    },
    /// Re-read the archive offline and check every file against its manifest.
    ///
    /// Checks each data file's size, SHA-256, row count and row-key hash
    /// against its manifest, that no record is in two files, and that every
    /// manifest has its file. Needs no Entra credentials; s3:// uses the
    /// standard AWS settings. Exit status: 0 clean (warnings allowed),
    /// 1 a problem found, 2 bad settings.
    Verify(VerifyArgs),
    /// Convert log files already on disk into the archive.
    ///
    /// Each FILE is one Graph response page ({"value": [...]}), or JSON Lines:
    /// one record per line, a record wrapped under "properties" (Azure Monitor
    /// diagnostic settings' PT1H.json), or a page per line. Records go into
    /// the same partitions, files and manifests as `run`; records already in
    /// the archive are skipped. Malformed lines are listed with file and line
    /// and counted, never written. Needs no Entra credentials; s3:// uses the
    /// standard AWS settings. Exit status: 0 all imported, 1 failure, 2 bad
    /// settings, 3 some lines were malformed (the rest was imported).
    Import(ImportArgs),
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The dataset the records belong to (see `entra-archive datasets`).
    #[arg(long, value_name = "NAME")]
    dataset: String,

    /// Directory (tenant) ID the records come from, a GUID: part of every file name.
    #[arg(long, env = "ENTRA_TENANT_ID", value_name = "GUID")]
    tenant_id: Option<String>,

    /// The archive: a folder or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// KMS key (ID, ARN or alias) for SSE-KMS on an s3:// destination.
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID", value_name = "KEY")]
    kms_key_id: Option<String>,

    /// Records' JSON text per Parquet file (e.g. 128MiB).
    #[arg(long, env = "ARCHIVE_FILE_SIZE", default_value = config::DEFAULT_FILE_SIZE, value_name = "SIZE")]
    file_size: String,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,

    /// The files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The archive: a folder or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// Datasets to check, comma-separated. Default: all.
    #[arg(long, default_value = datasets::ALL_DATASETS, value_name = "LIST")]
    datasets: String,

    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Directory (tenant) ID, a GUID.
    #[arg(long, env = "ENTRA_TENANT_ID", value_name = "GUID")]
    tenant_id: Option<String>,

    /// Application (client) ID of the app registration, a GUID.
    #[arg(long, env = "ENTRA_CLIENT_ID", value_name = "GUID")]
    client_id: Option<String>,

    /// AWS Secrets Manager secret (ARN or name) holding the credentials as JSON, instead of the three settings above.
    #[arg(long, env = "ENTRA_SECRET_ID", value_name = "ARN")]
    secret_id: Option<String>,

    /// Archive destination: a folder (created if missing) or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// KMS key (ID, ARN or alias) for SSE-KMS on an s3:// destination. Default: the bucket's own encryption.
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID", value_name = "KEY")]
    kms_key_id: Option<String>,

    /// Datasets to export, comma-separated (see `entra-archive datasets`).
    #[arg(long, env = "ARCHIVE_DATASETS", default_value = DEFAULT_DATASETS, value_name = "LIST")]
    datasets: String,

    /// Microsoft Graph base URL (national clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
    #[arg(long, env = "GRAPH_BASE_URL", default_value = config::DEFAULT_GRAPH_URL, value_name = "URL")]
    graph_url: String,

    /// Entra login base URL (national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn).
    #[arg(long, env = "ENTRA_LOGIN_URL", default_value = config::DEFAULT_LOGIN_URL, value_name = "URL")]
    login_url: String,

    /// The window ends this long before now, giving Graph time to make recent events visible.
    #[arg(long, env = "ARCHIVE_LAG", default_value = config::DEFAULT_LAG, value_name = "DURATION")]
    lag: String,

    /// Each run re-reads this much before its checkpoint and archives late-arriving records found there (never twice).
    #[arg(long, env = "ARCHIVE_OVERLAP", default_value = config::DEFAULT_OVERLAP, value_name = "DURATION")]
    overlap: String,

    /// Requests allowed per window to /auditLogs, all datasets together (Graph allows 5 per 10 s per app and tenant).
    #[arg(long, env = "ARCHIVE_GRAPH_BUDGET", default_value = config::DEFAULT_GRAPH_BUDGET, value_name = "N/WINDOW")]
    graph_budget: String,

    /// Requests allowed per window to identityProtection (risk detections; Graph allows 1 per second per tenant).
    #[arg(
        long,
        env = "ARCHIVE_IDENTITY_PROTECTION_BUDGET",
        default_value = config::DEFAULT_IDENTITY_PROTECTION_BUDGET,
        value_name = "N/WINDOW"
    )]
    identity_protection_budget: String,

    /// Stop starting new work after this long (e.g. 50m) and commit what was read; the next run resumes.
    #[arg(long, value_name = "DURATION")]
    max_duration: Option<String>,

    /// Time kept at the end of --max-duration (and of a Lambda invocation) to commit what was read.
    #[arg(long, env = "ARCHIVE_DEADLINE_MARGIN", default_value = config::DEFAULT_DEADLINE_MARGIN, value_name = "DURATION")]
    deadline_margin: String,

    /// Records' JSON text per Parquet file: a file is closed once it holds this much (e.g. 128MiB, 512MB, 1GiB).
    #[arg(long, env = "ARCHIVE_FILE_SIZE", default_value = config::DEFAULT_FILE_SIZE, value_name = "SIZE")]
    file_size: String,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,

    /// Pretend it is this time (RFC 3339): for tests and replays.
    #[arg(long, hide = true, value_name = "TIME")]
    now: Option<String>,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Where a first run starts (RFC 3339, e.g. 2026-11-01T00:00:00Z). Default: 30 days back, all that Entra P1/P2 keeps. Ignored once a checkpoint exists.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
}

#[derive(Debug, Args)]
struct DoctorArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct BackfillArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Start of the range (RFC 3339, inclusive).
    #[arg(long, value_name = "TIME")]
    from: String,

    /// End of the range (RFC 3339, exclusive; at most now minus the lag).
    #[arg(long, value_name = "TIME")]
    to: String,
}

impl CommonArgs {
    fn into_raw(self, since: Option<String>) -> RawSettings {
        RawSettings {
            tenant_id: self.tenant_id,
            client_id: self.client_id,
            dest: self.dest,
            datasets: self.datasets,
            graph_url: self.graph_url,
            login_url: self.login_url,
            since,
            lag: self.lag,
            overlap: self.overlap,
            now: self.now,
            secret_id: self.secret_id,
            kms_key_id: self.kms_key_id,
            graph_budget: self.graph_budget,
            identity_protection_budget: self.identity_protection_budget,
            deadline_margin: self.deadline_margin,
            max_duration: self.max_duration,
            file_size: self.file_size,
        }
    }
}

/// Runs the command line to completion.
pub async fn main(cli: Cli) -> ExitCode {
    init_logging(cli.verbose, cli.quiet);
    match cli.command {
        Command::Run(args) => run(*args).await,
        Command::Backfill(args) => backfill(*args).await,
        Command::Doctor(args) => doctor(*args).await,
        Command::Datasets { markdown: true, .. } => {
            print!("{}", datasets::doc::markdown());
            ExitCode::SUCCESS
        }
        Command::Datasets { glue: true, .. } => {
            println!("{}", datasets::doc::glue_json());
            ExitCode::SUCCESS
        }
        Command::Datasets { .. } => {
            print_datasets();
            ExitCode::SUCCESS
        }
        Command::Verify(args) => verify(args).await,
        Command::Import(args) => import(args).await,
    }
}

async fn import(args: ImportArgs) -> ExitCode {
    use entra_archive::import::{ImportJob, import};
    let json = args.json;
    let settings = (|| {
        let dest = config::parse_destination_with_kms(&args.dest, args.kms_key_id.as_deref())?;
        let def = config::parse_datasets(&args.dataset)?;
        let [def] = def[..] else {
            return Err(Error::Config { setting: "--dataset", problem: "name exactly one dataset".into() });
        };
        let tenant_id = config::parse_tenant_id(args.tenant_id.as_deref())?;
        Ok((dest, def, tenant_id, config::parse_file_limits(&args.file_size)?))
    })();
    let (dest, def, tenant_id, limits) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let now = Utc::now();
    let run_id = format!("{}-import-{}", now.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let job = ImportJob { def, tenant_id, files: args.files, limits, run_id };
    let summary = async { import(entra_archive::verify::open(&dest).await?, job, now).await };
    match summary.await {
        Ok(s) => {
            if json {
                println!("{:#}", serde_json::to_value(&s).expect("a summary serialises"));
            } else {
                for problem in &s.problems {
                    eprintln!("malformed: {problem}");
                }
                if s.malformed > s.problems.len() as u64 {
                    eprintln!("malformed: … and {} more", s.malformed - s.problems.len() as u64);
                }
                let rate = s.records as f64 / s.seconds.max(1e-9);
                println!(
                    "{}: {} input file(s), {} records ({} imported, {} already archived), {} malformed; \
                     {} Parquet file(s), {} bytes, {:.2} s ({rate:.0} records/s)",
                    s.dataset, s.inputs, s.records, s.imported, s.duplicates, s.malformed, s.files, s.bytes, s.seconds
                );
            }
            ExitCode::from(if s.malformed > 0 { EXIT_PARTIAL } else { EXIT_OK })
        }
        Err(e) => fail(json, &e, EXIT_FAILED),
    }
}

async fn doctor(args: DoctorArgs) -> ExitCode {
    let json = args.common.json;
    let report = match Config::from_raw(args.common.into_raw(None), env_var) {
        Ok(config) => {
            let now = config.now.unwrap_or_else(Utc::now);
            entra_archive::doctor::examine(&config, now).await
        }
        Err(e) => entra_archive::doctor::bad_settings(&e),
    };
    if json {
        println!("{:#}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    ExitCode::from(report.exit_code())
}

async fn run(args: RunArgs) -> ExitCode {
    let json = args.common.json;
    execute(args.common.into_raw(args.since), json, None).await
}

async fn backfill(args: BackfillArgs) -> ExitCode {
    let json = args.common.json;
    let range = match (parse_time("--from", &args.from), parse_time("--to", &args.to)) {
        (Ok(from), Ok(to)) if from < to => (from, to),
        (Ok(_), Ok(_)) => return fail(json, &usage("--from", "must be before --to"), EXIT_USAGE),
        (Err(e), _) | (_, Err(e)) => return fail(json, &e, EXIT_USAGE),
    };
    execute(args.common.into_raw(None), json, Some(range)).await
}

fn usage(setting: &'static str, problem: &str) -> Error {
    Error::Config { setting, problem: problem.to_string() }
}

fn parse_time(setting: &'static str, text: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| usage(setting, &format!("{text:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})")))
}

async fn execute(raw: RawSettings, json: bool, backfill: Option<(DateTime<Utc>, DateTime<Utc>)>) -> ExitCode {
    let config = match Config::from_raw(raw, env_var) {
        Ok(config) => config,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let result = async {
        let archiver = Archiver::connect(config, RetryPolicy::default(), Arc::new(Utc::now)).await?;
        let mut request = archiver.default_request();
        if let Some((from, to)) = backfill {
            request.mode = Mode::Backfill { from, to };
        }
        // A progress bar on a terminal only: never when piped, redirected or in --json mode.
        if !json {
            request.observer = Bars::for_terminal().map(|b| Arc::new(b) as Arc<dyn Observer>);
        }
        archiver.run(request).await
    };
    match result.await {
        Ok(summary) => {
            if json {
                println!("{}", summary.to_json());
            } else {
                print!("{}", summary.to_text());
            }
            ExitCode::from(summary.exit_code)
        }
        Err(e) => fail(json, &e, EXIT_FAILED),
    }
}

fn fail(json: bool, error: &Error, code: u8) -> ExitCode {
    if json {
        let body = serde_json::json!({ "complete": false, "error": error.to_string(), "exit_code": code });
        println!("{body:#}");
    }
    eprintln!("error: {error}");
    ExitCode::from(code)
}

async fn verify(args: VerifyArgs) -> ExitCode {
    let json = args.json;
    let settings = config::parse_destination(&args.dest).and_then(|d| Ok((d, config::parse_datasets(&args.datasets)?)));
    let (dest, selected) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let report = async { entra_archive::verify::verify(&*entra_archive::verify::open(&dest).await?, &selected).await };
    match report.await {
        Ok(report) if json => {
            println!("{}", report.to_json());
            ExitCode::from(report.exit_code())
        }
        Ok(report) => {
            print!("{}", report.to_text());
            ExitCode::from(report.exit_code())
        }
        Err(e) => fail(json, &e, EXIT_FAILED),
    }
}

fn print_datasets() {
    for def in datasets::ALL {
        println!("{} — {}", def.name, def.description);
        println!("  permissions: {}", def.permissions.join(", "));
        if let Some(licence) = def.licence {
            println!("  licence: {licence}");
        }
        let columns: Vec<String> = def.fields.iter().map(|f| column_name(f.json)).collect();
        println!("  columns: {}, raw, date (partition)\n", columns.join(", "));
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "warn,entra_archive=info",
        (false, 1) => "info,entra_archive=debug",
        (false, _) => "debug,entra_archive=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
