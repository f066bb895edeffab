//! Which time ranges the archive claims to hold: the ledger.
//!
//! Every range a pass commits — the records of `[start, end)` that Graph
//! showed are in the archive — is recorded as one immutable entry under
//! `_state/{tenant}/{dataset}/ledger/`, naming the run and every file (with
//! its row count) written for it, empty ranges included. An entry is written
//! (create-only, so the ledger is append-only on every backend) after its
//! files and their manifests are durable and before the checkpoint moves
//! over its range. `verify` reads it back to prove the archive complete:
//! the ranges join up from the first run on, and every file an entry names
//! is still there (or was archived again by a later backfill). Archives from
//! before the ledger get one built from their manifests ([`rebuild`]).

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::checkpoint::CheckpointStore;
use crate::datasets::DatasetDef;
use crate::destination::{Destination, PutMode};
use crate::error::{Error, Result};
use crate::layout::{self, STATE_DIR};
use crate::manifest::Manifest;

/// Format of ledger entries.
pub(crate) const FORMAT: u32 = 1;
/// Entries (or manifests) read at once.
const CONCURRENT_READS: usize = 16;

/// What wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// An incremental run.
    Run,
    /// A backfill of a range.
    Backfill,
    /// `verify --rebuild-ledger`, from the manifests of an older archive.
    Rebuilt,
    /// `compact`: a day's files merged; names the new files and the ones
    /// they replace (an empty range: it adds no time to the archive).
    Compacted,
}

/// A file an entry names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileRows {
    /// Its key.
    pub key: String,
    /// Rows written to it.
    pub rows: u64,
}

/// One committed range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// [`FORMAT`].
    pub format: u32,
    /// Dataset name.
    pub dataset: String,
    /// Tenant.
    pub tenant_id: String,
    /// The run that committed it.
    pub run_id: String,
    /// What kind of pass that was.
    pub kind: Kind,
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
    /// Files written for it.
    pub files: Vec<FileRows>,
    /// Files these replace (`compact`): their rows are all in `files`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<FileRows>,
    /// When it was committed.
    pub committed_at: DateTime<Utc>,
}

/// The prefix of a tenant's dataset's ledger.
fn prefix(tenant: &str, dataset: &str) -> String {
    format!("{STATE_DIR}/{tenant}/{dataset}/ledger/")
}

/// An entry's key: sortable by start, unique per run.
fn key(entry: &Entry) -> String {
    let at = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%S%.fZ").to_string();
    format!("{}{}_{}_{}.json", prefix(&entry.tenant_id, &entry.dataset), at(entry.start), at(entry.end), entry.run_id)
}

/// Records `entry`. Written once: the same run committing the same range
/// again (a retried write) leaves the first.
pub(crate) async fn append(dest: &dyn Destination, entry: &Entry) -> Result<()> {
    let body = Bytes::from(serde_json::to_vec_pretty(entry).expect("an entry serialises"));
    match dest.put(&key(entry), body, PutMode::Create).await {
        Ok(_) | Err(Error::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Every tenant's ledger of `def`, by tenant, entries by start.
pub(crate) async fn load(dest: &dyn Destination, def: &DatasetDef) -> Result<BTreeMap<String, Vec<Entry>>> {
    let marker = format!("/{}/ledger/", def.name);
    let keys: Vec<String> = dest
        .list(&format!("{STATE_DIR}/"))
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.contains(&marker) && k.ends_with(".json"))
        .collect();
    let entries: Vec<Entry> = futures::stream::iter(keys)
        .map(|key| async move {
            let object = dest.get(&key).await?;
            let corrupt = |problem: String| Error::CorruptState { key: key.clone(), problem };
            match object {
                None => Ok(None),
                Some(o) => {
                    serde_json::from_slice::<Entry>(&o.bytes).map_err(|e| corrupt(e.to_string())).and_then(|e| {
                        if e.format == FORMAT { Ok(Some(e)) } else { Err(corrupt(format!("format {}", e.format))) }
                    })
                }
            }
        })
        .buffered(CONCURRENT_READS)
        .try_filter_map(|e| async move { Ok(e) })
        .try_collect()
        .await?;
    let mut by_tenant: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for entry in entries {
        by_tenant.entry(entry.tenant_id.clone()).or_default().push(entry);
    }
    by_tenant.values_mut().for_each(|v| v.sort_by_key(|e| (e.start, e.committed_at)));
    Ok(by_tenant)
}

/// What a pass has committed since its last entry: the range (of whole
/// slices) and the files (of any slice) it wrote.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    files: Vec<FileRows>,
}

impl Pending {
    /// A file was written (and its manifest), or found in a cell read
    /// again; each is named once.
    pub(crate) fn file(&mut self, key: &str, rows: u64) {
        if !self.files.iter().any(|f| f.key == key) {
            self.files.push(FileRows { key: key.to_string(), rows });
        }
    }

    /// `[start, end)` was read to its end and all its files written.
    pub(crate) fn complete(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.range = Some(match self.range {
            None => (start, end),
            Some((s, e)) => (s.min(start), e.max(end)),
        });
    }

    /// The entry to write (and nothing pending after it), if anything is.
    pub(crate) fn take(
        &mut self,
        (dataset, tenant, run_id): (&str, &str, &str),
        kind: Kind,
        now: DateTime<Utc>,
    ) -> Option<Entry> {
        if self.range.is_none() && self.files.is_empty() {
            return None;
        }
        let (start, end) = self.range.take().unwrap_or((now, now));
        Some(Entry {
            format: FORMAT,
            dataset: dataset.to_string(),
            tenant_id: tenant.to_string(),
            run_id: run_id.to_string(),
            kind,
            start,
            end,
            files: std::mem::take(&mut self.files),
            replaces: Vec::new(),
            committed_at: now,
        })
    }
}

/// The spans between `entries`' ranges (sorted by start) that no entry
/// covers, from the first entry's start to the last one's end.
pub(crate) fn gaps(entries: &[Entry]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        entries.iter().filter(|e| e.start < e.end).map(|e| (e.start, e.end)).collect();
    ranges.sort();
    let mut out = Vec::new();
    let mut reach: Option<DateTime<Utc>> = None;
    for (start, end) in ranges {
        if let Some(r) = reach
            && start > r
        {
            out.push((r, start));
        }
        reach = Some(reach.map_or(end, |r| r.max(end)));
    }
    out
}

/// The hour cell a data key belongs to (`…/20261120T11-0003-….parquet` →
/// `20261120T11`).
pub(crate) fn cell_of_key(key: &str) -> Option<&str> {
    key.rsplit('/').next()?.get(..11)
}

/// Builds a ledger for a tenant's dataset that has none, from its
/// manifests: one entry from the first file's slice to the checkpoint (or
/// the last file's slice), naming every file. Answers the entries written.
pub(crate) async fn rebuild(
    dest: std::sync::Arc<dyn Destination>,
    def: &'static DatasetDef,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>> {
    let existing = load(dest.as_ref(), def).await?;
    let keys: Vec<String> = dest.list(&layout::manifest_prefix(def.name)).await?.into_iter().map(|o| o.key).collect();
    let manifests: Vec<Manifest> = futures::stream::iter(keys)
        .map(|key| {
            let dest = dest.clone();
            async move { Ok::<_, Error>(dest.get(&key).await?.and_then(|o| Manifest::parse(&o.bytes).ok())) }
        })
        .buffered(CONCURRENT_READS)
        .try_filter_map(|m| async move { Ok(m) })
        .try_collect()
        .await?;
    let mut by_tenant: BTreeMap<String, Vec<Manifest>> = BTreeMap::new();
    for m in manifests.into_iter().filter(|m| !existing.contains_key(&m.tenant_id)) {
        by_tenant.entry(m.tenant_id.clone()).or_default().push(m);
    }
    let mut written = Vec::new();
    for (tenant, manifests) in by_tenant {
        let time = |t: &str| t.parse::<DateTime<Utc>>().ok();
        let Some(start) = manifests.iter().filter_map(|m| time(&m.slice_start)).min() else { continue };
        let last = manifests.iter().filter_map(|m| time(&m.slice_end)).max().unwrap_or(start);
        let through =
            CheckpointStore::new(dest.clone(), &tenant, def.name).load().await?.map(|(c, _)| c.archived_through);
        let files = manifests.iter().map(|m| FileRows { key: m.data_key.clone(), rows: m.records }).collect();
        let entry = Entry {
            format: FORMAT,
            dataset: def.name.to_string(),
            tenant_id: tenant,
            run_id: format!("rebuilt-{}", now.format("%Y%m%dT%H%M%SZ")),
            kind: Kind::Rebuilt,
            start,
            end: through.map_or(last, |t| t.max(last)),
            files,
            replaces: Vec::new(),
            committed_at: now,
        };
        append(dest.as_ref(), &entry).await?;
        written.push(entry);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{local_dest, t};

    fn entry(start: &str, end: &str, files: &[(&str, u64)]) -> Entry {
        Entry {
            format: FORMAT,
            dataset: "signins".into(),
            tenant_id: "t".into(),
            run_id: format!("r-{start}"),
            kind: Kind::Run,
            start: t(start),
            end: t(end),
            files: files.iter().map(|(k, r)| FileRows { key: k.to_string(), rows: *r }).collect(),
            replaces: Vec::new(),
            committed_at: t(end),
        }
    }

    #[test]
    fn gaps_are_the_spans_no_entry_covers() {
        let entries = [
            entry("2026-11-20T00:00:00Z", "2026-11-20T02:00:00Z", &[]),
            entry("2026-11-20T01:00:00Z", "2026-11-20T03:00:00Z", &[]),
            entry("2026-11-20T05:00:00Z", "2026-11-20T06:00:00Z", &[]),
            entry("2026-11-20T06:00:00Z", "2026-11-20T06:00:00Z", &[]),
        ];
        assert_eq!(gaps(&entries), [(t("2026-11-20T03:00:00Z"), t("2026-11-20T05:00:00Z"))]);
        assert!(gaps(&entries[..2]).is_empty());
        assert_eq!(cell_of_key("signins/date=2026-11-20/20261120T11-0003-t.parquet"), Some("20261120T11"));
    }

    #[tokio::test]
    async fn entries_are_written_once_and_read_back_by_tenant() {
        let (_d, dest) = local_dest();
        let def = crate::datasets::by_name("signins").unwrap();
        let e = entry("2026-11-20T00:00:00Z", "2026-11-20T01:00:00Z", &[("signins/x.parquet", 3)]);
        append(dest.as_ref(), &e).await.unwrap();
        append(dest.as_ref(), &e).await.unwrap();
        let loaded = load(dest.as_ref(), def).await.unwrap();
        assert_eq!(loaded["t"], [e]);
        let mut pending = Pending::default();
        assert!(pending.take(("signins", "t", "r"), Kind::Run, t("2026-11-20T01:00:00Z")).is_none());
        pending.complete(t("2026-11-20T01:00:00Z"), t("2026-11-20T02:00:00Z"));
        pending.file("signins/y.parquet", 4);
        pending.complete(t("2026-11-20T02:00:00Z"), t("2026-11-20T03:00:00Z"));
        let next = pending.take(("signins", "t", "r"), Kind::Run, t("2026-11-20T03:00:00Z")).unwrap();
        assert_eq!((next.start, next.end, next.files.len()), (t("2026-11-20T01:00:00Z"), t("2026-11-20T03:00:00Z"), 1));
        assert!(pending.take(("signins", "t", "r"), Kind::Run, t("2026-11-20T03:00:00Z")).is_none());
    }
}
