//! Each data file's manifest: what the file must contain, written beside the
//! archive so that `verify` can check the file later, offline.
//!
//! Takes a data file's bytes (and its dataset) and hands back a [`Manifest`]:
//! its size and SHA-256, its row count, the min/max of its time column, a
//! hash over its sorted row keys, and the provenance recorded in its Parquet
//! metadata (dataset, tenant, run, slice, Graph query, tool version). Because
//! everything comes from the file itself, a manifest lost to a crash between
//! the file and its manifest is rebuilt identically (but for `written_at`)
//! by the next run that reads the cell. Never writes anything itself.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, TimeUnit};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::datasets::{DatasetDef, column_name};
use crate::encode;
use crate::error::{Error, Result};

/// Version of the manifest format.
pub(crate) const FORMAT: u32 = 1;

/// Parquet metadata keys every data file carries.
pub(crate) mod meta {
    /// Dataset name.
    pub(crate) const DATASET: &str = "entra_archive.dataset";
    /// Tenant ID.
    pub(crate) const TENANT_ID: &str = "entra_archive.tenant_id";
    /// Id of the run that wrote the file.
    pub(crate) const RUN_ID: &str = "entra_archive.run_id";
    /// Start of the Graph query the file came from (RFC 3339).
    pub(crate) const SLICE_START: &str = "entra_archive.slice_start";
    /// End of that query (RFC 3339).
    pub(crate) const SLICE_END: &str = "entra_archive.slice_end";
    /// The Graph path and query the records came from.
    pub(crate) const GRAPH_QUERY: &str = "entra_archive.graph_query";
    /// Version of entra-archive that wrote the file.
    pub(crate) const VERSION: &str = "entra_archive.version";
    /// The dataset's schema version the file was written with (absent: 1).
    pub(crate) const SCHEMA_VERSION: &str = "entra_archive.schema_version";
    /// The `upgrade` run that re-derived the file from `raw`, if one did.
    pub(crate) const UPGRADED_BY: &str = "entra_archive.upgraded_by";

    /// The metadata every data file carries: where its records came from.
    pub(crate) fn pairs(
        def: &crate::datasets::DatasetDef,
        tenant_id: &str,
        run_id: &str,
        (start, end): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        query: &str,
    ) -> Vec<parquet::file::metadata::KeyValue> {
        [
            (DATASET, def.name.to_string()),
            (SCHEMA_VERSION, def.schema_version.to_string()),
            (TENANT_ID, tenant_id.to_string()),
            (RUN_ID, run_id.to_string()),
            (SLICE_START, start.to_rfc3339()),
            (SLICE_END, end.to_rfc3339()),
            (GRAPH_QUERY, query.to_string()),
            (VERSION, env!("CARGO_PKG_VERSION").to_string()),
        ]
        .into_iter()
        .map(|(k, v)| parquet::file::metadata::KeyValue::new(k.to_string(), v))
        .collect()
    }
}

/// What a data file holds, as recorded when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// Dataset name.
    pub dataset: String,
    /// Tenant ID.
    pub tenant_id: String,
    /// Run that wrote the data file.
    pub run_id: String,
    /// Start of the Graph query the file came from.
    pub slice_start: String,
    /// End of that query.
    pub slice_end: String,
    /// Key of the data file, relative to the archive root.
    pub data_key: String,
    /// Rows in the file.
    pub records: u64,
    /// Earliest record time, if any row has one.
    pub min_time: Option<DateTime<Utc>>,
    /// Latest record time.
    pub max_time: Option<DateTime<Utc>>,
    /// Number of row keys (id, or id@version) the file holds.
    pub row_keys: u64,
    /// Hex SHA-256 over the sorted row keys, each followed by `\n`.
    pub row_keys_sha256: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's size.
    pub bytes: u64,
    /// Graph path and query the records came from.
    pub graph_query: String,
    /// entra-archive version that wrote the data file.
    pub tool_version: String,
    /// The dataset's schema version the data file was written with (1 for
    /// files from before versions were recorded).
    #[serde(default = "first_schema_version")]
    pub schema_version: u32,
    /// When this manifest was written.
    pub written_at: DateTime<Utc>,
}

/// The schema version of files that do not record one.
pub(crate) const FIRST_SCHEMA_VERSION: u32 = 1;

/// The schema version a data file's Parquet key-value metadata records
/// ([`FIRST_SCHEMA_VERSION`] when it records none).
pub(crate) fn schema_version_of(pairs: Option<&Vec<parquet::file::metadata::KeyValue>>) -> u32 {
    pairs
        .and_then(|kv| kv.iter().find(|k| k.key == meta::SCHEMA_VERSION))
        .and_then(|k| k.value.as_deref())
        .and_then(|v| v.parse().ok())
        .unwrap_or(FIRST_SCHEMA_VERSION)
}

fn first_schema_version() -> u32 {
    FIRST_SCHEMA_VERSION
}

/// Hex SHA-256 over `keys` sorted, each followed by a newline: the same for
/// the same set of keys in any order.
pub(crate) fn keys_digest(keys: &[String]) -> String {
    let mut sorted: Vec<&str> = keys.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut hasher = Sha256::new();
    for key in sorted {
        hasher.update(key.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn file_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The row keys of a data file of `def` (see [`encode::read_keys`]).
pub(crate) fn row_keys(def: &DatasetDef, key: &str, bytes: Bytes) -> Result<Vec<String>> {
    encode::read_keys(key, bytes, def)
}

impl Manifest {
    /// Describes the data file `data_key` of `def` from its bytes, and hands
    /// back its row keys too. Blocking (decodes the key column).
    pub(crate) fn describe(
        def: &DatasetDef,
        data_key: &str,
        bytes: Bytes,
        written_at: DateTime<Utc>,
    ) -> Result<(Manifest, Vec<String>)> {
        let fail =
            |problem: String| Error::Parquet { op: "describe", key: data_key.to_string(), source: problem.into() };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).map_err(|e| fail(e.to_string()))?;
        let keys = row_keys(def, data_key, bytes.clone())?;
        let file = (file_digest(&bytes), bytes.len() as u64);
        let manifest = Manifest::from_footer(def, data_key, builder.metadata(), file, &keys, written_at);
        Ok((manifest, keys))
    }

    /// Describes a file just written to `path`, whose SHA-256, size and row
    /// keys the writer knows: reads only the footer back (rows, time range,
    /// provenance) and checks its row count against the keys.
    pub(crate) fn describe_written(
        def: &DatasetDef,
        data_key: &str,
        path: &std::path::Path,
        (sha256, bytes): (String, u64),
        keys: &[String],
        written_at: DateTime<Utc>,
    ) -> Result<Manifest> {
        let fail =
            |problem: String| Error::Parquet { op: "describe", key: data_key.to_string(), source: problem.into() };
        let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
        let metadata = ParquetMetaDataReader::new().parse_and_finish(&file).map_err(|e| fail(e.to_string()))?;
        let manifest = Manifest::from_footer(def, data_key, &metadata, (sha256, bytes), keys, written_at);
        if manifest.records != keys.len() as u64 {
            return Err(fail(format!("the footer says {} rows, {} were written", manifest.records, keys.len())));
        }
        Ok(manifest)
    }

    fn from_footer(
        def: &DatasetDef,
        data_key: &str,
        metadata: &ParquetMetaData,
        (sha256, bytes): (String, u64),
        keys: &[String],
        written_at: DateTime<Utc>,
    ) -> Manifest {
        let value = |name: &str| {
            metadata
                .file_metadata()
                .key_value_metadata()
                .and_then(|kv| kv.iter().find(|k| k.key == name))
                .and_then(|k| k.value.clone())
                .unwrap_or_default()
        };
        let (min_time, max_time) = time_range(metadata, &column_name(def.time_field));
        Manifest {
            format: FORMAT,
            dataset: def.name.to_string(),
            tenant_id: value(meta::TENANT_ID),
            run_id: value(meta::RUN_ID),
            slice_start: value(meta::SLICE_START),
            slice_end: value(meta::SLICE_END),
            data_key: data_key.to_string(),
            records: metadata.file_metadata().num_rows().max(0) as u64,
            min_time,
            max_time,
            row_keys: keys.len() as u64,
            row_keys_sha256: keys_digest(keys),
            sha256,
            bytes,
            graph_query: value(meta::GRAPH_QUERY),
            tool_version: value(meta::VERSION),
            schema_version: value(meta::SCHEMA_VERSION).parse().unwrap_or(FIRST_SCHEMA_VERSION),
            written_at,
        }
    }

    /// The manifest as stored: pretty JSON.
    pub(crate) fn to_bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec_pretty(self).expect("a manifest always serialises"))
    }

    /// Reads a stored manifest.
    pub(crate) fn parse(bytes: &[u8]) -> std::result::Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if manifest.format != FORMAT {
            return Err(format!("format {} is not {FORMAT}", manifest.format));
        }
        Ok(manifest)
    }
}

/// Min and max of a timestamp column, from the row groups' statistics, in
/// the column's own unit (microseconds; nanoseconds in schema version 1).
fn time_range(metadata: &ParquetMetaData, column: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let schema = metadata.file_metadata().schema_descr();
    let Some(index) = schema.columns().iter().position(|c| c.path().string() == column) else {
        return (None, None);
    };
    let to_time: fn(i64) -> DateTime<Utc> = match schema.column(index).logical_type_ref() {
        Some(LogicalType::Timestamp(t)) if t.unit == TimeUnit::NANOS => DateTime::from_timestamp_nanos,
        Some(LogicalType::Timestamp(t)) if t.unit == TimeUnit::MICROS => {
            |v| DateTime::from_timestamp_micros(v).unwrap_or_default()
        }
        _ => return (None, None),
    };
    let (mut min, mut max): (Option<i64>, Option<i64>) = (None, None);
    for group in metadata.row_groups() {
        if let Some(Statistics::Int64(stats)) = group.column(index).statistics() {
            if let Some(&v) = stats.min_opt() {
                min = Some(min.map_or(v, |m| m.min(v)));
            }
            if let Some(&v) = stats.max_opt() {
                max = Some(max.map_or(v, |m| m.max(v)));
            }
        }
    }
    (min.map(to_time), max.map(to_time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use parquet::file::metadata::KeyValue;

    #[test]
    fn key_digest_ignores_order_but_not_content() {
        let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(keys_digest(&keys(&["b", "a"])), keys_digest(&keys(&["a", "b"])));
        assert_ne!(keys_digest(&keys(&["a", "b"])), keys_digest(&keys(&["a", "c"])));
        assert_ne!(keys_digest(&keys(&["ab"])), keys_digest(&keys(&["a", "b"])), "keys are delimited");
        assert_eq!(keys_digest(&keys(&["b", "a"])), hex::encode(Sha256::digest(b"a\nb\n")));
    }

    #[test]
    fn a_file_is_described_from_its_bytes_and_the_manifest_round_trips() {
        let def = by_name("signins").unwrap();
        let texts: Vec<String> = [("b", "2026-11-24T08:30:00Z"), ("a", "2026-11-24T08:10:00.1234567Z")]
            .iter()
            .map(|(id, at)| format!(r#"{{"id":"{id}","createdDateTime":"{at}"}}"#))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let metadata = vec![
            KeyValue::new(meta::RUN_ID.into(), "run-1".to_string()),
            KeyValue::new(meta::GRAPH_QUERY.into(), "/v1.0/auditLogs/signIns?$top=1000".to_string()),
        ];
        let info = encode::write_file(&path, &[batch_of(def, &texts)], metadata).unwrap();
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        let at: DateTime<Utc> = "2026-11-24T09:00:00Z".parse().unwrap();
        let (m, keys) = Manifest::describe(def, "signins/x.parquet", bytes, at).unwrap();
        assert_eq!(keys, vec!["b", "a"]);
        assert_eq!((m.records, m.row_keys, m.bytes, m.sha256.as_str()), (2, 2, info.bytes, info.sha256.as_str()));
        assert_eq!(m.row_keys_sha256, keys_digest(&keys));
        assert_eq!(m.min_time, Some("2026-11-24T08:10:00.123456Z".parse().unwrap()), "to the microsecond");
        assert_eq!(m.max_time, Some("2026-11-24T08:30:00Z".parse().unwrap()));
        assert_eq!((m.run_id.as_str(), m.graph_query.as_str()), ("run-1", "/v1.0/auditLogs/signIns?$top=1000"));
        assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
        let mut future = m.clone();
        future.format = FORMAT + 1;
        assert!(Manifest::parse(&future.to_bytes()).is_err());
        assert!(Manifest::parse(b"{}").is_err());
    }
}
