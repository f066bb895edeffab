//! One slice of a window: what the cell already holds, what Graph has, and
//! the file of what is new.
//!
//! Takes a slice (part of one hour cell) and hands back whether it wrote a
//! file and whether it read the slice to its end. Reads the ids of the
//! cell's existing files first, then pages through Graph, keeping records
//! that fall inside the slice, are not archived yet and were not seen on an
//! earlier page; converts each page to Arrow at once; and writes one file,
//! sorted by time, moved into the destination only after the lease was
//! renewed, then its manifest (see `manifest`). At the deadline it stops between pages and still writes what it
//! read (the checkpoint then stays at the slice's start).

use std::collections::HashSet;
use std::pin::pin;

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use parquet::file::metadata::KeyValue;
use tracing::info;

use super::Exporter;
use crate::cell::{CellFiles, CellSpec, Finished};
use crate::checkpoint::Lease;
use crate::convert::Record;
use crate::crashpoint::AFTER_FILE;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::PutMode;
use crate::error::{Error, Result};
use crate::graph::{self, Page};
use crate::layout::{self, Slice};
use crate::manifest::{self, Manifest, meta};
use crate::summary::DatasetSummary;

/// What became of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SliceOutcome {
    /// A file was written.
    pub wrote: bool,
    /// Every page was read (false when the deadline stopped it).
    pub complete: bool,
}

impl Exporter {
    /// The row keys a cell's files hold, and the `seq` its next file gets.
    /// A file found without its manifest (a crash came between the two) gets
    /// it now, rebuilt from the file.
    pub(super) async fn cell_contents(
        &self,
        def: &'static DatasetDef,
        cell: DateTime<Utc>,
    ) -> Result<(HashSet<String>, u32)> {
        let mut ids = HashSet::new();
        let mut next_seq = 0;
        let manifests: HashSet<String> =
            self.dest.list(&layout::cell_manifest_prefix(def.name, cell)).await?.into_iter().map(|m| m.key).collect();
        for object in self.dest.list(&layout::cell_prefix(def.name, cell)).await? {
            let Some(seq) = layout::parse_seq(&object.key, def.name, cell, &self.tenant_id) else {
                continue;
            };
            next_seq = next_seq.max(seq + 1);
            let Some(file) = self.dest.get(&object.key).await? else {
                continue;
            };
            let manifest_key = layout::manifest_key(&object.key).expect("a data key");
            let key = object.key.clone();
            let read = match manifests.contains(&manifest_key) {
                true => tokio::task::spawn_blocking(move || manifest::row_keys(def, &key, file.bytes))
                    .await
                    .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??,
                false => {
                    let now = (self.clock)();
                    let (manifest, keys) =
                        tokio::task::spawn_blocking(move || Manifest::describe(def, &key, file.bytes, now))
                            .await
                            .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??;
                    self.dest.put(&manifest_key, manifest.to_bytes(), PutMode::Overwrite).await?;
                    info!(dataset = def.name, key = %object.key, "manifest written for a file that had none");
                    keys
                }
            };
            ids.extend(read);
        }
        Ok((ids, next_seq))
    }

    /// Reads one slice and writes what is new in it. The next page is
    /// fetched while the previous one is converted and written (on a
    /// blocking thread), so Graph's request slots never wait for the CPU.
    pub(super) async fn export_slice(
        &self,
        def: &'static DatasetDef,
        schema: &SchemaRef,
        slice: Slice,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
        deadline: Option<&Deadline>,
    ) -> Result<SliceOutcome> {
        let (known, seq) = self.cell_contents(def, slice.cell).await?;
        let url = graph::slice_url(self.graph.base(), def, slice.start, slice.end);
        let spec = CellSpec {
            def,
            schema: schema.clone(),
            cell: slice.cell,
            tenant_id: self.tenant_id.clone(),
            staging: self.dest.staging_dir().to_path_buf(),
            run_id: self.run_id.clone(),
            metadata: self.file_metadata(def, slice, &url),
            limits: self.limits,
        };
        let mut cell = CellFiles::new(spec, known, seq, (self.clock)());
        let (pages_out, mut pages_in) = tokio::sync::mpsc::channel::<Page>(1);
        let fetch = async move {
            let mut pages = pin!(self.graph.pages(def, url, deadline));
            while let Some(page) = pages.try_next().await? {
                let more = page.next_link.is_some();
                if pages_out.send(page).await.is_err() {
                    break;
                }
                if more && deadline.is_some_and(Deadline::reached) {
                    info!(dataset = def.name, slice = %slice.start, "deadline reached mid-slice; writing what was read");
                    return Ok(false);
                }
            }
            Ok::<_, Error>(true)
        };
        let write = async {
            let mut wrote = false;
            while let Some(page) = pages_in.recv().await {
                let finished;
                (cell, finished) = blocking(def, move || {
                    let added = add_page(&mut cell, def, slice, &page);
                    let finished = added.map(|()| cell.take_finished());
                    (cell, finished)
                })
                .await?;
                for file in finished? {
                    self.deliver(def, file, lease, summary).await?;
                    wrote = true;
                }
            }
            let finished = blocking(def, move || cell.finish()).await?;
            for file in finished? {
                self.deliver(def, file, lease, summary).await?;
                wrote = true;
            }
            Ok::<_, Error>(wrote)
        };
        let (complete, wrote) = futures::try_join!(fetch, write)?;
        Ok(SliceOutcome { wrote, complete })
    }

    /// Moves a finished file in (after renewing the lease), then its
    /// manifest; counts it.
    async fn deliver(
        &self,
        def: &'static DatasetDef,
        file: Finished,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
    ) -> Result<()> {
        let moved = match lease.renew((self.clock)()).await {
            Ok(()) => self.dest.put_file(&file.key, &file.staged).await,
            Err(e) => Err(e),
        };
        // Moved in (local) or uploaded (S3): either way the staged copy goes,
        // so a warm Lambda's /tmp never fills up with finished files.
        let _ = std::fs::remove_file(&file.staged);
        moved?;
        self.crash.hit(AFTER_FILE);
        // After the file, before the checkpoint. A crash in between leaves a
        // file without a manifest, which the next pass over the cell (it
        // re-reads the slice, as the checkpoint did not move) writes.
        let manifest_key = layout::manifest_key(&file.key).expect("a data key");
        self.dest.put(&manifest_key, file.manifest.to_bytes(), PutMode::Overwrite).await?;
        info!(dataset = def.name, key = %file.key, records = file.info.rows, bytes = file.info.bytes, "file written");
        summary.records += file.info.rows as u64;
        summary.files += 1;
        summary.bytes += file.info.bytes;
        Ok(())
    }

    fn file_metadata(&self, def: &DatasetDef, slice: Slice, url: &url::Url) -> Vec<KeyValue> {
        let pairs = [
            (meta::DATASET, def.name.to_string()),
            (meta::TENANT_ID, self.tenant_id.clone()),
            (meta::RUN_ID, self.run_id.clone()),
            (meta::SLICE_START, slice.start.to_rfc3339()),
            (meta::SLICE_END, slice.end.to_rfc3339()),
            (meta::GRAPH_QUERY, url[url::Position::BeforePath..].to_string()),
            (meta::VERSION, env!("CARGO_PKG_VERSION").to_string()),
        ];
        pairs.into_iter().map(|(k, v)| KeyValue::new(k.to_string(), v)).collect()
    }
}

/// Adds a page's records that fall inside `slice` to the cell.
fn add_page(cell: &mut CellFiles, def: &'static DatasetDef, slice: Slice, page: &Page) -> Result<()> {
    for raw in &page.records {
        let record = Record::parse(raw.get(), def.time_field)
            .map_err(|problem| Error::InvalidRecord { dataset: def.name, problem })?;
        if slice.contains(record.time) {
            cell.push(&record)?;
        }
    }
    Ok(())
}

/// Runs CPU work off the async threads.
async fn blocking<T: Send + 'static>(def: &DatasetDef, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Parquet {
        op: "encode",
        key: def.name.to_string(),
        source: e.into(),
    })
}
