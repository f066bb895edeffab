//! `graph-sim` plays Microsoft for the exporter's tests and demos: the Entra
//! token endpoint and Microsoft Graph's activity-report endpoints, served over
//! real HTTP on loopback, seeded and deterministic.
//!
//! ```text
//! POST /{tenant}/oauth2/v2.0/token ─► secret or certificate client assertion
//!        ─► token (AADSTS errors as Entra sends them)
//! GET  /v1.0/auditLogs/{signIns,directoryAudits}
//!        bearer ─► rate limit ─► fault queue ─► switches ─► $filter/$top/$skiptoken
//!        ─► keyset page
//! ```
//!
//! It shares no code with the exporter: it is the other side of the wire.
//! The same seed and the same sequence of calls give byte-identical records,
//! so tests can compare exact record sets and exact bytes.
//!
//! Modules:
//! - [`config`]: `SimConfig`, the tenant before it starts.
//! - [`control`]: switches (rate limit, page-size cap), one-shot faults, the
//!   request log and counters.
//! - `dataset`: the served datasets, as data.
//! - `filter`, `query`, `skiptoken`: OData query options and paging tokens.
//! - `record`: stored records and the keyset-ordered store.
//! - `generate`: realistic records from a seeded ChaCha RNG (`signins`,
//!   `audits`, and the static cast in `vocab`).
//! - `server`: the axum server, token endpoint (`token`, `jwt`), certificate
//!   credentials (`certificate`: the uploaded certificate; `assertion`: client
//!   assertion checks), data endpoints (`graph`), response shapes (`reply`),
//!   shared `state`, and the [`GraphSim`] handle.
//! - `throttle`: throttle groups and the sliding window that enforces a
//!   rate limit on each.
//! - `time`: Graph's 100 ns timestamps.
#![warn(missing_docs)]

pub mod config;
pub mod control;
mod dataset;
mod filter;
mod generate;
mod query;
mod record;
mod server;
mod skiptoken;
mod throttle;
mod time;

pub use config::SimConfig;
pub use control::{Fault, RateLimit, RequestLog, SimStats, Switches};
pub use dataset::Dataset;
pub use record::Record;
pub use server::GraphSim;
