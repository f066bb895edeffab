//! The new files of one cell (a dataset's hour), written as records arrive.
//!
//! Takes records one at a time and hands back finished, staged Parquet files
//! with their manifests, ready to be moved into the destination. Skips a
//! record whose row key the cell already holds or that came earlier in this
//! pass; converts the rest straight into Arrow builders; writes a batch out
//! every [`Limits::batch_rows`] rows and closes the file once it holds
//! [`Limits::file_bytes`] of JSON, so memory holds one batch and one row
//! group, never a whole window. Blocking, CPU and local disk only: what the
//! destination already holds comes in as row keys, and finished files go out
//! to the caller, which moves them in (`cell_store`).

use std::path::PathBuf;

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use parquet::file::metadata::KeyValue;

use crate::columns::RowBuilder;
use crate::datasets::DatasetDef;
use crate::encode::{FileInfo, FileWriter};
use crate::error::{Error, Result};
use crate::layout;
use crate::manifest::Manifest;
use crate::record::Record;

/// Row keys (see `record::row_key`), hashed fast: a cell checks every record
/// against them.
pub(crate) type KeySet = foldhash::HashSet<String>;

/// When batches and files end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows converted before they are handed to the Parquet writer.
    pub batch_rows: usize,
    /// JSON bytes (the records' text, i.e. the uncompressed size) after
    /// which a file is closed and the next one begun.
    pub file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { batch_rows: 4096, file_bytes: 128 * 1024 * 1024 }
    }
}

/// A staged file ready to be moved into the archive.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Its key in the archive.
    pub key: String,
    /// Where it is staged.
    pub staged: PathBuf,
    /// Rows, size, digest.
    pub info: FileInfo,
    /// Its manifest, described from the staged file as written (which also
    /// proves the file reads back).
    pub manifest: Manifest,
}

/// Where a cell's files come from and go.
#[derive(Debug, Clone)]
pub(crate) struct CellSpec {
    /// The dataset.
    pub def: &'static DatasetDef,
    /// Its Arrow schema.
    pub schema: SchemaRef,
    /// Start of the hour.
    pub cell: DateTime<Utc>,
    /// Tenant the files belong to.
    pub tenant_id: String,
    /// Folder for staged files.
    pub staging: PathBuf,
    /// Prefix of staged file names (the run's id).
    pub run_id: String,
    /// Key/value metadata of every file.
    pub metadata: Vec<KeyValue>,
    /// Batch and file sizes.
    pub limits: Limits,
}

/// One cell being written.
pub(crate) struct CellFiles {
    spec: CellSpec,
    known: KeySet,
    seen: KeySet,
    next_seq: u32,
    rows: RowBuilder,
    /// Row keys of the rows in `rows`.
    pending_keys: Vec<String>,
    open: Option<OpenFile>,
    finished: Vec<Finished>,
    written_at: DateTime<Utc>,
}

struct OpenFile {
    key: String,
    /// Row keys of the rows in this file.
    keys: Vec<String>,
    staged: PathBuf,
    writer: Option<FileWriter>,
    json_bytes: u64,
}

impl Drop for OpenFile {
    /// A file abandoned halfway (an error, a dropped pass) is removed.
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.staged);
        }
    }
}

impl CellFiles {
    /// A cell whose files already hold `known` row keys; its next file is
    /// numbered `next_seq`.
    pub(crate) fn new(spec: CellSpec, known: KeySet, next_seq: u32, written_at: DateTime<Utc>) -> CellFiles {
        let rows = RowBuilder::new(spec.def, spec.schema.clone());
        CellFiles {
            spec,
            known,
            seen: KeySet::default(),
            next_seq,
            rows,
            pending_keys: Vec::new(),
            open: None,
            finished: Vec::new(),
            written_at,
        }
    }

    /// Adds a record unless the cell holds its row already; false if it did.
    pub(crate) fn push(&mut self, record: &Record) -> Result<bool> {
        let key = record.key(self.spec.def);
        if self.holds(&key) {
            return Ok(false);
        }
        self.rows
            .append(record.raw)
            .map_err(|problem| Error::InvalidRecord { dataset: self.spec.def.name, problem })?;
        self.seen.insert(key.clone());
        self.pending_keys.push(key);
        let in_file = self.open.as_ref().map_or(0, |f| f.json_bytes);
        if self.rows.len() >= self.spec.limits.batch_rows
            || in_file + self.rows.raw_bytes() as u64 >= self.spec.limits.file_bytes
        {
            self.write_batch()?;
        }
        Ok(true)
    }

    /// Adds the rows of `batch` (converted with this cell's schema; `keys`
    /// are their row keys, in order) that the cell does not hold yet;
    /// answers how many. Rows waiting from [`push`](Self::push) go first.
    pub(crate) fn push_batch(&mut self, keys: Vec<String>, batch: RecordBatch) -> Result<usize> {
        if !self.rows.is_empty() {
            self.write_batch()?;
        }
        let mut keep = Vec::with_capacity(keys.len());
        let mut new_keys = Vec::with_capacity(keys.len());
        for key in keys {
            let new = !self.holds(&key);
            if new {
                self.seen.insert(key.clone());
                new_keys.push(key);
            }
            keep.push(new);
        }
        let batch = match new_keys.len() == batch.num_rows() {
            true => batch,
            false => filter_record_batch(&batch, &BooleanArray::from(keep)).map_err(|e| self.encode_error(e))?,
        };
        let added = new_keys.len();
        if added > 0 {
            self.write_rows(batch, new_keys)?;
        }
        Ok(added)
    }

    /// Whether the cell's files or this pass hold the row `key` already.
    fn holds(&self, key: &str) -> bool {
        self.known.contains(key) || self.seen.contains(key)
    }

    /// Files finished so far, handed over once.
    pub(crate) fn take_finished(&mut self) -> Vec<Finished> {
        std::mem::take(&mut self.finished)
    }

    /// Writes what is pending and closes the open file.
    pub(crate) fn finish(&mut self) -> Result<Vec<Finished>> {
        if !self.rows.is_empty() {
            self.write_batch()?;
        }
        self.close()?;
        Ok(self.take_finished())
    }

    fn write_batch(&mut self) -> Result<()> {
        let batch = self.rows.finish().map_err(|e| self.encode_error(e))?;
        let keys = std::mem::take(&mut self.pending_keys);
        self.write_rows(batch, keys)
    }

    /// Writes rows (whose row keys are `keys`) into the open file, or a new
    /// one, closing each file once it holds [`Limits::file_bytes`] of JSON.
    fn write_rows(&mut self, batch: RecordBatch, mut keys: Vec<String>) -> Result<()> {
        let raw = batch.column(batch.num_columns() - 1).as_string::<i32>();
        let offsets = raw.value_offsets();
        let json_bytes = |start: usize, end: usize| (offsets[end] - offsets[start]) as u64;
        let rows = batch.num_rows();
        let mut start = 0;
        while start < rows {
            let file_bytes = self.spec.limits.file_bytes;
            let open = self.open_file()?;
            // The row that takes the file to its size is its last.
            let room = file_bytes.saturating_sub(open.json_bytes).max(1);
            let end = (start + 1..=rows).find(|&end| json_bytes(start, end) >= room).unwrap_or(rows);
            open.writer.as_mut().expect("open").write(batch.slice(start, end - start))?;
            open.json_bytes += json_bytes(start, end);
            open.keys.extend(keys.drain(..end - start));
            if open.json_bytes >= file_bytes {
                self.close()?;
            }
            start = end;
        }
        Ok(())
    }

    fn open_file(&mut self) -> Result<&mut OpenFile> {
        if self.open.is_none() {
            let key = layout::data_key(self.spec.def.name, self.spec.cell, self.next_seq, &self.spec.tenant_id);
            self.next_seq += 1;
            let staged = self.spec.staging.join(format!(
                "{}-{}.parquet.partial",
                self.spec.run_id,
                uuid::Uuid::new_v4().simple()
            ));
            let writer = FileWriter::create(&staged, self.spec.schema.clone(), self.spec.metadata.clone())?;
            self.open = Some(OpenFile { key, keys: Vec::new(), staged, writer: Some(writer), json_bytes: 0 });
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    fn close(&mut self) -> Result<()> {
        let Some(mut open) = self.open.take() else { return Ok(()) };
        let info = open.writer.take().expect("open").finish()?;
        let file = (info.sha256.clone(), info.bytes);
        let described =
            Manifest::describe_written(self.spec.def, &open.key, &open.staged, file, &open.keys, self.written_at);
        let manifest = match described {
            Ok(manifest) => manifest,
            Err(e) => {
                let _ = std::fs::remove_file(&open.staged);
                return Err(e);
            }
        };
        self.finished.push(Finished { key: open.key.clone(), staged: open.staged.clone(), info, manifest });
        Ok(())
    }

    fn encode_error(&self, e: arrow::error::ArrowError) -> Error {
        Error::Parquet { op: "encode", key: self.spec.def.name.to_string(), source: e.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;
    use crate::encode::read_keys;
    use crate::schema::arrow_schema;
    use bytes::Bytes;

    fn record(i: usize) -> String {
        format!(r#"{{"id":"r{i}","createdDateTime":"2026-11-20T01:{i:02}:00Z"}}"#)
    }

    #[test]
    fn batches_skip_rows_held_and_roll_over_at_the_file_size() {
        let def = by_name("signins").unwrap();
        let schema = arrow_schema(def);
        let dir = tempfile::tempdir().unwrap();
        let cell = "2026-11-20T01:00:00Z".parse().unwrap();
        let one = record(0).len() as u64;
        let spec = CellSpec {
            def,
            schema: schema.clone(),
            cell,
            tenant_id: "t".into(),
            staging: dir.path().to_path_buf(),
            run_id: "run".into(),
            metadata: vec![],
            limits: Limits { batch_rows: 4096, file_bytes: 3 * one },
        };
        let known: KeySet = ["r1".to_string()].into_iter().collect();
        let mut files = CellFiles::new(spec, known, 5, Utc::now());
        // r1 is held already and r3 comes twice.
        let order = [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9];
        let mut rows = RowBuilder::new(def, schema);
        order.iter().for_each(|&i| rows.append(&record(i)).unwrap());
        let keys: Vec<String> = order.iter().map(|i| format!("r{i}")).collect();
        assert_eq!(files.push_batch(keys.clone(), rows.finish().unwrap()).unwrap(), 9);

        let finished = files.finish().unwrap();
        let written: Vec<(String, Vec<String>)> = finished
            .iter()
            .map(|f| {
                let bytes = Bytes::from(std::fs::read(&f.staged).unwrap());
                (f.key.clone(), read_keys(&f.key, bytes, def).unwrap())
            })
            .collect();
        let expected = |seq: u32, ids: &[usize]| {
            (layout::data_key("signins", cell, seq, "t"), ids.iter().map(|i| format!("r{i}")).collect::<Vec<_>>())
        };
        assert_eq!(written, vec![expected(5, &[0, 2, 3]), expected(6, &[4, 5, 6]), expected(7, &[7, 8, 9])]);
        assert!(finished.iter().all(|f| f.manifest.records == 3 && f.info.rows == 3));

        let mut rows = RowBuilder::new(def, arrow_schema(def));
        order.iter().for_each(|&i| rows.append(&record(i)).unwrap());
        assert_eq!(files.push_batch(keys, rows.finish().unwrap()).unwrap(), 0, "a second time adds nothing");
        assert!(files.finish().unwrap().is_empty());
    }
}
