//! A cell (a dataset's hour) as the destination holds it.
//!
//! Takes a destination and a cell, and hands back the row keys its files
//! already hold and the number the next file gets; a file found without its
//! manifest (a crash came between the two) gets it now, rebuilt from the
//! file. Moves a cell's finished files in, under the lease, the data file
//! first and then its manifest. The storage side of `cell`, which stays CPU and local disk only.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tracing::info;

use crate::cell::{Finished, KeySet};
use crate::datasets::DatasetDef;
use crate::destination::{Destination, PutMode};
use crate::encode;
use crate::error::{Error, Result};
use crate::layout;
use crate::lease::Lease;
use crate::manifest::{self, Manifest};
use crate::quarantine;

/// What a cell's files hold.
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// The row keys.
    pub keys: KeySet,
    /// The `seq` the cell's next file gets.
    pub next_seq: u32,
    /// Files that could not be read, moved to quarantine (where to), whose
    /// records are read again from Graph.
    pub quarantined: Vec<String>,
    /// Every readable file and its rows, including those found without a
    /// manifest (a crash came between the two), which got it now. The pass
    /// that reads the cell names them all when it commits, so files a run
    /// wrote but could not commit (a crash, a stop mid-query) are committed
    /// by the next.
    pub files: Vec<(String, u64)>,
}

/// The row keys a cell's files hold, and the `seq` its next file gets.
/// A file found without its manifest (a crash came between the two) gets
/// it now, rebuilt from the file.
pub(crate) async fn contents(
    dest: &dyn Destination,
    def: &'static DatasetDef,
    cell: DateTime<Utc>,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> Result<(KeySet, u32)> {
    let read = read(dest, def, cell, tenant_id, now, &HashSet::new()).await?;
    Ok((read.keys, read.next_seq))
}

/// [`contents`], saying which unreadable files were moved to quarantine: a
/// corrupt or empty Parquet file would otherwise fail every run over its
/// cell for ever. `next_seq` stays past it, so its name is never reused.
/// Files named in `skip` count for `next_seq` but are neither read nor
/// listed: a pass skips the files of its own complete queries, whose time
/// ranges the next queries do not overlap (reading them back would cost
/// the memory and the requests of every row of a busy hour again).
pub(crate) async fn read(
    dest: &dyn Destination,
    def: &'static DatasetDef,
    cell: DateTime<Utc>,
    tenant_id: &str,
    now: DateTime<Utc>,
    skip: &HashSet<String>,
) -> Result<Contents> {
    let mut ids = KeySet::default();
    let mut quarantined = Vec::new();
    let mut files = Vec::new();
    let mut next_seq = 0;
    let manifests: HashSet<String> =
        dest.list(&layout::cell_manifest_prefix(def.name, cell)).await?.into_iter().map(|m| m.key).collect();
    for object in dest.list(&layout::cell_prefix(def.name, cell)).await? {
        let Some(seq) = layout::parse_seq(&object.key, def.name, cell, tenant_id) else {
            continue;
        };
        next_seq = next_seq.max(seq + 1);
        if skip.contains(&object.key) {
            continue;
        }
        let Some(file) = dest.get(&object.key).await? else {
            continue;
        };
        let manifest_key = layout::manifest_key(&object.key).expect("a data key");
        let (key, bytes) = (object.key.clone(), file.bytes.clone());
        let read_error =
            |e: tokio::task::JoinError| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() };
        let has_manifest = manifests.contains(&manifest_key);
        let read = tokio::task::spawn_blocking(move || match has_manifest {
            true => manifest::row_keys(def, &key, bytes).map(|keys| (None, keys)),
            false => Manifest::describe(def, &key, bytes, now).map(|(m, keys)| (Some(m), keys)),
        })
        .await
        .map_err(read_error)?;
        let keys = match read {
            Ok((None, keys)) => keys,
            Ok((Some(manifest), keys)) => {
                dest.put(&manifest_key, manifest.to_bytes(), PutMode::Overwrite).await?;
                info!(dataset = def.name, key = %object.key, "manifest written for a file that had none");
                keys
            }
            Err(e @ Error::Parquet { .. }) => {
                let reason = format!("unreadable when its cell was read again: {e}");
                quarantined.push(quarantine::file(dest, def, &object.key, file.bytes, &reason, now).await?);
                continue;
            }
            Err(e) => return Err(e),
        };
        files.push((object.key.clone(), keys.len() as u64));
        ids.extend(keys);
    }
    // A compacted day holds its hours in day files: the rows of this hour.
    let day = cell.date_naive();
    for object in dest.list(&layout::day_prefix(def.name, day)).await? {
        if layout::parse_day_part(&object.key, def.name, day, tenant_id).is_none() {
            continue;
        }
        let Some(file) = dest.get(&object.key).await? else {
            continue;
        };
        let key = object.key.clone();
        let hour = Some((cell, cell + layout::CELL));
        let keys = tokio::task::spawn_blocking(move || encode::read_keys_between(&key, file.bytes, def, hour))
            .await
            .map_err(|e| Error::Parquet { op: "read", key: object.key.clone(), source: e.into() })??;
        ids.extend(keys);
    }
    Ok(Contents { keys: ids, next_seq, quarantined, files })
}

/// Moves a finished file into `dest` after renewing `lease` (so a run whose
/// lease was taken over writes nothing), and removes the staged copy whether
/// that worked or not.
pub(crate) async fn store_file(
    dest: &dyn Destination,
    lease: &mut Lease,
    now: DateTime<Utc>,
    file: &Finished,
) -> Result<()> {
    let moved = match lease.renew(now).await {
        Ok(()) => dest.put_file(&file.key, &file.staged).await.map(drop),
        Err(e) => Err(e),
    };
    // Moved in (local) or uploaded (S3): either way the staged copy goes,
    // so a warm Lambda's /tmp never fills up with finished files.
    let _ = std::fs::remove_file(&file.staged);
    moved
}

/// Writes a stored file's manifest: after the file, before the checkpoint.
/// A crash in between leaves a file without a manifest, which the next pass
/// over the cell writes ([`contents`]).
pub(crate) async fn store_manifest(dest: &dyn Destination, file: &Finished) -> Result<()> {
    let manifest_key = layout::manifest_key(&file.key).expect("a data key");
    dest.put(&manifest_key, file.manifest.to_bytes(), PutMode::Overwrite).await.map(drop)
}
