//! Doctor checks of what the archive holds, beyond its checkpoint: who holds
//! a dataset's lease, and whether every data file is at its dataset's
//! current schema version.

use chrono::{DateTime, Utc};

use crate::datasets::DatasetDef;
use crate::destination::Destination;
use crate::layout;
use crate::lease::{LEASE_TTL, LeaseBody, Standing};
use crate::upgrade;

use super::{Check, Outcome};

/// Warns while files of an older schema version remain (readers then see
/// two schemas of the dataset), with their count and the fix.
pub(super) async fn schema_versions(dest: &dyn Destination, tenant: &str, def: &DatasetDef) -> Check {
    let name = format!("schema {}", def.name);
    let current = def.schema_version;
    match upgrade::pending(dest, tenant, def).await {
        Ok(false) => return Check::ok(name, format!("every file at schema version {current} (recorded by upgrade)")),
        Ok(true) => {}
        Err(e) => return Check::new(name, Outcome::Fail, e.to_string(), ""),
    }
    let files = match upgrade::tenant_files(dest, def, tenant).await {
        Ok(files) => files,
        Err(e) => return Check::new(name, Outcome::Fail, e.to_string(), ""),
    };
    let old = files.iter().filter(|f| !f.is_current(def)).count();
    if old == 0 {
        return Check::ok(name, format!("all {} files at schema version {current}", files.len()));
    }
    Check::new(
        name,
        Outcome::Warn,
        format!(
            "{old} of {} files may be at an older schema version than {current} (their manifests say so, or they have none): \
             readers see the dataset's old and new columns side by side until they are upgraded",
            files.len()
        ),
        "run `entra-archive upgrade --dest <the archive>` (a scheduled Lambda upgrades them after its runs, in the time it has left)",
    )
}

/// Who holds the dataset's lease: free, a run at work (or, on S3, one that
/// crashed, until its lease runs out; on a local folder a dead holder's OS
/// lock is gone, so its lease is free), or a lease from the future (a host whose clock
/// is ahead wrote it; runs take it over, the clock needs fixing).
pub(super) async fn lease(dest: &dyn Destination, tenant: &str, def: &DatasetDef, now: DateTime<Utc>) -> Check {
    let name = format!("lease {}", def.name);
    let key = layout::lease_key(tenant, def.name);
    let body = match dest.get(&key).await {
        Ok(None) => return Check::ok(name, "free: no run has held it yet"),
        Ok(Some(object)) => LeaseBody::parse(&key, &object.bytes),
        Err(e) => return Check::new(name, Outcome::Fail, e.to_string(), ""),
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            return Check::new(
                name,
                Outcome::Fail,
                e.to_string(),
                "delete the lease file; the next run writes a new one",
            );
        }
    };
    let (holder, until) = (&body.run_id, body.expires_at);
    // On a local folder the lease is also an OS lock that dies with its
    // process: if it can be taken (and dropped at once), no run holds it.
    let process = dest.process_lock(&key).await;
    let holder_dead = matches!(process, Ok(Some(_)));
    drop(process);
    match body.standing(now, LEASE_TTL) {
        Standing::Held if holder_dead => Check::ok(
            name,
            format!(
                "free: run {holder} ended without handing it back (stopped, crashed or killed); the next run takes it over at once"
            ),
        ),
        Standing::Free => Check::ok(name, format!("free (last held by {holder}, until {until})")),
        Standing::Held => Check::new(
            name,
            Outcome::Warn,
            format!("held by run {holder} until {until}: a run is at work, or crashed and its lease runs out then"),
            "nothing to do if a run is at work; runs in between report the dataset as busy",
        ),
        Standing::FromTheFuture => Check::new(
            name,
            Outcome::Warn,
            format!(
                "held by {holder} until {until}, further ahead than any lease lasts: a host whose clock is ahead wrote it"
            ),
            "runs take it over; fix that host's clock (NTP)",
        ),
    }
}
