//! One binary, two faces: the AWS Lambda function when the Lambda runtime
//! starts it, else the command line. All work is done by the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if entra_archive::config::in_lambda() {
        eprintln!("entra-archive: the Lambda face is not part of this build yet; run it as a CLI");
        return ExitCode::FAILURE;
    }
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");
    runtime.block_on(cli::main(cli))
}
