//! One contract, every backend: what the rest of the archive relies on from
//! a `Destination`, checked against the local folder and against S3 (moto)
//! with the same code. Each case runs on a fresh folder or key prefix;
//! what only one backend does (a local folder's temp files, S3's paging,
//! multipart uploads, encryption and error messages) is tested beside it.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use entra_archive::Error;
use entra_archive::destination::{Destination, LocalFolder, PutMode, S3Destination, Sse, Version};

use crate::common::moto::Moto;

type Case = fn(Arc<dyn Destination>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every case of the contract, by name.
const CASES: &[(&str, Case)] = &[
    ("conditional puts detect conflicts", |d| Box::pin(conditional_puts_detect_conflicts(d))),
    ("concurrent updates let exactly one win", |d| Box::pin(concurrent_updates_let_exactly_one_win(d))),
    ("put_file stores a staged file", |d| Box::pin(put_file_stores_a_staged_file(d))),
    ("list finds keys by prefix, in order", |d| Box::pin(list_finds_keys_by_prefix_in_order(d))),
    ("delete removes and tolerates missing keys", |d| Box::pin(delete_removes_and_tolerates_missing_keys(d))),
    ("keys cannot escape the root", |d| Box::pin(keys_cannot_escape_the_root(d))),
];

/// Runs every case on a destination `open` makes fresh for it.
async fn honours_the_contract(backend: &str, open: impl Fn(usize) -> Arc<dyn Destination>) {
    for (i, (case, run)) in CASES.iter().enumerate() {
        let dest = open(i);
        let outcome = tokio::spawn(run(dest)).await;
        if let Err(e) = outcome {
            panic!("{backend}: {case}: {e}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_folder_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    honours_the_contract("local folder", |i| {
        Arc::new(LocalFolder::open(dir.path().join(format!("case-{i}"))).unwrap())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_s3_bucket_honours_the_contract() {
    const BUCKET: &str = "contract";
    let moto = Moto::start().await;
    moto.create_bucket(BUCKET).await;
    let client = moto.s3().await;
    let dir = tempfile::tempdir().unwrap();
    honours_the_contract("S3", |i| {
        let staging = dir.path().join(format!("staging-{i}"));
        let dest = S3Destination::new(client.clone(), BUCKET, format!("case-{i}/archive"), Sse::BucketDefault, staging);
        dest.prepare_staging().unwrap();
        Arc::new(dest)
    })
    .await;
}

fn is_conflict<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Conflict { .. }))
}

async fn conditional_puts_detect_conflicts(d: Arc<dyn Destination>) {
    let key = "_state/t/signins/checkpoint.json";
    assert!(d.get(key).await.unwrap().is_none());
    let v1 = d.put(key, Bytes::from_static(b"one"), PutMode::Create).await.unwrap();
    let again = d.put(key, Bytes::from_static(b"two"), PutMode::Create).await;
    assert!(is_conflict(&again), "a second create: {again:?}");
    let v2 = d.put(key, Bytes::from_static(b"two"), PutMode::Update(v1.clone())).await.unwrap();
    assert_ne!(v1, v2);
    let stale = d.put(key, Bytes::from_static(b"three"), PutMode::Update(v1)).await;
    assert!(is_conflict(&stale), "an update from a stale version: {stale:?}");
    let got = d.get(key).await.unwrap().unwrap();
    assert_eq!((&got.bytes[..], got.version), (&b"two"[..], v2));
    let missing = d.put("_state/none", Bytes::new(), PutMode::Update(Version("\"x\"".into()))).await;
    assert!(is_conflict(&missing), "an update of a missing key: {missing:?}");
    d.put(key, Bytes::from_static(b"four"), PutMode::Overwrite).await.unwrap();
    assert_eq!(&d.get(key).await.unwrap().unwrap().bytes[..], b"four");
}

async fn concurrent_updates_let_exactly_one_win(d: Arc<dyn Destination>) {
    let key = "_state/race.json";
    // Not "0" … "7": an S3 ETag is the MD5 of the content, so a winner
    // writing the bytes already there would leave the version as it was.
    let v = d.put(key, Bytes::from_static(b"start"), PutMode::Create).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (d, v) = (d.clone(), v.clone());
            tokio::spawn(async move { d.put(key, Bytes::from(format!("{i}")), PutMode::Update(v)).await })
        })
        .collect();
    let mut wins = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(_) => wins.push(i.to_string()),
            Err(Error::Conflict { .. }) => {}
            Err(e) => panic!("update {i}: {e}"),
        }
    }
    assert_eq!(wins.len(), 1, "winners: {wins:?}");
    let stored = d.get(key).await.unwrap().unwrap();
    assert_eq!(String::from_utf8_lossy(&stored.bytes), wins[0]);
}

/// The staged file is the caller's to remove afterwards: a local folder
/// moves it in, S3 uploads a copy.
async fn put_file_stores_a_staged_file(d: Arc<dyn Destination>) {
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let staged = d.staging_dir().join("a.parquet.partial");
    std::fs::write(&staged, &bytes).unwrap();
    let key = "signins/date=2026-11-24/20261124T08-0000-t.parquet";
    assert_eq!(d.put_file(key, &staged).await.unwrap(), 300_000);
    let got = d.get(key).await.unwrap().unwrap();
    assert!(got.bytes[..] == bytes[..], "the object holds the file's bytes");
    let listed = d.list("signins/").await.unwrap();
    assert_eq!((listed.len(), listed[0].size), (1, 300_000));
    let missing = d.put_file(key, &d.staging_dir().join("missing")).await;
    assert!(missing.is_err(), "a file that is not there is an error");
    assert!(d.get(key).await.unwrap().unwrap().bytes[..] == bytes[..], "and changes nothing");
    let _ = std::fs::remove_file(Path::new(&staged));
}

async fn list_finds_keys_by_prefix_in_order(d: Arc<dyn Destination>) {
    let keys = [
        "signins/date=2026-11-24/20261124T09-0000-t.parquet",
        "signins/date=2026-11-24/20261124T08-0000-t.parquet",
        "signins/date=2026-11-25/x",
        "signins_noninteractive/date=2026-11-24/y",
        "directory_audits/date=2026-11-24/z",
    ];
    for key in keys {
        d.put(key, Bytes::from(key.to_string()), PutMode::Overwrite).await.unwrap();
    }
    let names = |v: Vec<entra_archive::destination::ObjectMeta>| v.into_iter().map(|m| m.key).collect::<Vec<_>>();
    assert_eq!(
        names(d.list("signins/date=2026-11-24/20261124T08-").await.unwrap()),
        ["signins/date=2026-11-24/20261124T08-0000-t.parquet"],
        "a prefix may end inside a file name"
    );
    assert_eq!(
        names(d.list("signins/").await.unwrap()),
        [keys[1], keys[0], keys[2]],
        "in key order, nothing of signins_noninteractive"
    );
    let all = d.list("").await.unwrap();
    assert_eq!(all.len(), keys.len());
    assert!(all.iter().all(|m| m.size == m.key.len() as u64), "sizes: {all:?}");
    assert!(d.list("nothing/here").await.unwrap().is_empty());
}

async fn delete_removes_and_tolerates_missing_keys(d: Arc<dyn Destination>) {
    let key = "signins/date=2026-11-24/a.parquet";
    d.put(key, Bytes::from_static(b"x"), PutMode::Overwrite).await.unwrap();
    d.delete(key).await.unwrap();
    d.delete(key).await.unwrap();
    assert!(d.get(key).await.unwrap().is_none());
    assert!(d.list("").await.unwrap().is_empty());
}

async fn keys_cannot_escape_the_root(d: Arc<dyn Destination>) {
    for key in ["../x", "a/../../x", "/etc/passwd", "a//b", "", "a/./b"] {
        assert!(d.get(key).await.is_err(), "get {key:?}");
        assert!(d.put(key, Bytes::from_static(b"x"), PutMode::Overwrite).await.is_err(), "put {key:?}");
    }
    assert!(d.list("").await.unwrap().is_empty(), "nothing was written anywhere");
}
