//! One export pass over the selected datasets.
//!
//! [`Archiver`] takes the [`Services`] the composition root built, reads the
//! credentials once (they name the tenant) and runs any number of passes,
//! each a [`Request`]: which datasets, incremental or backfill, by when. A
//! pass checks the token first (a token error stops it before anything is
//! written), then hands each dataset to a [`pass`] of its own, one after the
//! other: a dataset that fails or is not licensed does not stop the others.
//! What a pass does is told to the request's [`Observer`]s (the CLI's
//! progress bar; crash points in tests) and summed up in a [`RunSummary`].

mod pass;
mod query;
mod sizing;
mod window;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::compose::Services;
use crate::config::Config;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::Destination;
use crate::error::Result;
use crate::layout;
use crate::lease::{Acquired, LEASE_TTL, Lease};
use crate::retry;
use crate::summary::{DatasetSummary, RunSummary, Status, Window};
use pass::Pass;
use window::Plan;

/// Told of a pass's progress, from the pass's task. Every method does
/// nothing unless an observer says otherwise.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// `dataset` has read its `window` up to `through`; `records` new
    /// records written so far.
    fn read_through(&self, _dataset: &'static str, _window: Window, _through: DateTime<Utc>, _records: u64) {}

    /// A data file of `dataset` was moved into the archive at `key`; its
    /// manifest is written next.
    fn file_stored(&self, _dataset: &'static str, _key: &str) {}

    /// The checkpoint of `dataset` is about to move to `through`.
    fn checkpoint_moving(&self, _dataset: &'static str, _through: DateTime<Utc>) {}

    /// A compaction of `dataset` passed `step` of its swap: `journal`
    /// (written), `ledger` (entry written), `remove` (an input removed).
    fn compaction_step(&self, _dataset: &'static str, _step: &str) {}
}

/// What a pass is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything new since the checkpoint, which then moves.
    Incremental,
    /// A given range, whatever the checkpoint says (which stays where it is).
    /// Records already archived are not written again.
    Backfill {
        /// Inclusive start.
        from: DateTime<Utc>,
        /// Exclusive end (at most now − lag).
        to: DateTime<Utc>,
    },
}

/// What one pass is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// Datasets, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// Incremental or backfill.
    pub mode: Mode,
    /// When to stop starting work (Lambda: the invocation's remaining time).
    pub deadline: Option<Deadline>,
    /// Told of what the pass does.
    pub observers: Vec<Arc<dyn Observer>>,
}

/// Runs passes with the services it was given, for one tenant.
pub struct Archiver {
    services: Services,
    tenant_id: String,
}

impl Archiver {
    /// Reads the credentials (which name the tenant). Touches neither Graph
    /// nor the destination.
    pub async fn connect(services: Services) -> Result<Archiver> {
        let tenant_id = services.credentials.credentials().await?.tenant_id;
        Ok(Archiver { services, tenant_id })
    }

    /// What the archiver was built with.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.services.config
    }

    /// The tenant archived.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The pass the configuration describes: incremental over its datasets,
    /// within `--max-duration` if given.
    pub fn default_request(&self) -> Request {
        let config = self.config();
        Request {
            datasets: config.datasets.clone(),
            mode: Mode::Incremental,
            deadline: config.max_duration.map(|d| Deadline::within(d, config.deadline_margin)),
            observers: Vec::new(),
        }
    }

    /// Runs one pass: checks the credentials first (a token error stops the
    /// run before anything is written), then exports each dataset. Errors
    /// returned here concern the whole run; per-dataset outcomes are in the
    /// summary.
    pub async fn run(&self, request: Request) -> Result<RunSummary> {
        let services = &self.services;
        let tokens = || services.tokens.bearer();
        retry::retrying(&services.retry, request.deadline.as_ref(), "token", tokens).await?;
        let config = &services.config;
        let exporter = Exporter {
            services,
            dest: services.destination().await?,
            tenant_id: &self.tenant_id,
            run_id: new_run_id((services.clock)(), None),
            plan: Plan {
                now: config.now.unwrap_or_else(|| (services.clock)()),
                lag: config.lag,
                overlap: config.overlap,
                since: config.since,
                mode: request.mode,
            },
            deadline: request.deadline,
            observers: request.observers,
        };
        Ok(exporter.run(&request.datasets).await)
    }
}

/// A run id: sortable by start time, unique; `kind` (`import`) set apart
/// from runs.
pub(crate) fn new_run_id(now: DateTime<Utc>, kind: Option<&str>) -> String {
    let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
    match kind {
        Some(kind) => format!("{}-{kind}-{unique}", now.format("%Y%m%dT%H%M%SZ")),
        None => format!("{}-{unique}", now.format("%Y%m%dT%H%M%SZ")),
    }
}

/// One pass over datasets: what every dataset's [`Pass`] shares.
struct Exporter<'a> {
    services: &'a Services,
    dest: Arc<dyn Destination>,
    tenant_id: &'a str,
    run_id: String,
    plan: Plan,
    deadline: Option<Deadline>,
    observers: Vec<Arc<dyn Observer>>,
}

impl Exporter<'_> {
    fn now(&self) -> DateTime<Utc> {
        (self.services.clock)()
    }

    async fn run(&self, datasets: &[&'static DatasetDef]) -> RunSummary {
        let started_at = self.now();
        let mut summaries = Vec::with_capacity(datasets.len());
        for def in datasets {
            summaries.push(self.export(def).await);
        }
        let (run_id, tenant_id) = (self.run_id.clone(), self.tenant_id.to_string());
        RunSummary::new(run_id, tenant_id, self.dest.describe(), started_at, summaries)
    }

    /// One dataset: its lease, then its pass; the outcome as a summary.
    async fn export(&self, def: &'static DatasetDef) -> DatasetSummary {
        let began = Instant::now();
        let mut summary = DatasetSummary::new(def.name);
        if self.deadline.as_ref().is_some_and(Deadline::reached) {
            summary.status = Status::Stopped;
            summary.error = Some("not started: the run's deadline came first; the next run picks it up".into());
            return summary;
        }
        let key = layout::lease_key(self.tenant_id, def.name);
        match Lease::acquire(self.dest.clone(), key, &self.run_id, self.now(), LEASE_TTL).await {
            Ok(Acquired::Held(lease)) => summary = Pass::new(self, def, lease, summary).run().await,
            Ok(Acquired::Busy { run_id, expires_at }) => {
                summary.status = Status::Busy;
                summary.error = Some(format!(
                    "another run ({run_id}) holds this dataset until {expires_at} at the latest; this run left it alone"
                ));
            }
            Err(e) => summary.failed(&e, def, self.named(def)),
        }
        summary.seconds = began.elapsed().as_secs_f64();
        info!(
            dataset = def.name,
            status = ?summary.status,
            records = summary.records,
            files = summary.files,
            bytes = summary.bytes,
            seconds = summary.seconds,
            pages = summary.pages,
            throttled = summary.throttled,
            retries = summary.retries,
            "dataset done"
        );
        summary
    }

    /// Whether `def` was named one by one in `--datasets` (not through `all`).
    fn named(&self, def: &DatasetDef) -> bool {
        self.services.config.named.contains(&def.name)
    }

    fn tell(&self, event: impl Fn(&dyn Observer)) {
        self.observers.iter().for_each(|o| event(o.as_ref()));
    }
}

impl DatasetSummary {
    /// Marks `def` as not archived because of `e`: `not applicable` when it
    /// was selected through `all` (not `named`) and the tenant's licence or
    /// kind rules it out, or the app was not given its optional permission;
    /// skipped for any other missing licence or permission (or a refused
    /// inferred filter); failed otherwise.
    fn failed(&mut self, e: &crate::error::Error, def: &DatasetDef, named: bool) {
        use crate::error::Error;
        let out_of_scope =
            matches!(e, Error::Licence { .. }) || (def.permission_optional && matches!(e, Error::Permission { .. }));
        self.status = match (out_of_scope && !named, e.is_access_denied()) {
            (true, _) => Status::NotApplicable,
            (false, true) => Status::Skipped,
            (false, false) => Status::Failed,
        };
        match self.status {
            Status::NotApplicable => info!(dataset = self.dataset, reason = %e, "not applicable to this tenant"),
            _ => warn!(dataset = self.dataset, error = %e, "dataset not archived"),
        }
        self.error = Some(e.to_string());
    }
}
