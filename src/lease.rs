//! Which run may write a tenant's dataset now: the lease.
//!
//! Takes the destination and a dataset's lease key. A lease is taken with a
//! create-if-absent write (or by replacing an expired one, conditionally),
//! and its renewal policy lives here: [`Lease::renew`] before every write
//! that must not race another run (a file moved in, a checkpoint saved),
//! which also proves the lease was not taken over, and [`Lease::keep_alive`]
//! during long reads, once a third of its time has passed. It is handed back
//! by expiring it.
//!
//! A holder that dies without handing it back blocks nobody for long:
//! - Where the destination has a process lock (a local folder's OS file
//!   lock, which dies with its process), the lease is held under it for its
//!   whole life: a live holder's lock means busy, and a free lock means the
//!   run named in the lease is gone, so its lease is taken over at once,
//!   however long it claims to last.
//! - Elsewhere (S3) a lease lasts at most [`REMOTE_LEASE_TTL`] and a
//!   background task renews it for as long as the [`Lease`] lives,
//!   whatever the run is waiting for (its request budget, a `Retry-After`);
//!   a dead holder's lease runs out within that time. The background
//!   renewals and the run's own share one state behind a mutex, so they
//!   never race on the lease's version; a renewal that finds the lease
//!   taken over makes the run's next [`Lease::renew`] fail.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::destination::{Destination, ProcessLock, PutMode, Version};
use crate::error::{Error, Result};

/// How long a lease lasts without renewal where a process lock guards it
/// (a local folder); also what callers ask for everywhere.
pub(crate) const LEASE_TTL: Duration = Duration::minutes(15);

/// How long a lease lasts without renewal where nothing dies with its
/// holder (S3): a killed run blocks its dataset at most this long.
pub(crate) const REMOTE_LEASE_TTL: Duration = Duration::minutes(2);

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LeaseBody {
    /// The run holding it.
    pub run_id: String,
    /// When it runs out unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// Where a lease stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// A run holds it.
    Held,
    /// It ran out (or was handed back).
    Free,
    /// It expires later than a lease taken now could: a clock ahead wrote
    /// it. Treated as expired, or it would block the dataset for ever.
    FromTheFuture,
}

impl LeaseBody {
    /// Where the lease stands at `now`, for leases lasting `ttl`.
    pub(crate) fn standing(&self, now: DateTime<Utc>, ttl: Duration) -> Standing {
        if self.expires_at > now + ttl + CLOCK_SLACK {
            Standing::FromTheFuture
        } else if self.expires_at > now {
            Standing::Held
        } else {
            Standing::Free
        }
    }

    /// Reads a stored lease.
    pub(crate) fn parse(key: &str, bytes: &[u8]) -> Result<LeaseBody> {
        serde_json::from_slice(bytes).map_err(|e| Error::CorruptState { key: key.to_string(), problem: e.to_string() })
    }
}

/// Clock difference between hosts tolerated before a lease counts as from
/// the future.
const CLOCK_SLACK: Duration = Duration::minutes(5);

/// The right to write a dataset, held until released, dropped or expired.
#[derive(Debug)]
pub(crate) struct Lease {
    state: Arc<Mutex<Holding>>,
    /// Held until the lease is released or dropped (local folder).
    lock: Option<ProcessLock>,
    /// Renews the lease in the background (S3); stopped when the lease goes.
    renewer: Option<Renewer>,
}

/// What the run and the background renewals share.
#[derive(Debug)]
struct Holding {
    dest: Arc<dyn Destination>,
    key: String,
    run_id: String,
    ttl: Duration,
    version: Version,
    /// When it was last taken or renewed.
    renewed_at: DateTime<Utc>,
    /// A renewal found the lease taken over by another run.
    lost: bool,
}

/// What [`Lease::acquire`] found.
#[derive(Debug)]
pub(crate) enum Acquired {
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
    /// Takes the lease at `key` unless another run holds it: a live one
    /// where the destination has a process lock, else one whose lease has
    /// not expired. It lasts `ttl` under a process lock, else at most
    /// [`REMOTE_LEASE_TTL`], renewed in the background.
    pub(crate) async fn acquire(
        dest: Arc<dyn Destination>,
        key: String,
        run_id: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Acquired> {
        let lock = match dest.process_lock(&key).await {
            Ok(lock) => lock,
            Err(Error::Conflict { .. }) => return holder(dest.as_ref(), &key, now + ttl).await,
            Err(e) => return Err(e),
        };
        // How far ahead a lease may reach is judged by the longest a lease lasts.
        let longest = ttl;
        let ttl = if lock.is_some() { ttl } else { ttl.min(REMOTE_LEASE_TTL) };
        let body = lease_body(run_id, now + ttl);
        let mut taken = None;
        for _ in 0..2 {
            match dest.put(&key, body.clone(), PutMode::Create).await {
                Ok(version) => {
                    taken = Some(version);
                    break;
                }
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some(current) = dest.get(&key).await? else {
                continue;
            };
            let holder = LeaseBody::parse(&key, &current.bytes)?;
            match holder.standing(now, longest) {
                Standing::Held if holder.run_id != run_id && lock.is_none() => {
                    return Ok(Acquired::Busy { run_id: holder.run_id, expires_at: holder.expires_at });
                }
                Standing::Held if holder.run_id != run_id => warn!(
                    key = %key,
                    holder = %holder.run_id,
                    expires_at = %holder.expires_at,
                    "the run holding the lease is gone (no process holds its lock): taking the lease over"
                ),
                Standing::FromTheFuture => warn!(
                    key = %key,
                    holder = %holder.run_id,
                    expires_at = %holder.expires_at,
                    "the lease expires further ahead than any lease lasts: written by a host whose clock is ahead; taking it over"
                ),
                _ => {}
            }
            match dest.put(&key, body, PutMode::Update(current.version)).await {
                Ok(version) => {
                    taken = Some(version);
                    break;
                }
                Err(Error::Conflict { .. }) => {
                    return Ok(Acquired::Busy { run_id: "unknown".into(), expires_at: now + ttl });
                }
                Err(e) => return Err(e),
            }
        }
        let Some(version) = taken else { return Err(Error::Conflict { key }) };
        let holding = Holding { dest, key, run_id: run_id.to_string(), ttl, version, renewed_at: now, lost: false };
        Ok(Acquired::Held(Lease::held(holding, lock)))
    }

    /// A lease just taken: under `lock`, or renewed in the background.
    fn held(holding: Holding, lock: Option<ProcessLock>) -> Lease {
        let state = Arc::new(Mutex::new(holding));
        let renewer = lock.is_none().then(|| Renewer::start(state.clone()));
        Lease { state, lock, renewer }
    }

    /// Extends the lease to `now + ttl`. Fails with [`Error::Conflict`] if
    /// another run took it over (after it expired): stop writing then.
    pub(crate) async fn renew(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.state.lock().await.renew(now).await
    }

    /// Renews the lease if a third of its time has passed since it was last
    /// taken or renewed: called while reading, so a long read never lets it
    /// run out. Writes renew it themselves ([`renew`](Self::renew)). Fails
    /// like `renew` once the lease was found taken over.
    pub(crate) async fn keep_alive(&mut self, now: DateTime<Utc>) -> Result<()> {
        let mut holding = self.state.lock().await;
        match holding.lost || holding.due(now) {
            true => holding.renew(now).await,
            false => Ok(()),
        }
    }

    /// Hands the lease back so the next run need not wait for it to expire.
    pub(crate) async fn release(self, now: DateTime<Utc>) -> Result<()> {
        let Lease { state, lock, renewer } = self;
        // Waits for a background renewal in progress, then stops the
        // renewals; the process lock goes once the lease is written.
        let holding = state.lock().await;
        drop(renewer);
        let body = lease_body(&holding.run_id, now);
        let released = holding.dest.put(&holding.key, body, PutMode::Update(holding.version.clone())).await;
        drop(lock);
        released.map(drop)
    }
}

impl Holding {
    /// Whether a third of the lease's time has passed since its last renewal.
    fn due(&self, now: DateTime<Utc>) -> bool {
        now - self.renewed_at >= self.ttl / 3
    }

    async fn renew(&mut self, now: DateTime<Utc>) -> Result<()> {
        if self.lost {
            return Err(Error::Conflict { key: self.key.clone() });
        }
        let body = lease_body(&self.run_id, now + self.ttl);
        match self.dest.put(&self.key, body, PutMode::Update(self.version.clone())).await {
            Ok(version) => {
                self.version = version;
                self.renewed_at = now;
                Ok(())
            }
            Err(e @ Error::Conflict { .. }) => {
                self.lost = true;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

/// The background renewer looks at most this often.
const MIN_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// The background task renewing a lease that no process lock guards; it
/// is stopped when dropped (with its lease).
#[derive(Debug)]
struct Renewer(JoinHandle<()>);

impl Renewer {
    /// Looks every sixth of the lease's time and renews it once a third has
    /// passed (a failed renewal is tried again at the next look, twice more
    /// before the lease would run out). Its clock is the lease's `now` at
    /// the start plus Tokio's time since, so it agrees with the run's.
    fn start(state: Arc<Mutex<Holding>>) -> Renewer {
        let started = tokio::time::Instant::now();
        Renewer(tokio::spawn(async move {
            let (since, every) = {
                let holding = state.lock().await;
                (holding.renewed_at, (holding.ttl / 6).to_std().unwrap_or_default().max(MIN_LOOK))
            };
            loop {
                tokio::time::sleep(every).await;
                let now = since + Duration::from_std(started.elapsed()).unwrap_or_default();
                let mut holding = state.lock().await;
                if !holding.due(now) {
                    continue;
                }
                match holding.renew(now).await {
                    Ok(()) => debug!(key = %holding.key, "lease renewed"),
                    Err(Error::Conflict { .. }) => {
                        warn!(key = %holding.key, "the lease was taken over by another run; this run writes no more");
                        return;
                    }
                    Err(e) => warn!(key = %holding.key, error = %e, "could not renew the lease; trying again"),
                }
            }
        }))
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// [`Acquired::Busy`] for a lease whose process lock a live process holds,
/// naming the run its lease names (if it is written yet).
async fn holder(dest: &dyn Destination, key: &str, otherwise: DateTime<Utc>) -> Result<Acquired> {
    let body = match dest.get(key).await? {
        Some(object) => Some(LeaseBody::parse(key, &object.bytes)?),
        None => None,
    };
    Ok(match body {
        Some(body) => Acquired::Busy { run_id: body.run_id, expires_at: body.expires_at.max(otherwise) },
        None => Acquired::Busy { run_id: "unknown".into(), expires_at: otherwise },
    })
}

fn lease_body(run_id: &str, expires_at: DateTime<Utc>) -> Bytes {
    let body = LeaseBody { run_id: run_id.to_string(), expires_at };
    Bytes::from(serde_json::to_vec(&body).expect("a lease always serialises"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use async_trait::async_trait;

    use super::*;
    use crate::destination::{Object, ObjectMeta};
    use crate::testing::{local_dest as dest, t};

    /// A local folder without process locks, as S3 is: leases there are
    /// short, renewed in the background, and only their expiry frees them.
    #[derive(Debug)]
    struct Unguarded(Arc<dyn Destination>);

    #[async_trait]
    impl Destination for Unguarded {
        fn describe(&self) -> String {
            self.0.describe()
        }
        fn staging_dir(&self) -> &Path {
            self.0.staging_dir()
        }
        async fn put_file(&self, key: &str, file: &Path) -> Result<u64> {
            self.0.put_file(key, file).await
        }
        async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Version> {
            self.0.put(key, bytes, mode).await
        }
        async fn get(&self, key: &str) -> Result<Option<Object>> {
            self.0.get(key).await
        }
        async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
            self.0.list(prefix).await
        }
        async fn delete(&self, key: &str) -> Result<()> {
            self.0.delete(key).await
        }
        async fn process_lock(&self, _key: &str) -> Result<Option<ProcessLock>> {
            Ok(None)
        }
    }

    fn unguarded() -> (tempfile::TempDir, Arc<dyn Destination>) {
        let (dir, dest) = dest();
        (dir, Arc::new(Unguarded(dest)))
    }

    const KEY: &str = "_state/t/signins/lease.json";

    async fn stored(dest: &Arc<dyn Destination>) -> LeaseBody {
        LeaseBody::parse(KEY, &dest.get(KEY).await.unwrap().unwrap().bytes).unwrap()
    }

    async fn acquire(dest: &Arc<dyn Destination>, run_id: &str, now: DateTime<Utc>) -> Acquired {
        Lease::acquire(dest.clone(), KEY.to_string(), run_id, now, LEASE_TTL).await.unwrap()
    }

    /// Without a process lock (S3), a lease excludes others until released
    /// or expired, and lasts [`REMOTE_LEASE_TTL`] whatever was asked.
    #[tokio::test]
    async fn a_lease_excludes_others_until_released_or_expired() {
        let (_d, dest) = unguarded();
        let now = t("2026-11-24T08:00:00Z");
        let Acquired::Held(mut a) = acquire(&dest, "run-a", now).await else { panic!("first run gets the lease") };
        assert_eq!(stored(&dest).await.expires_at, now + REMOTE_LEASE_TTL, "short-lived");
        match acquire(&dest, "run-b", now + Duration::minutes(1)).await {
            Acquired::Busy { run_id, .. } => assert_eq!(run_id, "run-a"),
            Acquired::Held(_) => panic!("second run must stand down"),
        }
        a.renew(now + Duration::minutes(1)).await.unwrap();
        assert!(matches!(acquire(&dest, "run-b", now + Duration::seconds(170)).await, Acquired::Busy { .. }));
        a.release(now + Duration::seconds(175)).await.unwrap();
        let Acquired::Held(b) = acquire(&dest, "run-b", now + Duration::seconds(176)).await else {
            panic!("released lease is free")
        };
        // b dies without releasing; once its lease expires c takes over and b can no longer renew.
        assert!(matches!(acquire(&dest, "run-c", now + Duration::minutes(4)).await, Acquired::Busy { .. }));
        let Acquired::Held(_c) = acquire(&dest, "run-c", now + Duration::minutes(6)).await else {
            panic!("expired lease is free")
        };
        let mut b = b;
        assert!(matches!(b.renew(now + Duration::minutes(7)).await, Err(Error::Conflict { .. })));
    }

    /// Issue 16: on a local folder a lease is held under an OS lock that
    /// dies with its process: a live holder keeps it (busy), a dead one's is
    /// taken over at once however long it claims to last; the lock is
    /// handed back with the lease.
    #[tokio::test]
    async fn a_dead_holder_of_a_local_lease_is_taken_over_at_once() {
        let (_d, dest) = dest();
        let now = t("2026-11-24T08:00:00Z");
        let Acquired::Held(a) = acquire(&dest, "run-a", now).await else { panic!("free lease") };
        assert_eq!(stored(&dest).await.expires_at, now + LEASE_TTL, "the OS lock covers it: long-lived");
        match acquire(&dest, "run-b", now + Duration::minutes(1)).await {
            Acquired::Busy { run_id, .. } => assert_eq!(run_id, "run-a", "a live holder keeps it"),
            Acquired::Held(_) => panic!("a live holder's lease was taken"),
        }
        drop(a); // run-a dies: its lease still says it holds the dataset, its lock is gone.
        assert_eq!(stored(&dest).await.run_id, "run-a");
        let Acquired::Held(b) = acquire(&dest, "run-b", now + Duration::minutes(2)).await else {
            panic!("a dead holder's lease is taken over")
        };
        assert_eq!(stored(&dest).await.run_id, "run-b");
        assert!(matches!(acquire(&dest, "run-c", now + Duration::minutes(3)).await, Acquired::Busy { .. }));
        b.release(now + Duration::minutes(4)).await.unwrap();
        assert!(matches!(acquire(&dest, "run-c", now + Duration::minutes(5)).await, Acquired::Held(_)));
    }

    /// Issue 16: without a process lock a lease is renewed in the background
    /// for as long as it lives, whatever the run waits for; when a renewal
    /// finds it taken over, the run's next renewal fails; once released or
    /// dropped, nothing renews it any more.
    #[tokio::test(start_paused = true)]
    async fn a_lease_without_a_process_lock_is_renewed_in_the_background() {
        let (_d, dest) = unguarded();
        let now = t("2026-11-24T08:00:00Z");
        let Acquired::Held(mut a) = acquire(&dest, "run-a", now).await else { panic!("free lease") };
        tokio::time::sleep(std::time::Duration::from_secs(30 * 60)).await; // a long wait for the budget
        let later = now + Duration::minutes(30);
        let body = stored(&dest).await;
        assert!(body.expires_at > later && body.run_id == "run-a", "still held: {body:?}");
        assert!(matches!(acquire(&dest, "run-b", later).await, Acquired::Busy { .. }));
        a.renew(later).await.unwrap();
        a.keep_alive(later).await.unwrap();

        // Taken over behind its back (as after a long stall): the background
        // renewal notices, and the run's own renewals fail from then on.
        let current = dest.get(KEY).await.unwrap().unwrap();
        dest.put(KEY, lease_body("run-x", later + REMOTE_LEASE_TTL), PutMode::Update(current.version)).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        assert_eq!(stored(&dest).await.run_id, "run-x", "never written over");
        assert!(matches!(a.keep_alive(later + Duration::minutes(1)).await, Err(Error::Conflict { .. })));
        assert!(matches!(a.renew(later + Duration::minutes(1)).await, Err(Error::Conflict { .. })));
        drop(a);

        // Released, or dropped: the renewals stop.
        let (_d, dest) = unguarded();
        let Acquired::Held(c) = acquire(&dest, "run-c", now).await else { panic!("free lease") };
        c.release(now).await.unwrap();
        let Acquired::Held(d) = acquire(&dest, "run-d", now).await else { panic!("released") };
        drop(d);
        tokio::time::sleep(std::time::Duration::from_secs(10 * 60)).await;
        assert_eq!(stored(&dest).await.expires_at, now + REMOTE_LEASE_TTL, "nothing renewed it");
        assert!(matches!(acquire(&dest, "run-e", now + Duration::minutes(3)).await, Acquired::Held(_)));
    }

    /// Issue 14, finding 1: a lease expiring far in the future (a host with
    /// its clock ahead wrote it) does not block its dataset for ever.
    #[tokio::test]
    async fn a_lease_from_the_future_is_taken_over() {
        let (_d, dest) = unguarded();
        let now = t("2026-11-24T08:00:00Z");
        let ahead = lease_body("clock-ahead", now + Duration::days(180));
        dest.put(KEY, ahead, PutMode::Create).await.unwrap();
        let held = acquire(&dest, "run-a", now).await;
        assert!(matches!(held, Acquired::Held(_)), "{held:?}");
        // Within the longest time to live (plus clock slack) a lease still holds.
        let (_d, dest) = unguarded();
        dest.put(KEY, lease_body("other", now + LEASE_TTL), PutMode::Create).await.unwrap();
        let busy = acquire(&dest, "run-a", now).await;
        assert!(matches!(busy, Acquired::Busy { .. }), "{busy:?}");
        let body = LeaseBody { run_id: "x".into(), expires_at: now + LEASE_TTL + Duration::minutes(6) };
        assert_eq!(body.standing(now, LEASE_TTL), Standing::FromTheFuture);
    }

    #[tokio::test]
    async fn keep_alive_renews_only_once_a_third_of_the_time_has_passed() {
        let (_d, dest) = dest();
        let now = t("2026-11-24T08:00:00Z");
        let Acquired::Held(mut a) = acquire(&dest, "run-a", now).await else { panic!("free lease") };
        let expiry = || async { stored(&dest).await.expires_at };
        a.keep_alive(now + Duration::minutes(4)).await.unwrap();
        assert_eq!(expiry().await, now + LEASE_TTL, "not due yet: no write");
        a.keep_alive(now + Duration::minutes(5)).await.unwrap();
        assert_eq!(expiry().await, now + Duration::minutes(5) + LEASE_TTL);
        a.keep_alive(now + Duration::minutes(9)).await.unwrap();
        assert_eq!(expiry().await, now + Duration::minutes(5) + LEASE_TTL, "counted from the last renewal");
    }
}
