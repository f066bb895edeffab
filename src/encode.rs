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

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{SchemaRef, TimestampNanosecondType};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use crate::convert::{ID_COLUMN, RAW_COLUMN, row_key};
use crate::error::{BoxError, Error, Result};

/// zstd level: on 1M sign-ins, level 3 made no smaller files than level 1
/// (192.1 vs 192.0 MB) for 10 % more CPU, negative levels 45 % bigger ones.
const ZSTD_LEVEL: i32 = 1;
/// Rows per row group.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Rows in the file.
    pub rows: usize,
    /// Its size.
    pub bytes: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// The writer settings of every archive file.
pub fn writer_properties(metadata: Vec<KeyValue>) -> WriterProperties {
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

/// Encoded bytes a row group may buffer before it is closed early, so a
/// writer's memory stays bounded whatever the records' size.
const ROW_GROUP_BYTES: usize = 24 * 1024 * 1024;

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
pub struct FileWriter {
    path: PathBuf,
    batches: Option<SyncSender<RecordBatch>>,
    worker: Option<JoinHandle<Result<FileInfo>>>,
}

/// Batches waiting for the encoding thread.
const QUEUED_BATCHES: usize = 2;

impl FileWriter {
    /// Creates `path` (which must not exist).
    pub fn create(path: &Path, schema: SchemaRef, metadata: Vec<KeyValue>) -> Result<FileWriter> {
        let fail = |source: BoxError| Error::Parquet { op: "write", key: path.display().to_string(), source };
        let file = File::create_new(path).map_err(|e| fail(e.into()))?;
        let sink = HashingWriter { inner: BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new(), written: 0 };
        let writer =
            ArrowWriter::try_new(sink, schema, Some(writer_properties(metadata))).map_err(|e| fail(e.into()))?;
        let (batches, queue) = sync_channel(QUEUED_BATCHES);
        let key = path.display().to_string();
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || encode_all(writer, queue, key))
            .map_err(|e| fail(e.into()))?;
        Ok(FileWriter { path: path.to_path_buf(), batches: Some(batches), worker: Some(worker) })
    }

    /// Appends a batch's rows.
    pub fn write(&mut self, batch: RecordBatch) -> Result<()> {
        let sent = self.batches.as_ref().expect("not finished").send(batch);
        if sent.is_err() {
            // The encoder stopped: its error says why.
            self.batches = None;
            return Err(self.join().err().unwrap_or_else(|| self.fail("the encoder stopped".into())));
        }
        Ok(())
    }

    /// Closes the file and fsyncs it.
    pub fn finish(mut self) -> Result<FileInfo> {
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

/// The encoding thread: writes every batch it is sent, then closes the file.
fn encode_all(
    mut writer: ArrowWriter<HashingWriter<BufWriter<File>>>,
    queue: Receiver<RecordBatch>,
    key: String,
) -> Result<FileInfo> {
    let fail = |source: BoxError| Error::Parquet { op: "write", key: key.clone(), source };
    let mut rows = 0;
    for batch in queue {
        writer.write(&batch).map_err(|e| fail(e.into()))?;
        if writer.in_progress_size() > ROW_GROUP_BYTES {
            writer.flush().map_err(|e| fail(e.into()))?;
        }
        rows += batch.num_rows();
    }
    let mut sink = writer.into_inner().map_err(|e| fail(e.into()))?;
    sink.flush().map_err(|e| fail(e.into()))?;
    let file = sink.inner.into_inner().map_err(|e| fail(e.into_error().into()))?;
    file.sync_all().map_err(|e| fail(e.into()))?;
    Ok(FileInfo { rows, bytes: sink.written, sha256: hex::encode(sink.hasher.finalize()) })
}

/// Writes `batches` (one schema, at least one) to a new file at `path` and
/// fsyncs it. Blocking.
pub fn write_file(path: &Path, batches: &[RecordBatch], metadata: Vec<KeyValue>) -> Result<FileInfo> {
    let fail = |source: BoxError| Error::Parquet { op: "write", key: path.display().to_string(), source };
    let schema = batches.first().ok_or_else(|| fail("no rows to write".into()))?.schema();
    let mut writer = FileWriter::create(path, schema, metadata)?;
    for batch in batches {
        writer.write(batch.clone())?;
    }
    writer.finish()
}

/// The row keys a file holds (see [`crate::convert::row_key`]): its `id`
/// column, or with `version_column` (a versioned dataset's time column) each
/// row's id and version together.
pub fn read_keys(key: &str, bytes: Bytes, version_column: Option<&str>) -> Result<Vec<String>> {
    let fail = |source: BoxError| Error::Parquet { op: "read", key: key.to_string(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| fail(e.into()))?;
    let columns = std::iter::once(ID_COLUMN).chain(version_column);
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns);
    let reader = builder.with_projection(mask).build().map_err(|e| fail(e.into()))?;
    let mut keys = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| fail(e.into()))?;
        let column = batch.column_by_name(ID_COLUMN).ok_or_else(|| fail("the file has no id column".into()))?;
        let ids = column.as_string_opt::<i32>().ok_or_else(|| fail("the id column is not text".into()))?;
        match version_column {
            None => keys.extend(ids.iter().flatten().map(str::to_owned)),
            Some(name) => {
                let versions = batch
                    .column_by_name(name)
                    .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
                    .ok_or_else(|| fail(format!("the file has no timestamp column {name}").into()))?;
                for row in 0..batch.num_rows() {
                    if ids.is_valid(row) {
                        let version = versions.is_valid(row).then(|| versions.value(row));
                        keys.push(row_key(true, ids.value(row), version));
                    }
                }
            }
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Record, arrow_schema, to_batch};
    use crate::datasets::by_name;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn texts(pairs: &[(&str, &str)], time_field: &str) -> Vec<String> {
        pairs.iter().map(|(id, time)| format!(r#"{{"id":"{id}","{time_field}":"{time}"}}"#)).collect()
    }

    fn batch(dataset: &str, texts: &[String]) -> RecordBatch {
        let def = by_name(dataset).unwrap();
        let records: Vec<Record> = texts.iter().map(|t| Record::parse(t, def.time_field).unwrap()).collect();
        to_batch(def, &arrow_schema(def), &records).unwrap()
    }

    #[test]
    fn versioned_files_read_back_as_id_and_version() {
        let def = by_name("risk_detections").unwrap();
        let states = texts(&[("r1", "2026-11-24T08:00:00Z"), ("r1", "2026-11-24T08:20:00.0000001Z")], def.time_field);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write_file(&path, &[batch(def.name, &states)], vec![]).unwrap();
        let keys = read_keys("r", Bytes::from(std::fs::read(&path).unwrap()), Some("last_updated_date_time")).unwrap();
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
        assert_eq!(read_keys("f", Bytes::from(bytes.clone()), None).unwrap(), vec!["b", "c", "a"]);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let column = reader.metadata().row_group(0).column(0);
        assert!(matches!(column.compression(), Compression::ZSTD(_)));
        assert!(write_file(&path, &batches, vec![]).is_err(), "never overwrites a staged file");
        assert!(write_file(&dir.path().join("g"), &[], vec![]).is_err(), "an empty file is never written");
    }

    #[test]
    fn unreadable_files_are_errors_not_empty_id_sets() {
        let e = read_keys("signins/x.parquet", Bytes::from_static(b"PAR1 not really"), None).unwrap_err();
        assert!(e.to_string().contains("signins/x.parquet"), "{e}");
    }
}
