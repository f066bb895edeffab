//! Arrow batches ⇄ Parquet files.
//!
//! Takes one cell's new records as Arrow batches, merges them in time (then
//! id) order, and writes a zstd-compressed Parquet file to a local staging path,
//! fsynced, with the SHA-256 of its bytes computed on the way. Also reads the
//! `id` column back out of existing files, which is how a pass learns what a
//! cell already holds. Never writes to the archive itself: `destination`
//! moves finished files in.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::interleave_record_batch;
use arrow::datatypes::TimestampNanosecondType;
use arrow::error::ArrowError;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use crate::convert::{ID_COLUMN, row_key};
use crate::error::{BoxError, Error, Result};

/// zstd level: a good ratio at a speed well above Graph's throughput.
const ZSTD_LEVEL: i32 = 3;
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
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).expect("valid zstd level")))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("entra-archive {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata))
        .build()
}

/// Rows handed to the writer at a time while merging batches.
const WRITE_CHUNK_ROWS: usize = 8 * 1024;

/// The rows of `batches` ordered by `time_column`, then `id`, as
/// `(batch, row)` pairs.
fn time_order(batches: &[RecordBatch], time_column: &str) -> Result<Vec<(usize, usize)>, ArrowError> {
    let mut keys: Vec<(i64, &str, usize, usize)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let column =
            |name: &str| batch.column_by_name(name).ok_or_else(|| ArrowError::SchemaError(format!("no column {name}")));
        let times = column(time_column)?
            .as_primitive_opt::<TimestampNanosecondType>()
            .ok_or_else(|| ArrowError::SchemaError(format!("{time_column} is not a timestamp")))?;
        let ids = column(ID_COLUMN)?
            .as_string_opt::<i32>()
            .ok_or_else(|| ArrowError::SchemaError("id is not text".into()))?;
        for row in 0..batch.num_rows() {
            let time = if times.is_valid(row) { times.value(row) } else { i64::MIN };
            keys.push((time, ids.value(row), b, row));
        }
    }
    keys.sort_unstable();
    Ok(keys.into_iter().map(|(_, _, b, row)| (b, row)).collect())
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

/// Writes the rows of `batches` (one schema) to a new file at `path`,
/// ordered by `time_column` then `id`, and fsyncs it. Rows are merged into the
/// writer a chunk at a time, never copied into one big batch. Blocking.
pub fn write_sorted(
    path: &Path,
    batches: &[RecordBatch],
    time_column: &str,
    metadata: Vec<KeyValue>,
) -> Result<FileInfo> {
    let fail = |source: BoxError| Error::Parquet { op: "write", key: path.display().to_string(), source };
    let schema = batches.first().ok_or_else(|| fail("no rows to write".into()))?.schema();
    let order = time_order(batches, time_column).map_err(|e| fail(e.into()))?;
    let file = File::create_new(path).map_err(|e| fail(e.into()))?;
    let sink = HashingWriter { inner: BufWriter::new(file), hasher: Sha256::new(), written: 0 };
    let mut writer =
        ArrowWriter::try_new(sink, schema, Some(writer_properties(metadata))).map_err(|e| fail(e.into()))?;
    let sources: Vec<&RecordBatch> = batches.iter().collect();
    for chunk in order.chunks(WRITE_CHUNK_ROWS) {
        let rows = interleave_record_batch(&sources, chunk).map_err(|e| fail(e.into()))?;
        writer.write(&rows).map_err(|e| fail(e.into()))?;
    }
    let mut sink = writer.into_inner().map_err(|e| fail(e.into()))?;
    sink.flush().map_err(|e| fail(e.into()))?;
    let file = sink.inner.into_inner().map_err(|e| fail(e.into_error().into()))?;
    file.sync_all().map_err(|e| fail(e.into()))?;
    Ok(FileInfo { rows: order.len(), bytes: sink.written, sha256: hex::encode(sink.hasher.finalize()) })
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

    fn records() -> Vec<Record> {
        ["2026-11-24T08:30:00Z", "2026-11-24T08:10:00.1234567Z", "2026-11-24T08:30:00Z"]
            .iter()
            .zip(["b", "c", "a"])
            .map(|(time, id)| {
                Record::parse(&format!(r#"{{"id":"{id}","createdDateTime":"{time}"}}"#), "createdDateTime").unwrap()
            })
            .collect()
    }

    #[test]
    fn versioned_files_read_back_as_id_and_version() {
        let def = by_name("risk_detections").unwrap();
        let schema = arrow_schema(def);
        let states: Vec<Record> = [("r1", "2026-11-24T08:00:00Z"), ("r1", "2026-11-24T08:20:00.0000001Z")]
            .iter()
            .map(|(id, at)| {
                Record::parse(&format!(r#"{{"id":"{id}","lastUpdatedDateTime":"{at}"}}"#), def.time_field).unwrap()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write_sorted(&path, &[to_batch(def, &schema, &states).unwrap()], "last_updated_date_time", vec![]).unwrap();
        let keys = read_keys("r", Bytes::from(std::fs::read(&path).unwrap()), Some("last_updated_date_time")).unwrap();
        let expected: Vec<String> = states.iter().map(|r| r.key(def)).collect();
        assert_eq!(keys, expected);
        assert_eq!(keys[1], "r1@1795508400000000100", "two states of one detection are two rows");
    }

    #[test]
    fn files_are_sorted_zstd_and_their_ids_read_back() {
        let def = by_name("signins").unwrap();
        let schema = arrow_schema(def);
        let all = records();
        // Two batches, as two pages would give.
        let batches = [to_batch(def, &schema, &all[..1]).unwrap(), to_batch(def, &schema, &all[1..]).unwrap()];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let metadata = vec![KeyValue::new("dataset".into(), "signins".to_string())];
        let info = write_sorted(&path, &batches, "created_date_time", metadata).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(info.bytes, bytes.len() as u64);
        assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(info.rows, 3);
        // 08:10 first, then the two 08:30 records by id.
        assert_eq!(read_keys("f", Bytes::from(bytes.clone()), None).unwrap(), vec!["c", "a", "b"]);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let column = reader.metadata().row_group(0).column(0);
        assert!(matches!(column.compression(), Compression::ZSTD(_)));
        assert!(write_sorted(&path, &batches, "created_date_time", vec![]).is_err(), "never overwrites a staged file");
        assert!(
            write_sorted(&dir.path().join("g"), &batches, "user_id", vec![]).is_err(),
            "time column must be a timestamp"
        );
    }

    #[test]
    fn unreadable_files_are_errors_not_empty_id_sets() {
        let e = read_keys("signins/x.parquet", Bytes::from_static(b"PAR1 not really"), None).unwrap_err();
        assert!(e.to_string().contains("signins/x.parquet"), "{e}");
    }
}
