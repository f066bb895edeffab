//! Rows of an hour cell set aside on local disk until the cell is written.
//!
//! Takes a cell's rows (an Arrow batch, or a staged Parquet file written for
//! the cell earlier) and appends each row's exact JSON text, one record a
//! line, to the cell's spill file in the destination's staging area; hands
//! the file back to be converted in one pass (`parse` reads it like input,
//! so each row's key and hour are derived from its text again). A spill file
//! is removed once converted and when the import fails (dropped); a crash
//! leaves it in the staging area, whose stale `.partial` files the next
//! open of the destination removes. Holds no more than one batch's text in
//! memory; never writes outside the staging area.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use chrono::{DateTime, Utc};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::schema::RAW_COLUMN;

/// Stands for a newline inside a record (one of a pretty-printed page), so
/// that every record is one line. A record's text is valid JSON, where a
/// newline is only ever whitespace between tokens and a control character
/// like this one never appears (not even inside a string).
const NEWLINE: u8 = 0x1E;
/// End of a spill file's name; `.partial`, so stale ones are cleaned up
/// like any staged file.
const SUFFIX: &str = "spill.jsonl.partial";

/// The spill files of an import, one per cell that has one.
pub(super) struct Spills {
    dir: PathBuf,
    run_id: String,
    files: HashMap<DateTime<Utc>, Spill>,
}

/// One cell's spill file; removed when dropped.
#[derive(Debug)]
pub(super) struct Spill {
    path: PathBuf,
    /// JSON bytes written (the records' text, not counting line ends).
    json_bytes: u64,
    /// File length written.
    len: u64,
    rows: u64,
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Spills {
    /// Spill files go into `dir` (the staging area), named after `run_id`.
    pub(super) fn new(dir: &Path, run_id: &str) -> Spills {
        Spills { dir: dir.to_path_buf(), run_id: run_id.to_string(), files: HashMap::new() }
    }

    /// Appends the rows of `batch` (of the dataset's schema) to `cell`'s
    /// spill file.
    pub(super) fn append(&mut self, cell: DateTime<Utc>, batch: &RecordBatch) -> Result<()> {
        let raw = batch.column_by_name(RAW_COLUMN).expect("the dataset's schema has raw").as_string::<i32>();
        self.append_raw(cell, raw)
    }

    /// Appends the rows of a Parquet file written for `cell` (staged, not
    /// moved in).
    pub(super) fn append_file(&mut self, cell: DateTime<Utc>, staged: &Path) -> Result<()> {
        let fail = |e: String| Error::Parquet { op: "read", key: staged.display().to_string(), source: e.into() };
        let file = File::open(staged).map_err(|e| fail(e.to_string()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(e.to_string()))?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), [RAW_COLUMN]);
        for batch in builder.with_projection(mask).build().map_err(|e| fail(e.to_string()))? {
            self.append(cell, &batch.map_err(|e| fail(e.to_string()))?)?;
        }
        Ok(())
    }

    fn append_raw(&mut self, cell: DateTime<Utc>, raw: &StringArray) -> Result<()> {
        if raw.is_empty() {
            return Ok(());
        }
        let offsets = raw.value_offsets();
        let json_bytes = (offsets[raw.len()] - offsets[0]) as u64;
        let mut text = Vec::with_capacity(json_bytes as usize + raw.len());
        for value in raw.iter().flatten() {
            escape_into(&mut text, value);
        }
        let spill = match self.files.get_mut(&cell) {
            Some(spill) => spill,
            None => {
                let name = format!("{}-{}-{SUFFIX}", self.run_id, cell.format("%Y%m%dT%H"));
                let spill = Spill { path: self.dir.join(name), json_bytes: 0, len: 0, rows: 0 };
                self.files.entry(cell).or_insert(spill)
            }
        };
        // The first append creates the file, a later one finds it (or fails).
        let first = spill.len == 0;
        OpenOptions::new()
            .append(true)
            .create_new(first)
            .open(&spill.path)
            .and_then(|mut file| file.write_all(&text))
            .map_err(|e| spill.error(e))?;
        spill.json_bytes += json_bytes;
        spill.len += text.len() as u64;
        spill.rows += raw.len() as u64;
        Ok(())
    }

    /// JSON bytes in `cell`'s spill file (0 if it has none).
    pub(super) fn json_bytes(&self, cell: DateTime<Utc>) -> u64 {
        self.files.get(&cell).map_or(0, |s| s.json_bytes)
    }

    /// `cell`'s spill file, handed over to be converted.
    pub(super) fn take(&mut self, cell: DateTime<Utc>) -> Option<Spill> {
        self.files.remove(&cell)
    }

    /// Cells with a spill file, oldest first.
    pub(super) fn cells(&self) -> Vec<DateTime<Utc>> {
        let mut cells: Vec<DateTime<Utc>> = self.files.keys().copied().collect();
        cells.sort();
        cells
    }
}

impl Spill {
    /// The file to read, once checked to be as this import wrote it.
    pub(super) fn open(&self) -> Result<File> {
        let file = File::open(&self.path).map_err(|e| self.error(e))?;
        let len = file.metadata().map_err(|e| self.error(e))?.len();
        if len != self.len {
            let problem = format!("{len} bytes where this import wrote {}; was it changed or cleaned up?", self.len);
            return Err(self.error(problem));
        }
        Ok(file)
    }

    /// Rows written to it.
    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// Where it is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn error(&self, problem: impl Into<crate::error::BoxError>) -> Error {
        Error::destination("spill", self.path.display().to_string(), problem)
    }
}

/// Appends `raw` and a line end to `out`, its own newlines as [`NEWLINE`].
fn escape_into(out: &mut Vec<u8>, raw: &str) {
    let start = out.len();
    out.extend_from_slice(raw.as_bytes());
    if memchr::memchr(b'\n', raw.as_bytes()).is_some() {
        out[start..].iter_mut().filter(|b| **b == b'\n').for_each(|b| *b = NEWLINE);
    }
    out.push(b'\n');
}

/// A spilled line (without its line end) → the record's exact text.
pub(super) fn unescape(line: &[u8]) -> Cow<'_, [u8]> {
    match memchr::memchr(NEWLINE, line) {
        None => Cow::Borrowed(line),
        Some(_) => Cow::Owned(line.iter().map(|&b| if b == NEWLINE { b'\n' } else { b }).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use crate::encode::write_file;
    use crate::testing::t;

    fn lines_of(path: &Path) -> Vec<String> {
        let text = std::fs::read(path).unwrap();
        text.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8(unescape(l).into_owned()).unwrap())
            .collect()
    }

    #[test]
    fn records_spill_one_a_line_exactly_and_are_removed_when_dropped() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let hour = t("2026-11-20T01:00:00Z");
        let plain = r#"{"id":"a","createdDateTime":"2026-11-20T01:10:00Z"}"#;
        let pretty =
            "{\n  \"id\": \"b\",\r\n  \"createdDateTime\": \"2026-11-20T01:20:00Z\",\n  \"note\": \"x\\ny\"\n}";
        let mut spills = Spills::new(dir.path(), "run");
        spills.append(hour, &batch_of(def, &[plain, pretty])).unwrap();
        // A staged Parquet file of the cell: its rows join the spill.
        let staged = dir.path().join("held.parquet.partial");
        let third = r#"{"id":"c","createdDateTime":"2026-11-20T01:30:00Z"}"#;
        write_file(&staged, &[batch_of(def, &[third])], vec![]).unwrap();
        spills.append_file(hour, &staged).unwrap();

        assert_eq!(spills.cells(), [hour]);
        assert_eq!(spills.json_bytes(hour), (plain.len() + pretty.len() + third.len()) as u64);
        let spill = spills.take(hour).unwrap();
        assert_eq!(spill.rows(), 3);
        assert!(spill.path().file_name().unwrap().to_str().unwrap().ends_with(".partial"), "cleaned up after a crash");
        assert_eq!(lines_of(spill.path()), [plain, pretty, third], "one a line, byte for byte");
        spill.open().unwrap();
        let path = spill.path().to_path_buf();
        drop(spill);
        assert!(!path.exists(), "removed once converted (or on failure)");
        assert!(spills.take(hour).is_none());
    }

    #[test]
    fn a_spill_file_changed_under_the_import_is_refused() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let hour = t("2026-11-20T01:00:00Z");
        let mut spills = Spills::new(dir.path(), "run");
        let batch = batch_of(def, &[r#"{"id":"a","createdDateTime":"2026-11-20T01:10:00Z"}"#]);
        spills.append(hour, &batch).unwrap();
        let path = spills.files[&hour].path.clone();
        // Cleaned up by someone else: the next append fails, never starts afresh.
        std::fs::remove_file(&path).unwrap();
        let e = spills.append(hour, &batch).unwrap_err().to_string();
        assert!(e.contains("spill") && e.contains(path.to_str().unwrap()), "{e}");
        std::fs::write(&path, "").unwrap();
        let e = spills.take(hour).unwrap().open().unwrap_err().to_string();
        assert!(e.contains("was it changed"), "{e}");
    }
}
