//! One slice of a window: what the cell already holds, what Graph has, and
//! the file of what is new.
//!
//! Takes a slice (part of one hour cell) and hands back whether it wrote a
//! file and whether it read the slice to its end. Reads the ids of the
//! cell's existing files first, then pages through Graph, keeping records
//! that fall inside the slice, are not archived yet and were not seen on an
//! earlier page; converts each page into Arrow builders on a blocking thread
//! while the next page is being fetched; writes files row group by row
//! group, closed at the configured size (see `cell`), each moved into the
//! destination only after the lease was renewed, then its manifest (see
//! `manifest`). At the deadline it stops between pages and still writes what
//! it read (the checkpoint then stays at the slice's start).

use std::pin::pin;

use arrow::datatypes::SchemaRef;
use futures::TryStreamExt;
use tracing::info;

use super::Exporter;
use crate::cell::{self, CellFiles, CellSpec, Finished};
use crate::checkpoint::Lease;
use crate::convert::Record;
use crate::crashpoint::AFTER_FILE;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::graph::{self, Page};
use crate::layout::Slice;
use crate::manifest::meta;
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
        let (known, seq) = cell::contents(self.dest.as_ref(), def, slice.cell, &self.tenant_id, (self.clock)()).await?;
        let url = graph::slice_url(self.graph.base(), def, slice.start, slice.end);
        let spec = CellSpec {
            def,
            schema: schema.clone(),
            cell: slice.cell,
            tenant_id: self.tenant_id.clone(),
            staging: self.dest.staging_dir().to_path_buf(),
            run_id: self.run_id.clone(),
            metadata: meta::pairs(
                def.name,
                &self.tenant_id,
                &self.run_id,
                (slice.start, slice.end),
                &url[url::Position::BeforePath..],
            ),
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
            loop {
                // `None`: every page was read, so the cell's last file closes.
                let page = pages_in.recv().await;
                let last = page.is_none();
                let finished;
                (cell, finished) = blocking(def, move || {
                    let finished = match page {
                        Some(page) => add_page(&mut cell, def, slice, &page).map(|()| cell.take_finished()),
                        None => cell.finish(),
                    };
                    (cell, finished)
                })
                .await?;
                for file in finished? {
                    self.deliver(def, file, lease, summary).await?;
                    wrote = true;
                }
                if last {
                    return Ok::<_, Error>(wrote);
                }
            }
        };
        let (complete, wrote) = futures::try_join!(fetch, write)?;
        Ok(SliceOutcome { wrote, complete })
    }

    /// Moves a finished file in, then its manifest; counts it.
    async fn deliver(
        &self,
        def: &'static DatasetDef,
        file: Finished,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
    ) -> Result<()> {
        let info = file.info.clone();
        let key = file.key.clone();
        cell::deliver(self.dest.as_ref(), lease, (self.clock)(), file, || self.crash.hit(AFTER_FILE)).await?;
        info!(dataset = def.name, key = %key, records = info.rows, bytes = info.bytes, "file written");
        summary.records += info.rows as u64;
        summary.files += 1;
        summary.bytes += info.bytes;
        Ok(())
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
