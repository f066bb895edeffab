//! One Graph query of a window: `[start, end)`, as many hour cells as it
//! spans, read in one `@odata.nextLink` chain.
//!
//! Pages are fetched while the previous one is written. Each page's records
//! are routed to their cells (hour files; layout and names unchanged): a
//! cell is opened when its first record comes — what its files already hold
//! is read then (`cell_store`), so nothing is written twice — and a few are
//! kept open at once, the least recently used finished and moved in when
//! another is needed. Graph sends records newest first, so each cell is
//! opened once; records out of that order only cost an extra file. While its
//! first pages come back full the query may be found too wide for the pages
//! it may take (`sizing`): it ends there, what was read is written
//! all the same, and the pass re-plans. At the deadline it stops between
//! pages and writes what it read. Every file is moved in after the lease
//! was renewed, then its manifest. The requests made are added to the
//! dataset's summary, whatever happened.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tracing::{debug, info};

use super::pass::Pass;
use super::sizing::{self, Sizer};
use crate::cell::{CellFiles, CellSpec, Finished};
use crate::cell_store;
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::error::{Error, Result, blocking};
use crate::graph::{self, Page, RequestStats};
use crate::layout;
use crate::manifest::meta;
use crate::quarantine::{self, Rejected};
use crate::record::Record;
use crate::summary::Window;

/// Cells open at once in a query.
const MAX_OPEN_CELLS: usize = 3;

/// How a query ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QueryEnd {
    /// Every page was read: `records` of the span were returned, and the
    /// fullest page with more to come held `full_page` records.
    Complete { records: u64, full_page: Option<u32> },
    /// The deadline (or a stop) came first; what was read is written.
    Stopped,
    /// The first page showed the query would take too many pages; what was
    /// read is written, and the sizer knows the density now.
    TooWide,
}

/// What the reading hands the writing.
enum Read {
    Page(Page),
    End(QueryEnd),
}

/// The cells a query has open, least recently used first.
struct OpenCells {
    spec: CellSpec,
    open: Vec<(DateTime<Utc>, CellFiles)>,
}

impl Pass<'_, '_> {
    /// Reads `span` in one query and writes what is new in it.
    /// `time_left` (when the run has a deadline) and the time a request
    /// takes (the budget's, or what the pages took if longer) bound the
    /// pages it may take.
    pub(super) async fn query(
        &mut self,
        span: Window,
        sizer: &mut Sizer,
        time_left: Option<Duration>,
    ) -> Result<QueryEnd> {
        let (def, run) = (self.def, self.run);
        let graph = &run.services.graph;
        let url = graph::slice_url(graph.base(), def, span.start, span.end);
        let page_path = url[url::Position::BeforePath..url::Position::AfterPath].to_string();
        let spec = CellSpec {
            def,
            schema: self.schema.clone(),
            cell: span.start,
            tenant_id: run.tenant_id.to_string(),
            staging: run.dest.staging_dir().to_path_buf(),
            run_id: run.run_id.clone(),
            metadata: meta::pairs(
                def,
                run.tenant_id,
                &run.run_id,
                (span.start, span.end),
                &url[url::Position::BeforePath..],
            ),
            limits: run.services.config.file_limits,
        };
        let (pages_out, mut pages_in) = tokio::sync::mpsc::channel::<Read>(1);
        let deadline = self.deadline;
        let mut requests = RequestStats::default();
        let budget_per_page = self.per_page();
        let started = Instant::now();
        let mut page_time = None;
        // The reading: pages into the channel, then how it ended. An error
        // closes the channel without an end.
        let fetch = async {
            let pages_out = pages_out;
            let mut chain = graph.pages(def, url, deadline.as_ref(), &mut requests);
            let mut end = None;
            // Pages read, the oldest record of the span they held, and the
            // fullest page with more to come.
            let (mut read, mut oldest, mut full_page) = (0, span.end, None);
            loop {
                let page = match chain.next().await {
                    Ok(Some(page)) => page,
                    Ok(None) => break,
                    // Out of time, or asked to stop: what was read is written.
                    Err(e @ (Error::Stopped | Error::OutOfTime { .. })) => {
                        info!(dataset = def.name, start = %span.start, reason = %e, "stopping mid-query; writing what was read");
                        end = Some(QueryEnd::Stopped);
                        break;
                    }
                    Err(e) => return Err(e),
                };
                let more = page.next_link.is_some();
                if more {
                    let len = u32::try_from(page.records.len()).unwrap_or(u32::MAX);
                    full_page = full_page.max(Some(len));
                }
                read += 1;
                let took = started.elapsed() / read;
                page_time = Some(took);
                let pages = sizing::pages_allowed(time_left, budget_per_page.max(took));
                oldest = oldest_in(def, &page, span).map_or(oldest, |t| t.min(oldest));
                // Pages without a record of the span say nothing of its density.
                let dense = more && oldest < span.end;
                let too_wide = dense && sizer.too_wide(span.end - span.start, span.end - oldest, read, pages);
                if pages_out.send(Read::Page(page)).await.is_err() {
                    return Ok(());
                }
                if too_wide {
                    debug!(dataset = def.name, start = %span.start, "query too wide for its pages; re-planning");
                    end = Some(QueryEnd::TooWide);
                    break;
                }
                if more && deadline.as_ref().is_some_and(Deadline::reached) {
                    info!(dataset = def.name, start = %span.start, "deadline reached mid-query; writing what was read");
                    end = Some(QueryEnd::Stopped);
                    break;
                }
            }
            let end = end.unwrap_or(QueryEnd::Complete { records: 0, full_page });
            let _ = pages_out.send(Read::End(end)).await;
            Ok::<_, Error>(())
        };
        // The writing: each page's records into their cells, files moved in
        // as they close; at the end every cell's last file.
        let write = async {
            let mut cells = OpenCells { spec, open: Vec::new() };
            let mut records = 0;
            while let Some(read) = pages_in.recv().await {
                match read {
                    Read::Page(page) => records += self.write_page(&mut cells, span, page, &page_path).await?,
                    Read::End(end) => {
                        while !cells.open.is_empty() {
                            self.close_cell(&mut cells, 0).await?;
                        }
                        return Ok::<_, Error>(Some(match end {
                            QueryEnd::Complete { full_page, .. } => QueryEnd::Complete { records, full_page },
                            other => other,
                        }));
                    }
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
        self.page_time = page_time.or(self.page_time);
        match (written?, fetched) {
            (Some(end), _) => Ok(end),
            (None, Some(Err(e))) => Err(e),
            (None, _) => unreachable!("the writing only ends early when the reading failed"),
        }
    }

    /// One page: its records of `span` into their cells, those the archive
    /// cannot take into quarantine. Answers how many records of the span
    /// it held.
    async fn write_page(&mut self, cells: &mut OpenCells, span: Window, page: Page, source: &str) -> Result<u64> {
        let def = self.def;
        let (runs, mut rejected) = runs_of(def, &page, span);
        rejected.extend(page.rejected.iter().cloned());
        for bad in &rejected {
            self.quarantine(bad, source).await?;
        }
        let page = Arc::new(page);
        let mut records = 0;
        for (cell, rows) in runs {
            records += rows.len() as u64;
            let at = self.open_cell(cells, cell).await?;
            let (_, mut files) = cells.open.remove(at);
            let page = page.clone();
            let (files, finished) = blocking("encode", def.name, move || {
                let pushed = rows.iter().try_for_each(|&i| {
                    let record = Record::of(page.records[i].get(), def).expect("parsed when routed");
                    files.push(&record).map(drop)
                });
                let finished = pushed.map(|()| files.take_finished());
                Ok((files, finished))
            })
            .await?;
            cells.open.push((cell, files));
            for file in finished? {
                self.deliver(file).await?;
            }
        }
        Ok(records)
    }

    /// The position of `cell` among the open cells (most recently used
    /// last), opened if need be: what its files hold is read first, and the
    /// least recently used cell is closed to make room.
    async fn open_cell(&mut self, cells: &mut OpenCells, cell: DateTime<Utc>) -> Result<usize> {
        if let Some(at) = cells.open.iter().position(|(c, _)| *c == cell) {
            let used = cells.open.remove(at);
            cells.open.push(used);
            return Ok(cells.open.len() - 1);
        }
        if cells.open.len() >= MAX_OPEN_CELLS {
            self.close_cell(cells, 0).await?;
        }
        let (def, run) = (self.def, self.run);
        let contents = cell_store::read(run.dest.as_ref(), def, cell, run.tenant_id, run.now(), &self.settled).await?;
        for aside in &contents.quarantined {
            self.summary.quarantined += 1;
            self.summary.warnings.push(format!(
                "an unreadable data file was moved to {aside}; its records are read again from Graph (while Graph still holds them)"
            ));
        }
        for (key, rows) in &contents.files {
            self.ledger.file(key, *rows);
        }
        let spec = CellSpec { cell, ..cells.spec.clone() };
        cells.open.push((cell, CellFiles::new(spec, contents.keys, contents.next_seq, run.now())));
        Ok(cells.open.len() - 1)
    }

    /// Finishes the open cell at `at` and moves its last files in.
    async fn close_cell(&mut self, cells: &mut OpenCells, at: usize) -> Result<()> {
        let (_, mut files) = cells.open.remove(at);
        let finished = blocking("encode", self.def.name, move || files.finish()).await?;
        for file in finished {
            self.deliver(file).await?;
        }
        Ok(())
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
        self.query_files.push(file.key.clone());
        debug!(dataset = self.def.name, key = %file.key, records = file.info.rows, bytes = file.info.bytes, "file written");
        self.summary.records += file.info.rows as u64;
        self.summary.files += 1;
        self.summary.bytes += file.info.bytes;
        Ok(())
    }
}

/// A cell, and the positions in a page of consecutive records of it.
type CellRun = (DateTime<Utc>, Vec<usize>);

/// A page's records of `span`, by cell in the order they come (each run a
/// cell's consecutive records, by position in the page), and those the
/// archive cannot take (no string key, no valid time).
fn runs_of(def: &DatasetDef, page: &Page, span: Window) -> (Vec<CellRun>, Vec<Rejected>) {
    let mut runs: Vec<CellRun> = Vec::new();
    let mut rejected = Vec::new();
    for (i, raw) in page.records.iter().enumerate() {
        match Record::of(raw.get(), def) {
            Ok(record) if span.start <= record.time && record.time < span.end => {
                let cell = layout::cell_of(record.time);
                match runs.last_mut() {
                    Some((c, rows)) if *c == cell => rows.push(i),
                    _ => runs.push((cell, vec![i])),
                }
            }
            Ok(_) => {}
            Err(reason) => rejected.push(Rejected { bytes: raw.get().as_bytes().to_vec(), reason }),
        }
    }
    (runs, rejected)
}

/// The oldest time among a page's records of `span`.
fn oldest_in(def: &DatasetDef, page: &Page, span: Window) -> Option<DateTime<Utc>> {
    let times = page.records.iter().filter_map(|raw| Record::of(raw.get(), def).ok().map(|r| r.time));
    times.filter(|t| span.start <= *t && *t < span.end).min()
}
