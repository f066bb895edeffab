//! One binary, two faces: the AWS Lambda function when the Lambda runtime
//! starts it (`AWS_LAMBDA_RUNTIME_API` is set), else the command line. All
//! work is done by the library. The command line stops gracefully on SIGINT
//! and SIGTERM (see `cli`); the Lambda function stops at its invocation's
//! deadline, and its signals keep their default. Tests arm a crash point
//! through `ENTRA_ARCHIVE_CRASH_POINT`, which the binary installs as an
//! observer of every run.

mod cli;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use entra_archive::crashpoint::{CRASH_POINT_VAR, CrashPoint};
use entra_archive::lambda::App;
use entra_archive::{Observer, config};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tune_malloc();
    let observers = match crash_point() {
        Ok(observers) => observers,
        Err(problem) => {
            eprintln!("error: {CRASH_POINT_VAR}: {problem}");
            return ExitCode::from(entra_archive::summary::EXIT_USAGE);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime starts");
    if config::in_lambda() {
        return runtime.block_on(lambda(observers));
    }
    let cli = cli::Cli::parse();
    runtime.block_on(cli::main(cli, observers))
}

/// The crash point the environment arms, if any, as an observer.
fn crash_point() -> Result<Vec<Arc<dyn Observer>>, String> {
    match std::env::var(CRASH_POINT_VAR) {
        Ok(spec) if !spec.is_empty() => Ok(vec![Arc::new(CrashPoint::parse(&spec)?)]),
        _ => Ok(Vec::new()),
    }
}

/// Serves invocations until the runtime stops the environment. Logs are JSON
/// lines (CloudWatch Logs Insights parses their fields).
async fn lambda(observers: Vec<Arc<dyn Observer>>) -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,entra_archive=info"));
    tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).with_current_span(false).init();
    let app = observers.into_iter().fold(App::from_env(), App::with_observer);
    let app = Arc::new(app);
    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let app = app.clone();
        // The invocation's deadline, in milliseconds since the epoch.
        let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(event.context.deadline);
        let remaining = deadline.duration_since(std::time::SystemTime::now()).unwrap_or_default();
        async move { app.handle(event.payload, Some(remaining)).await }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives each thread that allocates its own arena, and keeps
/// what is freed there: with batches built on one thread and dropped on
/// another, a 1M-record export peaked at 166 MB of RSS for 71 MB of heap.
/// Two arenas, and buffers of 4 MiB and more mapped and unmapped as they
/// come, bring that to 97 MB (`bench/export.py`), well inside Lambda's
/// 128 MB, for a few % more time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    // SAFETY: mallopt only changes malloc's tuning parameters; it is called
    // first thing, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
