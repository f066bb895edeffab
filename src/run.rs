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

use std::collections::HashSet;
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Duration, DurationRound, Utc};
use futures::TryStreamExt;
use parquet::file::metadata::KeyValue;
use tracing::{info, warn};

use crate::checkpoint::{Acquired, Checkpoint, CheckpointStore, FORMAT, Lease};
use crate::convert::{Record, arrow_schema, to_batch};
use crate::crashpoint::{AFTER_FILE, BEFORE_CHECKPOINT, CrashPoint};
use crate::datasets::{DatasetDef, column_name};
use crate::destination::{Destination, Version};
use crate::encode;
use crate::error::{Error, Result};
use crate::graph::{self, GraphClient};
use crate::layout::{self, Slice};
use crate::summary::{DatasetSummary, RunSummary, Status, Window};

/// How far back a first run starts without `--since`: what Entra ID P1/P2
/// still holds.
pub const FIRST_RUN_LOOKBACK: Duration = Duration::days(30);
/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::minutes(15);

/// The wall clock, as an input.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

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
    let end = (plan.now - plan.lag)
        .duration_trunc(Duration::seconds(1))
        .expect("a second divides any timestamp");
    match (plan.mode, archived_through) {
        (Mode::Backfill { from, to }, _) => Window {
            start: from,
            end: to.min(end),
        },
        (Mode::Incremental, Some(through)) => Window {
            start: through - plan.overlap,
            end,
        },
        (Mode::Incremental, None) => Window {
            start: plan.since.unwrap_or(end - FIRST_RUN_LOOKBACK),
            end,
        },
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
        let (checkpoint, version) = store
            .load()
            .await?
            .map_or((None, None), |(c, v)| (Some(c), Some(v)));
        let began = checkpoint.as_ref().map(|c| c.archived_through);
        Ok(Progress {
            store,
            checkpoint,
            version,
            began,
            unsaved: None,
        })
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
        RunSummary::new(
            self.run_id.clone(),
            self.tenant_id.clone(),
            self.dest.describe(),
            started_at,
            datasets,
        )
    }

    async fn export(&self, def: &'static DatasetDef, plan: &Plan) -> DatasetSummary {
        let began = Instant::now();
        let mut summary = DatasetSummary::new(def.name);
        if let Err(e) = self.export_leased(def, plan, &mut summary).await {
            summary.status = if e.is_access_denied() {
                Status::Skipped
            } else {
                Status::Failed
            };
            warn!(dataset = def.name, error = %e, "dataset not archived");
            summary.error = Some(e.to_string());
        }
        summary.seconds = began.elapsed().as_secs_f64();
        info!(
            dataset = def.name,
            status = ?summary.status,
            records = summary.records,
            files = summary.files,
            bytes = summary.bytes,
            seconds = summary.seconds,
            "dataset done"
        );
        summary
    }

    async fn export_leased(
        &self,
        def: &'static DatasetDef,
        plan: &Plan,
        summary: &mut DatasetSummary,
    ) -> Result<()> {
        let key = layout::lease_key(&self.tenant_id, def.name);
        let mut lease = match Lease::acquire(
            self.dest.clone(),
            key,
            &self.run_id,
            (self.clock)(),
            LEASE_TTL,
        )
        .await?
        {
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
            info!(
                dataset = def.name,
                "a checkpoint exists, so --since is ignored"
            );
        }
        let window = window(plan, through);
        summary.window = Some(window);
        summary.archived_through = through;
        let schema = arrow_schema(def);
        let mut renewed = Instant::now();
        let mut outcome = Ok(());
        for slice in layout::slices(window.start, window.end) {
            let step = async {
                if renewed.elapsed() > (LEASE_TTL / 3).to_std().expect("positive") {
                    lease.renew((self.clock)()).await?;
                    renewed = Instant::now();
                }
                self.export_slice(def, &schema, slice, lease, summary).await
            };
            let wrote = match step.await {
                Ok(wrote) => wrote,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            if let Some(progress) = progress.as_mut() {
                progress.finished(slice.end);
                if wrote {
                    self.save_checkpoint(def, progress, lease).await?;
                }
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
        progress.version = Some(
            progress
                .store
                .save(&checkpoint, progress.version.as_ref())
                .await?,
        );
        progress.checkpoint = Some(checkpoint);
        progress.unsaved = None;
        Ok(())
    }

    /// The ids a cell's files hold, and the `seq` its next file gets.
    async fn cell_contents(
        &self,
        def: &DatasetDef,
        cell: DateTime<Utc>,
    ) -> Result<(HashSet<String>, u32)> {
        let mut ids = HashSet::new();
        let mut next_seq = 0;
        for object in self.dest.list(&layout::cell_prefix(def.name, cell)).await? {
            let Some(seq) = layout::parse_seq(&object.key, def.name, cell, &self.tenant_id) else {
                continue;
            };
            next_seq = next_seq.max(seq + 1);
            let Some(file) = self.dest.get(&object.key).await? else {
                continue;
            };
            let key = object.key.clone();
            let read = tokio::task::spawn_blocking(move || encode::read_ids(&key, file.bytes))
                .await
                .map_err(|e| Error::Parquet {
                    op: "read",
                    key: object.key.clone(),
                    source: e.into(),
                })??;
            ids.extend(read);
        }
        Ok((ids, next_seq))
    }

    /// Reads one slice and writes what is new in it; returns whether a file
    /// was written.
    async fn export_slice(
        &self,
        def: &'static DatasetDef,
        schema: &SchemaRef,
        slice: Slice,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
    ) -> Result<bool> {
        let (known, seq) = self.cell_contents(def, slice.cell).await?;
        let url = graph::slice_url(self.graph.base(), def, slice.start, slice.end);
        let mut seen: HashSet<String> = HashSet::new();
        let mut batches = Vec::new();
        let mut pages = pin!(self.graph.pages(def, url.clone()));
        while let Some(page) = pages.try_next().await? {
            let mut fresh = Vec::new();
            for raw in &page.records {
                let record = Record::parse(raw.get(), def.time_field).map_err(|problem| {
                    Error::InvalidRecord {
                        dataset: def.name,
                        problem,
                    }
                })?;
                if slice.contains(record.time)
                    && !known.contains(&record.id)
                    && seen.insert(record.id.clone())
                {
                    fresh.push(record);
                }
            }
            if !fresh.is_empty() {
                batches.push(to_batch(def, schema, &fresh).map_err(|e| encode_error(def, e))?);
            }
        }
        if batches.is_empty() {
            return Ok(false);
        }
        let key = layout::data_key(def.name, slice.cell, seq, &self.tenant_id);
        let staged = self.dest.staging_dir().join(format!(
            "{}-{}.parquet.partial",
            self.run_id,
            uuid::Uuid::new_v4().simple()
        ));
        let metadata = self.file_metadata(def, slice, &url);
        let (path, time_column) = (staged.clone(), column_name(def.time_field));
        let info = tokio::task::spawn_blocking(move || {
            encode::write_sorted(&path, &batches, &time_column, metadata)
        })
        .await
        .map_err(|e| Error::Parquet {
            op: "write",
            key: key.clone(),
            source: e.into(),
        })?;
        let moved = match info {
            Ok(info) => match lease.renew((self.clock)()).await {
                Ok(()) => self.dest.put_file(&key, &staged).await.map(|_| info),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let info = moved.inspect_err(|_| {
            let _ = std::fs::remove_file(&staged);
        })?;
        self.crash.hit(AFTER_FILE);
        info!(dataset = def.name, key = %key, records = info.rows, bytes = info.bytes, "file written");
        summary.records += info.rows as u64;
        summary.files += 1;
        summary.bytes += info.bytes;
        Ok(true)
    }

    fn file_metadata(&self, def: &DatasetDef, slice: Slice, url: &url::Url) -> Vec<KeyValue> {
        let pairs = [
            ("entra_archive.dataset", def.name.to_string()),
            ("entra_archive.tenant_id", self.tenant_id.clone()),
            ("entra_archive.run_id", self.run_id.clone()),
            ("entra_archive.slice_start", slice.start.to_rfc3339()),
            ("entra_archive.slice_end", slice.end.to_rfc3339()),
            (
                "entra_archive.graph_query",
                url[url::Position::BeforePath..].to_string(),
            ),
            (
                "entra_archive.version",
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ];
        pairs
            .into_iter()
            .map(|(k, v)| KeyValue::new(k.to_string(), v))
            .collect()
    }
}

fn encode_error(def: &DatasetDef, e: arrow::error::ArrowError) -> Error {
    Error::Parquet {
        op: "encode",
        key: def.name.to_string(),
        source: e.into(),
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
        }
    }

    #[test]
    fn first_run_starts_at_since_or_thirty_days_back() {
        let w = window(&plan(None), None);
        assert_eq!(
            w.end,
            t("2026-11-24T10:15:31Z"),
            "now − lag, on a whole second"
        );
        assert_eq!(w.start, t("2026-10-25T10:15:31Z"));
        let w = window(&plan(Some("2026-11-20T00:00:00Z")), None);
        assert_eq!(w.start, t("2026-11-20T00:00:00Z"));
    }

    #[test]
    fn backfills_read_the_range_asked_for_and_no_further_than_the_lag() {
        let mut p = plan(None);
        p.mode = Mode::Backfill {
            from: t("2026-11-01T00:00:00Z"),
            to: t("2026-11-02T00:00:00Z"),
        };
        let w = window(&p, Some(t("2026-11-24T09:00:00Z")));
        assert_eq!(
            (w.start, w.end),
            (t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z"))
        );
        p.mode = Mode::Backfill {
            from: t("2026-11-24T00:00:00Z"),
            to: t("2026-11-25T00:00:00Z"),
        };
        assert_eq!(window(&p, None).end, t("2026-11-24T10:15:31Z"));
    }

    #[test]
    fn later_runs_reread_the_overlap_before_the_checkpoint() {
        let w = window(
            &plan(Some("2026-11-01T00:00:00Z")),
            Some(t("2026-11-24T09:00:00Z")),
        );
        assert_eq!(
            (w.start, w.end),
            (t("2026-11-24T08:00:00Z"), t("2026-11-24T10:15:31Z"))
        );
    }
}
