//! Where the archive is written: one narrow trait, several backends.
//!
//! Keys are `/`-separated paths relative to the destination root (see
//! `layout`). Every put is atomic — readers see the whole object or nothing —
//! and conditional puts are the only way state objects change, so two runs can
//! never silently overwrite each other's checkpoint. Backends: a local folder
//! ([`LocalFolder`]) and an S3 bucket and prefix ([`S3Destination`], with
//! [`s3_client`] to build its client).

mod local;
mod s3;

use std::fmt;
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;

pub use local::LocalFolder;
pub use s3::{S3Destination, Sse, s3_client};

use crate::error::Result;

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
}
