//! The command line: clap definitions → library calls → printed summaries.
//!
//! Parses flags (each also read from its environment variable; the run
//! settings are the library's one [`Settings`]), hands them to `config` for
//! validation and the composition root, runs the library and prints the
//! summary as a table or, with `--json`, as one JSON object on stdout. Logs
//! go to stderr, coloured only on a terminal and never under `NO_COLOR`.
//! `run`, `backfill` and `upgrade` stop gracefully on SIGINT or SIGTERM:
//! the first asks the process's stop, which their deadline honours (no new
//! request, what is complete written, the checkpoint moved, the leases
//! released, the summary printed, exit 130 or 143); a second exits at once.
//! Holds no export logic of its own.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use entra_archive::checkpoint;
use entra_archive::compact::{self, CompactRequest};
use entra_archive::config::{self, Config, Settings};
use entra_archive::datasets::{self, column_name};
use entra_archive::destination::{self, Access, Location};
use entra_archive::import::{ImportJob, import};
use entra_archive::summary::{EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE};
use entra_archive::upgrade::{self, UpgradeRequest};
use entra_archive::{Archiver, Aws, Bars, Deadline, Error, Mode, Observer, RetryPolicy, Services, doctor, verify};

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
    /// manifest has its file. The archive is opened read-only: nothing is
    /// created or changed, and a missing folder is an error. Needs no Entra
    /// credentials; s3:// uses the standard AWS settings. Exit status: 0
    /// clean (warnings allowed), 1 a problem found, 2 bad settings.
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
    /// Rewrite data files of an older schema version in the current one.
    ///
    /// Each file is re-derived from its raw column (the records exactly as
    /// Graph sent them), so new typed columns fill in without asking Graph,
    /// which has long forgotten them. Same rows, ids and raw before and
    /// after; each file is replaced atomically, then its manifest; holds each
    /// dataset's lease like a run. Run it right after deploying a release
    /// that changes a schema (`entra-archive datasets` shows the versions).
    /// Safe to stop and run again. Needs no Entra credentials; s3:// uses the
    /// standard AWS settings. Exit status: 0 done, 1 a dataset failed, 2 bad
    /// settings.
    Upgrade(UpgradeArgs),
    /// Merge each sealed day's hour files into day files.
    ///
    /// A day is sealed once it lies wholly before the checkpoint minus the
    /// overlap: no run reads it again. Its hour files (24 a day per dataset,
    /// and more for late arrivals) become as few files as --file-size allows
    /// (one a day for most tenants), rows sorted by time, with manifests; the
    /// new files are durable before the hour files are removed, and the
    /// ledger names the swap, so `verify` stays clean. Holds each dataset's
    /// lease like a run; safe to stop, crash and run again (a swap a crash
    /// interrupted is finished or undone first). Needs no Entra credentials;
    /// s3:// uses the standard AWS settings. Exit status: 0 done, 1 a dataset
    /// failed, 2 bad settings.
    Compact(CompactArgs),
    /// Show each dataset's checkpoint, or set one back.
    ///
    /// A run refuses a checkpoint later than now minus the lag (a host whose
    /// clock was ahead wrote it): set it to the last time you trust with
    /// `--dataset D --set TIME`. Moving a checkpoint back is safe — the next
    /// run re-reads from there and writes nothing twice. Holds the dataset's
    /// lease while it writes. Needs no Entra credentials. Exit status: 0
    /// done, 1 failure, 2 bad settings.
    Checkpoint(CheckpointArgs),
}

#[derive(Debug, Args)]
struct CheckpointArgs {
    /// Directory (tenant) ID whose checkpoints these are, a GUID.
    #[arg(long, env = "ENTRA_TENANT_ID", value_name = "GUID")]
    tenant_id: Option<String>,

    /// The archive: a folder or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// Datasets to show, comma-separated. Default: all.
    #[arg(long, default_value = datasets::ALL_DATASETS, value_name = "LIST")]
    datasets: String,

    /// Set this dataset's checkpoint (with --set).
    #[arg(long, value_name = "NAME", requires = "set")]
    dataset: Option<String>,

    /// The time to set it to (RFC 3339); at most now minus --lag.
    #[arg(long, value_name = "TIME", requires = "dataset")]
    set: Option<String>,

    /// The runs' lag: a checkpoint can be at most now minus this.
    #[arg(long, env = "ARCHIVE_LAG", default_value = "10m", value_name = "DURATION")]
    lag: String,

    /// Print the checkpoints as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct UpgradeArgs {
    /// The archive: a folder or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// KMS key (ID, ARN or alias) for SSE-KMS on an s3:// destination.
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID", value_name = "KEY")]
    kms_key_id: Option<String>,

    /// Datasets to upgrade, comma-separated. Default: all.
    #[arg(long, default_value = datasets::ALL_DATASETS, value_name = "LIST")]
    datasets: String,

    /// Only count the files an upgrade would rewrite; change nothing.
    #[arg(long)]
    dry_run: bool,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CompactArgs {
    /// The archive: a folder or s3://bucket/prefix.
    #[arg(long, env = "ARCHIVE_DEST", default_value = config::DEFAULT_DEST, value_name = "DIR|S3 URL")]
    dest: String,

    /// KMS key (ID, ARN or alias) for SSE-KMS on an s3:// destination.
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID", value_name = "KEY")]
    kms_key_id: Option<String>,

    /// Datasets to compact, comma-separated. Default: all.
    #[arg(long, default_value = datasets::ALL_DATASETS, value_name = "LIST")]
    datasets: String,

    /// The runs' overlap: a day is sealed once it ends before the checkpoint minus this.
    #[arg(long, env = "ARCHIVE_OVERLAP", default_value = "1h", value_name = "DURATION")]
    overlap: String,

    /// Records' JSON text per day file: a file is closed once it holds this much.
    #[arg(long, env = "ARCHIVE_FILE_SIZE", default_value = config::DEFAULT_FILE_SIZE, value_name = "SIZE")]
    file_size: String,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
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

    /// First write a ledger for each tenant's dataset that has none, from its
    /// manifests (archives written before the ledger existed); the one case
    /// in which verify writes.
    #[arg(long)]
    rebuild_ledger: bool,

    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// What `run`, `backfill` and `doctor` share: the settings, and the output.
#[derive(Debug, Args)]
struct CommonArgs {
    #[command(flatten)]
    settings: Settings,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
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

    /// Start of the range (RFC 3339, inclusive): within the last 30 days, what Graph keeps, unless --allow-beyond-retention.
    #[arg(long, value_name = "TIME")]
    from: String,

    /// End of the range (RFC 3339, exclusive): a later one is cut to now minus the lag.
    #[arg(long, value_name = "TIME")]
    to: String,
}

/// Runs the command line to completion; `observers` are told of every
/// run's progress (the binary's crash points in tests).
pub async fn main(cli: Cli, observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    init_logging(cli.verbose, cli.quiet);
    match cli.command {
        Command::Run(args) => run(*args, observers).await,
        Command::Backfill(args) => backfill(*args, observers).await,
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
        Command::Import(args) => import_files(args).await,
        Command::Upgrade(args) => upgrade_files(args, observers).await,
        Command::Compact(args) => compact_days(args, observers).await,
        Command::Checkpoint(args) => checkpoints(args).await,
    }
}

async fn checkpoints(args: CheckpointArgs) -> ExitCode {
    let json = args.json;
    let parsed = (|| {
        let dest = config::parse_destination(&args.dest, None)?;
        let tenant = config::parse_tenant_id(args.tenant_id.as_deref())?;
        let lag = config::parse_lag(&args.lag)?;
        let set = match (&args.dataset, &args.set) {
            (Some(name), Some(time)) => {
                let [def] = config::parse_datasets(name)?[..] else {
                    return Err(Error::Config { setting: "--dataset".into(), problem: "name one dataset".into() });
                };
                Some((def, config::parse_time("--set", time)?))
            }
            _ => None,
        };
        Ok((dest, tenant, lag, set, config::parse_datasets(&args.datasets)?))
    })();
    let (dest, tenant, lag, set, selected) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let access = if set.is_some() { Access::ReadWrite } else { Access::ReadOnly };
    let result = async {
        let dest = destination::open(&dest, &Aws::standard(), access).await?;
        match set {
            Some((def, through)) => Ok(vec![checkpoint::set(dest, &tenant, def, through, (Utc::now(), lag)).await?]),
            None => checkpoint::show(dest, &tenant, &selected).await,
        }
    };
    match result.await {
        Ok(shown) if json => {
            println!("{:#}", serde_json::to_value(&shown).expect("checkpoints serialise"));
            ExitCode::from(EXIT_OK)
        }
        Ok(shown) => {
            println!("{:<26} {:<32} {:<32} run", "dataset", "archived through", "updated at");
            let text = |t: Option<chrono::DateTime<Utc>>| t.map_or("—".into(), |t| t.to_rfc3339());
            for s in shown {
                let run = s.run_id.unwrap_or_default();
                println!("{:<26} {:<32} {:<32} {run}", s.dataset, text(s.archived_through), text(s.updated_at));
            }
            ExitCode::from(EXIT_OK)
        }
        Err(e @ Error::Config { .. }) => fail(json, &e, EXIT_USAGE),
        Err(e @ Error::NoArchive { .. }) => fail(json, &e, EXIT_USAGE),
        Err(e) => fail(json, &e, EXIT_FAILED),
    }
}

async fn upgrade_files(args: UpgradeArgs, observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    let json = args.json;
    let settings = config::parse_destination(&args.dest, args.kms_key_id.as_deref())
        .and_then(|d| Ok((d, config::parse_datasets(&args.datasets)?)));
    let (dest, datasets) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let access = if args.dry_run { Access::ReadOnly } else { Access::ReadWrite };
    let dest = match destination::open(&dest, &Aws::standard(), access).await {
        Ok(dest) => dest,
        Err(e) => return fail(json, &e, EXIT_FAILED),
    };
    stop_on_signals();
    let deadline = Some(or_stop(None));
    let request = UpgradeRequest { datasets, tenant: None, dry_run: args.dry_run, deadline, observers };
    let mut summary = upgrade::upgrade(dest, &request, Arc::new(Utc::now)).await;
    summary.exit_code = signalled().unwrap_or(summary.exit_code);
    if json {
        println!("{:#}", summary.to_json());
    } else {
        print!("{}", summary.to_text());
    }
    ExitCode::from(summary.exit_code)
}

async fn compact_days(args: CompactArgs, observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    let json = args.json;
    let settings = (|| {
        let dest = config::parse_destination(&args.dest, args.kms_key_id.as_deref())?;
        let datasets = config::parse_datasets(&args.datasets)?;
        Ok::<_, Error>((
            dest,
            datasets,
            config::parse_overlap(&args.overlap)?,
            config::parse_file_limits(&args.file_size)?,
        ))
    })();
    let (dest, datasets, overlap, limits) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let dest = match destination::open(&dest, &Aws::standard(), Access::ReadWrite).await {
        Ok(dest) => dest,
        Err(e) => return fail(json, &e, EXIT_FAILED),
    };
    stop_on_signals();
    let deadline = Some(or_stop(None));
    let request = CompactRequest { datasets, tenant: None, overlap, limits, deadline, observers };
    let mut summary = compact::compact(dest, &request, Arc::new(Utc::now)).await;
    summary.exit_code = signalled().unwrap_or(summary.exit_code);
    if json {
        println!("{:#}", summary.to_json());
    } else {
        print!("{}", summary.to_text());
    }
    ExitCode::from(summary.exit_code)
}

async fn import_files(args: ImportArgs) -> ExitCode {
    let json = args.json;
    let settings = (|| {
        let dest = config::parse_destination(&args.dest, args.kms_key_id.as_deref())?;
        let def = config::parse_datasets(&args.dataset)?;
        let [def] = def[..] else {
            return Err(Error::Config { setting: "--dataset".into(), problem: "name exactly one dataset".into() });
        };
        let tenant_id = config::parse_tenant_id(args.tenant_id.as_deref())?;
        Ok((dest, ImportJob { def, tenant_id, files: args.files, limits: config::parse_file_limits(&args.file_size)? }))
    })();
    let (dest, job) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let summary =
        async { import(destination::open(&dest, &Aws::standard(), Access::ReadWrite).await?, job, Utc::now()).await };
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

/// The composition root's services for `config`, as every CLI face builds them.
async fn services(config: Config) -> Result<Services, Error> {
    Services::new(config, Aws::standard(), RetryPolicy::default(), Arc::new(Utc::now)).await
}

async fn doctor(args: DoctorArgs) -> ExitCode {
    let json = args.common.json;
    let report = match Config::from_settings(args.common.settings.with_env_secret()) {
        Ok(config) => match services(config).await {
            Ok(services) => doctor::examine(&services).await,
            Err(e) => doctor::bad_settings(&e),
        },
        Err(e) => doctor::bad_settings(&e),
    };
    if json {
        println!("{:#}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    ExitCode::from(report.exit_code())
}

async fn run(mut args: RunArgs, observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    args.common.settings.since = args.since;
    execute(args.common, Mode::Incremental, observers).await
}

async fn backfill(args: BackfillArgs, observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    let json = args.common.json;
    let (from, to) = match config::parse_backfill_range(&args.common.settings, &args.from, &args.to) {
        Ok(range) => range,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    execute(args.common, Mode::Backfill { from, to }, observers).await
}

async fn execute(common: CommonArgs, mode: Mode, mut observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    let json = common.json;
    let config = match Config::from_settings(common.settings.with_env_secret()) {
        Ok(config) => config,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    // A progress bar on a terminal only: never when piped, redirected or in --json mode.
    if !json && let Some(bars) = Bars::for_terminal() {
        observers.push(Arc::new(bars));
    }
    stop_on_signals();
    let result = async {
        let archiver = Archiver::connect(services(config).await?).await?;
        let defaults = archiver.default_request();
        let deadline = Some(or_stop(defaults.deadline));
        let request = entra_archive::Request { mode, observers, deadline, ..defaults };
        archiver.run(request).await
    };
    match result.await {
        Ok(mut summary) => {
            summary.exit_code = signalled().unwrap_or(summary.exit_code);
            if json {
                println!("{}", summary.to_json());
            } else {
                print!("{}", summary.to_text());
            }
            ExitCode::from(summary.exit_code)
        }
        Err(e) => fail(json, &e, signalled().unwrap_or(EXIT_FAILED)),
    }
}

/// Stops gracefully on SIGINT and SIGTERM from now on: the first asks the
/// process's stop, which deadlines made by [`or_stop`] honour; a second
/// exits at once (what is durable stays durable: files are moved in whole,
/// and the checkpoint only ever follows them).
fn stop_on_signals() {
    use tokio::signal::unix::{SignalKind, signal};
    let stop = Deadline::process_stop();
    for (kind, name, number) in
        [(SignalKind::interrupt(), "SIGINT", SIGINT), (SignalKind::terminate(), "SIGTERM", SIGTERM)]
    {
        let mut signals = match signal(kind) {
            Ok(signals) => signals,
            Err(e) => {
                tracing::warn!(signal = name, error = %e, "cannot handle the signal: it stops the process at once");
                continue;
            }
        };
        tokio::spawn(async move {
            while signals.recv().await.is_some() {
                if stop.request(number) {
                    tracing::warn!(
                        signal = name,
                        "stopping: no new requests; what is complete is written, the checkpoint moved and the leases released (a second signal quits at once)"
                    );
                } else {
                    eprintln!(
                        "{name}: quitting at once; what was written stays, and the next run resumes from the checkpoint"
                    );
                    std::process::exit(128 + i32::from(number));
                }
            }
        });
    }
}

/// `deadline` (or none in time), also reached once a signal asks to stop.
fn or_stop(deadline: Option<Deadline>) -> Deadline {
    deadline.unwrap_or_else(Deadline::unbounded).or_stop(Deadline::process_stop())
}

/// SIGINT's number, and SIGTERM's.
const SIGINT: u8 = 2;
const SIGTERM: u8 = 15;

/// The exit status of a run a signal stopped (128 + its number: 130 for
/// SIGINT, 143 for SIGTERM), if one did.
fn signalled() -> Option<u8> {
    Deadline::process_stop().requested().map(|signal| 128 + signal)
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
    let settings =
        config::parse_destination(&args.dest, None).and_then(|d| Ok((d, config::parse_datasets(&args.datasets)?)));
    let (dest, selected) = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(json, &e, EXIT_USAGE),
    };
    let access = if args.rebuild_ledger { Access::ReadWrite } else { Access::ReadOnly };
    let report = async {
        if args.rebuild_ledger
            && let Location::Local(path) = &dest
            && !path.exists()
        {
            return Err(Error::NoArchive { location: path.display().to_string() });
        }
        let dest = destination::open(&dest, &Aws::standard(), access).await?;
        if args.rebuild_ledger {
            let written = verify::rebuild_ledgers(dest.clone(), &selected, Utc::now()).await?;
            eprintln!("ledger: {written} entries written from the manifests");
        }
        verify::verify(dest.as_ref(), &selected).await
    };
    match report.await {
        Ok(report) if json => {
            println!("{}", report.to_json());
            ExitCode::from(report.exit_code())
        }
        Ok(report) => {
            print!("{}", report.to_text());
            ExitCode::from(report.exit_code())
        }
        Err(e @ Error::NoArchive { .. }) => fail(json, &e, EXIT_USAGE),
        Err(e) => fail(json, &e, EXIT_FAILED),
    }
}

fn print_datasets() {
    for def in datasets::ALL {
        println!("{} — {}", def.name, def.description);
        println!("  schema version: {}", def.schema_version);
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
    // Colour only for a person at a terminal, and never when NO_COLOR asks
    // (https://no-color.org: any non-empty value).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ansi = std::io::stderr().is_terminal() && !no_color;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}
