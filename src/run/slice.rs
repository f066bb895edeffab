//! One slice of a window: what the cell already holds, what Graph has, and
//! the file of what is new.
//!
//! Takes a slice (part of one hour cell) and hands back whether it wrote a
//! file and whether it read the slice to its end. Reads the ids of the
//! cell's existing files first, then pages through Graph, keeping records
//! that fall inside the slice, are not archived yet and were not seen on an
//! earlier page; converts each page to Arrow at once; and writes one file,
//! sorted by time, moved into the destination only after the lease was
//! renewed, then its manifest (see `manifest`). At the deadline it stops between pages and still writes what it
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
use crate::destination::PutMode;
use crate::encode;
use crate::error::{Error, Result};
use crate::graph;
use crate::layout::{self, Slice};
use crate::manifest::{self, Manifest, meta};
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
    /// A file found without its manifest (a crash came between the two) gets
    /// it now, rebuilt from the file.
    pub(super) async fn cell_contents(
        &self,
        def: &'static DatasetDef,
        cell: DateTime<Utc>,
    ) -> Result<(HashSet<String>, u32)> {
        let mut ids = HashSet::new();
        let mut next_seq = 0;
        let manifests: HashSet<String> =
            self.dest.list(&layout::cell_manifest_prefix(def.name, cell)).await?.into_iter().map(|m| m.key).collect();
        for object in self.dest.list(&layout::cell_prefix(def.name, cell)).await? {
            let Some(seq) = layout::parse_seq(&object.key, def.name, cell, &self.tenant_id) else {
                continue;
            };
            next_seq = next_seq.max(seq + 1);
            let Some(file) = self.dest.get(&object.key).await? else {
                continue;
            };
            let manifest_key = layout::manifest_key(&object.key).expect("a data key");
            let key = object.key.clone();
            let read = match manifests.contains(&manifest_key) {
                true => tokio::task::spawn_blocking(move || manifest::row_keys(def, &key, file.bytes))
                    .await
                    .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??,
                false => {
                    let now = (self.clock)();
                    let (manifest, keys) =
                        tokio::task::spawn_blocking(move || Manifest::describe(def, &key, file.bytes, now))
                            .await
                            .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??;
                    self.dest.put(&manifest_key, manifest.to_bytes(), PutMode::Overwrite).await?;
                    info!(dataset = def.name, key = %object.key, "manifest written for a file that had none");
                    keys
                }
            };
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
        let (path, time_column, data_key, now) =
            (staged.clone(), column_name(def.time_field), key.clone(), (self.clock)());
        // The manifest is described from the staged file as written, which
        // also proves the file reads back before it goes in.
        let written = tokio::task::spawn_blocking(move || {
            let info = encode::write_sorted(&path, &batches, &time_column, metadata)?;
            let bytes = std::fs::read(&path).map_err(|e| Error::Parquet {
                op: "read",
                key: path.display().to_string(),
                source: e.into(),
            })?;
            let (manifest, _) = Manifest::describe(def, &data_key, bytes.into(), now)?;
            Ok::<_, Error>((info, manifest))
        })
        .await
        .map_err(|e| Error::Parquet { op: "write", key: key.clone(), source: e.into() })?;
        let moved = match written {
            Ok(written) => match lease.renew((self.clock)()).await {
                Ok(()) => self.dest.put_file(&key, &staged).await.map(|_| written),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        // Moved in (local) or uploaded (S3): either way the staged copy goes,
        // so a warm Lambda's /tmp never fills up with finished files.
        let _ = std::fs::remove_file(&staged);
        let (info, manifest) = moved?;
        self.crash.hit(AFTER_FILE);
        // After the file, before the checkpoint. A crash in between leaves a
        // file without a manifest, which the next pass over the cell (it
        // re-reads the slice, as the checkpoint did not move) writes.
        let manifest_key = layout::manifest_key(&key).expect("a data key");
        self.dest.put(&manifest_key, manifest.to_bytes(), PutMode::Overwrite).await?;
        info!(dataset = def.name, key = %key, records = info.rows, bytes = info.bytes, "file written");
        summary.records += info.rows as u64;
        summary.files += 1;
        summary.bytes += info.bytes;
        Ok(SliceOutcome { wrote: true, complete })
    }

    fn file_metadata(&self, def: &DatasetDef, slice: Slice, url: &url::Url) -> Vec<KeyValue> {
        let pairs = [
            (meta::DATASET, def.name.to_string()),
            (meta::TENANT_ID, self.tenant_id.clone()),
            (meta::RUN_ID, self.run_id.clone()),
            (meta::SLICE_START, slice.start.to_rfc3339()),
            (meta::SLICE_END, slice.end.to_rfc3339()),
            (meta::GRAPH_QUERY, url[url::Position::BeforePath..].to_string()),
            (meta::VERSION, env!("CARGO_PKG_VERSION").to_string()),
        ];
        pairs.into_iter().map(|(k, v)| KeyValue::new(k.to_string(), v)).collect()
    }
}

fn encode_error(def: &DatasetDef, e: arrow::error::ArrowError) -> Error {
    Error::Parquet { op: "encode", key: def.name.to_string(), source: e.into() }
}
