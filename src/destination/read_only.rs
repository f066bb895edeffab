//! A destination opened read-only: reads go through, every write is refused
//! with an error saying so, so a reader (`verify`) cannot change the archive
//! even by mistake.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::{Destination, Object, ObjectMeta, ProcessLock, PutMode, Version};
use crate::error::{Error, Result};

/// Reads of the inner destination; no writes.
#[derive(Debug)]
pub(super) struct ReadOnly(pub(super) Arc<dyn Destination>);

fn refused(op: &'static str, key: &str) -> Error {
    Error::destination(op, key, "the archive was opened read-only")
}

#[async_trait]
impl Destination for ReadOnly {
    fn describe(&self) -> String {
        self.0.describe()
    }

    fn staging_dir(&self) -> &Path {
        self.0.staging_dir()
    }

    async fn put_file(&self, key: &str, _file: &Path) -> Result<u64> {
        Err(refused("put", key))
    }

    async fn put(&self, key: &str, _bytes: Bytes, _mode: PutMode) -> Result<Version> {
        Err(refused("put", key))
    }

    async fn get(&self, key: &str) -> Result<Option<Object>> {
        self.0.get(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        self.0.list(prefix).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        Err(refused("delete", key))
    }

    /// None: a reader takes no lease (it could not write one).
    async fn process_lock(&self, _key: &str) -> Result<Option<ProcessLock>> {
        Ok(None)
    }
}
