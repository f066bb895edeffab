//! What only the S3 destination does, against moto over real HTTP (the
//! contract every destination honours is `destination.rs`): streamed single
//! and multipart uploads (and that a failed one leaves nothing behind),
//! paged listing under a prefix, SSE-KMS, and the messages people get for a
//! missing bucket, an unreachable endpoint and a missing IAM permission.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::moto::{Moto, xml_text};
use aws_sdk_s3::types::ServerSideEncryption;
use bytes::Bytes;
use entra_archive::Error;
use entra_archive::destination::{Destination, PutMode, S3Destination, Sse};

const BUCKET: &str = "entra-archive-test";
const PREFIX: &str = "archive/entra";
const MIB: u64 = 1024 * 1024;

struct Setup {
    moto: Moto,
    dir: tempfile::TempDir,
    dest: S3Destination,
}

async fn setup_with(env: &[(&str, &str)], sse: Sse) -> Setup {
    let moto = Moto::start_with_env(env).await;
    moto.create_bucket(BUCKET).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = S3Destination::new(moto.s3().await, BUCKET, PREFIX, sse, dir.path().join("staging"));
    dest.prepare_staging().unwrap();
    Setup { moto, dir, dest }
}

async fn setup() -> Setup {
    setup_with(&[], Sse::BucketDefault).await
}

/// A file of `len` bytes that differ from part to part.
fn staged(dir: &Path, name: &str, len: u64) -> (PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(e @ Error::Destination { .. }) => e.to_string(),
        other => panic!("expected a destination error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_small_file_is_one_put_and_stays_staged() {
    let s = setup().await;
    let d = &s.dest;
    let (file, bytes) = staged(d.staging_dir(), "a.partial", 300_000);
    let key = "signins/date=2026-11-24/20261124T08-0000-t.parquet";
    assert_eq!(d.put_file(key, &file).await.unwrap(), 300_000);
    assert!(file.exists(), "the caller owns the staged file");
    let got = d.get(key).await.unwrap().unwrap();
    assert!(got.bytes[..] == bytes[..], "bytes differ");
    assert!(!got.version.0.contains('-'), "single put: {}", got.version.0);
}

#[tokio::test]
async fn a_large_file_is_a_multipart_upload() {
    let s = setup().await;
    let moto = &s.moto;
    let d = s.dest.clone().with_part_size(5 * MIB);
    let (file, bytes) = staged(d.staging_dir(), "big.partial", 12 * MIB + 7);
    let key = "signins/date=2026-11-24/20261124T09-0000-t.parquet";
    assert_eq!(d.put_file(key, &file).await.unwrap(), 12 * MIB + 7);
    let got = d.get(key).await.unwrap().unwrap();
    assert!(got.bytes[..] == bytes[..], "bytes differ");
    assert!(got.version.0.trim_matches('"').ends_with("-3"), "three parts: {}", got.version.0);
    let listed = d.list("signins/").await.unwrap();
    assert_eq!((listed[0].key.as_str(), listed[0].size), (key, 12 * MIB + 7));
    assert!(pending_uploads(moto).await.is_empty());
}

async fn pending_uploads(moto: &Moto) -> Vec<String> {
    let uploads = moto.s3().await.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
    uploads.uploads().iter().map(|u| u.key().unwrap_or_default().to_string()).collect()
}

/// Parts stored so far in the pending uploads of `key`. (Read with a plain
/// GET: moto answers ListParts with a root element the SDK rejects.)
async fn uploaded_parts(moto: &Moto, key: &str) -> usize {
    let uploads = moto.s3().await.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
    let mut parts = 0;
    for upload in uploads.uploads().iter().filter(|u| u.key().is_some_and(|k| k.ends_with(key))) {
        let url = format!("{}/{BUCKET}/{}", moto.endpoint(), upload.key().unwrap());
        let url = reqwest::Url::parse_with_params(&url, [("uploadId", upload.upload_id().unwrap())]).unwrap();
        let xml = reqwest::get(url).await.unwrap().text().await.unwrap();
        parts += xml.matches("<Part>").count();
    }
    parts
}

/// Parts below S3's 5 MiB minimum make CompleteMultipartUpload fail
/// (EntityTooSmall) after every part was uploaded: the worst moment.
#[tokio::test]
async fn a_failed_multipart_upload_leaves_nothing_behind() {
    let s = setup().await;
    let moto = &s.moto;
    let d = s.dest.clone().with_part_size(MIB);
    let key = "signins/date=2026-11-24/20261124T10-0000-t.parquet";
    d.put(key, Bytes::from_static(b"earlier"), PutMode::Overwrite).await.unwrap();
    let (file, _) = staged(d.staging_dir(), "c.partial", 5 * MIB / 2);
    let text = message(d.put_file(key, &file).await);
    assert!(
        text.contains(&format!("S3 CompleteMultipartUpload s3://{BUCKET}/{PREFIX}/{key} failed: EntityTooSmall (400)")),
        "{text}"
    );
    assert_eq!(&d.get(key).await.unwrap().unwrap().bytes[..], b"earlier");
    assert_eq!(pending_uploads(moto).await, Vec::<String>::new());
    let other = "signins/date=2026-11-24/20261124T11-0000-t.parquet";
    assert!(d.put_file(other, &file).await.is_err());
    assert!(d.get(other).await.unwrap().is_none());
    assert!(pending_uploads(moto).await.is_empty());
    assert!(file.exists());
    let gone = d.put_file(other, &d.staging_dir().join("missing")).await;
    assert!(message(gone).contains("cannot read"));
}

/// A deadline that drops `put_file` midway must not leave the upload behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_multipart_upload_is_aborted() {
    let s = setup().await;
    let d = s.dest.clone().with_part_size(5 * MIB);
    let (file, _) = staged(d.staging_dir(), "huge.partial", 60 * MIB);
    let key = "signins/date=2026-11-24/20261124T12-0000-t.parquet";
    let upload = tokio::spawn({
        let d = d.clone();
        async move { d.put_file(key, &file).await }
    });
    // Wait for a stored part, not just a listed upload: moto lists the upload
    // as soon as it has created it, before the client has read the upload id
    // (a cancel in that window is left to the bucket's lifecycle rule, see
    // `multipart.rs`); parts are only sent once the client holds the id.
    let deadline = Instant::now() + Duration::from_secs(20);
    while uploaded_parts(&s.moto, key).await == 0 {
        assert!(!upload.is_finished(), "finished before it could be dropped");
        assert!(Instant::now() < deadline, "the upload never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    upload.abort();
    assert!(upload.await.unwrap_err().is_cancelled());
    while !pending_uploads(&s.moto).await.is_empty() {
        assert!(Instant::now() < deadline, "the dropped upload was not aborted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(d.get(key).await.unwrap().is_none());
}

/// moto pages ListObjectsV2 at MOTO_S3_DEFAULT_MAX_KEYS (S3: 1000); 3 makes
/// ten keys take four pages.
#[tokio::test]
async fn list_reads_every_page_and_strips_the_prefix() {
    let Setup { moto, dir, dest: d } = setup_with(&[("MOTO_S3_DEFAULT_MAX_KEYS", "3")], Sse::BucketDefault).await;
    let mut keys: Vec<String> =
        (0..10).map(|i| format!("signins/date=2026-11-2{}/20261124T{i:02}-0000-t.parquet", i % 3)).collect();
    keys.push("_state/t/signins/checkpoint.json".into());
    for key in &keys {
        d.put(key, Bytes::from(key.clone()), PutMode::Overwrite).await.unwrap();
    }
    let raw = moto.s3().await;
    for outside in ["archive/entra-old/x", "archive/x", "other/signins/y"] {
        raw.put_object().bucket(BUCKET).key(outside).send().await.unwrap();
    }
    let first = raw.list_objects_v2().bucket(BUCKET).prefix(PREFIX).send().await.unwrap();
    assert_eq!(first.is_truncated(), Some(true), "moto pages");

    keys.sort();
    let listed = d.list("").await.unwrap();
    let names: Vec<&str> = listed.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(names, keys);
    assert!(listed.iter().all(|m| m.size == m.key.len() as u64));
    let signins = d.list("signins/date=2026-11-21/").await.unwrap();
    assert_eq!(signins.len(), 3);
    assert!(d.list("nothing/here").await.unwrap().is_empty());

    let root = S3Destination::new(raw, BUCKET, "", Sse::BucketDefault, dir.path().into());
    let all = root.list("").await.unwrap();
    assert_eq!(all.len(), keys.len() + 3);
    assert_eq!(all[0].key, "archive/entra-old/x");
}

#[tokio::test]
async fn kms_encryption_is_asked_for_on_every_write() {
    let key_id = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let s = setup_with(&[], Sse::Kms { key_id: key_id.into() }).await;
    let moto = &s.moto;
    let d = s.dest.clone().with_part_size(5 * MIB);
    let (small, _) = staged(d.staging_dir(), "s.partial", 1000);
    let (large, _) = staged(d.staging_dir(), "l.partial", 6 * MIB);
    d.put("_state/c.json", Bytes::from_static(b"{}"), PutMode::Create).await.unwrap();
    d.put_file("signins/small.parquet", &small).await.unwrap();
    d.put_file("signins/large.parquet", &large).await.unwrap();
    let raw = moto.s3().await;
    for key in ["_state/c.json", "signins/small.parquet", "signins/large.parquet"] {
        let head = raw.head_object().bucket(BUCKET).key(format!("{PREFIX}/{key}")).send().await.unwrap();
        assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::AwsKms), "{key}");
        assert_eq!(head.ssekms_key_id(), Some(key_id), "{key}");
    }
    raw.put_object().bucket(BUCKET).key("plain").send().await.unwrap();
    let plain = raw.head_object().bucket(BUCKET).key("plain").send().await.unwrap();
    assert_ne!(plain.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let Setup { moto, dir, .. } = &setup().await;
    let d = S3Destination::new(moto.s3().await, "no-such-bucket", PREFIX, Sse::BucketDefault, dir.path().into());
    let text = message(d.put("_state/c.json", Bytes::new(), PutMode::Create).await);
    assert!(
        text.contains(
            "S3 PutObject s3://no-such-bucket/archive/entra/_state/c.json failed: NoSuchBucket (404): \
             The specified bucket does not exist. The bucket no-such-bucket does not exist: check the bucket name in ARCHIVE_DEST"
        ),
        "{text}"
    );
    assert!(message(d.get("_state/c.json").await).contains("NoSuchBucket"));
    assert!(
        message(d.list("").await).contains("S3 ListObjectsV2 s3://no-such-bucket/archive/entra/ failed: NoSuchBucket")
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new("k", "s", None, None, "t"))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let client = entra_archive::destination::s3_client(&sdk).await;
    let d = S3Destination::new(client, BUCKET, "", Sse::BucketDefault, dir.path().into());
    let text = message(d.get("x").await);
    assert!(
        text.contains(&format!("S3 GetObject s3://{BUCKET}/x failed: could not reach S3 at {endpoint} (")),
        "{text}"
    );
}

/// moto enforces IAM policies once `INITIAL_NO_AUTH_ACTION_COUNT` runs out:
/// a user allowed to read but not write gets AccessDenied on PutObject.
#[tokio::test]
async fn access_denied_names_the_missing_permission() {
    let Setup { moto, dir, dest: admin } = setup().await;
    admin.put("_state/c.json", Bytes::from_static(b"{}"), PutMode::Create).await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
    let user = [("UserName", "archiver"), ("Version", "2010-05-08")];
    moto.aws_query("iam", &[&user[..], &[("Action", "CreateUser")]].concat()).await;
    moto.aws_query(
        "iam",
        &[&user[..], &[("Action", "PutUserPolicy"), ("PolicyName", "read-only"), ("PolicyDocument", policy)]].concat(),
    )
    .await;
    let created = moto.aws_query("iam", &[&user[..], &[("Action", "CreateAccessKey")]].concat()).await;
    let key_id = xml_text(&created, "AccessKeyId").unwrap();
    let secret = xml_text(&created, "SecretAccessKey").unwrap();
    moto.require_iam_auth().await;

    let client = entra_archive::destination::s3_client(&moto.sdk_config_as(key_id, secret).await).await;
    let d = S3Destination::new(client, BUCKET, PREFIX, Sse::BucketDefault, dir.path().into());
    assert_eq!(&d.get("_state/c.json").await.unwrap().unwrap().bytes[..], b"{}", "reading is allowed");
    let text = message(d.put("_state/c.json", Bytes::from_static(b"[]"), PutMode::Overwrite).await);
    assert!(
        text.contains(&format!(
            "S3 PutObject s3://{BUCKET}/{PREFIX}/_state/c.json failed: AccessDenied (403): Access Denied. \
             The role needs s3:PutObject on arn:aws:s3:::{BUCKET}/{PREFIX}/*"
        )),
        "{text}"
    );
    assert!(!text.contains(secret));
    let text = message(d.delete("_state/c.json").await);
    assert!(text.contains("The role needs s3:DeleteObject on"), "{text}");
}
