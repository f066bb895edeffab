//! One export pass: wires the stages together and owns windows and slices.
//!
//! For each selected dataset the pass takes the dataset's lease, reads its
//! checkpoint and works out the window: from the checkpoint minus the overlap
//! (or, on a first run, from `--since` or 30 days back) to now minus the lag.
//! The window is cut into hour slices (see `layout`); for each slice it
//! learns which ids the cell already holds (the `id` column of the cell's
//! files), reads the slice from Graph, keeps records that fall inside the
//! slice and are not yet archived, writes them as one new file, and only then
//! moves the checkpoint. A crash anywhere leaves either nothing or whole files
//! behind, and the next pass, which consults the files themselves, neither
//! skips nor repeats a record. A dataset that fails or is not licensed does
//! not stop the others.

mod slice;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, Utc};
use tracing::{info, warn};

use crate::cell::Limits;
use crate::checkpoint::{Acquired, Checkpoint, CheckpointStore, FORMAT, Lease};
use crate::convert::arrow_schema;
use crate::crashpoint::{BEFORE_CHECKPOINT, CrashPoint};
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::{Destination, Version};
use crate::error::{Error, Result};
use crate::graph::GraphClient;
use crate::layout;
use crate::summary::{DatasetSummary, RunSummary, Status, Window};

/// How far back a first run starts without `--since`: what Entra ID P1/P2
/// still holds.
pub const FIRST_RUN_LOOKBACK: Duration = Duration::days(30);
/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::minutes(15);

/// The wall clock, as an input.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Told of a pass's progress, slice by slice (the CLI draws a progress bar
/// with it). Called after each slice, from the pass's task.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// `dataset` has read its `window` up to `through`; `records` new
    /// records written so far.
    fn slice_done(&self, dataset: &'static str, window: Window, through: DateTime<Utc>, records: u64);
}

/// What one pass should do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Datasets to export, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// The moment the window is measured from.
    pub now: DateTime<Utc>,
    /// The window ends this long before `now`.
    pub lag: Duration,
    /// Each pass re-reads this much before the checkpoint for late arrivals.
    pub overlap: Duration,
    /// Where a first run starts (default: 30 days back).
    pub since: Option<DateTime<Utc>>,
    /// Incremental pass or backfill.
    pub mode: Mode,
    /// When to stop starting work, if ever.
    pub deadline: Option<Deadline>,
    /// Told of each finished slice.
    pub observer: Option<std::sync::Arc<dyn Observer>>,
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

/// The window a pass reads. Incremental: `[checkpoint − overlap, now − lag)`,
/// or from `since` (else 30 days back) on a first run. Backfill: the range
/// asked for, ending no later than now − lag. Ends on a whole second.
pub fn window(plan: &Plan, archived_through: Option<DateTime<Utc>>) -> Window {
    let end = (plan.now - plan.lag).duration_trunc(Duration::seconds(1)).expect("a second divides any timestamp");
    match (plan.mode, archived_through) {
        (Mode::Backfill { from, to }, _) => Window { start: from, end: to.min(end) },
        (Mode::Incremental, Some(through)) => Window { start: through - plan.overlap, end },
        (Mode::Incremental, None) => Window { start: plan.since.unwrap_or(end - FIRST_RUN_LOOKBACK), end },
    }
}

/// Everything a pass needs, built once.
pub struct Exporter {
    /// Reads Graph.
    pub graph: GraphClient,
    /// Where the archive is.
    pub dest: Arc<dyn Destination>,
    /// Tenant being archived (lower-case GUID).
    pub tenant_id: String,
    /// This pass's id.
    pub run_id: String,
    /// Wall clock for leases and timestamps.
    pub clock: Clock,
    /// Test-only crash injection.
    pub crash: Arc<CrashPoint>,
    /// Batch and file sizes.
    pub limits: Limits,
}

/// Marks a dataset as stopped by the deadline at `at`.
fn stopped(summary: &mut DatasetSummary, at: DateTime<Utc>) {
    summary.status = Status::Stopped;
    summary.error = Some(format!(
        "stopped at the run's deadline with the slice from {at} still to read; the next run resumes from the checkpoint"
    ));
}

/// An incremental pass's checkpoint, moved behind the slices it finishes.
struct Progress {
    store: CheckpointStore,
    checkpoint: Option<Checkpoint>,
    version: Option<Version>,
    /// The checkpoint when the pass began.
    began: Option<DateTime<Utc>>,
    /// The end of the finished slices, when it is past the saved checkpoint.
    unsaved: Option<DateTime<Utc>>,
}

impl Progress {
    async fn load(store: CheckpointStore) -> Result<Progress> {
        let (checkpoint, version) = store.load().await?.map_or((None, None), |(c, v)| (Some(c), Some(v)));
        let began = checkpoint.as_ref().map(|c| c.archived_through);
        Ok(Progress { store, checkpoint, version, began, unsaved: None })
    }

    fn finished(&mut self, slice_end: DateTime<Utc>) {
        if self.began.is_none_or(|t| slice_end > t) {
            self.unsaved = Some(slice_end);
        }
    }

    fn through(&self) -> Option<DateTime<Utc>> {
        self.checkpoint.as_ref().map(|c| c.archived_through)
    }
}

impl Exporter {
    /// Runs one pass over every dataset of `plan`.
    pub async fn run(&self, plan: &Plan) -> RunSummary {
        let started_at = (self.clock)();
        let mut datasets = Vec::with_capacity(plan.datasets.len());
        for def in &plan.datasets {
            datasets.push(self.export(def, plan).await);
        }
        RunSummary::new(self.run_id.clone(), self.tenant_id.clone(), self.dest.describe(), started_at, datasets)
    }

    async fn export(&self, def: &'static DatasetDef, plan: &Plan) -> DatasetSummary {
        let began = Instant::now();
        self.graph.take_stats(def.name);
        let mut summary = DatasetSummary::new(def.name);
        if plan.deadline.as_ref().is_some_and(Deadline::reached) {
            summary.status = Status::Stopped;
            summary.error = Some("not started: the run's deadline came first; the next run picks it up".into());
            return summary;
        }
        if let Err(e) = self.export_leased(def, plan, &mut summary).await {
            summary.status = if e.is_access_denied() { Status::Skipped } else { Status::Failed };
            warn!(dataset = def.name, error = %e, "dataset not archived");
            summary.error = Some(e.to_string());
        }
        summary.seconds = began.elapsed().as_secs_f64();
        let requests = self.graph.take_stats(def.name);
        (summary.pages, summary.throttled, summary.retries) = (requests.pages, requests.throttled, requests.retries);
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

    async fn export_leased(&self, def: &'static DatasetDef, plan: &Plan, summary: &mut DatasetSummary) -> Result<()> {
        let key = layout::lease_key(&self.tenant_id, def.name);
        let mut lease = match Lease::acquire(self.dest.clone(), key, &self.run_id, (self.clock)(), LEASE_TTL).await? {
            Acquired::Held(lease) => lease,
            Acquired::Busy { run_id, expires_at } => {
                summary.status = Status::Busy;
                summary.error = Some(format!(
                    "another run ({run_id}) holds this dataset until {expires_at} at the latest; this run left it alone"
                ));
                return Ok(());
            }
        };
        let result = self.export_window(def, plan, &mut lease, summary).await;
        if let Err(e) = lease.release((self.clock)()).await {
            warn!(dataset = def.name, error = %e, "could not release the lease; it expires by itself");
        }
        result
    }

    async fn export_window(
        &self,
        def: &'static DatasetDef,
        plan: &Plan,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
    ) -> Result<()> {
        let mut progress = match plan.mode {
            Mode::Incremental => {
                let store = CheckpointStore::new(self.dest.clone(), &self.tenant_id, def.name);
                Some(Progress::load(store).await?)
            }
            Mode::Backfill { .. } => None,
        };
        let through = progress.as_ref().and_then(Progress::through);
        if through.is_some() && plan.since.is_some() {
            info!(dataset = def.name, "a checkpoint exists, so --since is ignored");
        }
        let window = window(plan, through);
        summary.window = Some(window);
        summary.archived_through = through;
        let schema = arrow_schema(def);
        let mut renewed = Instant::now();
        let mut outcome = Ok(());
        let deadline = plan.deadline.as_ref();
        for slice in layout::slices(window.start, window.end) {
            if deadline.is_some_and(Deadline::reached) {
                stopped(summary, slice.start);
                break;
            }
            let step = async {
                if renewed.elapsed() > (LEASE_TTL / 3).to_std().expect("positive") {
                    lease.renew((self.clock)()).await?;
                    renewed = Instant::now();
                }
                self.export_slice(def, &schema, slice, lease, summary, deadline).await
            };
            let done = match step.await {
                Ok(done) => done,
                Err(Error::OutOfTime { last }) => {
                    info!(dataset = def.name, error = %last, "stopping: retrying longer would pass the deadline");
                    stopped(summary, slice.start);
                    break;
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            if let Some(progress) = progress.as_mut()
                && done.complete
            {
                progress.finished(slice.end);
                if done.wrote {
                    self.save_checkpoint(def, progress, lease).await?;
                }
            }
            if let Some(observer) = &plan.observer {
                observer.slice_done(
                    def.name,
                    window,
                    if done.complete { slice.end } else { slice.start },
                    summary.records,
                );
            }
            if !done.complete {
                stopped(summary, slice.start);
                break;
            }
        }
        if let Some(progress) = progress.as_mut() {
            // Slices finished before a failure are complete: keep that
            // progress so the next run does not read them again.
            match (&outcome, self.save_checkpoint(def, progress, lease).await) {
                (Ok(()), saved) => saved?,
                (Err(_), Err(e)) => {
                    warn!(dataset = def.name, error = %e, "could not save progress after a failure")
                }
                (Err(_), Ok(())) => {}
            }
            summary.archived_through = progress.through();
        }
        outcome
    }

    /// Saves the checkpoint if finished slices moved it.
    async fn save_checkpoint(
        &self,
        def: &'static DatasetDef,
        progress: &mut Progress,
        lease: &mut Lease,
    ) -> Result<()> {
        let Some(through) = progress.unsaved else {
            return Ok(());
        };
        lease.renew((self.clock)()).await?;
        self.crash.hit(BEFORE_CHECKPOINT);
        let checkpoint = Checkpoint {
            format: FORMAT,
            tenant_id: self.tenant_id.clone(),
            dataset: def.name.to_string(),
            archived_through: through,
            updated_at: (self.clock)(),
            run_id: self.run_id.clone(),
        };
        progress.version = Some(progress.store.save(&checkpoint, progress.version.as_ref()).await?);
        progress.checkpoint = Some(checkpoint);
        progress.unsaved = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn plan(since: Option<&str>) -> Plan {
        Plan {
            datasets: vec![by_name("signins").unwrap()],
            now: t("2026-11-24T10:25:31.75Z"),
            lag: Duration::minutes(10),
            overlap: Duration::hours(1),
            since: since.map(t),
            mode: Mode::Incremental,
            deadline: None,
            observer: None,
        }
    }

    #[test]
    fn first_run_starts_at_since_or_thirty_days_back() {
        let w = window(&plan(None), None);
        assert_eq!(w.end, t("2026-11-24T10:15:31Z"), "now − lag, on a whole second");
        assert_eq!(w.start, t("2026-10-25T10:15:31Z"));
        let w = window(&plan(Some("2026-11-20T00:00:00Z")), None);
        assert_eq!(w.start, t("2026-11-20T00:00:00Z"));
    }

    #[test]
    fn backfills_read_the_range_asked_for_and_no_further_than_the_lag() {
        let mut p = plan(None);
        p.mode = Mode::Backfill { from: t("2026-11-01T00:00:00Z"), to: t("2026-11-02T00:00:00Z") };
        let w = window(&p, Some(t("2026-11-24T09:00:00Z")));
        assert_eq!((w.start, w.end), (t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z")));
        p.mode = Mode::Backfill { from: t("2026-11-24T00:00:00Z"), to: t("2026-11-25T00:00:00Z") };
        assert_eq!(window(&p, None).end, t("2026-11-24T10:15:31Z"));
    }

    #[test]
    fn later_runs_reread_the_overlap_before_the_checkpoint() {
        let w = window(&plan(Some("2026-11-01T00:00:00Z")), Some(t("2026-11-24T09:00:00Z")));
        assert_eq!((w.start, w.end), (t("2026-11-24T08:00:00Z"), t("2026-11-24T10:15:31Z")));
    }
}
