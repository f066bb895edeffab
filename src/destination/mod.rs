//! Where the archive is written: one narrow trait, several backends.
//!
//! Keys are `/`-separated paths relative to the destination root (see
//! `layout`). Every put is atomic — readers see the whole object or nothing —
//! and conditional puts are the only way state objects change, so two runs can
//! never silently overwrite each other's checkpoint. Backends: a local folder
//! ([`LocalFolder`]) and an S3 bucket and prefix ([`S3Destination`], with
//! [`s3_client`] to build its client). [`open`] is the one place a
//! [`Location`] becomes a destination, for writing or read-only: a read-only
//! destination creates nothing (no folder, no staging area) and refuses every
//! write. Besides objects, a backend may offer a [`ProcessLock`]: an
//! exclusive lock that dies with the process holding it (a local folder's
//! OS file lock; S3 has none), which the lease uses to tell a dead holder
//! from a live one.

mod local;
mod read_only;
mod s3;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use local::LocalFolder;
pub use s3::{S3Destination, Sse, s3_client};

use crate::aws::Aws;
use crate::error::Result;
use read_only::ReadOnly;

/// Folder (under the system's temp dir) for files on their way to S3.
const STAGING_DIR: &str = "entra-archive-staging";

/// Where the archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local folder.
    Local(PathBuf),
    /// An S3 bucket and key prefix.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix, without leading or trailing `/` (may be empty).
        prefix: String,
        /// Server-side encryption of written objects.
        sse: Sse,
    },
}

/// What a destination is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Runs and imports: a local folder is created if missing, and staged
    /// files a crashed run left behind are cleared.
    ReadWrite,
    /// `verify`: the archive must exist; nothing is created, cleared or written.
    ReadOnly,
}

/// Opens the destination at `location`; S3 uses `aws`'s settings.
pub async fn open(location: &Location, aws: &Aws, access: Access) -> Result<Arc<dyn Destination>> {
    let dest: Arc<dyn Destination> = match location {
        Location::Local(path) => match access {
            Access::ReadWrite => Arc::new(LocalFolder::open(path)?),
            Access::ReadOnly => Arc::new(LocalFolder::existing(path)?),
        },
        Location::S3 { bucket, prefix, sse } => {
            let client = s3_client(aws.config().await).await;
            let staging = std::env::temp_dir().join(STAGING_DIR);
            let s3 = S3Destination::new(client, bucket.clone(), prefix.clone(), sse.clone(), staging);
            if access == Access::ReadWrite {
                s3.prepare_staging()?;
            }
            Arc::new(s3)
        }
    };
    Ok(match access {
        Access::ReadWrite => dest,
        Access::ReadOnly => Arc::new(ReadOnly(dest)),
    })
}

/// An opaque version of an object (an ETag on S3, a content hash locally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// How a put treats an existing object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// Replace whatever is there.
    Overwrite,
    /// Only if the key does not exist yet; otherwise [`Error::Conflict`](crate::Error::Conflict).
    Create,
    /// Only if the object is still at this version; otherwise [`Error::Conflict`](crate::Error::Conflict).
    Update(Version),
}

/// An object read back.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its content.
    pub bytes: Bytes,
    /// Its version, for a later [`PutMode::Update`].
    pub version: Version,
}

/// An object listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

/// An exclusive lock on a state object held by this process: released when
/// dropped, and by the operating system when the process ends, however it
/// ends (a crash, SIGKILL). Taken with [`Destination::process_lock`].
#[derive(Debug)]
pub struct ProcessLock {
    /// The open lock file whose lock this is.
    _file: std::fs::File,
}

/// An archive destination.
#[async_trait]
pub trait Destination: Send + Sync + fmt::Debug {
    /// Where this is, for people (`/srv/archive`, `s3://bucket/prefix`).
    fn describe(&self) -> String;

    /// A folder for files on their way to this destination: on the same file
    /// system for a local folder, so that moving them in is a rename.
    fn staging_dir(&self) -> &Path;

    /// Moves a finished local file to `key`, replacing any object there,
    /// durably and atomically. Returns the size written.
    async fn put_file(&self, key: &str, file: &Path) -> Result<u64>;

    /// Writes `bytes` to `key` as `mode` says; returns the new version.
    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Version>;

    /// Reads `key`; `None` if it does not exist.
    async fn get(&self, key: &str) -> Result<Option<Object>>;

    /// Lists the objects whose keys start with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Removes `key` if it exists.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Takes an exclusive lock tied to this process on `key` (a lease),
    /// without waiting: `Ok(Some(lock))`, held until dropped; `Ok(None)` if
    /// this backend has no such lock (S3, a read-only destination), so only
    /// the lease's expiry tells a dead holder; [`Error::Conflict`](crate::Error::Conflict)
    /// if a live process (or another holder in this one) has it.
    async fn process_lock(&self, key: &str) -> Result<Option<ProcessLock>>;
}
