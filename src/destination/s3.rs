//! Amazon S3 (or an S3-compatible server) as the archive destination.
//!
//! Takes an S3 client, a bucket and a key prefix, and keeps each object at
//! `{prefix}/{key}`. A staged Parquet file is streamed from disk, never read
//! whole: up to the part size in one PutObject, above it as a multipart upload
//! (`multipart`), so readers see the whole object or nothing. Conditional puts
//! use `If-None-Match: *` and `If-Match: <etag>`; losing one is
//! [`Error::Conflict`]. A version is the ETag, which for these uploads is the
//! content's MD5: rewriting identical bytes keeps the version (locally every
//! write is a new one). Every write asks for the configured server-side
//! encryption. Error messages name the call, the `s3://` URL and what to do
//! (`explain`); they never hold credentials. The caller's staged file is never
//! removed here.

mod explain;
mod multipart;

use std::fmt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use bytes::Bytes;

use self::explain::{Call, LastEndpoint};
use super::{Destination, Object, ObjectMeta, ProcessLock, PutMode, Version};
use crate::error::{Error, Result};

pub use self::explain::s3_client;

/// Multipart threshold and part size unless [`S3Destination::with_part_size`] says otherwise.
const DEFAULT_PART_SIZE: u64 = 16 * 1024 * 1024;
/// Error codes of a lost conditional write: the condition did not hold (412),
/// or a concurrent conditional write to the key won (409).
const LOST_CONDITION: [&str; 2] = ["PreconditionFailed", "ConditionalRequestConflict"];

/// Server-side encryption of every object written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// No encryption header: the bucket's default encryption applies (SSE-S3 unless set otherwise).
    BucketDefault,
    /// SSE-KMS with this key (id, ARN or alias).
    Kms {
        /// The KMS key.
        key_id: String,
    },
}

/// A bucket (and key prefix) on S3.
#[derive(Clone)]
pub struct S3Destination {
    client: Client,
    bucket: String,
    prefix: String,
    sse: Sse,
    staging: PathBuf,
    part_size: u64,
    endpoint: LastEndpoint,
}

impl fmt::Debug for S3Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Destination")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("sse", &self.sse)
            .field("staging", &self.staging)
            .field("part_size", &self.part_size)
            .finish_non_exhaustive()
    }
}

/// Age after which a staged file can only be a crashed run's leftover (a
/// slice's file is uploaded seconds after it is written).
const STALE_STAGED: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes `*.partial` files older than `age` from `dir`, best effort.
fn remove_stale_staged_files(dir: &Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale =
            entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|e| e > age);
        if stale && path.extension().is_some_and(|e| e == "partial") {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl S3Destination {
    /// `prefix` has no leading/trailing '/' (any are trimmed) and may be empty.
    /// `staging` is a local folder for Parquet files on their way (in Lambda:
    /// under /tmp), made ready by [`prepare_staging`](Self::prepare_staging)
    /// before anything is written. Touches neither S3 nor the disk.
    pub fn new(
        client: Client,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
        sse: Sse,
        staging: PathBuf,
    ) -> S3Destination {
        let endpoint = LastEndpoint::default();
        let config = client.config().to_builder().interceptor(endpoint.clone()).build();
        S3Destination {
            client: Client::from_conf(config),
            bucket: bucket.into(),
            prefix: prefix.into().trim_matches('/').to_string(),
            sse,
            staging,
            part_size: DEFAULT_PART_SIZE,
            endpoint,
        }
    }

    /// Creates the staging folder if missing and removes staged files a
    /// crashed run left there more than an hour ago.
    pub fn prepare_staging(&self) -> Result<()> {
        let staging = &self.staging;
        std::fs::create_dir_all(staging).map_err(|e| Error::destination("open", staging.display().to_string(), e))?;
        remove_stale_staged_files(staging, STALE_STAGED);
        Ok(())
    }

    /// Multipart threshold and part size (default 16 MiB). S3 rejects parts
    /// below 5 MiB (except the last) when the upload completes. For tests.
    pub fn with_part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// The object key of a destination key: `{prefix}/{key}`.
    fn object_key(&self, key: &str) -> Result<String> {
        let valid = !key.is_empty() && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
        if !valid {
            return Err(Error::destination("resolve", key, "not a valid relative key"));
        }
        Ok(self.full(key))
    }

    fn full(&self, key: &str) -> String {
        if self.prefix.is_empty() { key.to_string() } else { format!("{}/{key}", self.prefix) }
    }

    fn sse_headers(&self) -> (Option<ServerSideEncryption>, Option<String>) {
        match &self.sse {
            Sse::BucketDefault => (None, None),
            Sse::Kms { key_id } => (Some(ServerSideEncryption::AwsKms), Some(key_id.clone())),
        }
    }

    /// Wraps an SDK error into the crate's error with a message people can act on.
    fn fail<E>(&self, op: &'static str, call: Call, key: &str, err: SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = explain::message(self, call, &self.full(key), &err);
        Error::destination(op, key, message)
    }
}

fn unreadable(key: &str, file: &Path, e: impl fmt::Display) -> Error {
    Error::destination("put", key, format!("cannot read {}: {e}", file.display()))
}

#[async_trait]
impl Destination for S3Destination {
    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    async fn put_file(&self, key: &str, file: &Path) -> Result<u64> {
        let object = self.object_key(key)?;
        let size = tokio::fs::metadata(file).await.map_err(|e| unreadable(key, file, e))?.len();
        if size > self.part_size {
            self.put_multipart(key, &object, file, size).await?;
            return Ok(size);
        }
        let body = ByteStream::from_path(file).await.map_err(|e| unreadable(key, file, e))?;
        let (sse, kms_key) = self.sse_headers();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&object)
            .content_length(size as i64)
            .body(body)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .send()
            .await
            .map_err(|e| self.fail("put", Call::PutObject, key, e))?;
        Ok(size)
    }

    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Version> {
        let object = self.object_key(key)?;
        let (sse, kms_key) = self.sse_headers();
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&object)
            .body(ByteStream::from(bytes))
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key);
        let request = match &mode {
            PutMode::Overwrite => request,
            PutMode::Create => request.if_none_match("*"),
            PutMode::Update(version) => request.if_match(&version.0),
        };
        match request.send().await {
            Ok(out) => out
                .e_tag()
                .map(|e| Version(e.to_string()))
                .ok_or_else(|| Error::destination("put", key, "S3 PutObject returned no ETag")),
            Err(e) if lost_condition(&e, &mode) => Err(Error::Conflict { key: key.to_string() }),
            Err(e) => Err(self.fail("put", Call::PutObject, key, e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Object>> {
        let object = self.object_key(key)?;
        let out = match self.client.get_object().bucket(&self.bucket).key(&object).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.fail("get", Call::GetObject, key, e)),
        };
        let version = Version(out.e_tag().unwrap_or_default().to_string());
        let bytes = out.body.collect().await.map_err(|e| {
            Error::destination(
                "get",
                key,
                format!("S3 GetObject s3://{}/{object}: the download broke off: {e}", self.bucket),
            )
        })?;
        Ok(Some(Object { bytes: bytes.into_bytes(), version }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let full = self.full(prefix);
        let strip = if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) };
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(&full).into_paginator().send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                let message = explain::message(self, Call::ListObjectsV2, &full, &e);
                Error::destination("list", format!("{prefix}*"), message)
            })?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(&strip)) else {
                    continue;
                };
                found.push(ObjectMeta { key: key.to_string(), size: object.size().unwrap_or_default().max(0) as u64 });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let object = self.object_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&object)
            .send()
            .await
            .map_err(|e| self.fail("delete", Call::DeleteObject, key, e))?;
        Ok(())
    }

    /// None: nothing on S3 dies with a process, so a lease here is kept
    /// short and renewed instead (see `lease`).
    async fn process_lock(&self, _key: &str) -> Result<Option<ProcessLock>> {
        Ok(None)
    }
}

/// Whether a failed conditional put lost its condition (rather than failing).
fn lost_condition<E: ProvideErrorMetadata>(err: &SdkError<E>, mode: &PutMode) -> bool {
    if *mode == PutMode::Overwrite {
        return false;
    }
    let code = err.code().unwrap_or_default();
    let status = err.raw_response().map(|r| r.status().as_u16());
    status == Some(412) || LOST_CONDITION.contains(&code) || matches!(mode, PutMode::Update(_)) && code == "NoSuchKey"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_staged_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("run-a.parquet.partial"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        remove_stale_staged_files(dir.path(), std::time::Duration::from_secs(3600));
        assert!(dir.path().join("run-a.parquet.partial").exists(), "a fresh file may be a running upload's");
        std::thread::sleep(std::time::Duration::from_millis(20));
        remove_stale_staged_files(dir.path(), std::time::Duration::from_millis(10));
        assert!(!dir.path().join("run-a.parquet.partial").exists());
        assert!(dir.path().join("notes.txt").exists());
    }

    fn destination(prefix: &str) -> (tempfile::TempDir, S3Destination) {
        let dir = tempfile::tempdir().unwrap();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        let staging = dir.path().join("staging");
        let dest = S3Destination::new(Client::from_conf(config), "bkt", prefix, Sse::BucketDefault, staging.clone());
        assert!(!staging.exists(), "made ready only before writing");
        dest.prepare_staging().unwrap();
        assert!(staging.is_dir());
        (dir, dest)
    }

    #[test]
    fn keys_are_placed_under_the_prefix() {
        let (_dir, d) = destination("/archive/entra/");
        assert_eq!(d.describe(), "s3://bkt/archive/entra");
        assert_eq!(d.object_key("a/b.json").unwrap(), "archive/entra/a/b.json");
        let (_dir, d) = destination("");
        assert_eq!(d.describe(), "s3://bkt");
        assert_eq!(d.object_key("a/b.json").unwrap(), "a/b.json");
        for key in ["../x", "a/../x", "/etc/passwd", "a//b", "", "a/./b"] {
            assert!(d.object_key(key).is_err(), "{key}");
        }
    }

    #[test]
    fn debug_shows_where_not_the_client() {
        let (_dir, d) = destination("p");
        let text = format!("{d:?}");
        assert!(text.contains("bkt") && !text.contains("credentials"), "{text}");
    }
}
