//! Progress and ownership of a tenant's dataset: the checkpoint and the lease.
//!
//! The checkpoint says how far the archive is complete: every record whose
//! time is before `archived_through`, and that Graph showed when its slice was
//! read, is in the archive. It moves only after the slice's files are durably
//! written, and only by a conditional write against the version that was read,
//! so a run that lost a race gets [`Error::Conflict`] instead of overwriting.
//!
//! The lease says which run may write a dataset now. It is taken with a
//! create-if-absent write, renewed (conditionally) before each slice is
//! written, and handed back by expiring it; a crashed run's lease simply runs
//! out, so nobody is blocked for longer than its time to live.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::destination::{Destination, PutMode, Version};
use crate::error::{Error, Result};
use crate::layout;

/// Format number written into checkpoints.
pub const FORMAT: u32 = 1;

/// A dataset's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
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
pub struct CheckpointStore {
    dest: Arc<dyn Destination>,
    key: String,
    tenant_id: String,
    dataset: String,
}

impl CheckpointStore {
    /// The store for a tenant's dataset.
    pub fn new(dest: Arc<dyn Destination>, tenant_id: &str, dataset: &str) -> Self {
        CheckpointStore {
            dest,
            key: layout::checkpoint_key(tenant_id, dataset),
            tenant_id: tenant_id.to_string(),
            dataset: dataset.to_string(),
        }
    }

    /// The saved checkpoint and its version, if there is one.
    pub async fn load(&self) -> Result<Option<(Checkpoint, Version)>> {
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
    pub async fn save(&self, checkpoint: &Checkpoint, previous: Option<&Version>) -> Result<Version> {
        let mode = previous.map_or(PutMode::Create, |v| PutMode::Update(v.clone()));
        let body = serde_json::to_vec_pretty(checkpoint).expect("a checkpoint always serialises");
        let version = self.dest.put(&self.key, Bytes::from(body), mode).await?;
        debug!(key = %self.key, through = %checkpoint.archived_through, "checkpoint saved");
        Ok(version)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LeaseBody {
    run_id: String,
    expires_at: DateTime<Utc>,
}

/// The right to write a dataset, held until released or expired.
#[derive(Debug)]
pub struct Lease {
    dest: Arc<dyn Destination>,
    key: String,
    run_id: String,
    ttl: Duration,
    version: Version,
}

/// What [`Lease::acquire`] found.
#[derive(Debug)]
pub enum Acquired {
    /// This run holds the lease.
    Held(Lease),
    /// Another run does, until `expires_at`.
    Busy {
        /// The other run.
        run_id: String,
        /// When its lease runs out if it does not renew it.
        expires_at: DateTime<Utc>,
    },
}

impl Lease {
    /// Takes the lease at `key` for `ttl` unless another run holds an
    /// unexpired one.
    pub async fn acquire(
        dest: Arc<dyn Destination>,
        key: String,
        run_id: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Acquired> {
        let body = lease_body(run_id, now + ttl);
        for _ in 0..2 {
            match dest.put(&key, body.clone(), PutMode::Create).await {
                Ok(version) => {
                    return Ok(Acquired::Held(Lease::held(dest, key, run_id, ttl, version)));
                }
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some(current) = dest.get(&key).await? else {
                continue;
            };
            let holder: LeaseBody = serde_json::from_slice(&current.bytes)
                .map_err(|e| Error::CorruptState { key: key.clone(), problem: e.to_string() })?;
            if holder.expires_at > now && holder.run_id != run_id {
                return Ok(Acquired::Busy { run_id: holder.run_id, expires_at: holder.expires_at });
            }
            return match dest.put(&key, body, PutMode::Update(current.version)).await {
                Ok(version) => Ok(Acquired::Held(Lease::held(dest, key, run_id, ttl, version))),
                Err(Error::Conflict { .. }) => Ok(Acquired::Busy { run_id: "unknown".into(), expires_at: now + ttl }),
                Err(e) => Err(e),
            };
        }
        Err(Error::Conflict { key })
    }

    fn held(dest: Arc<dyn Destination>, key: String, run_id: &str, ttl: Duration, version: Version) -> Lease {
        Lease { dest, key, run_id: run_id.to_string(), ttl, version }
    }

    /// Extends the lease to `now + ttl`. Fails with [`Error::Conflict`] if
    /// another run took it over (after it expired): stop writing then.
    pub async fn renew(&mut self, now: DateTime<Utc>) -> Result<()> {
        let body = lease_body(&self.run_id, now + self.ttl);
        self.version = self.dest.put(&self.key, body, PutMode::Update(self.version.clone())).await?;
        Ok(())
    }

    /// Hands the lease back so the next run need not wait for it to expire.
    pub async fn release(self, now: DateTime<Utc>) -> Result<()> {
        let body = lease_body(&self.run_id, now);
        self.dest.put(&self.key, body, PutMode::Update(self.version)).await.map(drop)
    }
}

fn lease_body(run_id: &str, expires_at: DateTime<Utc>) -> Bytes {
    let body = LeaseBody { run_id: run_id.to_string(), expires_at };
    Bytes::from(serde_json::to_vec(&body).expect("a lease always serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::LocalFolder;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn dest() -> (tempfile::TempDir, Arc<dyn Destination>) {
        let dir = tempfile::tempdir().unwrap();
        let folder = LocalFolder::open(dir.path()).unwrap();
        (dir, Arc::new(folder))
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
    async fn a_lease_excludes_others_until_released_or_expired() {
        let (_d, dest) = dest();
        let key = "_state/t/signins/lease.json".to_string();
        let now = t("2026-11-24T08:00:00Z");
        let ttl = Duration::minutes(15);
        let Acquired::Held(mut a) = Lease::acquire(dest.clone(), key.clone(), "run-a", now, ttl).await.unwrap() else {
            panic!("first run gets the lease")
        };
        match Lease::acquire(dest.clone(), key.clone(), "run-b", now + Duration::minutes(1), ttl).await.unwrap() {
            Acquired::Busy { run_id, .. } => assert_eq!(run_id, "run-a"),
            Acquired::Held(_) => panic!("second run must stand down"),
        }
        a.renew(now + Duration::minutes(10)).await.unwrap();
        assert!(matches!(
            Lease::acquire(dest.clone(), key.clone(), "run-b", now + Duration::minutes(20), ttl).await.unwrap(),
            Acquired::Busy { .. }
        ));
        a.release(now + Duration::minutes(21)).await.unwrap();
        let Acquired::Held(b) =
            Lease::acquire(dest.clone(), key.clone(), "run-b", now + Duration::minutes(22), ttl).await.unwrap()
        else {
            panic!("released lease is free")
        };
        // b crashes without releasing; after expiry c takes over and b can no longer renew.
        let Acquired::Held(_c) =
            Lease::acquire(dest.clone(), key.clone(), "run-c", now + Duration::minutes(40), ttl).await.unwrap()
        else {
            panic!("expired lease is free")
        };
        let mut b = b;
        assert!(matches!(b.renew(now + Duration::minutes(41)).await, Err(Error::Conflict { .. })));
    }
}
