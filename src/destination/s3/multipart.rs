//! Multipart upload of one staged file.
//!
//! Takes a local file, its size and the destination; hands S3 the file in
//! ranges read straight from disk (at most `PART_CONCURRENCY` in flight, so
//! memory stays flat), then completes the upload. On failure it aborts the
//! upload and returns the original error; if the future is dropped midway
//! (a deadline), it aborts in the background. It must never leave a
//! completed partial object: S3 shows an object only once
//! CompleteMultipartUpload succeeds. (A cancel that lands while
//! CreateMultipartUpload is in flight can still leave an upload nobody knows
//! of; a bucket lifecycle rule, AbortIncompleteMultipartUpload, is the
//! backstop.)

use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::explain::Call;
use super::{S3Destination, unreadable};
use crate::error::{Error, Result};

/// S3 allows at most this many parts; larger files get larger parts.
const MAX_PARTS: u64 = 10_000;
/// Parts of one file uploaded at the same time.
const PART_CONCURRENCY: usize = 4;

impl S3Destination {
    /// Uploads `file` (`size` bytes) to `object` in parts; on any failure
    /// aborts the upload, so nothing becomes visible, and returns the error.
    pub(super) async fn put_multipart(&self, key: &str, object: &str, file: &Path, size: u64) -> Result<()> {
        let (sse, kms_key) = self.sse_headers();
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(object)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .send()
            .await
            .map_err(|e| self.fail("put", Call::CreateMultipartUpload, key, e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| Error::destination("put", key, "S3 CreateMultipartUpload returned no upload id"))?;
        let mut guard = AbortOnDrop {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            object: object.to_string(),
            upload_id: Some(upload_id.to_string()),
        };
        let result = self.upload_parts(key, object, upload_id, file, size).await;
        if result.is_err() {
            self.abort(key, object, upload_id).await;
        }
        guard.upload_id = None;
        result
    }

    async fn upload_parts(&self, key: &str, object: &str, upload_id: &str, file: &Path, size: u64) -> Result<()> {
        let part_size = self.part_size.max(size.div_ceil(MAX_PARTS));
        let ranges = (0..size.div_ceil(part_size)).map(|i| {
            let offset = i * part_size;
            (i as i32 + 1, offset, part_size.min(size - offset))
        });
        let parts: Vec<CompletedPart> = stream::iter(ranges)
            .map(|(number, offset, length)| async move {
                let body = ByteStream::read_from()
                    .path(file)
                    .offset(offset)
                    .length(Length::Exact(length))
                    .build()
                    .await
                    .map_err(|e| unreadable(key, file, e))?;
                let uploaded = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(object)
                    .upload_id(upload_id)
                    .part_number(number)
                    .content_length(length as i64)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| self.fail("put", Call::UploadPart, key, e))?;
                Ok::<_, Error>(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(uploaded.e_tag().map(str::to_string))
                        .build(),
                )
            })
            .buffered(PART_CONCURRENCY)
            .try_collect()
            .await?;
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(object)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| self.fail("put", Call::CompleteMultipartUpload, key, e))?;
        Ok(())
    }

    /// Best effort: a failed abort is logged, the caller returns the original error.
    async fn abort(&self, key: &str, object: &str, upload_id: &str) {
        let aborted =
            self.client.abort_multipart_upload().bucket(&self.bucket).key(object).upload_id(upload_id).send().await;
        if let Err(e) = aborted {
            let error = self.fail("put", Call::AbortMultipartUpload, key, e);
            tracing::warn!(%error, upload_id, "multipart upload not aborted; a bucket lifecycle rule (AbortIncompleteMultipartUpload) cleans it up");
        }
    }
}

/// Aborts a multipart upload whose future was dropped before it finished.
struct AbortOnDrop {
    client: Client,
    bucket: String,
    object: String,
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let (Some(upload_id), Ok(runtime)) = (self.upload_id.take(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        let request = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.object).upload_id(upload_id);
        runtime.spawn(async move {
            let _ = request.send().await;
        });
    }
}
