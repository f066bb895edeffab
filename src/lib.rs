//! entra-archive: Microsoft Entra ID activity logs from Microsoft Graph into
//! Hive-partitioned, zstd Parquet, incrementally and without loss or
//! duplicates.
//!
//! ```text
//! config ─► credentials ─► token ─► graph pages ─► records→Arrow ─► Parquet ─► destination ─► checkpoint
//! ```
//!
//! Settings and wiring:
//! - [`config`]: the one [`Settings`](config::Settings) definition (flags, variables, defaults) → a validated [`Config`](config::Config).
//! - `compose`: the composition root: [`Services`] (credential source, token client, pacers, Graph client, destination) built once from a `Config`.
//! - `aws`: AWS settings, given or from the standard chain on first use.
//!
//! The pipeline, in order:
//! - `secret`: the [`Secret`] newtype, which never prints its value.
//! - `redact`: masks credentials (tokens, secrets, keys) in any text a server sent, before it becomes a message.
//! - `credentials`: the app's credentials and where they come from; `secrets_manager` keeps them in AWS Secrets Manager; `assertion` signs the client assertion of a certificate.
//! - `token`: client-credentials tokens, cached until shortly before expiry.
//! - `graph`: paged GETs, error classification, and the page stream that counts its requests; `retry` repeats failed requests within the [`Deadline`]; `pace` keeps them within Graph's request budget.
//! - [`datasets`]: each Graph activity log as data: endpoint, time field, permissions, schema.
//! - `record`: a record's id, time and row key, read from its text; `schema`: a dataset's Arrow schema; `columns`: Graph JSON → Arrow builders (typed columns + `raw`).
//! - `encode`: Arrow → zstd Parquet files, and row keys back out of them.
//! - `cell`: one hour cell's new files, in memory and on local disk; `cell_store`: what a cell holds in the destination, and moving its files in.
//! - `layout`: keys, partitions, hour cells and slices, as pure functions.
//! - `quarantine`: records and files the archive cannot take, kept aside with the reason.
//! - `manifest`: each data file's manifest (hashes, counts, provenance), built from the file.
//! - [`destination`]: the storage trait, its local-folder and S3 backends, and the one place a destination is opened.
//! - `ledger`: the time ranges the archive claims to hold, an entry per committed range, for `verify`.
//! - `lease`: which run may write a dataset, and when it is renewed; [`checkpoint`]: how far a dataset is archived (and the operator's `checkpoint` command).
//! - `run`: [`Archiver`] runs passes; each dataset's pass owns its lease, progress, summary and deadline; [`Observer`]s are told what it does.
//! - [`summary`]: what a pass did, as text, JSON and an exit status.
//!
//! The faces (each takes what the composition root built):
//! - [`lambda`]: events in, summaries out; `metrics` prints its CloudWatch metrics.
//! - [`doctor`]: every prerequisite checked, each with its fix.
//! - [`verify`]: re-reads an archive offline (opened read-only) and checks every file against its manifest.
//! - [`upgrade`]: re-derives files of an older schema version from their `raw` column.
//! - [`compact`]: merges each sealed day's hour files into day files.
//! - [`import`]: log files already on disk → the archive.
//! - `progress`: the CLI's progress bars ([`Bars`]), an observer.
//! - [`crashpoint`]: crash injection for tests, an observer the binary installs.

#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod checkpoint;
pub mod compact;
pub mod config;
pub mod crashpoint;
pub mod datasets;
pub mod destination;
pub mod doctor;
pub mod import;
pub mod lambda;
pub mod summary;
pub mod upgrade;
pub mod verify;

mod assertion;
mod aws;
mod cell;
mod cell_store;
mod columns;
mod compose;
mod credentials;
mod deadline;
mod encode;
mod error;
mod federation;
mod graph;
#[cfg(test)]
mod graph_token_order;
mod layout;
mod lease;
mod ledger;
mod manifest;
mod metrics;
mod pace;
mod progress;
mod quarantine;
mod record;
mod redact;
mod retry;
mod run;
mod schema;
mod secret;
mod secrets_manager;
#[cfg(test)]
mod testing;
mod token;

pub use aws::Aws;
pub use compose::{Clock, Services};
pub use deadline::Deadline;
pub use error::{AssertionClaims, Error, Result, TokenRejection};
pub use progress::Bars;
pub use retry::RetryPolicy;
pub use run::{Archiver, Mode, Observer, Request};
pub use schema::arrow_schema;
pub use secret::Secret;
pub use summary::RunSummary;
