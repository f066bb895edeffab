//! Issue 13: `entra-archive upgrade` on an archive the previous release
//! wrote (tests/fixtures/archive-v1, schema version 1: nanosecond times, the
//! documentation's properties only), locally and on S3 (moto): every file
//! re-derived from `raw` in place — the same rows, ids and raw, typed values
//! where there were none, `verify` clean — and a crash between a file and
//! its manifest, then `upgrade` again, leaves every record exactly once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::moto::{ACCESS_KEY, Moto, REGION, SECRET_KEY};
use crate::common::*;
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/archive-v1");
const BUCKET: &str = "upgrade-test";

/// The datasets the previous release knew: those the fixture holds.
fn fixture_datasets() -> &'static [&'static str] {
    &DATASET_NAMES[..7]
}

fn copy_tree(from: &Path, to: &Path) {
    for path in walk(from) {
        let target = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, target).unwrap();
    }
}

/// A copy of the fixture archive (in a folder that lives as long as the
/// guard), and what it holds.
fn fixture_copy() -> (tempfile::TempDir, PathBuf, Contents) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    copy_tree(Path::new(FIXTURE), &archive);
    let before = contents(&archive);
    (dir, archive, before)
}

/// Each dataset's rows as (id, raw), sorted.
type Contents = BTreeMap<&'static str, Vec<(String, String)>>;

/// What an upgrade must not change.
fn contents(archive: &Path) -> Contents {
    fixture_datasets()
        .iter()
        .map(|d| {
            let mut rows: Vec<(String, String)> = rows_under(archive, d).into_iter().map(|r| (r.id, r.raw)).collect();
            rows.sort();
            (*d, rows)
        })
        .collect()
}

async fn cli(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    cmd.env_clear().env("NO_COLOR", "1").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap().into()
}

fn total(summary: &Value, field: &str) -> u64 {
    summary["datasets"].as_array().unwrap().iter().map(|d| d[field].as_u64().unwrap()).sum()
}

fn warnings(report: &Value, what: &str) -> usize {
    report["findings"].as_array().unwrap().iter().filter(|f| f["what"] == what).count()
}

/// The upgraded archive holds what the fixture did, now typed: every value
/// of every record's raw JSON equals its column (the check the export tests
/// use), every file at schema version 2.
fn assert_upgraded(archive: &Path, before: &Contents) {
    assert_eq!(&contents(archive), before, "the same rows, ids and raw");
    let mut leaves = 0;
    for d in fixture_datasets() {
        for row in rows_under(archive, d) {
            let json: Value = serde_json::from_str(&row.raw).unwrap();
            leaves += assert_typed_matches(&row.typed, &json, &format!("{d}[{}]", row.id));
        }
        for file in parquet_files_under(archive, d) {
            let reader = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
            let kv = parquet::file::reader::FileReader::metadata(&reader).file_metadata().key_value_metadata().cloned();
            let version = kv.unwrap_or_default().into_iter().find(|k| k.key == "entra_archive.schema_version");
            assert_eq!(version.and_then(|k| k.value).as_deref(), Some("2"), "{}", file.display());
        }
    }
    let rows: usize = before.values().map(Vec::len).sum();
    assert!(leaves > rows * 20, "only {leaves} typed values compared for {rows} rows");
}

/// DuckDB sees the columns the previous release did not have, filled in.
fn new_columns_seen_by_duckdb(archive: &Path) -> Value {
    let script = r#"
import sys, json, duckdb
a = sys.argv[1]
q = lambda d, sql: duckdb.sql(sql.replace("{src}", f"read_parquet('{a}/{d}/**/*.parquet', hive_partitioning = true)")).fetchone()[0]
print(json.dumps({
  "user_agent": q("signins", "SELECT count(user_agent) FROM {src}"),
  "agent": q("signins_noninteractive", "SELECT count(agent.agent_type) FROM {src}"),
  "audiences": q("signins_service_principal", "SELECT count(*) FROM {src} WHERE len(conditional_access_audiences) > 0"),
  "service_principal": q("provisioning", "SELECT count(service_principal.display_name) FROM {src}"),
}))
"#;
    let out = std::process::Command::new(python()).args(["-c", script]).arg(archive).output().unwrap();
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_archive_of_the_previous_release_is_upgraded_in_place_and_typed() {
    let (_dir, archive, before) = fixture_copy();
    let dest = archive.to_str().unwrap();

    let checked = cli(&["verify", "--json", "--dest", dest], &[]).await;
    checked.assert_code(0);
    assert_eq!(warnings(&checked.json(), "older schema version"), 21, "{}", checked.stdout);

    let snapshot = walk(&archive).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect::<Vec<_>>();
    let dry = cli(&["upgrade", "--dry-run", "--json", "--dest", dest], &[]).await;
    dry.assert_code(0);
    assert_eq!((total(&dry.json(), "old"), total(&dry.json(), "upgraded")), (21, 0), "{}", dry.stdout);
    let after_dry = walk(&archive).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect::<Vec<_>>();
    assert_eq!(after_dry, snapshot, "a dry run changes nothing");

    let upgraded = cli(&["upgrade", "--json", "--dest", dest], &[]).await;
    upgraded.assert_code(0);
    let summary = upgraded.json();
    assert_eq!(total(&summary, "upgraded"), 21, "{summary:#}");
    assert_eq!(total(&summary, "rows"), before.values().map(|r| r.len() as u64).sum::<u64>());
    assert_upgraded(&archive, &before);
    let checked = cli(&["verify", "--json", "--dest", dest], &[]).await;
    checked.assert_code(0);
    assert_eq!(warnings(&checked.json(), "older schema version"), 0, "{}", checked.stdout);
    let seen = new_columns_seen_by_duckdb(&archive);
    for column in ["user_agent", "agent", "audiences", "service_principal"] {
        assert!(seen[column].as_u64().unwrap() > 0, "{column} is NULL everywhere: {seen}");
    }
    // pyarrow: every row into Python objects, every time column (nested too) microseconds.
    let out = std::process::Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_readers.py"))
        .args(["pyarrow", dest])
        .output()
        .unwrap();
    assert!(out.status.success(), "pyarrow: {}", String::from_utf8_lossy(&out.stderr));
    let arrow: Value = serde_json::from_slice(&out.stdout).unwrap();
    for d in fixture_datasets() {
        assert_eq!(arrow["datasets"][d]["rows"].as_u64(), Some(before[d].len() as u64), "pyarrow {d}");
        let times = arrow["datasets"][d]["timestamps"].as_object().unwrap();
        assert!(times.values().all(|t| t == "timestamp[us, tz=UTC]"), "pyarrow {d}: {times:?}");
    }

    // Idempotent: nothing left to do, nothing rewritten.
    let again = cli(&["upgrade", "--json", "--dest", dest], &[]).await;
    again.assert_code(0);
    assert_eq!(total(&again.json(), "upgraded"), 0);
}

/// An expired lease, as time makes of a crashed holder's.
fn expired_lease() -> Vec<u8> {
    let body =
        serde_json::json!({ "run_id": "crashed", "expires_at": chrono::Utc::now() - chrono::Duration::minutes(1) });
    serde_json::to_vec(&body).unwrap()
}

/// `upgrade` dies after the N-th file it replaced (before that file's
/// manifest); once its leases have expired (`expire`), `upgrade` again.
async fn crash_and_resume<F: std::future::Future<Output = ()>>(
    dest: &str,
    env: &[(&str, &str)],
    nth: u32,
    expire: impl FnOnce() -> F,
) -> Run {
    let point = format!("after-file:{nth}");
    let mut crash_env = env.to_vec();
    crash_env.push(("ENTRA_ARCHIVE_CRASH_POINT", &point));
    let crashed = cli(&["upgrade", "--json", "--dest", dest], &crash_env).await;
    assert_ne!(crashed.code, Some(0), "the upgrade must die at {point}: {}", crashed.stderr);
    expire().await;
    cli(&["upgrade", "--json", "--dest", dest], env).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_mid_upgrade_then_upgrade_again_leaves_every_record_once() {
    let (_dir, archive, before) = fixture_copy();
    let dest = archive.to_str().unwrap();
    let leases = archive.clone();
    let resumed = crash_and_resume(dest, &[], 5, || async move {
        for lease in walk(&leases).into_iter().filter(|p| p.ends_with("lease.json")) {
            std::fs::write(lease, expired_lease()).unwrap();
        }
    })
    .await;
    resumed.assert_code(0);
    let summary = resumed.json();
    assert_eq!(total(&summary, "manifests_rebuilt"), 1, "the crashed file's manifest: {summary:#}");
    assert_eq!(total(&summary, "upgraded"), 21 - 5);
    cli(&["verify", "--dest", dest], &[]).await.assert_code(0);
    assert_upgraded(&archive, &before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_archive_is_upgraded_and_survives_a_crash() {
    let moto = Moto::start().await;
    moto.create_bucket(BUCKET).await;
    let s3 = moto.s3().await;
    for path in walk(Path::new(FIXTURE)) {
        let key = format!("archive/{}", path.strip_prefix(FIXTURE).unwrap().display());
        let body = aws_sdk_s3::primitives::ByteStream::from(std::fs::read(&path).unwrap());
        s3.put_object().bucket(BUCKET).key(key).body(body).send().await.unwrap();
    }
    let before = contents(Path::new(FIXTURE));
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", REGION),
    ];
    let dest = format!("s3://{BUCKET}/archive");
    let resumed = crash_and_resume(&dest, &env, 3, || async {
        let mut pages = s3.list_objects_v2().bucket(BUCKET).prefix("archive/_state/").into_paginator().send();
        while let Some(page) = pages.next().await {
            for object in page.unwrap().contents().iter().filter(|o| o.key().unwrap().ends_with("lease.json")) {
                let body = aws_sdk_s3::primitives::ByteStream::from(expired_lease());
                s3.put_object().bucket(BUCKET).key(object.key().unwrap()).body(body).send().await.unwrap();
            }
        }
    })
    .await;
    resumed.assert_code(0);
    assert_eq!(total(&resumed.json(), "upgraded"), 21 - 3, "{}", resumed.stdout);
    let checked = cli(&["verify", "--json", "--dest", &dest], &env).await;
    checked.assert_code(0);
    assert_eq!(warnings(&checked.json(), "older schema version"), 0, "{}", checked.stdout);

    let local = tempfile::tempdir().unwrap();
    let mut pages = s3.list_objects_v2().bucket(BUCKET).prefix("archive/").into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            let key = object.key().unwrap();
            let got = s3.get_object().bucket(BUCKET).key(key).send().await.unwrap();
            let path: PathBuf = local.path().join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, got.body.collect().await.unwrap().into_bytes()).unwrap();
        }
    }
    assert_upgraded(&local.path().join("archive"), &before);
}
