//! Which run may write a tenant's dataset now: the lease.
//!
//! Takes the destination and a dataset's lease key. A lease is taken with a
//! create-if-absent write (or by replacing an expired one, conditionally),
//! and its renewal policy lives here: [`Lease::renew`] before every write
//! that must not race another run (a file moved in, a checkpoint saved),
//! which also proves the lease was not taken over, and [`Lease::keep_alive`]
//! during long reads, once a third of its time has passed. It is handed back
//! by expiring it; a crashed run's lease simply runs out, so nobody is
//! blocked for longer than its time to live.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use tracing::warn;

use crate::destination::{Destination, PutMode, Version};
use crate::error::{Error, Result};

/// How long a lease lasts without renewal.
pub(crate) const LEASE_TTL: Duration = Duration::minutes(15);

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

/// The right to write a dataset, held until released or expired.
#[derive(Debug)]
pub(crate) struct Lease {
    dest: Arc<dyn Destination>,
    key: String,
    run_id: String,
    ttl: Duration,
    version: Version,
    /// When it was last taken or renewed.
    renewed_at: DateTime<Utc>,
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
    /// Takes the lease at `key` for `ttl` unless another run holds an
    /// unexpired one.
    pub(crate) async fn acquire(
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
                    return Ok(Acquired::Held(Lease::held(dest, key, run_id, ttl, version, now)));
                }
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some(current) = dest.get(&key).await? else {
                continue;
            };
            let holder = LeaseBody::parse(&key, &current.bytes)?;
            match holder.standing(now, ttl) {
                Standing::Held if holder.run_id != run_id => {
                    return Ok(Acquired::Busy { run_id: holder.run_id, expires_at: holder.expires_at });
                }
                Standing::FromTheFuture => warn!(
                    key = %key,
                    holder = %holder.run_id,
                    expires_at = %holder.expires_at,
                    "the lease expires further ahead than any lease lasts: written by a host whose clock is ahead; taking it over"
                ),
                _ => {}
            }
            return match dest.put(&key, body, PutMode::Update(current.version)).await {
                Ok(version) => Ok(Acquired::Held(Lease::held(dest, key, run_id, ttl, version, now))),
                Err(Error::Conflict { .. }) => Ok(Acquired::Busy { run_id: "unknown".into(), expires_at: now + ttl }),
                Err(e) => Err(e),
            };
        }
        Err(Error::Conflict { key })
    }

    fn held(
        dest: Arc<dyn Destination>,
        key: String,
        run_id: &str,
        ttl: Duration,
        version: Version,
        now: DateTime<Utc>,
    ) -> Lease {
        Lease { dest, key, run_id: run_id.to_string(), ttl, version, renewed_at: now }
    }

    /// Extends the lease to `now + ttl`. Fails with [`Error::Conflict`] if
    /// another run took it over (after it expired): stop writing then.
    pub(crate) async fn renew(&mut self, now: DateTime<Utc>) -> Result<()> {
        let body = lease_body(&self.run_id, now + self.ttl);
        self.version = self.dest.put(&self.key, body, PutMode::Update(self.version.clone())).await?;
        self.renewed_at = now;
        Ok(())
    }

    /// Renews the lease if a third of its time has passed since it was last
    /// taken or renewed: called while reading, so a long read never lets it
    /// run out. Writes renew it themselves ([`renew`](Self::renew)).
    pub(crate) async fn keep_alive(&mut self, now: DateTime<Utc>) -> Result<()> {
        match now - self.renewed_at >= self.ttl / 3 {
            true => self.renew(now).await,
            false => Ok(()),
        }
    }

    /// Hands the lease back so the next run need not wait for it to expire.
    pub(crate) async fn release(self, now: DateTime<Utc>) -> Result<()> {
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
    use crate::testing::{local_dest as dest, t};

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

    /// Issue 14, finding 1: a lease expiring far in the future (a host with
    /// its clock ahead wrote it) does not block its dataset for ever.
    #[tokio::test]
    async fn a_lease_from_the_future_is_taken_over() {
        let (_d, dest) = dest();
        let key = "_state/t/signins/lease.json".to_string();
        let now = t("2026-11-24T08:00:00Z");
        let ahead = lease_body("clock-ahead", now + Duration::days(180));
        dest.put(&key, ahead, PutMode::Create).await.unwrap();
        let held = Lease::acquire(dest.clone(), key.clone(), "run-a", now, LEASE_TTL).await.unwrap();
        assert!(matches!(held, Acquired::Held(_)), "{held:?}");
        // Within its time to live (plus clock slack) a lease still holds.
        let (_d, dest) = crate::testing::local_dest();
        dest.put(&key, lease_body("other", now + LEASE_TTL), PutMode::Create).await.unwrap();
        let busy = Lease::acquire(dest.clone(), key.clone(), "run-a", now, LEASE_TTL).await.unwrap();
        assert!(matches!(busy, Acquired::Busy { .. }), "{busy:?}");
        let body = LeaseBody { run_id: "x".into(), expires_at: now + LEASE_TTL + Duration::minutes(6) };
        assert_eq!(body.standing(now, LEASE_TTL), Standing::FromTheFuture);
    }

    #[tokio::test]
    async fn keep_alive_renews_only_once_a_third_of_the_time_has_passed() {
        let (_d, dest) = dest();
        let key = "_state/t/signins/lease.json".to_string();
        let now = t("2026-11-24T08:00:00Z");
        let Acquired::Held(mut a) = Lease::acquire(dest.clone(), key.clone(), "run-a", now, LEASE_TTL).await.unwrap()
        else {
            panic!("free lease")
        };
        let expiry = || async {
            let body: LeaseBody = serde_json::from_slice(&dest.get(&key).await.unwrap().unwrap().bytes).unwrap();
            body.expires_at
        };
        a.keep_alive(now + Duration::minutes(4)).await.unwrap();
        assert_eq!(expiry().await, now + LEASE_TTL, "not due yet: no write");
        a.keep_alive(now + Duration::minutes(5)).await.unwrap();
        assert_eq!(expiry().await, now + Duration::minutes(5) + LEASE_TTL);
        a.keep_alive(now + Duration::minutes(9)).await.unwrap();
        assert_eq!(expiry().await, now + Duration::minutes(5) + LEASE_TTL, "counted from the last renewal");
    }
}
