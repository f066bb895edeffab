//! One binary, two faces: the AWS Lambda function when the Lambda runtime
//! starts it (`AWS_LAMBDA_RUNTIME_API` is set), else the command line. All
//! work is done by the library.

mod cli;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use entra_archive::lambda::App;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime starts");
    if entra_archive::config::in_lambda() {
        return runtime.block_on(lambda());
    }
    let cli = cli::Cli::parse();
    runtime.block_on(cli::main(cli))
}

/// Serves invocations until the runtime stops the environment. Logs are JSON
/// lines (CloudWatch Logs Insights parses their fields).
async fn lambda() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,entra_archive=info"));
    tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).with_current_span(false).init();
    let app = Arc::new(App::from_env());
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
