//! One data file of an older schema version, re-derived from its `raw`
//! column into the current schema. Blocking, CPU and local disk only.
//!
//! Takes the old file's bytes and hands back a new staged file with its
//! manifest: every row's `raw` text converted again (`columns`), in the same
//! order, with the old file's provenance (run, slice, Graph query) and the
//! current schema version in its metadata. The old and new files must hold
//! the same row keys and row count, else nothing is handed back: an upgrade
//! never changes what the archive holds, only how it is typed.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;

use crate::cell::Limits;
use crate::columns::RowBuilder;
use crate::datasets::DatasetDef;
use crate::encode::{FileInfo, FileWriter};
use crate::error::{BoxError, Error, Result};
use crate::manifest::{self, Manifest, meta};
use crate::record::Record;
use crate::schema::{RAW_COLUMN, arrow_schema};

/// A rewritten file, staged.
#[derive(Debug)]
pub(super) struct Rewritten {
    pub staged: PathBuf,
    pub info: FileInfo,
    pub manifest: Manifest,
}

/// The schema version `bytes` (a data file's) was written with.
pub(super) fn file_version(key: &str, bytes: Bytes) -> Result<u32> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| parquet_error(key, e.into()))?;
    Ok(manifest::schema_version_of(builder.metadata().file_metadata().key_value_metadata()))
}

/// What to rewrite and where to: the data file `key` of `def`, staged at
/// `staged`, recorded as rewritten by `upgrade_run`.
pub(super) struct Job<'a> {
    pub def: &'static DatasetDef,
    pub key: &'a str,
    pub staged: &'a Path,
    pub upgrade_run: &'a str,
    pub written_at: DateTime<Utc>,
}

/// Converts the old file (its bytes `old`) into the current schema. The
/// staged file is removed again on any error.
pub(super) fn rewrite(job: &Job<'_>, old: Bytes) -> Result<Rewritten> {
    let result = convert(job, old);
    if result.is_err() {
        let _ = std::fs::remove_file(job.staged);
    }
    result
}

fn convert(job: &Job<'_>, old: Bytes) -> Result<Rewritten> {
    let (def, key, staged) = (job.def, job.key, job.staged);
    let fail = |problem: String| parquet_error(key, problem.into());
    let builder = ParquetRecordBatchReaderBuilder::try_new(old.clone()).map_err(|e| fail(e.to_string()))?;
    let metadata = upgraded_metadata(builder.metadata().file_metadata().key_value_metadata(), def, job.upgrade_run);
    let old_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let mask = ProjectionMask::columns(builder.parquet_schema(), [RAW_COLUMN]);
    let batch_rows = Limits::default().batch_rows;
    let reader = builder.with_projection(mask).with_batch_size(batch_rows).build().map_err(|e| fail(e.to_string()))?;
    let schema = arrow_schema(def);
    let mut writer = FileWriter::create(staged, schema.clone(), metadata)?;
    let mut rows = RowBuilder::new(def, schema);
    let mut keys = Vec::with_capacity(old_rows as usize);
    for batch in reader {
        let batch = batch.map_err(|e| fail(e.to_string()))?;
        let raw = batch.column(0).as_string_opt::<i32>().ok_or_else(|| fail("raw is not text".into()))?;
        for row in 0..raw.len() {
            if raw.is_null(row) {
                return Err(fail(format!("row {row} has no raw text to re-derive it from")));
            }
            let text = raw.value(row);
            let record = Record::of(text, def).map_err(|e| fail(format!("row {row}: {e}")))?;
            keys.push(record.key(def));
            rows.append(text).map_err(|e| fail(format!("row {row}: {e}")))?;
        }
        if rows.len() >= batch_rows {
            writer.write(rows.finish().map_err(|e| fail(e.to_string()))?)?;
        }
    }
    if !rows.is_empty() {
        writer.write(rows.finish().map_err(|e| fail(e.to_string()))?)?;
    }
    let info = writer.finish()?;
    let manifest =
        Manifest::describe_written(def, key, staged, (info.sha256.clone(), info.bytes), &keys, job.written_at)?;
    let before = manifest::keys_digest(&manifest::row_keys(def, key, old)?);
    if manifest.records != old_rows || manifest.row_keys_sha256 != before {
        return Err(fail(format!(
            "the rewritten file differs from the old one ({} rows, key hash {}; before: {old_rows} rows, {before})",
            manifest.records, manifest.row_keys_sha256
        )));
    }
    Ok(Rewritten { staged: staged.to_path_buf(), info, manifest })
}

/// The old file's metadata with the current schema and tool versions, and
/// the run that upgraded it.
fn upgraded_metadata(old: Option<&Vec<KeyValue>>, def: &DatasetDef, upgrade_run: &str) -> Vec<KeyValue> {
    let replaced = [meta::SCHEMA_VERSION, meta::VERSION, meta::UPGRADED_BY];
    let mut pairs: Vec<KeyValue> =
        old.into_iter().flatten().filter(|k| !replaced.contains(&k.key.as_str())).cloned().collect();
    // Parquet's own key (arrow's schema) is written by the writer again.
    pairs.retain(|k| k.key != parquet::arrow::ARROW_SCHEMA_META_KEY);
    pairs.push(KeyValue::new(meta::SCHEMA_VERSION.to_string(), def.schema_version.to_string()));
    pairs.push(KeyValue::new(meta::VERSION.to_string(), env!("CARGO_PKG_VERSION").to_string()));
    pairs.push(KeyValue::new(meta::UPGRADED_BY.to_string(), upgrade_run.to_string()));
    pairs
}

fn parquet_error(key: &str, source: BoxError) -> Error {
    Error::Parquet { op: "upgrade", key: key.to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use crate::encode::write_file;

    #[test]
    fn a_file_is_rewritten_with_the_same_rows_and_the_current_version() {
        let def = by_name("risk_detections").unwrap();
        let texts: Vec<String> = [("r1", "2026-11-24T08:00:00.1234567Z"), ("r1", "2026-11-24T08:20:00Z")]
            .iter()
            .map(|(id, at)| format!(r#"{{"id":"{id}","lastUpdatedDateTime":"{at}","riskLevel":"high"}}"#))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.parquet");
        let old_meta = vec![KeyValue::new(meta::RUN_ID.into(), "run-1".to_string())];
        write_file(&old_path, &[batch_of(def, &texts)], old_meta).unwrap();
        let old = Bytes::from(std::fs::read(&old_path).unwrap());
        assert_eq!(file_version("k", old.clone()).unwrap(), 1, "no recorded version is version 1");

        let at = "2026-12-01T00:00:00Z".parse().unwrap();
        let staged = dir.path().join("new.parquet");
        let job = Job { def, key: "risk/x.parquet", staged: &staged, upgrade_run: "up-1", written_at: at };
        let new = rewrite(&job, old).unwrap();
        let bytes = Bytes::from(std::fs::read(&new.staged).unwrap());
        assert_eq!(file_version("k", bytes.clone()).unwrap(), def.schema_version);
        assert_eq!((new.manifest.records, new.manifest.schema_version), (2, def.schema_version));
        assert_eq!(new.manifest.run_id, "run-1", "provenance kept");
        let batch = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap().next().unwrap().unwrap();
        let raw = batch.column_by_name("raw").unwrap().as_string::<i32>();
        assert_eq!(raw.iter().flatten().collect::<Vec<_>>(), texts.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(batch.column_by_name("risk_level").unwrap().as_string::<i32>().value(1), "high");
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_error_and_leaves_nothing_staged() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join("new.parquet");
        let at = "2026-12-01T00:00:00Z".parse().unwrap();
        let job = Job { def, key: "signins/x.parquet", staged: &staged, upgrade_run: "up-1", written_at: at };
        let e = rewrite(&job, Bytes::from_static(b"PAR1 no")).unwrap_err();
        assert!(e.to_string().contains("signins/x.parquet"), "{e}");
        assert!(!staged.exists());
    }
}
