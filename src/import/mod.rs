//! `entra-archive import`: files already on disk → the archive.
//!
//! Takes files of one dataset's records and a destination, and writes them
//! into the same layout, files and manifests as `run` (records already
//! archived are skipped, so importing the same file twice adds nothing).
//! Each file is either one Graph response page (`{"value": [...]}`, also
//! pretty-printed) or JSON Lines: one record per line, a line wrapping the
//! record under `properties` (Azure Monitor diagnostic settings' `PT1H.json`
//! blobs) or a whole page per line. A malformed line is reported with its
//! file and line number and counted, never written; the rest of the file
//! goes on. Holds the dataset's lease while it writes, like a run; never
//! moves the checkpoint. Each hour cell is written once, in as few files as
//! `--file-size` allows, whatever the order of the input (`cells`: records
//! in order go straight into their files, records out of order wait in a
//! spill file in the staging area); memory is bounded by [`MAX_OPEN_CELLS`]
//! cells' batches and row groups, whatever the size or order of the input.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use tokio::runtime::Handle;

use crate::cell::{CellFiles, CellSpec, Finished, Limits};
use crate::cell_store;
use crate::datasets::DatasetDef;
use crate::destination::Destination;
use crate::error::{Error, Result};
use crate::layout;
use crate::lease::{Acquired, LEASE_TTL, Lease};
use crate::manifest::meta;
use crate::run::new_run_id;
use crate::schema::arrow_schema;

mod cells;
mod kind;
mod parse;
mod rows;
mod spill;
use cells::{Cells, Store};
use parse::{Envelope, Lines, Parsed, Parser};

/// Hour cells written at the same time; the least recently used is closed
/// when another is needed (its last file held back, or its rows spilled,
/// until the end of the import).
pub const MAX_OPEN_CELLS: usize = 2;
/// Threads parsing an input at most.
const MAX_PARSERS: usize = 4;
/// Malformed lines listed in the summary (all are counted).
const MAX_LISTED: usize = 20;
/// A file whose first line is not a whole JSON value is read as one
/// document (a pretty-printed page) if it is at most this big.
const MAX_DOCUMENT_BYTES: u64 = 512 * 1024 * 1024;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportJob {
    /// The dataset the records belong to.
    pub def: &'static DatasetDef,
    /// Tenant the records come from (part of every file name).
    pub tenant_id: String,
    /// The input files.
    pub files: Vec<PathBuf>,
    /// Batch and file sizes.
    pub limits: Limits,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    /// Dataset.
    pub dataset: String,
    /// Input files read.
    pub inputs: usize,
    /// Records found (valid ones).
    pub records: u64,
    /// Records written.
    pub imported: u64,
    /// Records the archive already held (or that came twice).
    pub duplicates: u64,
    /// Malformed lines (or documents), not written.
    pub malformed: u64,
    /// The first malformed lines: `file:line: problem`.
    pub problems: Vec<String>,
    /// Parquet files written.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Imports `job` into `dest`. Errors are about the whole import (an
/// unreadable input, the destination, the lease); malformed records are
/// counted in the summary.
pub async fn import(dest: Arc<dyn Destination>, job: ImportJob, now: DateTime<Utc>) -> Result<ImportSummary> {
    let run_id = new_run_id(now, Some("import"));
    let lease_key = layout::lease_key(&job.tenant_id, job.def.name);
    let lease = match Lease::acquire(dest.clone(), lease_key, &run_id, now, LEASE_TTL).await? {
        Acquired::Held(lease) => lease,
        Acquired::Busy { run_id, expires_at } => {
            return Err(Error::destination(
                "import",
                job.def.name,
                format!(
                    "another run ({run_id}) is writing this dataset until {expires_at} at the latest; try again then"
                ),
            ));
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_PARSERS);
    let worker = {
        let cells = Cells::new(job.def, job.limits, dest.staging_dir(), &run_id, threads);
        let summary = ImportSummary { dataset: job.def.name.to_string(), ..Default::default() };
        let store = Archive {
            dest: dest.clone(),
            def: job.def,
            tenant_id: job.tenant_id.clone(),
            limits: job.limits,
            run_id,
            lease,
            handle: Handle::current(),
            now,
            written: Written::default(),
        };
        let importer = Importer { job, threads, store, cells: Some(cells), summary };
        tokio::task::spawn_blocking(move || importer.run())
    };
    worker.await.map_err(|e| Error::destination("import", "worker", e.to_string()))?
}

struct Importer {
    job: ImportJob,
    /// Parser threads.
    threads: usize,
    store: Archive,
    /// Until they are finished.
    cells: Option<Cells>,
    summary: ImportSummary,
}

/// The archive's side of an import: what a cell holds, files moved in
/// under the lease.
struct Archive {
    dest: Arc<dyn Destination>,
    def: &'static DatasetDef,
    tenant_id: String,
    limits: Limits,
    /// Id of this import, in staged names and file metadata.
    run_id: String,
    lease: Lease,
    handle: Handle,
    now: DateTime<Utc>,
    written: Written,
}

/// What was moved in.
#[derive(Default)]
struct Written {
    files: u64,
    bytes: u64,
    rows: u64,
}

impl Importer {
    fn run(mut self) -> Result<ImportSummary> {
        let began = Instant::now();
        let outcome = self.read_all();
        let cells = self.cells.take().expect("finished once");
        // On failure the cells are dropped, their held and spill files removed.
        let outcome = outcome.and_then(|()| cells.finish(&mut self.store));
        let released = self.store.handle.block_on(self.store.lease.release(Utc::now()));
        outcome?;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release the lease; it expires by itself");
        }
        let Written { files, bytes, rows } = self.store.written;
        self.summary.files = files;
        self.summary.bytes = bytes;
        self.summary.imported = rows;
        // Every valid record was written or was held already (or came twice).
        self.summary.duplicates = self.summary.records.saturating_sub(rows);
        self.summary.seconds = began.elapsed().as_secs_f64();
        Ok(self.summary)
    }

    fn read_all(&mut self) -> Result<()> {
        for path in self.job.files.clone() {
            self.summary.inputs += 1;
            self.read_file(&path)
                .map_err(|e| Error::destination("import", path.display().to_string(), format!("cannot read: {e}")))??;
        }
        Ok(())
    }

    /// One input file. The outer error is the file's (unreadable), the
    /// inner one the destination's.
    fn read_file(&mut self, path: &Path) -> std::io::Result<Result<()>> {
        let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
        let mut head = Vec::new();
        reader.read_until(b'\n', &mut head)?;
        let first = String::from_utf8_lossy(&head);
        let first = first.trim();
        if first.starts_with(['{', '[']) && !is_whole_value(first) {
            // Perhaps a pretty-printed page: read the file as one document.
            let mut document = head;
            reader.take(MAX_DOCUMENT_BYTES).read_to_end(&mut document)?;
            return Ok(self.document(path, document));
        }
        // What the BufReader read ahead belongs to the first chunk.
        head.extend_from_slice(reader.buffer());
        let file = reader.into_inner();
        parse::parse_lines(self.job.def, head, file, Lines::Input, self.threads, |parsed| self.take(path, parsed))
    }

    /// A whole file holding one page (or an array of records), or else
    /// lines after all.
    fn document(&mut self, path: &Path, document: Vec<u8>) -> Result<()> {
        let mut parser = Parser::new(self.job.def);
        let text = match String::from_utf8(document) {
            Ok(text) => text,
            Err(e) => {
                self.malformed(path, 1, &format!("not UTF-8 text: {}", e.utf8_error()));
                return Ok(());
            }
        };
        let trimmed = text.trim();
        let records: Vec<&RawValue> = match serde_json::from_str::<Envelope>(trimmed) {
            Ok(Envelope { value: Some(records), .. }) => records,
            Ok(_) => {
                self.malformed(path, 1, "a JSON object without a \"value\" array of records");
                return Ok(());
            }
            Err(_) => match serde_json::from_str::<Vec<&RawValue>>(trimmed) {
                Ok(records) => records,
                Err(shape) if !looks_like_lines(&text) => {
                    // A page with a syntax error: where the parser stopped, and why.
                    let e = serde_json::from_str::<serde_json::Value>(trimmed).err().unwrap_or(shape);
                    let leading = text[..text.len() - text.trim_start().len()].matches('\n').count();
                    let line = (e.line() + leading) as u64;
                    self.malformed(
                        path,
                        line.max(1),
                        &format!("not valid JSON ({e}); nothing of the file was imported"),
                    );
                    return Ok(());
                }
                Err(_) => {
                    // JSON Lines whose first line is broken.
                    for (i, line) in text.lines().enumerate() {
                        parser.line(i as u64 + 1, line.trim());
                        if parser.pending() >= self.job.limits.batch_rows {
                            self.take(path, parser.take())?;
                        }
                    }
                    return self.take(path, parser.take());
                }
            },
        };
        for (i, page) in records.chunks(self.job.limits.batch_rows).enumerate() {
            parser.page(1, i * self.job.limits.batch_rows, page);
            self.take(path, parser.take())?;
        }
        Ok(())
    }

    /// Files what was parsed: malformed lines counted, rows into their
    /// cells. Keeps the lease alive, as files may be moved in only at the end.
    fn take(&mut self, path: &Path, parsed: Parsed) -> Result<()> {
        for (line, problem) in &parsed.malformed {
            self.malformed(path, *line, problem);
        }
        self.summary.records += parsed.records;
        let cells = self.cells.as_mut().expect("reading");
        if parsed.interleaved {
            cells.out_of_order();
        }
        for rows in parsed.cells {
            cells.add(&mut self.store, rows)?;
        }
        self.store.handle.block_on(self.store.lease.keep_alive(Utc::now()))
    }

    fn malformed(&mut self, path: &Path, line: u64, problem: &str) {
        self.summary.malformed += 1;
        if self.summary.problems.len() < MAX_LISTED {
            self.summary.problems.push(format!("{}:{line}: {problem}", path.display()));
        }
    }
}

impl Store for Archive {
    fn open(&mut self, cell: DateTime<Utc>) -> Result<CellFiles> {
        let def = self.def;
        let (known, seq) =
            self.handle.block_on(cell_store::contents(self.dest.as_ref(), def, cell, &self.tenant_id, self.now))?;
        let hour = (cell, cell + chrono::Duration::hours(1));
        let spec = CellSpec {
            def,
            schema: arrow_schema(def),
            cell,
            tenant_id: self.tenant_id.clone(),
            staging: self.dest.staging_dir().to_path_buf(),
            run_id: self.run_id.clone(),
            metadata: meta::pairs(def, &self.tenant_id, &self.run_id, hour, "import"),
            limits: self.limits,
        };
        Ok(CellFiles::new(spec, known, seq, self.now))
    }

    /// Moves finished files in, each after renewing the lease (so an import
    /// whose lease was taken over writes nothing), then its manifest.
    fn deliver(&mut self, finished: Vec<Finished>) -> Result<()> {
        for file in finished {
            let dest = self.dest.as_ref();
            self.handle.block_on(async {
                cell_store::store_file(dest, &mut self.lease, Utc::now(), &file).await?;
                cell_store::store_manifest(dest, &file).await
            })?;
            self.written.files += 1;
            self.written.bytes += file.info.bytes;
            self.written.rows += file.info.rows as u64;
        }
        Ok(())
    }
}

/// Whether `text` is one complete JSON value (a record on one line), as
/// opposed to the first line of a pretty-printed document.
/// Whether a text whose first line is not a whole JSON value is JSON Lines
/// after all (a broken first record): some of the next lines are whole
/// records. A pretty-printed page's lines (`"id": "…",`) never are.
fn looks_like_lines(text: &str) -> bool {
    text.lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(10)
        .any(|l| l.starts_with('{') && is_whole_value(l))
}

fn is_whole_value(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}
