//! `compact`: each sealed day's hour files merged into day files.
//!
//! Hourly runs write one file per dataset per hour cell (and more for late
//! arrivals); engines pay per file (Athena and Spark plan and open each one;
//! on S3 each is a request). A day wholly older than the checkpoint minus
//! the overlap is *sealed*: no run reads it again and no late arrival lands
//! in it. `compact` merges such a day's files into as few day files as
//! `--file-size` allows (`layout::day_key`), rows sorted by record time
//! (`merge`), with their manifests.
//!
//! The swap, under the dataset's lease, crash-safe at every step:
//! 1. the day files are written and staged, checked to hold exactly the
//!    rows (and row keys) of the inputs;
//! 2. a journal (`_state/{tenant}/{dataset}/compaction.json`) names the
//!    inputs and the outputs;
//! 3. the day files are moved in, each then its manifest;
//! 4. a ledger entry (`Compacted`) names the day files and the files they
//!    replace, so `verify` stays clean;
//! 5. the inputs are removed, each data file then its manifest;
//! 6. the journal is removed.
//!
//! A compaction that finds a journal finishes that swap first: forward when
//! every output and its manifest is in (from step 4 on), else back (the
//! outputs there are removed; the inputs were never touched). A reader
//! listing the day between steps 3 and 5 may see its rows twice (old and new
//! files), never missing; the window is the few requests of step 5.
//! Idempotent: a day without hour files is left alone; a day a backfill
//! added hour files to is compacted again (its day files among the inputs).

mod merge;
mod summary;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

pub use summary::{CompactSummary, DatasetCompaction};

use crate::cell::Limits;
use crate::checkpoint::CheckpointStore;
use crate::compose::Clock;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::{Destination, ObjectMeta, PutMode};
use crate::error::{Error, Result, blocking};
use crate::layout::{self, PARQUET_SUFFIX};
use crate::lease::{Acquired, LEASE_TTL, Lease};
use crate::ledger::{self, FileRows};
use crate::run::{Observer, new_run_id};
use crate::summary::Status;
use merge::{DayFile, DayMerge};

/// What a compaction is asked to do.
#[derive(Debug, Clone)]
pub struct CompactRequest {
    /// Datasets, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// Only this tenant's files (the Lambda's own); `None`: every tenant's.
    pub tenant: Option<String>,
    /// The runs' overlap: days ending before checkpoint − overlap are sealed.
    pub overlap: Duration,
    /// File size (and row batch) of the day files.
    pub limits: Limits,
    /// When to stop starting days.
    pub deadline: Option<Deadline>,
    /// Told of each step of a swap (crash points in tests).
    pub observers: Vec<Arc<dyn Observer>>,
}

/// A swap in progress: what `compaction.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    run_id: String,
    day: NaiveDate,
    inputs: Vec<FileRows>,
    outputs: Vec<FileRows>,
}

/// Compacts what `request` asks in `dest`.
pub async fn compact(dest: Arc<dyn Destination>, request: &CompactRequest, clock: Clock) -> CompactSummary {
    let run_id = new_run_id(clock(), Some("compact"));
    let mut out = CompactSummary::new(run_id.clone(), dest.describe());
    for def in &request.datasets {
        let tenants = match tenants_files(dest.as_ref(), def, request.tenant.as_deref()).await {
            Ok(tenants) => tenants,
            Err(e) => {
                out.datasets.push(DatasetCompaction::failed(def.name, request.tenant.as_deref().unwrap_or("*"), &e));
                continue;
            }
        };
        for (tenant, files) in tenants {
            let job = Job {
                dest: dest.clone(),
                def,
                run_id: &run_id,
                clock: &clock,
                request,
                summary: DatasetCompaction::new(def.name, &tenant),
            };
            out.datasets.push(job.run(&tenant, files).await);
        }
    }
    out.finish()
}

/// Each tenant's data files of `def` (only `tenant`'s when given).
async fn tenants_files(
    dest: &dyn Destination,
    def: &DatasetDef,
    tenant: Option<&str>,
) -> Result<BTreeMap<String, Vec<ObjectMeta>>> {
    let mut out: BTreeMap<String, Vec<ObjectMeta>> = BTreeMap::new();
    if let Some(tenant) = tenant {
        out.insert(tenant.to_string(), Vec::new());
    }
    for object in dest.list(&format!("{}/", def.name)).await? {
        if !object.key.ends_with(PARQUET_SUFFIX) {
            continue;
        }
        let Some(owner) = layout::tenant_of(&object.key) else { continue };
        if tenant.is_some_and(|t| t != owner) {
            continue;
        }
        out.entry(owner.to_string()).or_default().push(object);
    }
    Ok(out)
}

/// Whether `key` (of `tenant`, in its day's partition) is a day file.
fn is_day_file(key: &str, def: &DatasetDef, tenant: &str) -> bool {
    layout::day_of(key).is_some_and(|day| layout::parse_day_part(key, def.name, day, tenant).is_some())
}

/// The sealed days among `files` that hold hour files: those to compact,
/// oldest first, with all their files.
fn days_to_compact(
    files: Vec<ObjectMeta>,
    def: &DatasetDef,
    tenant: &str,
    sealed_until: DateTime<Utc>,
) -> BTreeMap<NaiveDate, Vec<ObjectMeta>> {
    let mut days: BTreeMap<NaiveDate, Vec<ObjectMeta>> = BTreeMap::new();
    for file in files {
        let Some(day) = layout::day_of(&file.key) else { continue };
        if layout::day_start(day) + Duration::days(1) <= sealed_until {
            days.entry(day).or_default().push(file);
        }
    }
    days.retain(|_, files| files.iter().any(|f| !is_day_file(&f.key, def, tenant)));
    days
}

/// One tenant's dataset being compacted.
struct Job<'a> {
    dest: Arc<dyn Destination>,
    def: &'static DatasetDef,
    run_id: &'a str,
    clock: &'a Clock,
    request: &'a CompactRequest,
    summary: DatasetCompaction,
}

impl Job<'_> {
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn step(&self, step: &str) {
        self.request.observers.iter().for_each(|o| o.compaction_step(self.def.name, step));
    }

    async fn run(mut self, tenant: &str, files: Vec<ObjectMeta>) -> DatasetCompaction {
        let began = Instant::now();
        let key = layout::lease_key(tenant, self.def.name);
        let mut lease = match Lease::acquire(self.dest.clone(), key, self.run_id, self.now(), LEASE_TTL).await {
            Ok(Acquired::Held(lease)) => lease,
            Ok(Acquired::Busy { run_id, expires_at }) => {
                self.summary.status = Status::Busy;
                self.summary.error = Some(format!(
                    "another run ({run_id}) holds this dataset until {expires_at} at the latest; compact again later"
                ));
                return self.summary;
            }
            Err(e) => {
                self.summary.fail(&e);
                return self.summary;
            }
        };
        if let Err(e) = self.days(tenant, files, &mut lease).await {
            self.summary.fail(&e);
        }
        if let Err(e) = lease.release(self.now()).await {
            warn!(dataset = self.def.name, error = %e, "could not release the lease; it expires by itself");
        }
        self.summary.seconds = began.elapsed().as_secs_f64();
        info!(
            dataset = self.def.name,
            tenant,
            status = ?self.summary.status,
            days = self.summary.days,
            files_before = self.summary.files_before,
            files_after = self.summary.files_after,
            rows = self.summary.rows,
            seconds = self.summary.seconds,
            "compaction done"
        );
        self.summary
    }

    async fn days(&mut self, tenant: &str, files: Vec<ObjectMeta>, lease: &mut Lease) -> Result<()> {
        let files = match self.recover(tenant, lease).await? {
            // A swap was finished or undone: what is there changed.
            true => tenants_files(self.dest.as_ref(), self.def, Some(tenant)).await?.remove(tenant).unwrap_or_default(),
            false => files,
        };
        let store = CheckpointStore::new(self.dest.clone(), tenant, self.def.name);
        let Some((checkpoint, _)) = store.load().await? else {
            self.summary.note = Some("no checkpoint yet: no day is sealed".into());
            return Ok(());
        };
        let sealed_until = checkpoint.archived_through - self.request.overlap;
        self.summary.sealed_until = Some(sealed_until);
        let days = days_to_compact(files, self.def, tenant, sealed_until);
        let total = days.len();
        for (done, (day, files)) in days.into_iter().enumerate() {
            if self.request.deadline.as_ref().is_some_and(Deadline::reached) {
                self.summary.status = Status::Stopped;
                self.summary.remaining = (total - done) as u64;
                return Ok(());
            }
            self.day(tenant, day, files, lease).await?;
        }
        Ok(())
    }

    /// One day: merged, swapped in, the inputs removed.
    async fn day(&mut self, tenant: &str, day: NaiveDate, files: Vec<ObjectMeta>, lease: &mut Lease) -> Result<()> {
        let (def, dest) = (self.def, self.dest.clone());
        let first_part = files
            .iter()
            .filter_map(|f| layout::parse_day_part(&f.key, def.name, day, tenant))
            .max()
            .map_or(0, |p| p + 1);
        let again = first_part > 0;
        let bytes_before: u64 = files.iter().map(|f| f.size).sum();
        let staging = dest.staging_dir().to_path_buf();
        let mut merge =
            DayMerge::new(def, day, tenant, first_part, (self.run_id, staging), self.request.limits, self.now());
        // Hour by hour (keys sort by hour); a day compacted before goes in
        // whole with the hours added since, so its rows stay sorted.
        let mut groups: Vec<Vec<String>> = Vec::new();
        match again {
            true => groups.push(files.iter().map(|f| f.key.clone()).collect()),
            false => {
                let mut by_cell: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for f in &files {
                    let cell = ledger::cell_of_key(&f.key).unwrap_or_default().to_string();
                    by_cell.entry(cell).or_default().push(f.key.clone());
                }
                groups.extend(by_cell.into_values());
            }
        }
        for group in groups {
            let mut inputs = Vec::with_capacity(group.len());
            for key in group {
                let Some(object) = dest.get(&key).await? else {
                    return Err(Error::Conflict { key }); // removed since it was listed: another writer
                };
                inputs.push((key, object.bytes));
            }
            merge = blocking("compact", def.name, move || merge.push(inputs).map(|()| merge)).await?;
        }
        let (outputs, inputs) = blocking("compact", def.name, move || merge.finish()).await?;
        let result = self.swap(tenant, day, &outputs, inputs, lease).await;
        for file in &outputs {
            let _ = std::fs::remove_file(&file.staged);
        }
        if result.is_ok() {
            self.summary.bytes_before += bytes_before;
        }
        result
    }

    /// Steps 2–6 of the swap.
    async fn swap(
        &mut self,
        tenant: &str,
        day: NaiveDate,
        outputs: &[DayFile],
        inputs: Vec<FileRows>,
        lease: &mut Lease,
    ) -> Result<()> {
        let dest = self.dest.as_ref();
        let journal = Journal {
            run_id: self.run_id.to_string(),
            day,
            inputs,
            outputs: outputs.iter().map(|f| FileRows { key: f.key.clone(), rows: f.manifest.records }).collect(),
        };
        let journal_key = layout::compaction_key(tenant, self.def.name);
        lease.renew(self.now()).await?;
        dest.put(
            &journal_key,
            Bytes::from(serde_json::to_vec_pretty(&journal).expect("a journal serialises")),
            PutMode::Overwrite,
        )
        .await?;
        self.step("journal");
        for file in outputs {
            lease.renew(self.now()).await?;
            dest.put_file(&file.key, &file.staged).await?;
            self.request.observers.iter().for_each(|o| o.file_stored(self.def.name, &file.key));
            let manifest_key = layout::manifest_key(&file.key).expect("a data key");
            dest.put(&manifest_key, file.manifest.to_bytes(), PutMode::Overwrite).await?;
        }
        self.finish_swap(tenant, &journal, lease).await?;
        self.summary.days += 1;
        self.summary.files_before += journal.inputs.len() as u64;
        self.summary.files_after += outputs.len() as u64;
        self.summary.rows += journal.outputs.iter().map(|f| f.rows).sum::<u64>();
        self.summary.bytes_after += outputs.iter().map(|f| f.info.bytes).sum::<u64>();
        debug!(dataset = self.def.name, %day, files = journal.inputs.len(), into = outputs.len(), "day compacted");
        Ok(())
    }

    /// Steps 4–6: the ledger entry, the inputs removed, the journal removed.
    async fn finish_swap(&mut self, tenant: &str, journal: &Journal, lease: &mut Lease) -> Result<()> {
        let dest = self.dest.as_ref();
        let start = layout::day_start(journal.day);
        let entry = ledger::Entry {
            format: ledger::FORMAT,
            dataset: self.def.name.to_string(),
            tenant_id: tenant.to_string(),
            run_id: journal.run_id.clone(),
            kind: ledger::Kind::Compacted,
            start,
            end: start,
            files: journal.outputs.clone(),
            replaces: journal.inputs.clone(),
            committed_at: self.now(),
        };
        lease.renew(self.now()).await?;
        ledger::append(dest, &entry).await?;
        self.step("ledger");
        let outputs: Vec<&str> = journal.outputs.iter().map(|f| f.key.as_str()).collect();
        for input in journal.inputs.iter().filter(|i| !outputs.contains(&i.key.as_str())) {
            lease.renew(self.now()).await?;
            dest.delete(&input.key).await?;
            dest.delete(&layout::manifest_key(&input.key).expect("a data key")).await?;
            self.step("remove");
        }
        dest.delete(&layout::compaction_key(tenant, self.def.name)).await?;
        Ok(())
    }

    /// Finishes or undoes a swap a crash left (a journal is there); answers
    /// whether there was one.
    async fn recover(&mut self, tenant: &str, lease: &mut Lease) -> Result<bool> {
        let key = layout::compaction_key(tenant, self.def.name);
        let Some(object) = self.dest.get(&key).await? else { return Ok(false) };
        let journal: Journal = serde_json::from_slice(&object.bytes)
            .map_err(|e| Error::CorruptState { key: key.clone(), problem: e.to_string() })?;
        // Which outputs are in, from two listings (not a download of each).
        let day_files: HashSet<String> =
            self.dest.list(&layout::day_prefix(self.def.name, journal.day)).await?.into_iter().map(|o| o.key).collect();
        let manifest_prefix = format!("{}/{}", layout::MANIFEST_DIR, layout::day_prefix(self.def.name, journal.day));
        let manifests: HashSet<String> = self.dest.list(&manifest_prefix).await?.into_iter().map(|o| o.key).collect();
        let complete = journal.outputs.iter().all(|output| {
            let manifest = layout::manifest_key(&output.key).expect("a data key");
            day_files.contains(&output.key) && manifests.contains(&manifest)
        });
        match complete {
            true => {
                warn!(dataset = self.def.name, day = %journal.day, run = %journal.run_id, "finishing a compaction a crash interrupted");
                self.finish_swap(tenant, &journal, lease).await?;
                self.summary.recovered += 1;
            }
            false => {
                warn!(dataset = self.def.name, day = %journal.day, run = %journal.run_id, "undoing a compaction a crash interrupted");
                let inputs: Vec<&str> = journal.inputs.iter().map(|f| f.key.as_str()).collect();
                for output in journal.outputs.iter().filter(|o| !inputs.contains(&o.key.as_str())) {
                    lease.renew(self.now()).await?;
                    self.dest.delete(&output.key).await?;
                    self.dest.delete(&layout::manifest_key(&output.key).expect("a data key")).await?;
                }
                self.dest.delete(&key).await?;
                self.summary.recovered += 1;
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str) -> ObjectMeta {
        ObjectMeta { key: key.to_string(), size: 1 }
    }

    #[test]
    fn only_sealed_days_with_hour_files_are_compacted() {
        let def = crate::datasets::by_name("signins").unwrap();
        let files = vec![
            meta("signins/date=2026-11-20/20261120T00-0000-t.parquet"),
            meta("signins/date=2026-11-20/20261120T23-0000-t.parquet"),
            meta("signins/date=2026-11-21/20261121-0000-t.parquet"),
            meta("signins/date=2026-11-22/20261122-0000-t.parquet"),
            meta("signins/date=2026-11-22/20261122T05-0000-t.parquet"),
            meta("signins/date=2026-11-23/20261123T01-0000-t.parquet"),
        ];
        let sealed_until = "2026-11-23T23:00:00Z".parse().unwrap();
        let days = days_to_compact(files, def, "t", sealed_until);
        let names: Vec<String> = days.keys().map(|d| d.to_string()).collect();
        // 21st: compacted already; 22nd: a day file and an hour added since;
        // 23rd: not wholly before the sealed time.
        assert_eq!(names, ["2026-11-20", "2026-11-22"]);
        assert_eq!(days[&"2026-11-22".parse::<NaiveDate>().unwrap()].len(), 2);
    }
}
