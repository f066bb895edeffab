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

use entra_archive::config::{Config, RawSettings, env_var};
use entra_archive::datasets::{self, DEFAULT_DATASETS, column_name};
use entra_archive::graph::RetryPolicy;
use entra_archive::summary::{EXIT_FAILED, EXIT_USAGE};
use entra_archive::{Error, export};

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
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 101
    )]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Export everything new since the last run (one incremental pass).
    ///
    /// The app registration needs the Microsoft Graph application permissions
    /// AuditLog.Read.All and Directory.Read.All with admin consent; sign-in
    /// logs also need an Entra ID P1 or P2 licence. The client secret is read
    /// from the ENTRA_CLIENT_SECRET environment variable only.
    ///
    /// Exit status: 0 all datasets archived, 1 failure, 2 bad settings,
    /// 3 partial (some datasets skipped for a missing licence or permission).
    Run(Box<RunArgs>),
    /// List the datasets and their columns.
    Datasets,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Directory (tenant) ID, a GUID.
    #[arg(long, env = "ENTRA_TENANT_ID", value_name = "GUID")]
    tenant_id: Option<String>,

    /// Application (client) ID of the app registration, a GUID.
    #[arg(long, env = "ENTRA_CLIENT_ID", value_name = "GUID")]
    client_id: Option<String>,

    /// Archive folder; created if missing.
    #[arg(
        long,
        env = "ARCHIVE_DEST",
        default_value = "./archive",
        value_name = "DIR"
    )]
    dest: String,

    /// Datasets to export, comma-separated (see `entra-archive datasets`).
    #[arg(long, env = "ARCHIVE_DATASETS", default_value = DEFAULT_DATASETS, value_name = "LIST")]
    datasets: String,

    /// Microsoft Graph base URL (national clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
    #[arg(
        long,
        env = "GRAPH_BASE_URL",
        default_value = "https://graph.microsoft.com",
        value_name = "URL"
    )]
    graph_url: String,

    /// Entra login base URL (national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn).
    #[arg(
        long,
        env = "ENTRA_LOGIN_URL",
        default_value = "https://login.microsoftonline.com",
        value_name = "URL"
    )]
    login_url: String,

    /// Where a first run starts (RFC 3339, e.g. 2026-11-01T00:00:00Z). Default: 30 days back, all that Entra P1/P2 keeps. Ignored once a checkpoint exists.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,

    /// The window ends this long before now, giving Graph time to make recent events visible.
    #[arg(
        long,
        env = "ARCHIVE_LAG",
        default_value = "10m",
        value_name = "DURATION"
    )]
    lag: String,

    /// Each run re-reads this much before its checkpoint and archives late-arriving records found there (never twice).
    #[arg(
        long,
        env = "ARCHIVE_OVERLAP",
        default_value = "1h",
        value_name = "DURATION"
    )]
    overlap: String,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,

    /// Pretend it is this time (RFC 3339): for tests and replays.
    #[arg(long, hide = true, value_name = "TIME")]
    now: Option<String>,
}

impl From<RunArgs> for RawSettings {
    fn from(a: RunArgs) -> Self {
        RawSettings {
            tenant_id: a.tenant_id,
            client_id: a.client_id,
            dest: a.dest,
            datasets: a.datasets,
            graph_url: a.graph_url,
            login_url: a.login_url,
            since: a.since,
            lag: a.lag,
            overlap: a.overlap,
            now: a.now,
        }
    }
}

/// Runs the command line to completion.
pub async fn main(cli: Cli) -> ExitCode {
    init_logging(cli.verbose, cli.quiet);
    match cli.command {
        Command::Run(args) => run(*args).await,
        Command::Datasets => {
            print_datasets();
            ExitCode::SUCCESS
        }
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let json = args.json;
    let config = match Config::from_raw(args.into(), env_var) {
        Ok(config) => config,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    match export(config, RetryPolicy::default(), Arc::new(chrono::Utc::now)).await {
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
        let body =
            serde_json::json!({ "complete": false, "error": error.to_string(), "exit_code": code });
        println!("{body:#}");
    }
    eprintln!("error: {error}");
    ExitCode::from(code)
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
