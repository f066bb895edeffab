//! A tenant's dataset's progress: the checkpoint.
//!
//! The checkpoint says how far the archive is complete: every record whose
//! time is before `archived_through`, and that Graph showed when its query was
//! read, is in the archive. It moves only after the query's files are durably
//! written, and only by a conditional write against the version that was read,
//! so a run that lost a race gets [`Error::Conflict`] instead of overwriting.
//! [`Progress`] is an incremental pass's view of it: loaded once, moved
//! behind the queries the pass finishes, saved when asked. [`show`] and
//! [`set`] are the operator's view (`entra-archive checkpoint`): a
//! checkpoint a clock ahead wrote is set back by hand, under the lease.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::datasets::DatasetDef;
use crate::destination::{Destination, PutMode, Version};
use crate::error::{Error, Result};
use crate::layout;
use crate::lease::{Acquired, LEASE_TTL, Lease};

/// Format number written into checkpoints.
pub(crate) const FORMAT: u32 = 1;

/// A dataset's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// Format of this file.
    pub format: u32,
    /// Tenant the progress belongs to.
    pub tenant_id: String,
    /// Dataset name.
    pub dataset: String,
    /// Records before this time are archived.
    pub archived_through: DateTime<Utc>,
    /// When this checkpoint was written.
    pub updated_at: DateTime<Utc>,
    /// Which run wrote it.
    pub run_id: String,
}

/// Reads and conditionally writes one dataset's checkpoint.
#[derive(Debug, Clone)]
pub(crate) struct CheckpointStore {
    dest: Arc<dyn Destination>,
    key: String,
    tenant_id: String,
    dataset: String,
}

impl CheckpointStore {
    /// The store for a tenant's dataset.
    pub(crate) fn new(dest: Arc<dyn Destination>, tenant_id: &str, dataset: &str) -> Self {
        CheckpointStore {
            dest,
            key: layout::checkpoint_key(tenant_id, dataset),
            tenant_id: tenant_id.to_string(),
            dataset: dataset.to_string(),
        }
    }

    /// The saved checkpoint and its version, if there is one.
    pub(crate) async fn load(&self) -> Result<Option<(Checkpoint, Version)>> {
        let Some(object) = self.dest.get(&self.key).await? else {
            return Ok(None);
        };
        let corrupt = |problem: String| Error::CorruptState { key: self.key.clone(), problem };
        let checkpoint: Checkpoint = serde_json::from_slice(&object.bytes).map_err(|e| corrupt(e.to_string()))?;
        if checkpoint.format != FORMAT {
            return Err(corrupt(format!("format {} is not {FORMAT}", checkpoint.format)));
        }
        if checkpoint.tenant_id != self.tenant_id || checkpoint.dataset != self.dataset {
            return Err(corrupt(format!(
                "it belongs to {}/{}, not {}/{}",
                checkpoint.tenant_id, checkpoint.dataset, self.tenant_id, self.dataset
            )));
        }
        Ok(Some((checkpoint, object.version)))
    }

    /// Saves `checkpoint` if the stored one is still `previous` (or absent,
    /// for `None`); returns the new version.
    pub(crate) async fn save(&self, checkpoint: &Checkpoint, previous: Option<&Version>) -> Result<Version> {
        let mode = previous.map_or(PutMode::Create, |v| PutMode::Update(v.clone()));
        let body = serde_json::to_vec_pretty(checkpoint).expect("a checkpoint always serialises");
        let version = self.dest.put(&self.key, Bytes::from(body), mode).await?;
        debug!(key = %self.key, through = %checkpoint.archived_through, "checkpoint saved");
        Ok(version)
    }
}

/// An incremental pass's checkpoint, moved behind the slices it finishes.
#[derive(Debug)]
pub(crate) struct Progress {
    store: CheckpointStore,
    checkpoint: Option<Checkpoint>,
    version: Option<Version>,
    /// The checkpoint when the pass began.
    began: Option<DateTime<Utc>>,
    /// The end of the finished queries, when it is past the saved checkpoint.
    unsaved: Option<DateTime<Utc>>,
}

impl Progress {
    /// Reads the dataset's checkpoint, if there is one.
    pub(crate) async fn load(store: CheckpointStore) -> Result<Progress> {
        let (checkpoint, version) = store.load().await?.map_or((None, None), |(c, v)| (Some(c), Some(v)));
        let began = checkpoint.as_ref().map(|c| c.archived_through);
        Ok(Progress { store, checkpoint, version, began, unsaved: None })
    }

    /// A query ending at `end` is complete and durable.
    pub(crate) fn finished(&mut self, end: DateTime<Utc>) {
        if self.began.is_none_or(|t| end > t) {
            self.unsaved = Some(end);
        }
    }

    /// Where the saved checkpoint stands.
    pub(crate) fn through(&self) -> Option<DateTime<Utc>> {
        self.checkpoint.as_ref().map(|c| c.archived_through)
    }

    /// Where finished queries would move it, if that is past where it stands.
    pub(crate) fn unsaved(&self) -> Option<DateTime<Utc>> {
        self.unsaved
    }

    /// Saves the checkpoint at [`unsaved`](Self::unsaved) (if any) as `run_id`,
    /// against the version read or last saved.
    pub(crate) async fn save(&mut self, run_id: &str, now: DateTime<Utc>) -> Result<()> {
        let Some(through) = self.unsaved else {
            return Ok(());
        };
        let checkpoint = Checkpoint {
            format: FORMAT,
            tenant_id: self.store.tenant_id.clone(),
            dataset: self.store.dataset.clone(),
            archived_through: through,
            updated_at: now,
            run_id: run_id.to_string(),
        };
        self.version = Some(self.store.save(&checkpoint, self.version.as_ref()).await?);
        self.checkpoint = Some(checkpoint);
        self.unsaved = None;
        Ok(())
    }
}

/// A dataset's checkpoint as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shown {
    /// Dataset name.
    pub dataset: &'static str,
    /// Records before this time are archived (`None`: no run yet).
    pub archived_through: Option<DateTime<Utc>>,
    /// When it was written.
    pub updated_at: Option<DateTime<Utc>>,
    /// Which run (or `checkpoint --set`) wrote it.
    pub run_id: Option<String>,
}

/// The checkpoints of a tenant's `datasets`.
pub async fn show(dest: Arc<dyn Destination>, tenant: &str, datasets: &[&'static DatasetDef]) -> Result<Vec<Shown>> {
    let mut out = Vec::new();
    for def in datasets {
        let loaded = CheckpointStore::new(dest.clone(), tenant, def.name).load().await?.map(|(c, _)| c);
        out.push(Shown {
            dataset: def.name,
            archived_through: loaded.as_ref().map(|c| c.archived_through),
            updated_at: loaded.as_ref().map(|c| c.updated_at),
            run_id: loaded.map(|c| c.run_id),
        });
    }
    Ok(out)
}

/// Sets a tenant's dataset's checkpoint to `through`, holding the dataset's
/// lease so no run moves it meanwhile. Moving it back is always safe (the
/// next run re-reads from there and writes nothing twice); moving it
/// forward skips what lies between, so `through` may not be after
/// `now - lag` (what a run could have reached).
pub async fn set(
    dest: Arc<dyn Destination>,
    tenant: &str,
    def: &'static DatasetDef,
    through: DateTime<Utc>,
    (now, lag): (DateTime<Utc>, chrono::Duration),
) -> Result<Shown> {
    if through > now - lag {
        return Err(Error::Config {
            setting: "--set".into(),
            problem: format!(
                "{through} is after now minus the lag ({}): no run could have archived that far",
                now - lag
            ),
        });
    }
    let run_id = format!("checkpoint-set-{}", now.format("%Y%m%dT%H%M%SZ"));
    let key = layout::lease_key(tenant, def.name);
    let mut lease = match Lease::acquire(dest.clone(), key, &run_id, now, LEASE_TTL).await? {
        Acquired::Held(lease) => lease,
        Acquired::Busy { run_id, expires_at } => {
            return Err(Error::destination(
                "checkpoint set",
                def.name,
                format!("a run ({run_id}) holds this dataset until {expires_at} at the latest; try again then"),
            ));
        }
    };
    let store = CheckpointStore::new(dest.clone(), tenant, def.name);
    let saved = async {
        let previous = store.load().await?.map(|(_, v)| v);
        lease.renew(now).await?;
        let checkpoint = Checkpoint {
            format: FORMAT,
            tenant_id: tenant.to_string(),
            dataset: def.name.to_string(),
            archived_through: through,
            updated_at: now,
            run_id: run_id.clone(),
        };
        store.save(&checkpoint, previous.as_ref()).await
    }
    .await;
    if let Err(e) = lease.release(now).await {
        tracing::warn!(dataset = def.name, error = %e, "could not release the lease; it expires by itself");
    }
    saved?;
    Ok(Shown { dataset: def.name, archived_through: Some(through), updated_at: Some(now), run_id: Some(run_id) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{local_dest as dest, t};

    /// Issue 14, finding 2: a checkpoint in the future is set back by hand,
    /// never forward past what a run could reach.
    #[tokio::test]
    async fn an_operator_sets_a_checkpoint_back_but_not_ahead() {
        let (_d, dest) = dest();
        let def = crate::datasets::by_name("signins").unwrap();
        let store = CheckpointStore::new(dest.clone(), "t", "signins");
        store.save(&checkpoint("2027-06-01T00:00:00Z"), None).await.unwrap();
        let now = (t("2026-11-24T10:00:00Z"), chrono::Duration::minutes(10));
        let e = set(dest.clone(), "t", def, t("2026-11-24T09:55:00Z"), now).await.unwrap_err();
        assert!(e.to_string().contains("after now minus the lag"), "{e}");
        let shown = set(dest.clone(), "t", def, t("2026-11-24T09:00:00Z"), now).await.unwrap();
        assert_eq!(shown.archived_through, Some(t("2026-11-24T09:00:00Z")));
        assert_eq!(show(dest.clone(), "t", &[def]).await.unwrap(), [shown]);
    }

    fn checkpoint(through: &str) -> Checkpoint {
        Checkpoint {
            format: FORMAT,
            tenant_id: "t".into(),
            dataset: "signins".into(),
            archived_through: t(through),
            updated_at: t(through),
            run_id: "r".into(),
        }
    }

    #[tokio::test]
    async fn checkpoints_move_only_from_the_version_read() {
        let (_d, dest) = dest();
        let store = CheckpointStore::new(dest.clone(), "t", "signins");
        assert!(store.load().await.unwrap().is_none());
        let v1 = store.save(&checkpoint("2026-11-24T08:00:00Z"), None).await.unwrap();
        assert!(matches!(store.save(&checkpoint("2026-11-24T09:00:00Z"), None).await, Err(Error::Conflict { .. })));
        let v2 = store.save(&checkpoint("2026-11-24T09:00:00Z"), Some(&v1)).await.unwrap();
        assert!(matches!(
            store.save(&checkpoint("2026-11-24T10:00:00Z"), Some(&v1)).await,
            Err(Error::Conflict { .. })
        ));
        let (loaded, version) = store.load().await.unwrap().unwrap();
        assert_eq!((loaded, version), (checkpoint("2026-11-24T09:00:00Z"), v2));
    }

    #[tokio::test]
    async fn foreign_or_garbled_checkpoints_are_refused() {
        let (_d, dest) = dest();
        let key = layout::checkpoint_key("t", "signins");
        dest.put(&key, Bytes::from_static(b"{not json"), PutMode::Overwrite).await.unwrap();
        let store = CheckpointStore::new(dest.clone(), "t", "signins");
        assert!(matches!(store.load().await, Err(Error::CorruptState { .. })));
        let mut other = checkpoint("2026-11-24T08:00:00Z");
        other.dataset = "directory_audits".into();
        dest.put(&key, Bytes::from(serde_json::to_vec(&other).unwrap()), PutMode::Overwrite).await.unwrap();
        let e = store.load().await.unwrap_err();
        assert!(e.to_string().contains("directory_audits"), "{e}");
    }

    #[tokio::test]
    async fn progress_moves_only_past_where_the_pass_began() {
        let (_d, dest) = dest();
        let store = CheckpointStore::new(dest.clone(), "t", "signins");
        store.save(&checkpoint("2026-11-24T08:00:00Z"), None).await.unwrap();
        let mut progress = Progress::load(store.clone()).await.unwrap();
        progress.finished(t("2026-11-24T07:00:00Z"));
        assert_eq!(progress.unsaved(), None, "the overlap re-read never moves it back");
        progress.finished(t("2026-11-24T09:00:00Z"));
        progress.save("run-2", t("2026-11-24T09:30:00Z")).await.unwrap();
        assert_eq!(progress.through(), Some(t("2026-11-24T09:00:00Z")));
        let (saved, _) = store.load().await.unwrap().unwrap();
        assert_eq!((saved.archived_through, saved.run_id.as_str()), (t("2026-11-24T09:00:00Z"), "run-2"));
        progress.save("run-2", t("2026-11-24T09:31:00Z")).await.unwrap();
        assert_eq!(store.load().await.unwrap().unwrap().0.updated_at, t("2026-11-24T09:30:00Z"), "nothing to save");
    }
}
