//! Named points where a test can make the process die, to prove that a crash
//! there loses nothing. Off unless `ENTRA_ARCHIVE_CRASH_POINT` (read by
//! `config`) names a point, as `NAME` or `NAME:N` (die on the N-th hit).
//! The process aborts: no destructors, no flushing, like a power cut.

use std::sync::atomic::{AtomicU32, Ordering};

/// After a data file has been moved into the destination.
pub const AFTER_FILE: &str = "after-file";
/// Just before a checkpoint is saved.
pub const BEFORE_CHECKPOINT: &str = "before-checkpoint";

/// An armed crash point, or none.
#[derive(Debug, Default)]
pub struct CrashPoint {
    armed: Option<(String, u32)>,
    hits: AtomicU32,
}

impl CrashPoint {
    /// Parses `NAME` or `NAME:N`.
    pub fn parse(spec: &str) -> Result<CrashPoint, String> {
        let (name, nth) = match spec.split_once(':') {
            Some((name, n)) => (name, n.parse::<u32>().map_err(|_| format!("{n:?} is not a count"))?),
            None => (spec, 1),
        };
        if ![AFTER_FILE, BEFORE_CHECKPOINT].contains(&name) || nth == 0 {
            return Err(format!(
                "unknown crash point {spec:?} (known: {AFTER_FILE}, {BEFORE_CHECKPOINT}, optionally :N)"
            ));
        }
        Ok(CrashPoint { armed: Some((name.to_string(), nth)), hits: AtomicU32::new(0) })
    }

    /// Passes point `name`; aborts the process if this is the armed hit.
    pub fn hit(&self, name: &str) {
        if let Some((armed, nth)) = &self.armed
            && armed == name
            && self.hits.fetch_add(1, Ordering::SeqCst) + 1 == *nth
        {
            eprintln!("entra-archive: crash point {name}:{nth} reached, aborting");
            std::process::abort();
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
        // Unarmed and other points never fire.
        CrashPoint::default().hit(AFTER_FILE);
        CrashPoint::parse("after-file:2").unwrap().hit(BEFORE_CHECKPOINT);
    }
}
