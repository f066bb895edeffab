//! Arrow batches ⇄ Parquet files.
//!
//! Takes one cell's new records as Arrow batches, as they come, and writes a
//! zstd-compressed Parquet file to a local staging path, row group by row
//! group, fsynced, with the SHA-256 of its bytes computed on the way. Also reads the
//! `id` column back out of existing files, which is how a pass learns what a
//! cell already holds. Never writes to the archive itself: `destination`
//! moves finished files in.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{SchemaRef, TimestampMicrosecondType};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::{ParquetError, Result as PqResult};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use crate::datasets::{DatasetDef, column_name};
use crate::error::{BoxError, Error, Result};
use crate::record::{Record, row_key};
use crate::schema::{ID_COLUMN, RAW_COLUMN};

/// zstd level: on 1M sign-ins, level 3 made no smaller files than level 1
/// (192.1 vs 192.0 MB) for 10 % more CPU, negative levels 45 % bigger ones.
const ZSTD_LEVEL: i32 = 1;
/// Rows per row group.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileInfo {
    /// Rows in the file.
    pub rows: usize,
    /// Its size.
    pub bytes: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// The writer settings of every archive file.
pub(crate) fn writer_properties(metadata: Vec<KeyValue>) -> WriterProperties {
    let raw = ColumnPath::from(RAW_COLUMN);
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).expect("valid zstd level")))
        // Every record's text and id differ: a dictionary is wasted work,
        // and min/max of whole records prune nothing.
        .set_column_dictionary_enabled(raw.clone(), false)
        .set_column_dictionary_enabled(ColumnPath::from(ID_COLUMN), false)
        .set_column_statistics_enabled(raw, EnabledStatistics::None)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("entra-archive {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata))
        .build()
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A Parquet file being written to a local staging path, batch by batch:
/// rows go out as they come (in the order given), so memory holds at most
/// one row group's encoded pages and two waiting batches, never the file.
/// Encoding and compression run on a thread of their own, so converting
/// the next records overlaps with them.
pub(crate) struct FileWriter {
    path: PathBuf,
    batches: Option<SyncSender<RecordBatch>>,
    worker: Option<JoinHandle<Result<FileInfo>>>,
}

/// Batches waiting for the encoding thread.
const QUEUED_BATCHES: usize = 2;

impl FileWriter {
    /// Creates `path` (which must not exist).
    pub(crate) fn create(path: &Path, schema: SchemaRef, metadata: Vec<KeyValue>) -> Result<FileWriter> {
        let fail = |source: BoxError| Error::Parquet { op: "write", key: path.display().to_string(), source };
        let file = File::create_new(path).map_err(|e| fail(e.into()))?;
        let sink = HashingWriter { inner: BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new(), written: 0 };
        let writer = ArrowWriter::try_new(sink, schema.clone(), Some(writer_properties(metadata)))
            .map_err(|e| fail(e.into()))?;
        let (batches, queue) = sync_channel(QUEUED_BATCHES);
        let key = path.display().to_string();
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || encode_all(writer, schema, queue, key))
            .map_err(|e| fail(e.into()))?;
        Ok(FileWriter { path: path.to_path_buf(), batches: Some(batches), worker: Some(worker) })
    }

    /// Appends a batch's rows.
    pub(crate) fn write(&mut self, batch: RecordBatch) -> Result<()> {
        let sent = self.batches.as_ref().expect("not finished").send(batch);
        if sent.is_err() {
            // The encoder stopped: its error says why.
            self.batches = None;
            return Err(self.join().err().unwrap_or_else(|| self.fail("the encoder stopped".into())));
        }
        Ok(())
    }

    /// Closes the file and fsyncs it.
    pub(crate) fn finish(mut self) -> Result<FileInfo> {
        self.batches = None;
        self.join()
    }

    fn join(&mut self) -> Result<FileInfo> {
        let worker = self.worker.take().ok_or_else(|| self.fail("already finished".into()))?;
        worker.join().map_err(|_| self.fail("the encoder panicked".into()))?
    }

    fn fail(&self, source: BoxError) -> Error {
        Error::Parquet { op: "write", key: self.path.display().to_string(), source }
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        self.batches = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

type Sink = HashingWriter<BufWriter<File>>;

/// JSON bytes (the `raw` column's) after which a row group is closed before
/// [`ROW_GROUP_ROWS`], so a writer's memory stays bounded whatever the
/// records' size: its encoded pages are held until the row group closes.
const ROW_GROUP_JSON_BYTES: usize = 128 * 1024 * 1024;

/// What the thread encoding the last column (`raw`) is told.
enum LastColumn {
    /// A row group begins: its writer for the column.
    Start(Box<ArrowColumnWriter>),
    /// The column's values of the next rows.
    Write(ArrowLeafColumn),
    /// The row group ends: send the column's chunk back.
    Close(SyncSender<PqResult<ArrowColumnChunk>>),
}

/// The last column's thread: one column chunk per row group.
fn encode_last_column(jobs: Receiver<LastColumn>) {
    let mut writer = None;
    let mut failed = None;
    for job in jobs {
        match job {
            LastColumn::Start(started) => writer = Some(*started),
            LastColumn::Write(leaf) => {
                if let (None, Some(w)) = (&failed, writer.as_mut()) {
                    failed = w.write(&leaf).err();
                }
            }
            LastColumn::Close(reply) => {
                let chunk = match (failed.take(), writer.take()) {
                    (Some(e), _) => Err(e),
                    (None, Some(w)) => w.close(),
                    (None, None) => Err(ParquetError::General("no row group was started".into())),
                };
                let _ = reply.send(chunk);
            }
        }
    }
}

/// A row group being encoded: the writers of every column but the last.
struct RowGroup {
    writers: Vec<ArrowColumnWriter>,
    rows: usize,
    json_bytes: usize,
}

impl RowGroup {
    /// Starts row group `index`, its last column on the last column's thread.
    fn start(factory: &ArrowRowGroupWriterFactory, index: usize, last: &SyncSender<LastColumn>) -> PqResult<RowGroup> {
        let mut writers = factory.create_column_writers(index)?;
        let writer = writers.pop().ok_or_else(no_columns)?;
        last.send(LastColumn::Start(Box::new(writer))).map_err(|_| last_column_stopped())?;
        Ok(RowGroup { writers, rows: 0, json_bytes: 0 })
    }

    /// Encodes `part`'s rows.
    fn write(&mut self, schema: &SchemaRef, part: &RecordBatch, last: &SyncSender<LastColumn>) -> PqResult<()> {
        let mut leaves = Vec::with_capacity(self.writers.len() + 1);
        for (field, column) in schema.fields().iter().zip(part.columns()) {
            leaves.extend(compute_leaves(field, column)?);
        }
        let last_leaf = leaves.pop().ok_or_else(no_columns)?;
        last.send(LastColumn::Write(last_leaf)).map_err(|_| last_column_stopped())?;
        for (writer, leaf) in self.writers.iter_mut().zip(&leaves) {
            writer.write(leaf)?;
        }
        self.rows += part.num_rows();
        self.json_bytes += part.columns().last().map_or(0, text_bytes);
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.rows >= ROW_GROUP_ROWS || self.json_bytes >= ROW_GROUP_JSON_BYTES
    }

    /// Ends the row group: its column chunks into the file, in column order.
    fn close(self, file: &mut SerializedFileWriter<Sink>, last: &SyncSender<LastColumn>) -> PqResult<()> {
        let (reply, answer) = sync_channel(1);
        last.send(LastColumn::Close(reply)).map_err(|_| last_column_stopped())?;
        let mut chunks = self.writers.into_iter().map(ArrowColumnWriter::close).collect::<PqResult<Vec<_>>>()?;
        chunks.push(answer.recv().map_err(|_| last_column_stopped())??);
        let mut row_group = file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }
}

fn last_column_stopped() -> ParquetError {
    ParquetError::General("the encoder of the last column stopped".into())
}

fn no_columns() -> ParquetError {
    ParquetError::General("no columns".into())
}

/// The encoding thread: writes every batch it is sent, row group by row
/// group, then closes the file. The last column (`raw`: most of every
/// file's bytes) is encoded and compressed on a second thread meanwhile.
fn encode_all(
    writer: ArrowWriter<Sink>,
    schema: SchemaRef,
    queue: Receiver<RecordBatch>,
    key: String,
) -> Result<FileInfo> {
    let fail = |source: BoxError| Error::Parquet { op: "write", key: key.clone(), source };
    let (mut file, factory) = writer.into_serialized_writer().map_err(|e| fail(e.into()))?;
    let (last, jobs) = sync_channel::<LastColumn>(QUEUED_BATCHES);
    let last_thread = std::thread::Builder::new()
        .name("parquet-raw".into())
        .spawn(move || encode_last_column(jobs))
        .map_err(|e| fail(e.into()))?;
    let encode = || -> PqResult<usize> {
        let mut group: Option<RowGroup> = None;
        let mut rows = 0;
        for batch in queue {
            rows += batch.num_rows();
            let mut start = 0;
            while start < batch.num_rows() {
                let g = match &mut group {
                    Some(g) => g,
                    None => group.insert(RowGroup::start(&factory, file.flushed_row_groups().len(), &last)?),
                };
                let take = (ROW_GROUP_ROWS - g.rows).min(batch.num_rows() - start);
                g.write(&schema, &batch.slice(start, take), &last)?;
                start += take;
                if g.is_full() {
                    group.take().expect("in progress").close(&mut file, &last)?;
                }
            }
        }
        if let Some(g) = group.take() {
            g.close(&mut file, &last)?;
        }
        Ok(rows)
    };
    let encoded = encode();
    drop(last);
    let _ = last_thread.join();
    let rows = encoded.map_err(|e| fail(e.into()))?;
    let mut sink = file.into_inner().map_err(|e| fail(e.into()))?;
    sink.flush().map_err(|e| fail(e.into()))?;
    let file = sink.inner.into_inner().map_err(|e| fail(e.into_error().into()))?;
    file.sync_all().map_err(|e| fail(e.into()))?;
    Ok(FileInfo { rows, bytes: sink.written, sha256: hex::encode(sink.hasher.finalize()) })
}

/// Bytes of text in a string column (0 for any other).
fn text_bytes(column: &ArrayRef) -> usize {
    column.as_string_opt::<i32>().map_or(0, |text| {
        let offsets = text.value_offsets();
        (offsets[offsets.len() - 1] - offsets[0]) as usize
    })
}

/// The row keys a file of `def` holds (see `record::row_key`): its key
/// column (`id`, or `transaction_id`…), or for a versioned dataset each
/// row's key and version (its time) together. The version is read from the
/// row's `raw` text, which is exact to Graph's 100 ns tick whatever the time
/// column's unit.
pub(crate) fn read_keys(key: &str, bytes: Bytes, def: &DatasetDef) -> Result<Vec<String>> {
    read_keys_between(key, bytes, def, None)
}

/// The row keys of a data file's rows whose record time lies in
/// `[start, end)` (all rows for `None`): a compacted day's file read for
/// one of its hours.
pub(crate) fn read_keys_between(
    key: &str,
    bytes: Bytes,
    def: &DatasetDef,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Vec<String>> {
    let fail = |source: BoxError| Error::Parquet { op: "read", key: key.to_string(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| fail(e.into()))?;
    let id_column = column_name(def.key);
    let time_column = column_name(def.time_field);
    let mut columns = vec![id_column.as_str()];
    if def.versioned {
        columns.push(RAW_COLUMN);
    }
    if range.is_some() {
        columns.push(time_column.as_str());
    }
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns);
    let reader = builder.with_projection(mask).build().map_err(|e| fail(e.into()))?;
    let mut keys = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| fail(e.into()))?;
        let Some((start, end)) = range else {
            keys.extend(batch_keys(&batch, def).map_err(|e| fail(e.into()))?);
            continue;
        };
        let times = batch
            .column_by_name(&time_column)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| fail(format!("the file has no {time_column} column in microseconds").into()))?;
        let (from, to) = (start.timestamp_micros(), end.timestamp_micros());
        let inside: arrow::array::BooleanArray =
            times.iter().map(|t| Some(t.is_some_and(|t| t >= from && t < to))).collect();
        let batch = arrow::compute::filter_record_batch(&batch, &inside).map_err(|e| fail(e.into()))?;
        keys.extend(batch_keys(&batch, def).map_err(|e| fail(e.into()))?);
    }
    Ok(keys)
}

/// The row keys of `batch`'s rows (a data file's: its id column, and for a
/// versioned dataset its raw column), in order; rows without an id have none.
pub(crate) fn batch_keys(batch: &RecordBatch, def: &DatasetDef) -> std::result::Result<Vec<String>, String> {
    let text = |name: &str| {
        let column = batch.column_by_name(name).ok_or_else(|| format!("the file has no {name} column"))?;
        column.as_string_opt::<i32>().ok_or_else(|| format!("the {name} column is not text"))
    };
    let ids = text(&column_name(def.key))?;
    if !def.versioned {
        return Ok(ids.iter().flatten().map(str::to_owned).collect());
    }
    let raws = text(RAW_COLUMN)?;
    let mut keys = Vec::with_capacity(batch.num_rows());
    for row in (0..batch.num_rows()).filter(|&row| ids.is_valid(row)) {
        let version = Record::parse_keyed(raws.value(row), def.key, def.time_field)
            .map_err(|e| format!("row {row}: {e}"))?
            .time
            .timestamp_nanos_opt();
        keys.push(row_key(true, ids.value(row), version));
    }
    Ok(keys)
}

#[cfg(test)]
/// Writes `batches` (one schema, at least one) to a new file at `path` and
/// fsyncs it. Blocking.
pub(crate) fn write_file(path: &Path, batches: &[RecordBatch], metadata: Vec<KeyValue>) -> Result<FileInfo> {
    let fail = |source: BoxError| Error::Parquet { op: "write", key: path.display().to_string(), source };
    let schema = batches.first().ok_or_else(|| fail("no rows to write".into()))?.schema();
    let mut writer = FileWriter::create(path, schema, metadata)?;
    for batch in batches {
        writer.write(batch.clone())?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use crate::record::Record;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn texts(pairs: &[(&str, &str)], time_field: &str) -> Vec<String> {
        pairs.iter().map(|(id, time)| format!(r#"{{"id":"{id}","{time_field}":"{time}"}}"#)).collect()
    }

    fn batch(dataset: &str, texts: &[String]) -> RecordBatch {
        batch_of(by_name(dataset).unwrap(), texts)
    }

    #[test]
    fn versioned_files_read_back_as_id_and_version() {
        let def = by_name("risk_detections").unwrap();
        let states = texts(&[("r1", "2026-11-24T08:00:00Z"), ("r1", "2026-11-24T08:20:00.0000001Z")], def.time_field);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write_file(&path, &[batch(def.name, &states)], vec![]).unwrap();
        let keys = read_keys("r", Bytes::from(std::fs::read(&path).unwrap()), def).unwrap();
        let expected: Vec<String> = states.iter().map(|t| Record::parse(t, def.time_field).unwrap().key(def)).collect();
        assert_eq!(keys, expected);
        assert_eq!(keys[1], "r1@1795508400000000100", "two states of one detection are two rows");
    }

    #[test]
    fn files_keep_the_order_given_are_zstd_and_their_ids_read_back() {
        let all = texts(
            &[("b", "2026-11-24T08:30:00Z"), ("c", "2026-11-24T08:10:00.1234567Z"), ("a", "2026-11-24T08:30:00Z")],
            "createdDateTime",
        );
        // Two batches, as two pages would give.
        let batches = [batch("signins", &all[..1]), batch("signins", &all[1..])];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let metadata = vec![KeyValue::new("dataset".into(), "signins".to_string())];
        let info = write_file(&path, &batches, metadata).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(info.bytes, bytes.len() as u64);
        assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(info.rows, 3);
        assert_eq!(
            read_keys("f", Bytes::from(bytes.clone()), by_name("signins").unwrap()).unwrap(),
            vec!["b", "c", "a"]
        );
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let column = reader.metadata().row_group(0).column(0);
        assert!(matches!(column.compression(), Compression::ZSTD(_)));
        assert!(write_file(&path, &batches, vec![]).is_err(), "never overwrites a staged file");
        assert!(write_file(&dir.path().join("g"), &[], vec![]).is_err(), "an empty file is never written");
    }

    #[test]
    fn row_groups_close_at_their_row_count_across_batches() {
        let all: Vec<String> = (0..70_000)
            .map(|i| format!(r#"{{"id":"{i}","createdDateTime":"2026-11-24T08:00:00Z","status":{{"errorCode":{i}}}}}"#))
            .collect();
        let batches = [batch("signins", &all[..35_000]), batch("signins", &all[35_000..])];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let info = write_file(&path, &batches, vec![]).unwrap();
        assert_eq!(info.rows, 70_000);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, vec![ROW_GROUP_ROWS as i64, 70_000 - ROW_GROUP_ROWS as i64]);
        let keys = read_keys("f", Bytes::from(std::fs::read(&path).unwrap()), by_name("signins").unwrap()).unwrap();
        assert!(keys.iter().enumerate().all(|(i, k)| *k == i.to_string()), "every row once, in order");
        // The typed columns and raw line up row for row across row groups.
        let file = Bytes::from(std::fs::read(&path).unwrap());
        let rows = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let mut seen = 0;
        for b in rows {
            let b = b.unwrap();
            let codes = b.column_by_name("status").unwrap().as_struct().column_by_name("error_code").unwrap().clone();
            let codes = codes.as_primitive::<arrow::datatypes::Int32Type>();
            let raw = b.column_by_name("raw").unwrap().as_string::<i32>();
            for row in 0..b.num_rows() {
                assert_eq!(codes.value(row), (seen + row) as i32);
                assert_eq!(raw.value(row), all[seen + row]);
            }
            seen += b.num_rows();
        }
        assert_eq!(seen, 70_000);
    }

    #[test]
    fn unreadable_files_are_errors_not_empty_id_sets() {
        let e = read_keys("signins/x.parquet", Bytes::from_static(b"PAR1 not really"), by_name("signins").unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("signins/x.parquet"), "{e}");
    }
}
