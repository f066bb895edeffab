//! One slice of a window: what the cell already holds, what Graph has, and
//! the files of what is new.
//!
//! Takes a slice (part of one hour cell) and hands back whether it wrote a
//! file and whether it read the slice to its end. Reads the row keys of the
//! cell's existing files first (`cell_store`), then pages through Graph,
//! keeping records that fall inside the slice, are not archived yet and were
//! not seen on an earlier page; converts each page into Arrow builders on a
//! blocking thread while the next page is being fetched; writes files row
//! group by row group, closed at the configured size (see `cell`), each
//! moved into the destination only after the lease was renewed, then its
//! manifest. At the deadline it stops between pages and still writes what it
//! read (the checkpoint then stays at the slice's start). The requests the
//! pages took are added to the dataset's summary, whatever happened.

use tracing::info;

use super::pass::Pass;
use crate::cell::{CellFiles, CellSpec, Finished};
use crate::cell_store;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::graph::{self, Page, RequestStats};
use crate::layout::Slice;
use crate::manifest::meta;
use crate::quarantine::{self, Rejected};
use crate::record::Record;

/// What the reading hands the writing.
enum Read {
    /// The next page.
    Page(Page),
    /// Every page was read (`complete`), or the deadline stopped the reading.
    End {
        /// Whether the slice was read to its end.
        complete: bool,
    },
}

/// What became of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SliceOutcome {
    /// A file was written.
    pub(super) wrote: bool,
    /// Every page was read (false when the deadline stopped it).
    pub(super) complete: bool,
}

impl Pass<'_, '_> {
    /// Reads one slice and writes what is new in it. The next page is
    /// fetched while the previous one is converted and written (on a
    /// blocking thread), so Graph's request slots never wait for the CPU.
    pub(super) async fn slice(&mut self, slice: Slice) -> Result<SliceOutcome> {
        let (def, run) = (self.def, self.run);
        let contents = cell_store::read(run.dest.as_ref(), def, slice.cell, run.tenant_id, run.now()).await?;
        for aside in &contents.quarantined {
            self.summary.quarantined += 1;
            self.summary.warnings.push(format!(
                "an unreadable data file was moved to {aside}; its records are read again from Graph (while Graph still holds them)"
            ));
        }
        for (key, rows) in &contents.adopted {
            self.ledger.file(key, *rows);
        }
        let (known, seq) = (contents.keys, contents.next_seq);
        let graph = &run.services.graph;
        let url = graph::slice_url(graph.base(), def, slice.start, slice.end);
        let page_path = url[url::Position::BeforePath..url::Position::AfterPath].to_string();
        let spec = CellSpec {
            def,
            schema: self.schema.clone(),
            cell: slice.cell,
            tenant_id: run.tenant_id.to_string(),
            staging: run.dest.staging_dir().to_path_buf(),
            run_id: run.run_id.clone(),
            metadata: meta::pairs(
                def,
                run.tenant_id,
                &run.run_id,
                (slice.start, slice.end),
                &url[url::Position::BeforePath..],
            ),
            limits: run.services.config.file_limits,
        };
        let mut cell = CellFiles::new(spec, known, seq, run.now());
        let (pages_out, mut pages_in) = tokio::sync::mpsc::channel::<Read>(1);
        let deadline = self.deadline;
        let mut requests = RequestStats::default();
        // The reading: pages into the channel, then how it ended. An error
        // closes the channel without an end.
        let fetch = async {
            let pages_out = pages_out;
            let mut pages = graph.pages(def, url, deadline.as_ref(), &mut requests);
            let mut complete = true;
            while let Some(page) = pages.next().await? {
                let more = page.next_link.is_some();
                if pages_out.send(Read::Page(page)).await.is_err() {
                    return Ok(());
                }
                if more && deadline.as_ref().is_some_and(Deadline::reached) {
                    info!(dataset = def.name, slice = %slice.start, "deadline reached mid-slice; writing what was read");
                    complete = false;
                    break;
                }
            }
            let _ = pages_out.send(Read::End { complete }).await;
            Ok::<_, Error>(())
        };
        // The writing: each page into the cell, files moved in as they close;
        // at the end the cell's last file. `None` if the reading failed.
        let write = async {
            let mut wrote = false;
            while let Some(read) = pages_in.recv().await {
                let end = match read {
                    Read::Page(_) => None,
                    Read::End { complete } => Some(complete),
                };
                let done;
                (cell, done) = blocking(def, move || {
                    let done = match read {
                        Read::Page(page) => {
                            add_page(&mut cell, def, slice, page).map(|bad| (cell.take_finished(), bad))
                        }
                        Read::End { .. } => cell.finish().map(|files| (files, Vec::new())),
                    };
                    (cell, done)
                })
                .await?;
                let (finished, rejected) = done?;
                for bad in rejected {
                    self.quarantine(&bad, &page_path).await?;
                }
                for file in finished {
                    self.deliver(file).await?;
                    wrote = true;
                }
                if let Some(complete) = end {
                    return Ok::<_, Error>(Some(SliceOutcome { wrote, complete }));
                }
            }
            Ok(None)
        };
        // The writing is never dropped halfway (a file moved in without its
        // manifest, a lease renewed without knowing it): when the reading
        // fails, the writing stops at its next page. The reading may be
        // dropped at any point (it only reads).
        let (fetched, written) = {
            tokio::pin!(fetch, write);
            tokio::select! {
                biased;
                fetched = &mut fetch => (Some(fetched), (&mut write).await),
                written = &mut write => (None, written),
            }
        };
        self.count(requests);
        match (written?, fetched) {
            (Some(outcome), _) => Ok(outcome),
            (None, Some(Err(e))) => Err(e),
            (None, _) => unreachable!("the writing only ends early when the reading failed"),
        }
    }

    /// Keeps a record the archive cannot take aside and says so in the
    /// summary (the run then exits 3), unless it was kept before.
    async fn quarantine(&mut self, bad: &Rejected, source: &str) -> Result<()> {
        let (dest, def, tenant) = (self.run.dest.as_ref(), self.def, self.run.tenant_id);
        if quarantine::record(dest, def, tenant, bad, source, self.run.now()).await? {
            self.summary.quarantined += 1;
            let warning = format!("a record was kept aside in _quarantine/{}/: {}", def.name, bad.reason);
            if !self.summary.warnings.contains(&warning) {
                self.summary.warnings.push(warning);
            }
        }
        Ok(())
    }

    fn count(&mut self, requests: RequestStats) {
        self.summary.pages += requests.pages;
        self.summary.throttled += requests.throttled;
        self.summary.retries += requests.retries;
    }

    /// Moves a finished file in (after renewing the lease, so a run whose
    /// lease was taken over writes nothing), then its manifest; counts it.
    pub(super) async fn deliver(&mut self, file: Finished) -> Result<()> {
        let dest = self.run.dest.as_ref();
        cell_store::store_file(dest, &mut self.lease, self.run.now(), &file).await?;
        self.run.tell(|o| o.file_stored(self.def.name, &file.key));
        cell_store::store_manifest(dest, &file).await?;
        self.ledger.file(&file.key, file.info.rows as u64);
        info!(dataset = self.def.name, key = %file.key, records = file.info.rows, bytes = file.info.bytes, "file written");
        self.summary.records += file.info.rows as u64;
        self.summary.files += 1;
        self.summary.bytes += file.info.bytes;
        Ok(())
    }
}

/// Adds a page's records that fall inside `slice` to the cell; hands back
/// those the archive cannot take (no string `id`, no valid time, not UTF-8),
/// for quarantine.
fn add_page(cell: &mut CellFiles, def: &'static DatasetDef, slice: Slice, page: Page) -> Result<Vec<Rejected>> {
    let mut rejected = page.rejected;
    for raw in &page.records {
        match Record::of(raw.get(), def) {
            Ok(record) if slice.contains(record.time) => {
                cell.push(&record)?;
            }
            Ok(_) => {}
            Err(reason) => rejected.push(Rejected { bytes: raw.get().as_bytes().to_vec(), reason }),
        }
    }
    Ok(rejected)
}

/// Runs CPU work off the async threads.
async fn blocking<T: Send + 'static>(def: &DatasetDef, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Parquet {
        op: "encode",
        key: def.name.to_string(),
        source: e.into(),
    })
}
