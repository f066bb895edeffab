//! Rows of an hour cell set aside on local disk until the cell is written.
//!
//! Takes a cell's rows (an Arrow batch, or a staged Parquet file written for
//! the cell earlier) and appends each row's exact JSON text, one record a
//! line, to the cell's spill file in the destination's staging area; hands
//! the file back to be converted in one pass (`parse` reads it like input,
//! so each row's key and hour are derived from its text again). A spill file
//! is removed once converted and when the import fails (dropped); a crash
//! leaves it in the staging area, whose stale `.partial` files the next
//! open of the destination removes. Text is written in pieces of
//! [`FLUSH_BYTES`] (a chunk of shuffled input holds a few records of
//! hundreds of hours), buffering at most [`BUFFER_BYTES`] in all; never
//! writes outside the staging area.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::AsArray;
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
/// A spill file's text is written once this much waits.
const FLUSH_BYTES: usize = 64 * 1024;
/// Text waiting in all spill files' buffers after which all are written.
const BUFFER_BYTES: usize = 16 * 1024 * 1024;

/// The spill files of an import, one per cell that has one.
pub(super) struct Spills {
    dir: PathBuf,
    run_id: String,
    files: HashMap<DateTime<Utc>, Spill>,
    /// Bytes in their buffers.
    buffered: usize,
}

/// One cell's spill file; removed when dropped.
#[derive(Debug)]
pub(super) struct Spill {
    path: PathBuf,
    /// JSON bytes spilled (the records' text, not counting line ends).
    json_bytes: u64,
    /// File length written.
    len: u64,
    rows: u64,
    /// Text not written yet.
    buffer: Vec<u8>,
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Spills {
    /// Spill files go into `dir` (the staging area), named after `run_id`.
    pub(super) fn new(dir: &Path, run_id: &str) -> Spills {
        Spills { dir: dir.to_path_buf(), run_id: run_id.to_string(), files: HashMap::new(), buffered: 0 }
    }

    /// Appends records' JSON text to `cell`'s spill file.
    pub(super) fn append<'a>(&mut self, cell: DateTime<Utc>, raws: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let spill = self.files.entry(cell).or_insert_with(|| {
            let name = format!("{}-{}-{SUFFIX}", self.run_id, cell.format("%Y%m%dT%H"));
            Spill { path: self.dir.join(name), json_bytes: 0, len: 0, rows: 0, buffer: Vec::new() }
        });
        let before = spill.buffer.len();
        for raw in raws {
            escape_into(&mut spill.buffer, raw);
            spill.json_bytes += raw.len() as u64;
            spill.rows += 1;
        }
        self.buffered += spill.buffer.len() - before;
        if spill.buffer.len() >= FLUSH_BYTES {
            self.buffered -= spill.flush()?;
        }
        if self.buffered > BUFFER_BYTES {
            for spill in self.files.values_mut() {
                self.buffered -= spill.flush()?;
            }
        }
        Ok(())
    }

    /// Appends the rows of a Parquet file written for `cell` (staged, not
    /// moved in).
    pub(super) fn append_file(&mut self, cell: DateTime<Utc>, staged: &Path) -> Result<()> {
        let fail = |e: String| Error::Parquet { op: "read", key: staged.display().to_string(), source: e.into() };
        let file = File::open(staged).map_err(|e| fail(e.to_string()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(e.to_string()))?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), [RAW_COLUMN]);
        for batch in builder.with_projection(mask).build().map_err(|e| fail(e.to_string()))? {
            let batch = batch.map_err(|e| fail(e.to_string()))?;
            let raw = batch.column_by_name(RAW_COLUMN).ok_or_else(|| fail("no raw column".into()))?;
            let raw = raw.as_string_opt::<i32>().ok_or_else(|| fail("the raw column is not text".into()))?;
            self.append(cell, raw.iter().flatten())?;
        }
        Ok(())
    }

    /// JSON bytes in `cell`'s spill file (0 if it has none).
    pub(super) fn json_bytes(&self, cell: DateTime<Utc>) -> u64 {
        self.files.get(&cell).map_or(0, |s| s.json_bytes)
    }

    /// `cell`'s spill file, written out and handed over to be converted.
    pub(super) fn take(&mut self, cell: DateTime<Utc>) -> Result<Option<Spill>> {
        let Some(mut spill) = self.files.remove(&cell) else { return Ok(None) };
        self.buffered -= spill.buffer.len();
        spill.flush()?;
        Ok(Some(spill))
    }

    /// Cells with a spill file, oldest first.
    pub(super) fn cells(&self) -> Vec<DateTime<Utc>> {
        let mut cells: Vec<DateTime<Utc>> = self.files.keys().copied().collect();
        cells.sort();
        cells
    }
}

impl Spill {
    /// Writes the buffer out (the first time creating the file, later
    /// finding it, or failing); answers how many bytes.
    fn flush(&mut self) -> Result<usize> {
        let bytes = self.buffer.len();
        if bytes == 0 {
            return Ok(0);
        }
        OpenOptions::new()
            .append(true)
            .create_new(self.len == 0)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&self.buffer))
            .map_err(|e| self.error(e))?;
        self.len += bytes as u64;
        self.buffer = Vec::new();
        Ok(bytes)
    }

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
        spills.append(hour, [plain, pretty]).unwrap();
        // A staged Parquet file of the cell: its rows join the spill.
        let staged = dir.path().join("held.parquet.partial");
        let third = r#"{"id":"c","createdDateTime":"2026-11-20T01:30:00Z"}"#;
        write_file(&staged, &[batch_of(def, &[third])], vec![]).unwrap();
        spills.append_file(hour, &staged).unwrap();

        assert_eq!(spills.cells(), [hour]);
        assert_eq!(spills.json_bytes(hour), (plain.len() + pretty.len() + third.len()) as u64);
        assert!(!dir.path().join("run-20261120T01-spill.jsonl.partial").exists(), "still in the buffer");
        let spill = spills.take(hour).unwrap().unwrap();
        assert_eq!(spill.rows(), 3);
        assert!(spill.path().file_name().unwrap().to_str().unwrap().ends_with(".partial"), "cleaned up after a crash");
        assert_eq!(lines_of(spill.path()), [plain, pretty, third], "one a line, byte for byte");
        spill.open().unwrap();
        let path = spill.path().to_path_buf();
        drop(spill);
        assert!(!path.exists(), "removed once converted (or on failure)");
        assert!(spills.take(hour).unwrap().is_none());
    }

    #[test]
    fn text_is_written_in_pieces_and_all_of_it_once_too_much_waits() {
        let dir = tempfile::tempdir().unwrap();
        let mut spills = Spills::new(dir.path(), "run");
        let record = format!(r#"{{"id":"a","note":"{}"}}"#, "x".repeat(1000));
        let hours: Vec<DateTime<Utc>> =
            (0..300).map(|h| t("2026-11-01T00:00:00Z") + chrono::Duration::hours(h)).collect();
        let written = |spills: &Spills| spills.files.values().filter(|s| s.len > 0).count();
        for _ in 0..50 {
            spills.append(hours[0], [record.as_str()]).unwrap();
        }
        assert_eq!(written(&spills), 0, "50 KB wait");
        spills.append(hours[0], std::iter::repeat_n(record.as_str(), 20)).unwrap();
        assert_eq!((written(&spills), spills.buffered), (1, 0), "64 KiB are written");
        for _ in 0..56 {
            for hour in &hours[1..] {
                spills.append(*hour, [record.as_str()]).unwrap();
            }
        }
        assert!(spills.buffered <= BUFFER_BYTES, "{}", spills.buffered);
        assert_eq!(written(&spills), 300, "16 MiB waiting: all written");
        assert_eq!(spills.json_bytes(hours[1]), 56 * record.len() as u64);
        let spill = spills.take(hours[1]).unwrap().unwrap();
        assert_eq!(lines_of(spill.path()).len(), 56);
    }

    #[test]
    fn a_spill_file_changed_under_the_import_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let hour = t("2026-11-20T01:00:00Z");
        let mut spills = Spills::new(dir.path(), "run");
        let records = [r#"{"id":"a","createdDateTime":"2026-11-20T01:10:00Z"}"#];
        spills.append(hour, records).unwrap();
        let spill = spills.files.get_mut(&hour).unwrap();
        spill.flush().unwrap();
        let path = spill.path.clone();
        // Cleaned up by someone else: the next write fails, never starts afresh.
        std::fs::remove_file(&path).unwrap();
        spills.append(hour, records).unwrap();
        let e = spills.take(hour).unwrap_err().to_string();
        assert!(e.contains("spill") && e.contains(path.to_str().unwrap()), "{e}");
        spills.append(hour, records).unwrap();
        let spill = spills.take(hour).unwrap().unwrap();
        std::fs::write(spill.path(), "").unwrap();
        let e = spill.open().unwrap_err().to_string();
        assert!(e.contains("was it changed"), "{e}");
    }
}
