//! What the unit tests share: times from text, and a destination in a
//! fresh temporary folder.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::destination::{Destination, LocalFolder};

/// An RFC 3339 time.
pub(crate) fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 time")
}

/// A local-folder destination in a temporary folder, removed when the
/// returned guard is dropped.
pub(crate) fn local_dest() -> (tempfile::TempDir, Arc<dyn Destination>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let folder = LocalFolder::open(dir.path()).expect("a fresh folder opens");
    (dir, Arc::new(folder))
}
