//! A sealed day's files merged into day files. Blocking, CPU and local disk
//! only.
//!
//! Takes the day's input files one hour cell at a time, oldest hour first
//! (the caller reads a cell's files and hands them over, so memory holds one
//! hour, never the day); hands back staged day files with their manifests,
//! rows sorted by record time (then row key), a file closed once it holds
//! the `--file-size` of JSON and the next begun. Every input must be at the
//! dataset's current schema version (else `upgrade` first: rows of two
//! versions do not share a file). What goes in comes out: the same rows and
//! row keys, checked by count and by an order-free hash of the keys.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{
    SortColumn, SortOptions, concat_batches, filter_record_batch, interleave_record_batch, lexsort_to_indices,
};
use arrow::datatypes::{SchemaRef, TimestampMicrosecondType};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use sha2::{Digest, Sha256};

use crate::cell::Limits;
use crate::datasets::{DatasetDef, column_name};
use crate::encode::{FileInfo, FileWriter, batch_keys};
use crate::error::{BoxError, Error, Result};
use crate::layout;
use crate::ledger::FileRows;
use crate::manifest::{Manifest, meta, schema_version_of};
use crate::schema::{RAW_COLUMN, arrow_schema};

/// A day file written and staged, with its manifest.
#[derive(Debug)]
pub(super) struct DayFile {
    pub key: String,
    pub staged: PathBuf,
    pub info: FileInfo,
    pub manifest: Manifest,
}

/// Decoded rows (Parquet's uncompressed size) sorted in memory at once.
const WINDOW_BYTES: u64 = 12 * 1024 * 1024;

/// One input file: its key and bytes.
pub(super) type Input = (String, Bytes);

/// The day files of one day being written.
pub(super) struct DayMerge {
    def: &'static DatasetDef,
    schema: SchemaRef,
    day: NaiveDate,
    tenant: String,
    run_id: String,
    staging: PathBuf,
    limits: Limits,
    written_at: DateTime<Utc>,
    /// The part the next file gets.
    next_part: u32,
    open: Option<Open>,
    done: Vec<DayFile>,
    /// Rows and the order-free key hash of what went in, and came out.
    rows_in: u64,
    hash_in: u128,
    rows_out: u64,
    hash_out: u128,
    inputs: Vec<FileRows>,
    /// [`WINDOW_BYTES`], smaller in tests.
    window_bytes: u64,
}

struct Open {
    key: String,
    staged: PathBuf,
    writer: FileWriter,
    keys: Vec<String>,
    json_bytes: u64,
}

impl DayMerge {
    /// Day files of `def` for `day` and `tenant`, numbered from `first_part`.
    pub(super) fn new(
        def: &'static DatasetDef,
        day: NaiveDate,
        tenant: &str,
        first_part: u32,
        (run_id, staging): (&str, PathBuf),
        limits: Limits,
        written_at: DateTime<Utc>,
    ) -> DayMerge {
        DayMerge {
            def,
            schema: arrow_schema(def),
            day,
            tenant: tenant.to_string(),
            run_id: run_id.to_string(),
            staging,
            limits,
            written_at,
            next_part: first_part,
            open: None,
            done: Vec::new(),
            rows_in: 0,
            hash_in: 0,
            rows_out: 0,
            hash_out: 0,
            inputs: Vec::new(),
            window_bytes: WINDOW_BYTES,
        }
    }

    /// Adds one hour's files (or a day compacted before with the hours added
    /// since): their rows, sorted by record time, go into the open day file.
    /// Memory holds at most about [`WINDOW_BYTES`] of decoded rows: a busier
    /// hour is read in time windows of that size (each window's rows from
    /// every input, sorted, written), the inputs decoded once per window.
    pub(super) fn push(&mut self, files: Vec<Input>) -> Result<()> {
        let mut decoded: u64 = 0;
        for (key, bytes) in &files {
            let builder = self.open_input(key, bytes.clone())?;
            let metadata = builder.metadata();
            decoded += metadata.row_groups().iter().map(|g| g.total_byte_size().max(0) as u64).sum::<u64>();
            self.inputs.push(FileRows { key: key.clone(), rows: metadata.file_metadata().num_rows().max(0) as u64 });
        }
        let windows = match decoded <= self.window_bytes {
            true => vec![(i64::MIN, i64::MAX)],
            false => self.windows(&files, decoded.div_ceil(self.window_bytes))?,
        };
        for (from, to) in windows {
            let mut batches = Vec::new();
            for (key, bytes) in &files {
                let fail = |source: BoxError| Error::Parquet { op: "compact", key: key.clone(), source };
                let builder = self.open_input(key, bytes.clone())?;
                let reader = builder.with_batch_size(self.limits.batch_rows).build().map_err(|e| fail(e.into()))?;
                for batch in reader {
                    let batch = batch.map_err(|e| fail(e.into()))?;
                    let batch = batch.with_schema(self.schema.clone()).map_err(|e| fail(e.into()))?;
                    let batch = match (from, to) == (i64::MIN, i64::MAX) {
                        true => batch,
                        false => {
                            let times = self.times(&batch)?;
                            let inside: BooleanArray = times
                                .iter()
                                .map(|t| Some(t.map_or(from == i64::MIN, |t| t >= from && t < to)))
                                .collect();
                            filter_record_batch(&batch, &inside).map_err(|e| fail(e.into()))?
                        }
                    };
                    if batch.num_rows() == 0 {
                        continue;
                    }
                    self.rows_in += batch.num_rows() as u64;
                    self.hash_in = self.hash_in.wrapping_add(keys_hash(&batch, self.def).map_err(|e| fail(e.into()))?);
                    batches.push(batch);
                }
            }
            self.write_sorted(batches)?;
            release_free_memory();
        }
        Ok(())
    }

    /// An input's reader, once its schema version is the current one.
    fn open_input(&self, key: &str, bytes: Bytes) -> Result<ParquetRecordBatchReaderBuilder<Bytes>> {
        let fail = |source: BoxError| Error::Parquet { op: "compact", key: key.to_string(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| fail(e.into()))?;
        let version = schema_version_of(builder.metadata().file_metadata().key_value_metadata());
        if version != self.def.schema_version {
            return Err(fail(
                format!(
                    "schema version {version}, not the current {}: run `entra-archive upgrade` first",
                    self.def.schema_version
                )
                .into(),
            ));
        }
        Ok(builder)
    }

    /// `n` time windows holding about as many rows each: cut at the
    /// quantiles of the inputs' record times (read alone, a column of
    /// integers), never between two rows of the same time. Rows without a
    /// time (no run writes them) go in the first.
    fn windows(&self, files: &[Input], n: u64) -> Result<Vec<(i64, i64)>> {
        let column = column_name(self.def.time_field);
        let mut times = Vec::new();
        for (key, bytes) in files {
            let fail = |source: BoxError| Error::Parquet { op: "compact", key: key.clone(), source };
            let builder = self.open_input(key, bytes.clone())?;
            let mask = ProjectionMask::columns(builder.parquet_schema(), [column.as_str()]);
            for batch in builder.with_projection(mask).build().map_err(|e| fail(e.into()))? {
                let batch = batch.map_err(|e| fail(e.into()))?;
                times.extend(self.times(&batch)?.iter().flatten());
            }
        }
        times.sort_unstable();
        let step = (times.len() as u64).div_ceil(n.max(1)).max(1) as usize;
        let mut cuts: Vec<i64> = times.iter().step_by(step).skip(1).copied().collect();
        cuts.dedup();
        let mut windows = Vec::with_capacity(cuts.len() + 1);
        let mut from = i64::MIN;
        for cut in cuts {
            windows.push((from, cut));
            from = cut;
        }
        windows.push((from, i64::MAX));
        Ok(windows)
    }

    fn times<'b>(&self, batch: &'b RecordBatch) -> Result<&'b arrow::array::TimestampMicrosecondArray> {
        let column = column_name(self.def.time_field);
        batch
            .column_by_name(&column)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| self.error(format!("no {column} column in microseconds").into()))
    }

    /// Sorts `batches` (rows of one window) and writes them: the sort keys
    /// alone are put together, the rows are taken from the batches where
    /// they are (no copy of the window).
    fn write_sorted(&mut self, batches: Vec<RecordBatch>) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        let mut keys = vec![column_name(self.def.time_field), column_name(self.def.key)];
        if self.def.versioned {
            keys.push(RAW_COLUMN.to_string());
        }
        let projection: Vec<usize> = keys
            .iter()
            .map(|name| self.schema.index_of(name).map_err(|e| self.error(e.into())))
            .collect::<Result<_>>()?;
        let key_schema = Arc::new(self.schema.project(&projection).map_err(|e| self.error(e.into()))?);
        let key_batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| b.project(&projection))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.error(e.into()))?;
        let all_keys = concat_batches(&key_schema, &key_batches).map_err(|e| self.error(e.into()))?;
        drop(key_batches);
        let order = self.order(&all_keys)?;
        drop(all_keys);
        // Row n of the concatenation is row n − start of the batch it falls in.
        let mut starts = Vec::with_capacity(batches.len());
        let mut at = 0;
        for b in &batches {
            starts.push(at);
            at += b.num_rows();
        }
        let locate = |n: usize| {
            let batch = starts.partition_point(|&s| s <= n) - 1;
            (batch, n - starts[batch])
        };
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        for chunk in order.values().chunks(self.limits.batch_rows) {
            let indices: Vec<(usize, usize)> = chunk.iter().map(|&n| locate(n as usize)).collect();
            let rows = interleave_record_batch(&refs, &indices).map_err(|e| self.error(e.into()))?;
            self.write(rows)?;
        }
        Ok(())
    }

    /// Row order: record time, then row key (ids are unique per dataset, so
    /// the order is the same whatever order the files came in). `keys` holds
    /// the time and key columns (and `raw` for a versioned dataset).
    fn order(&self, keys: &RecordBatch) -> Result<arrow::array::UInt32Array> {
        let columns: Vec<SortColumn> = keys
            .columns()
            .iter()
            .map(|values| SortColumn { values: values.clone(), options: Some(SortOptions::default()) })
            .collect();
        lexsort_to_indices(&columns, None).map_err(|e| self.error(e.into()))
    }

    fn write(&mut self, rows: RecordBatch) -> Result<()> {
        let keys = batch_keys(&rows, self.def).map_err(|e| self.error(e.into()))?;
        let json: u64 = rows.column_by_name(RAW_COLUMN).and_then(|c| c.as_string_opt::<i32>()).map_or(0, |raw| {
            let offsets = raw.value_offsets();
            (offsets[raw.len()] - offsets[0]) as u64
        });
        if self.open.as_ref().is_some_and(|o| o.json_bytes > 0 && o.json_bytes + json > self.limits.file_bytes) {
            self.close()?;
        }
        if self.open.is_none() {
            self.open = Some(self.create()?);
        }
        let open = self.open.as_mut().expect("opened above");
        open.writer.write(rows)?;
        self.rows_out += keys.len() as u64;
        self.hash_out = keys.iter().fold(self.hash_out, |h, k| h.wrapping_add(key_hash(k)));
        open.keys.extend(keys);
        open.json_bytes += json;
        Ok(())
    }

    fn create(&mut self) -> Result<Open> {
        let key = layout::day_key(self.def.name, self.day, self.next_part, &self.tenant);
        self.next_part += 1;
        let staged = self.staging.join(format!("{}-{}.parquet.partial", self.run_id, uuid::Uuid::new_v4().simple()));
        let start = layout::day_start(self.day);
        let pairs = [
            (meta::DATASET, self.def.name.to_string()),
            (meta::TENANT_ID, self.tenant.clone()),
            (meta::RUN_ID, self.run_id.clone()),
            (meta::SLICE_START, start.to_rfc3339()),
            (meta::SLICE_END, (start + chrono::Duration::days(1)).to_rfc3339()),
            (meta::GRAPH_QUERY, format!("compacted by {} from the hour files of {}", self.run_id, self.day)),
            (meta::VERSION, env!("CARGO_PKG_VERSION").to_string()),
            (meta::SCHEMA_VERSION, self.def.schema_version.to_string()),
        ];
        let metadata = pairs.into_iter().map(|(k, v)| KeyValue::new(k.to_string(), v)).collect();
        let writer = FileWriter::create(&staged, self.schema.clone(), metadata)?;
        Ok(Open { key, staged, writer, keys: Vec::new(), json_bytes: 0 })
    }

    fn close(&mut self) -> Result<()> {
        let Some(open) = self.open.take() else { return Ok(()) };
        let info = open.writer.finish()?;
        let manifest = Manifest::describe_written(
            self.def,
            &open.key,
            &open.staged,
            (info.sha256.clone(), info.bytes),
            &open.keys,
            self.written_at,
        )?;
        self.done.push(DayFile { key: open.key, staged: open.staged, info, manifest });
        Ok(())
    }

    /// Closes the last file and hands the day files over with the inputs
    /// (and their rows), once what came out is what went in; on any error
    /// nothing stays staged.
    pub(super) fn finish(mut self) -> Result<(Vec<DayFile>, Vec<FileRows>)> {
        let closed = self.close();
        let checked = closed.and_then(|()| match (self.rows_in, self.hash_in) == (self.rows_out, self.hash_out) {
            true => Ok(()),
            false => Err(self.error(
                format!(
                    "the day files hold {} rows (key hash {:x}), the inputs {} ({:x})",
                    self.rows_out, self.hash_out, self.rows_in, self.hash_in
                )
                .into(),
            )),
        });
        match checked {
            Ok(()) => Ok((std::mem::take(&mut self.done), std::mem::take(&mut self.inputs))),
            Err(e) => Err(e),
        }
    }

    fn error(&self, source: BoxError) -> Error {
        let key = layout::day_key(self.def.name, self.day, self.next_part, &self.tenant);
        Error::Parquet { op: "compact", key, source }
    }
}

impl Drop for DayMerge {
    /// Files not handed over (an error, a dropped merge) are removed.
    fn drop(&mut self) {
        for file in &self.done {
            let _ = std::fs::remove_file(&file.staged);
        }
        if let Some(open) = &self.open {
            let _ = std::fs::remove_file(&open.staged);
        }
    }
}

/// The order-free hash of `batch`'s row keys, without building them where
/// the key is the id alone.
fn keys_hash(batch: &RecordBatch, def: &DatasetDef) -> std::result::Result<u128, String> {
    if def.versioned {
        return Ok(batch_keys(batch, def)?.iter().fold(0u128, |h, k| h.wrapping_add(key_hash(k))));
    }
    let name = column_name(def.key);
    let ids = batch
        .column_by_name(&name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| format!("the file has no text {name} column"))?;
    Ok(ids.iter().flatten().fold(0u128, |h, k| h.wrapping_add(key_hash(k))))
}

/// Hands memory freed by a window back to the system: glibc keeps freed
/// small blocks in its heap, and the windows' many short strings would keep
/// the process's resident size at its busiest window's.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A row key's contribution to the order-free hash of a set of keys.
fn key_hash(key: &str) -> u128 {
    let digest = Sha256::digest(key.as_bytes());
    u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use crate::encode::write_file;

    fn file(dir: &std::path::Path, name: &str, records: &[(&str, &str)]) -> Input {
        let def = by_name("signins").unwrap();
        let texts: Vec<String> =
            records.iter().map(|(id, at)| format!(r#"{{"id":"{id}","createdDateTime":"{at}"}}"#)).collect();
        let path = dir.join(name);
        let metadata = vec![KeyValue::new(meta::SCHEMA_VERSION.into(), def.schema_version.to_string())];
        write_file(&path, &[batch_of(def, &texts)], metadata).unwrap();
        (name.to_string(), Bytes::from(std::fs::read(&path).unwrap()))
    }

    fn ids_of(path: &std::path::Path) -> Vec<String> {
        let bytes = Bytes::from(std::fs::read(path).unwrap());
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap();
        reader.flat_map(|b| batch_keys(&b.unwrap(), by_name("signins").unwrap()).unwrap()).collect()
    }

    #[test]
    fn hours_merge_into_day_files_sorted_by_time_and_split_at_the_file_size() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let at = "2026-12-01T00:00:00Z".parse().unwrap();
        // Newest first within each file, as Graph sends them; two files in hour 08.
        let h08a = file(dir.path(), "a", &[("c", "2026-11-24T08:30:00Z"), ("a", "2026-11-24T08:10:00Z")]);
        let h08b = file(dir.path(), "b", &[("b", "2026-11-24T08:20:00Z")]);
        let h09 = file(dir.path(), "c", &[("e", "2026-11-24T09:40:00Z"), ("d", "2026-11-24T09:05:00Z")]);
        let limits = Limits { batch_rows: 2, file_bytes: 1 << 30 };
        let mut merge = DayMerge::new(def, day, "t", 0, ("compact-1", dir.path().to_path_buf()), limits, at);
        merge.push(vec![h08a.clone(), h08b.clone()]).unwrap();
        merge.push(vec![h09.clone()]).unwrap();
        let (files, inputs) = merge.finish().unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(inputs.iter().map(|i| (i.key.as_str(), i.rows)).collect::<Vec<_>>(), [("a", 2), ("b", 1), ("c", 2)]);
        assert_eq!(files[0].key, "signins/date=2026-11-24/20261124-0000-t.parquet");
        assert_eq!(ids_of(&files[0].staged), ["a", "b", "c", "d", "e"], "sorted by time across files and hours");
        assert_eq!((files[0].manifest.records, files[0].manifest.run_id.as_str()), (5, "compact-1"));

        // A small file size: several parts, numbered on from the first.
        let limits = Limits { batch_rows: 1, file_bytes: 100 };
        let mut merge = DayMerge::new(def, day, "t", 3, ("compact-2", dir.path().to_path_buf()), limits, at);
        merge.push(vec![h08a, h08b]).unwrap();
        merge.push(vec![h09]).unwrap();
        let (files, _) = merge.finish().unwrap();
        assert!(files.len() > 1, "{files:?}");
        assert_eq!(files[0].key, "signins/date=2026-11-24/20261124-0003-t.parquet");
        let ids: Vec<String> = files.iter().flat_map(|f| ids_of(&f.staged)).collect();
        assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn a_busy_hour_is_sorted_in_time_windows_and_loses_nothing() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let at = |i: usize| format!("2026-11-24T08:{:02}:{:02}Z", (i * 7) % 60, i % 60);
        let ids: Vec<String> = (0..40).map(|i| format!("r{i:02}")).collect();
        let first: Vec<(&str, String)> = (0..20).map(|i| (ids[i].as_str(), at(i))).collect();
        let second: Vec<(&str, String)> = (20..40).map(|i| (ids[i].as_str(), at(i))).collect();
        fn records<'v>(v: &'v [(&'v str, String)]) -> Vec<(&'v str, &'v str)> {
            v.iter().map(|(id, t)| (*id, t.as_str())).collect()
        }
        let a = file(dir.path(), "a", &records(&first));
        let b = file(dir.path(), "b", &records(&second));
        let limits = Limits { batch_rows: 3, file_bytes: 1 << 30 };
        let mut merge = DayMerge::new(
            def,
            day,
            "t",
            0,
            ("c", dir.path().to_path_buf()),
            limits,
            "2026-12-01T00:00:00Z".parse().unwrap(),
        );
        merge.window_bytes = 1; // every row its own window, or nearly
        merge.push(vec![a, b]).unwrap();
        let (files, inputs) = merge.finish().unwrap();
        assert_eq!(inputs.iter().map(|i| i.rows).sum::<u64>(), 40);
        let got = ids_of(&files[0].staged);
        let mut expected: Vec<(String, String)> = (0..40).map(|i| (at(i), ids[i].clone())).collect();
        expected.sort();
        assert_eq!(got, expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>(), "every row once, by time");
    }

    #[test]
    fn a_file_of_an_older_schema_version_is_refused_and_nothing_stays_staged() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join("staging");
        std::fs::create_dir(&staging).unwrap();
        let path = dir.path().join("old");
        let texts = vec![r#"{"id":"a","createdDateTime":"2026-11-24T08:30:00Z"}"#.to_string()];
        write_file(&path, &[batch_of(def, &texts)], vec![]).unwrap();
        let old = ("old".to_string(), Bytes::from(std::fs::read(&path).unwrap()));
        let current = file(dir.path(), "new", &[("b", "2026-11-24T07:00:00Z")]);
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut merge = DayMerge::new(
            def,
            day,
            "t",
            0,
            ("c", staging.clone()),
            Limits::default(),
            "2026-12-01T00:00:00Z".parse().unwrap(),
        );
        merge.push(vec![current]).unwrap();
        let e = merge.push(vec![old]).unwrap_err();
        assert!(e.to_string().contains("upgrade"), "{e}");
        drop(merge);
        assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 0, "nothing left staged");
    }
}
