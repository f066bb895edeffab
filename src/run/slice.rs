//! One slice of a window: what the cell already holds, what Graph has, and
//! the file of what is new.
//!
//! Takes a slice (part of one hour cell) and hands back whether it wrote a
//! file and whether it read the slice to its end. Reads the ids of the
//! cell's existing files first, then pages through Graph, keeping records
//! that fall inside the slice, are not archived yet and were not seen on an
//! earlier page; converts each page to Arrow at once; and writes one file,
//! sorted by time, moved into the destination only after the lease was
//! renewed. At the deadline it stops between pages and still writes what it
//! read (the checkpoint then stays at the slice's start).

use std::collections::HashSet;
use std::pin::pin;

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use parquet::file::metadata::KeyValue;
use tracing::info;

use super::Exporter;
use crate::checkpoint::Lease;
use crate::convert::{Record, to_batch};
use crate::crashpoint::AFTER_FILE;
use crate::datasets::{DatasetDef, column_name};
use crate::deadline::Deadline;
use crate::encode;
use crate::error::{Error, Result};
use crate::graph;
use crate::layout::{self, Slice};
use crate::summary::DatasetSummary;

/// What became of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SliceOutcome {
    /// A file was written.
    pub wrote: bool,
    /// Every page was read (false when the deadline stopped it).
    pub complete: bool,
}

impl Exporter {
    /// The row keys a cell's files hold, and the `seq` its next file gets.
    pub(super) async fn cell_contents(&self, def: &DatasetDef, cell: DateTime<Utc>) -> Result<(HashSet<String>, u32)> {
        let mut ids = HashSet::new();
        let mut next_seq = 0;
        for object in self.dest.list(&layout::cell_prefix(def.name, cell)).await? {
            let Some(seq) = layout::parse_seq(&object.key, def.name, cell, &self.tenant_id) else {
                continue;
            };
            next_seq = next_seq.max(seq + 1);
            let Some(file) = self.dest.get(&object.key).await? else {
                continue;
            };
            let key = object.key.clone();
            let version = def.versioned.then(|| column_name(def.time_field));
            let read = tokio::task::spawn_blocking(move || encode::read_keys(&key, file.bytes, version.as_deref()))
                .await
                .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??;
            ids.extend(read);
        }
        Ok((ids, next_seq))
    }

    /// Reads one slice and writes what is new in it.
    pub(super) async fn export_slice(
        &self,
        def: &'static DatasetDef,
        schema: &SchemaRef,
        slice: Slice,
        lease: &mut Lease,
        summary: &mut DatasetSummary,
        deadline: Option<&Deadline>,
    ) -> Result<SliceOutcome> {
        let (known, seq) = self.cell_contents(def, slice.cell).await?;
        let url = graph::slice_url(self.graph.base(), def, slice.start, slice.end);
        let mut seen: HashSet<String> = HashSet::new();
        let mut batches = Vec::new();
        let mut pages = pin!(self.graph.pages(def, url.clone(), deadline));
        let mut complete = true;
        while let Some(page) = pages.try_next().await? {
            let more = page.next_link.is_some();
            let mut fresh = Vec::new();
            for raw in &page.records {
                let record = Record::parse(raw.get(), def.time_field)
                    .map_err(|problem| Error::InvalidRecord { dataset: def.name, problem })?;
                let row = record.key(def);
                if slice.contains(record.time) && !known.contains(&row) && seen.insert(row) {
                    fresh.push(record);
                }
            }
            if !fresh.is_empty() {
                batches.push(to_batch(def, schema, &fresh).map_err(|e| encode_error(def, e))?);
            }
            if more && deadline.is_some_and(Deadline::reached) {
                info!(dataset = def.name, slice = %slice.start, "deadline reached mid-slice; writing what was read");
                complete = false;
                break;
            }
        }
        if batches.is_empty() {
            return Ok(SliceOutcome { wrote: false, complete });
        }
        let key = layout::data_key(def.name, slice.cell, seq, &self.tenant_id);
        let staged =
            self.dest.staging_dir().join(format!("{}-{}.parquet.partial", self.run_id, uuid::Uuid::new_v4().simple()));
        let metadata = self.file_metadata(def, slice, &url);
        let (path, time_column) = (staged.clone(), column_name(def.time_field));
        let info = tokio::task::spawn_blocking(move || encode::write_sorted(&path, &batches, &time_column, metadata))
            .await
            .map_err(|e| Error::Parquet { op: "write", key: key.clone(), source: e.into() })?;
        let moved = match info {
            Ok(info) => match lease.renew((self.clock)()).await {
                Ok(()) => self.dest.put_file(&key, &staged).await.map(|_| info),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        // Moved in (local) or uploaded (S3): either way the staged copy goes,
        // so a warm Lambda's /tmp never fills up with finished files.
        let _ = std::fs::remove_file(&staged);
        let info = moved?;
        self.crash.hit(AFTER_FILE);
        info!(dataset = def.name, key = %key, records = info.rows, bytes = info.bytes, "file written");
        summary.records += info.rows as u64;
        summary.files += 1;
        summary.bytes += info.bytes;
        Ok(SliceOutcome { wrote: true, complete })
    }

    fn file_metadata(&self, def: &DatasetDef, slice: Slice, url: &url::Url) -> Vec<KeyValue> {
        let pairs = [
            ("entra_archive.dataset", def.name.to_string()),
            ("entra_archive.tenant_id", self.tenant_id.clone()),
            ("entra_archive.run_id", self.run_id.clone()),
            ("entra_archive.slice_start", slice.start.to_rfc3339()),
            ("entra_archive.slice_end", slice.end.to_rfc3339()),
            ("entra_archive.graph_query", url[url::Position::BeforePath..].to_string()),
            ("entra_archive.version", env!("CARGO_PKG_VERSION").to_string()),
        ];
        pairs.into_iter().map(|(k, v)| KeyValue::new(k.to_string(), v)).collect()
    }
}

fn encode_error(def: &DatasetDef, e: arrow::error::ArrowError) -> Error {
    Error::Parquet { op: "encode", key: def.name.to_string(), source: e.into() }
}
