//! One dataset's part of a pass: its lease, its progress, its summary and
//! its deadline, owned by one [`Pass`].
//!
//! The pass reads the dataset's checkpoint (incremental runs) and works out
//! the window: from the checkpoint minus the overlap (or, on a first run,
//! from `--since` or 30 days back) to now minus the lag. The window is read
//! oldest first in Graph queries as wide as its data allows (`sizing`), each
//! spanning as many hour cells as it may (`query`); a query's new records are
//! written to their cells' files, and only once it is read to its end and
//! every file is durable does the checkpoint move to its end. A crash
//! anywhere leaves either nothing or whole files behind, and the next pass,
//! which consults the files themselves, neither skips nor repeats a record;
//! it loses at most the re-reading of the query in hand. The lease is kept
//! alive while reading and renewed before every write (see `lease`), and
//! handed back when the pass ends.

use std::collections::HashSet;

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Exporter;
use super::query::QueryEnd;
use super::sizing::{self, Sizer};
use crate::checkpoint::{CheckpointStore, Progress};
use crate::datasets::{DatasetDef, Throttle};
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::lease::Lease;
use crate::ledger;
use crate::schema::arrow_schema;
use crate::summary::{DatasetSummary, Status, Window};

/// One dataset being exported.
pub(super) struct Pass<'r, 'a> {
    pub(super) run: &'r Exporter<'a>,
    pub(super) def: &'static DatasetDef,
    pub(super) schema: SchemaRef,
    pub(super) lease: Lease,
    /// The checkpoint, for incremental passes.
    progress: Option<Progress>,
    pub(super) summary: DatasetSummary,
    pub(super) deadline: Option<Deadline>,
    /// What was committed since the last ledger entry.
    pub(super) ledger: ledger::Pending,
    /// What a request took in the last query (answer and pacing).
    pub(super) page_time: Option<std::time::Duration>,
    /// Files of this pass's complete queries: the next queries span other
    /// times, so a cell opened again need not read them back.
    pub(super) settled: HashSet<String>,
    /// Files of the query being read.
    pub(super) query_files: Vec<String>,
}

impl<'r, 'a> Pass<'r, 'a> {
    pub(super) fn new(run: &'r Exporter<'a>, def: &'static DatasetDef, lease: Lease, summary: DatasetSummary) -> Self {
        let schema = arrow_schema(def);
        Pass {
            run,
            def,
            schema,
            lease,
            progress: None,
            summary,
            deadline: run.deadline,
            ledger: Default::default(),
            page_time: None,
            settled: HashSet::new(),
            query_files: Vec::new(),
        }
    }

    /// Exports the window and hands the lease back; the summary says how it went.
    pub(super) async fn run(mut self) -> DatasetSummary {
        let result = self.export().await;
        if let Err(e) = &result {
            self.summary.failed(e, self.def, self.run.named(self.def));
        }
        if let Err(e) = self.lease.release(self.run.now()).await {
            warn!(dataset = self.def.name, error = %e, "could not release the lease; it expires by itself");
        }
        self.summary
    }

    /// The window this pass reads, given where the checkpoint stands.
    pub(super) fn window(&self) -> Window {
        self.run.plan.window(self.progress.as_ref().and_then(Progress::through))
    }

    async fn export(&mut self) -> Result<()> {
        if self.run.plan.mode == super::Mode::Incremental {
            let store = CheckpointStore::new(self.run.dest.clone(), self.run.tenant_id, self.def.name);
            let progress = Progress::load(store).await?;
            if progress.through().is_some() && self.run.plan.since.is_some() {
                info!(dataset = self.def.name, "a checkpoint exists, so --since is ignored");
            }
            let limit = self.run.plan.now - self.run.plan.lag;
            if let Some(through) = progress.through().filter(|t| *t > limit) {
                let key = crate::layout::checkpoint_key(self.run.tenant_id, self.def.name);
                return Err(Error::CheckpointAhead { key, dataset: self.def.name, through, limit });
            }
            self.progress = Some(progress);
        }
        let window = self.window();
        self.summary.window = Some(window);
        self.summary.archived_through = self.progress.as_ref().and_then(Progress::through);
        let outcome = self.queries(window).await;
        // Slices finished before a failure are complete: record them and
        // keep that progress, so the next run does not read them again.
        match (&outcome, self.commit().await) {
            (Ok(()), committed) => committed?,
            (Err(_), Err(e)) => warn!(dataset = self.def.name, error = %e, "could not save progress after a failure"),
            (Err(_), Ok(())) => {}
        }
        if self.progress.is_some() {
            self.summary.archived_through = self.progress.as_ref().and_then(Progress::through);
        }
        outcome
    }

    /// Reads the window in queries sized to its data (`sizing`), oldest
    /// first, until its end, the deadline or an error; the checkpoint moves
    /// after each query read to its end.
    async fn queries(&mut self, window: Window) -> Result<()> {
        let mut sizer = Sizer::new(self.def.page_size);
        let mut start = window.start;
        while start < window.end {
            if self.deadline.as_ref().is_some_and(Deadline::reached) {
                self.stopped(start);
                return Ok(());
            }
            let time_left = self.deadline.map(|d| d.remaining()).filter(|left| *left != std::time::Duration::MAX);
            let pages = sizing::pages_allowed(time_left, self.per_page().max(self.page_time.unwrap_or_default()));
            let end = sizing::aligned(start, start + sizer.next_span(window.end - start, pages), window.end);
            let span = Window { start, end };
            self.keep_lease().await?;
            let end = self.query(span, &mut sizer, time_left).await?;
            // Files of a query cut short hold the newest part of a span the
            // next queries read again: those queries dedupe against them.
            let files = std::mem::take(&mut self.query_files);
            match end {
                QueryEnd::TooWide => continue,
                QueryEnd::Stopped => {
                    self.query_done(window, start);
                    self.stopped(start);
                    return Ok(());
                }
                QueryEnd::Complete { records, full_page } => {
                    self.settled.extend(files);
                    sizer.learn(span.end - span.start, records, full_page);
                    self.ledger.complete(span.start, span.end);
                    if let Some(progress) = self.progress.as_mut() {
                        progress.finished(span.end);
                    }
                    self.commit().await?;
                    self.query_done(window, span.end);
                    start = span.end;
                }
            }
        }
        Ok(())
    }

    /// The time one request of this dataset takes at its budget.
    pub(super) fn per_page(&self) -> std::time::Duration {
        let config = &self.run.services.config;
        let budget = match self.def.throttle {
            Throttle::AuditLogs => config.graph_budget,
            Throttle::IdentityProtection => config.identity_protection_budget,
            Throttle::NetworkAccess => config.network_access_budget,
        };
        budget.window / budget.requests.max(1)
    }

    async fn keep_lease(&mut self) -> Result<()> {
        self.lease.keep_alive(self.run.now()).await
    }

    /// Tells the observers the window is read up to `through`.
    fn query_done(&self, window: Window, through: DateTime<Utc>) {
        let records = self.summary.records;
        self.run.tell(|o| o.read_through(self.def.name, window, through, records));
    }

    /// Records what was committed since the last time in the ledger, then
    /// moves the checkpoint over it (each after renewing the lease, so a run
    /// whose lease was taken over records and moves nothing).
    async fn commit(&mut self) -> Result<()> {
        let kind = match self.run.plan.mode {
            super::Mode::Incremental => ledger::Kind::Run,
            super::Mode::Backfill { .. } => ledger::Kind::Backfill,
        };
        let who = (self.def.name, self.run.tenant_id, self.run.run_id.as_str());
        if let Some(entry) = self.ledger.take(who, kind, self.run.now()) {
            self.lease.renew(self.run.now()).await?;
            ledger::append(self.run.dest.as_ref(), &entry).await?;
        }
        self.save_checkpoint().await
    }

    /// Saves the checkpoint if finished queries moved it (renewing the lease
    /// first, so a run whose lease was taken over moves nothing).
    async fn save_checkpoint(&mut self) -> Result<()> {
        let Some(through) = self.progress.as_ref().and_then(Progress::unsaved) else {
            return Ok(());
        };
        self.lease.renew(self.run.now()).await?;
        self.run.tell(|o| o.checkpoint_moving(self.def.name, through));
        let now = self.run.now();
        let progress = self.progress.as_mut().expect("unsaved progress exists");
        progress.save(&self.run.run_id, now).await
    }

    /// Marks the dataset as stopped (by the deadline, or a signal) at `at`.
    fn stopped(&mut self, at: DateTime<Utc>) {
        let by = match self.deadline.is_some_and(|d| d.stop_requested()) {
            true => "stopped on request (a signal)",
            false => "stopped at the run's deadline",
        };
        self.summary.status = Status::Stopped;
        self.summary.error =
            Some(format!("{by} with the window from {at} still to read; the next run resumes from the checkpoint"));
    }
}
