//! entra-archive's end-to-end tests, in one binary (each test binary would
//! link arrow, parquet and the AWS SDK again). Every test runs the real
//! parts over loopback: graph-sim as Microsoft Graph and the Entra token
//! endpoint, moto as S3 and Secrets Manager, a Lambda Runtime API, and the
//! analysts' own readers (DuckDB, pyarrow) on what was written.

mod common;
mod compact;

mod datasets;
mod destination;
mod doctor;
mod duckdb;
mod errors;
mod export;
mod fault_injection;
mod federation;
mod hostile;
mod import;
mod infra;
mod lambda;
mod new_datasets;
mod no_secrets;
mod pacing;
mod progress;
mod queries;
mod readers;
mod requests;
mod s3;
mod s3_archive;
mod secrets;
mod settings;
mod stop;
mod upgrade;
mod verify;
