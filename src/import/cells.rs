//! An import's hour cells, written once whatever the order of the input.
//!
//! Takes each chunk's rows per hour cell (their row keys and an Arrow
//! batch) and hands finished Parquet files to a [`Store`] to move in: as
//! few per cell as `--file-size` allows, however often the input comes back
//! to a cell. Input in order takes the fast path: the [`MAX_OPEN_CELLS`]
//! cells last used are written straight into their files, and a cell closed
//! to make room keeps its last file staged (held back, not moved in) in case
//! more of it comes. When more does come, the input is out of order: that
//! file's rows, and every later row of the cell, go to the cell's spill file
//! (`spill`), written into the cell's files in one pass at the end, or as
//! soon as it holds a file's worth of JSON. Memory holds the open cells'
//! batches and row groups and one conversion's chunks, never a whole cell;
//! deduplication is `cell`'s, against what the archive holds and what came
//! before, whenever the rows are written.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use chrono::{DateTime, Utc};

use crate::cell::{CellFiles, Finished, Limits};
use crate::datasets::DatasetDef;
use crate::error::Result;
use crate::schema::RAW_COLUMN;

use super::MAX_OPEN_CELLS;
use super::parse::{self, Lines};
use super::rows::CellRows;
use super::spill::Spills;

/// Parquet bytes of held-back files after which the oldest is moved in
/// (its cell then gets a file more if the input comes back to it), so that
/// ordered input does not keep a whole import in the staging area.
const HELD_BYTES: u64 = 256 * 1024 * 1024;

/// What the cells need of the archive.
pub(super) trait Store {
    /// A cell's files, knowing the row keys the archive holds of it and
    /// numbered after its files.
    fn open(&mut self, cell: DateTime<Utc>) -> Result<CellFiles>;
    /// Moves finished files in.
    fn deliver(&mut self, files: Vec<Finished>) -> Result<()>;
}

/// Where a cell is.
enum State {
    /// Among the last used: its rows go into its files, once enough have
    /// come to be worth a file (until then they wait here).
    Open(Box<Open>),
    /// Closed to make room, its last file held back.
    Held(Box<Finished>),
    /// Come back to after it was closed: its rows wait in its spill file.
    Spilled,
    /// Closed, every file moved in.
    Done,
}

#[derive(Default)]
struct Open {
    waiting: Vec<(Vec<String>, RecordBatch)>,
    rows: usize,
    json_bytes: u64,
    files: Option<CellFiles>,
}

/// What becomes of a converted cell's last file.
#[derive(Clone, Copy)]
enum Last {
    Hold,
    Deliver,
}

/// The cells of one import.
pub(super) struct Cells {
    def: &'static DatasetDef,
    limits: Limits,
    /// Parser threads converting a spill file.
    threads: usize,
    states: HashMap<DateTime<Utc>, State>,
    /// Open cells by last use, oldest first.
    recent: Vec<DateTime<Utc>>,
    /// Held cells by when they were closed, oldest first.
    held: VecDeque<DateTime<Utc>>,
    held_bytes: u64,
    held_limit: u64,
    /// Whether a closed cell was come back to: from then on a cell closed
    /// before it was worth a file is spilled rather than written small.
    unordered: bool,
    spills: Spills,
}

impl Drop for Cells {
    /// Held files of an import that failed are removed (spill files remove
    /// themselves).
    fn drop(&mut self) {
        for state in self.states.values() {
            if let State::Held(file) = state {
                let _ = std::fs::remove_file(&file.staged);
            }
        }
    }
}

impl Cells {
    /// Cells of `def`, spilling into `staging` under names starting with
    /// `run_id`; spill files are converted on `threads` parsers.
    pub(super) fn new(def: &'static DatasetDef, limits: Limits, staging: &Path, run_id: &str, threads: usize) -> Cells {
        Cells {
            def,
            limits,
            threads: threads.max(1),
            states: HashMap::new(),
            recent: Vec::new(),
            held: VecDeque::new(),
            held_bytes: 0,
            held_limit: HELD_BYTES,
            unordered: false,
            spills: Spills::new(staging, run_id),
        }
    }

    /// Notes that the input is out of order (before its rows are added).
    pub(super) fn out_of_order(&mut self) {
        self.unordered = true;
    }

    /// Adds rows of a cell.
    pub(super) fn add(&mut self, store: &mut impl Store, rows: CellRows) -> Result<()> {
        let cell = rows.cell;
        match self.states.get(&cell) {
            None => {
                while self.recent.len() >= MAX_OPEN_CELLS {
                    let oldest = self.recent.remove(0);
                    self.close(store, oldest)?;
                }
                self.states.insert(cell, State::Open(Box::default()));
                self.recent.push(cell);
            }
            Some(State::Open(_)) => {
                if self.recent.last() != Some(&cell) {
                    self.recent.retain(|c| *c != cell);
                    self.recent.push(cell);
                }
            }
            Some(_) => {
                self.unordered = true;
                return self.spill(store, &rows);
            }
        }
        let Some(State::Open(open)) = self.states.get_mut(&cell) else { unreachable!("opened above") };
        open.rows += rows.len();
        open.json_bytes += rows.json_bytes();
        open.waiting.push(rows.into_batch());
        if open.files.is_some() || open.rows >= self.limits.batch_rows || open.json_bytes >= self.limits.file_bytes {
            write_waiting(store, cell, open)?;
        }
        Ok(())
    }

    /// Writes every cell, moving each one's last file in.
    pub(super) fn finish(mut self, store: &mut impl Store) -> Result<()> {
        for cell in std::mem::take(&mut self.recent) {
            if let Some(State::Open(mut open)) = self.states.insert(cell, State::Done) {
                write_waiting(store, cell, &mut open)?;
                store.deliver(open.files.expect("written above").finish()?)?;
            }
        }
        while let Some(cell) = self.held.pop_front() {
            self.deliver_held(store, cell)?;
        }
        for cell in self.spills.cells() {
            self.convert(store, cell, Last::Deliver)?;
        }
        Ok(())
    }

    /// Closes an open cell to make room: its last file held back, or (in
    /// unordered input, if it never got as far as a file) its rows spilled.
    fn close(&mut self, store: &mut impl Store, cell: DateTime<Utc>) -> Result<()> {
        let Some(State::Open(mut open)) = self.states.remove(&cell) else { return Ok(()) };
        if open.files.is_none() && self.unordered {
            for (_, batch) in &open.waiting {
                self.spills.append(cell, raws(batch))?;
            }
            self.states.insert(cell, State::Spilled);
            return Ok(());
        }
        write_waiting(store, cell, &mut open)?;
        let finished = open.files.expect("written above").finish()?;
        self.hold_last(store, cell, finished)
    }

    /// Rows of a cell closed before: into its spill file, with its held
    /// file's rows; converted once they make a file's worth.
    fn spill(&mut self, store: &mut impl Store, rows: &CellRows) -> Result<()> {
        let cell = rows.cell;
        if let Some(State::Held(file)) = self.states.insert(cell, State::Spilled) {
            self.held.retain(|c| *c != cell);
            self.held_bytes -= file.info.bytes;
            let spilled = self.spills.append_file(cell, &file.staged);
            let _ = std::fs::remove_file(&file.staged);
            spilled?;
        }
        self.spills.append(cell, rows.raws())?;
        if self.spills.json_bytes(cell) >= self.limits.file_bytes {
            self.convert(store, cell, Last::Hold)?;
        }
        Ok(())
    }

    /// Writes a cell's spill file into its files in one pass, and removes it.
    fn convert(&mut self, store: &mut impl Store, cell: DateTime<Utc>, last: Last) -> Result<()> {
        let Some(spill) = self.spills.take(cell)? else { return Ok(()) };
        let mut files = store.open(cell)?;
        let input = spill.open()?;
        let read = parse::parse_lines(self.def, Vec::new(), input, Lines::Spilled, self.threads, |parsed| {
            if let Some((line, problem)) = parsed.malformed.first() {
                return Err(spill.error(format!("line {line} no longer reads as a record: {problem}")));
            }
            for rows in parsed.cells {
                debug_assert_eq!(rows.cell, cell, "a spill file holds one cell's records");
                let (keys, batch) = rows.into_batch();
                files.push_batch(keys, batch)?;
                store.deliver(files.take_finished())?;
            }
            Ok(())
        });
        read.map_err(|e| spill.error(e))??;
        let finished = files.finish()?;
        tracing::debug!(%cell, rows = spill.rows(), path = %spill.path().display(), "spilled rows written");
        drop(spill);
        match last {
            Last::Deliver => {
                self.states.insert(cell, State::Done);
                store.deliver(finished)
            }
            Last::Hold => self.hold_last(store, cell, finished),
        }
    }

    /// Moves a cell's finished files in but the last, which is held back
    /// (the oldest held files moved in if there are too many).
    fn hold_last(&mut self, store: &mut impl Store, cell: DateTime<Utc>, mut finished: Vec<Finished>) -> Result<()> {
        let last = finished.pop();
        store.deliver(finished)?;
        let Some(last) = last else {
            self.states.insert(cell, State::Done);
            return Ok(());
        };
        self.held_bytes += last.info.bytes;
        self.held.push_back(cell);
        self.states.insert(cell, State::Held(Box::new(last)));
        while self.held_bytes > self.held_limit
            && let Some(oldest) = self.held.pop_front()
        {
            self.deliver_held(store, oldest)?;
        }
        Ok(())
    }

    fn deliver_held(&mut self, store: &mut impl Store, cell: DateTime<Utc>) -> Result<()> {
        if let Some(State::Held(file)) = self.states.insert(cell, State::Done) {
            self.held_bytes -= file.info.bytes;
            store.deliver(vec![*file])?;
        }
        Ok(())
    }
}

/// Writes an open cell's waiting rows into its files (opened if need be),
/// moving in those that are full.
fn write_waiting(store: &mut impl Store, cell: DateTime<Utc>, open: &mut Open) -> Result<()> {
    let files = match &mut open.files {
        Some(files) => files,
        None => open.files.insert(store.open(cell)?),
    };
    for (keys, batch) in open.waiting.drain(..) {
        files.push_batch(keys, batch)?;
        store.deliver(files.take_finished())?;
    }
    Ok(())
}

/// The JSON text of a batch's rows.
fn raws(batch: &RecordBatch) -> impl Iterator<Item = &str> {
    batch.column_by_name(RAW_COLUMN).expect("the dataset's schema has raw").as_string::<i32>().iter().flatten()
}

#[cfg(test)]
mod tests;
