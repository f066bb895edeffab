//! `upgrade`: data files of an older schema version re-derived from their
//! `raw` column into the current schema, in place.
//!
//! Takes a destination and the datasets (and optionally the one tenant) to
//! upgrade; hands back an [`UpgradeSummary`]. Per tenant and dataset it
//! holds the dataset's lease, as a run does; per file whose manifest does not
//! say it is current, it reads the file, and either rewrites it (`rewrite`:
//! same rows, same row keys, same `raw`, checked) and replaces it at the same
//! key — atomically: a rename locally, one PUT or completed multipart upload
//! on S3 — then rewrites its manifest, or, when the file is current already
//! (a crash came between the file and its manifest), rewrites only the
//! manifest. So a crash at any point, followed by another `upgrade`, leaves
//! every record exactly once. Once every file is current the tenant's schema
//! marker (`_state/{tenant}/{dataset}/schema.json`) records it, so later
//! scheduled runs know there is nothing to do with a single read. Stops
//! starting files at its deadline; the next upgrade resumes. Never changes
//! which records the archive holds.

mod inventory;
mod rewrite;
mod summary;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

pub use summary::{DatasetUpgrade, UpgradeSummary};

use crate::compose::Clock;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::{Destination, PutMode};
use crate::error::{Result, blocking};
use crate::layout;
use crate::lease::{Acquired, LEASE_TTL, Lease};
use crate::manifest::Manifest;
use crate::run::{Observer, new_run_id};
use crate::summary::Status;
pub(crate) use inventory::FileState;
use inventory::Marker;
pub(crate) use inventory::pending;

/// What an upgrade is asked to do.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    /// Datasets, in order.
    pub datasets: Vec<&'static DatasetDef>,
    /// Only this tenant's files (the Lambda's own); `None`: every tenant's.
    pub tenant: Option<String>,
    /// Count what would be upgraded; write nothing and take no lease.
    pub dry_run: bool,
    /// When to stop starting files.
    pub deadline: Option<Deadline>,
    /// Told of every file replaced (`file_stored`, before its manifest).
    pub observers: Vec<Arc<dyn Observer>>,
}

/// A tenant's files of `def` and what their manifests say of their schema
/// version (`doctor`).
pub(crate) async fn tenant_files(dest: &dyn Destination, def: &DatasetDef, tenant: &str) -> Result<Vec<FileState>> {
    Ok(inventory::files(dest, def, Some(tenant)).await?.into_values().flatten().collect())
}

/// Upgrades what `request` asks in `dest`.
pub async fn upgrade(dest: Arc<dyn Destination>, request: &UpgradeRequest, clock: Clock) -> UpgradeSummary {
    let run_id = new_run_id(clock(), Some("upgrade"));
    let mut out = UpgradeSummary::new(run_id.clone(), dest.describe(), request.dry_run);
    for def in &request.datasets {
        let files = match inventory::files(dest.as_ref(), def, request.tenant.as_deref()).await {
            Ok(files) => files,
            Err(e) => {
                out.datasets.push(DatasetUpgrade::failed(def.name, request.tenant.as_deref().unwrap_or("*"), &e));
                continue;
            }
        };
        let mut tenants: Vec<(String, Vec<FileState>)> = files.into_iter().collect();
        if let Some(tenant) = &request.tenant
            && tenants.is_empty()
        {
            // No files yet: nothing to upgrade, which the marker records.
            tenants.push((tenant.clone(), Vec::new()));
        }
        for (tenant, files) in tenants {
            let job = Job {
                dest: dest.clone(),
                def,
                run_id: &run_id,
                clock: &clock,
                deadline: request.deadline,
                dry_run: request.dry_run,
                observers: &request.observers,
                summary: DatasetUpgrade::new(def.name, &tenant),
            };
            out.datasets.push(job.run(&tenant, files).await);
        }
    }
    out.finish()
}

/// One tenant's dataset being upgraded.
struct Job<'a> {
    dest: Arc<dyn Destination>,
    def: &'static DatasetDef,
    run_id: &'a str,
    clock: &'a Clock,
    deadline: Option<Deadline>,
    dry_run: bool,
    observers: &'a [Arc<dyn Observer>],
    summary: DatasetUpgrade,
}

impl Job<'_> {
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    async fn run(mut self, tenant: &str, files: Vec<FileState>) -> DatasetUpgrade {
        let began = Instant::now();
        let lease = match self.dry_run {
            true => None,
            false => {
                let key = layout::lease_key(tenant, self.def.name);
                match Lease::acquire(self.dest.clone(), key, self.run_id, self.now(), LEASE_TTL).await {
                    Ok(Acquired::Held(lease)) => Some(lease),
                    Ok(Acquired::Busy { run_id, expires_at }) => {
                        self.summary.status = Status::Busy;
                        self.summary.error = Some(format!(
                            "another run ({run_id}) holds this dataset until {expires_at} at the latest; upgrade again later"
                        ));
                        return self.summary;
                    }
                    Err(e) => {
                        self.summary.fail(&e);
                        return self.summary;
                    }
                }
            }
        };
        let mut lease = lease;
        let result = self.files(tenant, files, lease.as_mut()).await;
        if let Err(e) = result {
            self.summary.fail(&e);
        }
        if let Some(lease) = lease
            && let Err(e) = lease.release(self.now()).await
        {
            warn!(dataset = self.def.name, error = %e, "could not release the lease; it expires by itself");
        }
        self.summary.seconds = began.elapsed().as_secs_f64();
        info!(
            dataset = self.def.name,
            tenant,
            status = ?self.summary.status,
            files = self.summary.upgraded,
            rows = self.summary.rows,
            remaining = self.summary.remaining,
            seconds = self.summary.seconds,
            "upgrade done"
        );
        self.summary
    }

    async fn files(&mut self, tenant: &str, files: Vec<FileState>, mut lease: Option<&mut Lease>) -> Result<()> {
        self.summary.files = files.len() as u64;
        let old: Vec<FileState> = files.into_iter().filter(|f| !f.is_current(self.def)).collect();
        for (done, file) in old.iter().enumerate() {
            if self.deadline.as_ref().is_some_and(Deadline::reached) {
                self.summary.status = Status::Stopped;
                self.summary.remaining = (old.len() - done) as u64;
                return Ok(());
            }
            self.file(file, lease.as_deref_mut()).await?;
        }
        if !self.dry_run {
            let marker = Marker { schema_version: self.def.schema_version, checked_at: self.now() };
            let body = Bytes::from(serde_json::to_vec(&marker).expect("a marker serialises"));
            self.dest.put(&layout::schema_key(tenant, self.def.name), body, PutMode::Overwrite).await?;
        }
        Ok(())
    }

    /// One file whose manifest does not prove it current.
    async fn file(&mut self, file: &FileState, lease: Option<&mut Lease>) -> Result<()> {
        let Some(object) = self.dest.get(&file.key).await? else {
            return Ok(()); // removed since it was listed
        };
        let (def, key, bytes) = (self.def, file.key.clone(), object.bytes);
        let read = (key.clone(), bytes.clone());
        let version = blocking("upgrade", &file.key, move || rewrite::file_version(&read.0, read.1)).await?;
        if version >= def.schema_version {
            // Rewritten before a crash took the manifest: only that is missing.
            if !self.dry_run {
                let now = self.now();
                let (manifest, _) =
                    blocking("upgrade", &file.key, move || Manifest::describe(def, &key, bytes, now)).await?;
                let manifest_key = layout::manifest_key(&file.key).expect("a data key");
                self.dest.put(&manifest_key, manifest.to_bytes(), PutMode::Overwrite).await?;
                self.summary.manifests_rebuilt += 1;
            }
            return Ok(());
        }
        self.summary.old += 1;
        self.summary.bytes_before += file.size;
        if self.dry_run {
            return Ok(());
        }
        let staged =
            self.dest.staging_dir().join(format!("{}-{}.parquet.partial", self.run_id, uuid::Uuid::new_v4().simple()));
        let (run_id, now) = (self.run_id.to_string(), self.now());
        let new = blocking("upgrade", &file.key, move || {
            let job = rewrite::Job { def, key: &key, staged: &staged, upgrade_run: &run_id, written_at: now };
            rewrite::rewrite(&job, bytes)
        })
        .await?;
        let moved = match lease {
            Some(lease) => match lease.renew(self.now()).await {
                Ok(()) => self.dest.put_file(&file.key, &new.staged).await.map(drop),
                Err(e) => Err(e),
            },
            None => Ok(()),
        };
        let _ = std::fs::remove_file(&new.staged);
        moved?;
        self.observers.iter().for_each(|o| o.file_stored(def.name, &file.key));
        let manifest_key = layout::manifest_key(&file.key).expect("a data key");
        self.dest.put(&manifest_key, new.manifest.to_bytes(), PutMode::Overwrite).await?;
        self.summary.upgraded += 1;
        self.summary.rows += new.manifest.records;
        self.summary.bytes_after += new.info.bytes;
        debug!(dataset = def.name, key = %file.key, rows = new.manifest.records, "file upgraded");
        Ok(())
    }
}
