//! Named points where a test can make the process die, to prove that a crash
//! there loses nothing: an [`Observer`] of passes, which the binary installs
//! when `ENTRA_ARCHIVE_CRASH_POINT` names a point, as `NAME` or `NAME:N` (die
//! on the N-th hit). The process aborts: no destructors, no flushing, like a
//! power cut. Nothing else in the library knows it exists.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};

use crate::run::Observer;

/// Environment variable the binary reads a crash point from (tests only).
pub const CRASH_POINT_VAR: &str = "ENTRA_ARCHIVE_CRASH_POINT";

/// After a data file has been moved into the destination.
const AFTER_FILE: &str = "after-file";
/// Just before a checkpoint is saved.
const BEFORE_CHECKPOINT: &str = "before-checkpoint";
/// Compaction: after the journal, after the ledger entry, after an input
/// file is removed (the day files' moves are `after-file`).
const COMPACT_JOURNAL: &str = "compact-journal";
const COMPACT_LEDGER: &str = "compact-ledger";
const COMPACT_REMOVE: &str = "compact-remove";
const POINTS: [&str; 5] = [AFTER_FILE, BEFORE_CHECKPOINT, COMPACT_JOURNAL, COMPACT_LEDGER, COMPACT_REMOVE];

/// An armed crash point.
#[derive(Debug)]
pub struct CrashPoint {
    armed: (String, u32),
    hits: AtomicU32,
}

impl CrashPoint {
    /// Parses `NAME` or `NAME:N`.
    pub fn parse(spec: &str) -> Result<CrashPoint, String> {
        let (name, nth) = match spec.split_once(':') {
            Some((name, n)) => (name, n.parse::<u32>().map_err(|_| format!("{n:?} is not a count"))?),
            None => (spec, 1),
        };
        if !POINTS.contains(&name) || nth == 0 {
            return Err(format!("unknown crash point {spec:?} (known: {}, optionally :N)", POINTS.join(", ")));
        }
        Ok(CrashPoint { armed: (name.to_string(), nth), hits: AtomicU32::new(0) })
    }

    /// Whether passing point `name` now is the armed hit.
    fn fires(&self, name: &str) -> bool {
        let (armed, nth) = &self.armed;
        armed == name && self.hits.fetch_add(1, Ordering::SeqCst) + 1 == *nth
    }

    /// Passes point `name`; aborts the process if this is the armed hit.
    fn hit(&self, name: &str) {
        if self.fires(name) {
            eprintln!("entra-archive: crash point {name}:{} reached, aborting", self.armed.1);
            std::process::abort();
        }
    }
}

impl Observer for CrashPoint {
    fn file_stored(&self, _dataset: &'static str, _key: &str) {
        self.hit(AFTER_FILE);
    }

    fn checkpoint_moving(&self, _dataset: &'static str, _through: DateTime<Utc>) {
        self.hit(BEFORE_CHECKPOINT);
    }

    fn compaction_step(&self, _dataset: &'static str, step: &str) {
        match step {
            "journal" => self.hit(COMPACT_JOURNAL),
            "ledger" => self.hit(COMPACT_LEDGER),
            "remove" => self.hit(COMPACT_REMOVE),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_or_say_what_is_known() {
        assert!(CrashPoint::parse("after-file").is_ok());
        assert!(CrashPoint::parse("before-checkpoint:3").is_ok());
        assert!(CrashPoint::parse("somewhere").unwrap_err().contains(AFTER_FILE));
        assert!(CrashPoint::parse("after-file:x").is_err());
        assert!(CrashPoint::parse("after-file:0").is_err());
    }

    #[test]
    fn only_the_nth_hit_of_the_armed_point_fires() {
        let point = CrashPoint::parse("after-file:2").unwrap();
        assert!(!point.fires(BEFORE_CHECKPOINT), "another point");
        assert!(!point.fires(AFTER_FILE), "the first hit");
        assert!(point.fires(AFTER_FILE), "the second");
        assert!(!point.fires(AFTER_FILE), "once only");
    }
}
