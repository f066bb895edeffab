//! `entra-archive verify`: the real binary archives from graph-sim, the
//! archive is then damaged on purpose (a flipped byte, a deleted file, a
//! copied file, a lost manifest) and verify, run without any Entra
//! credentials, must name each problem and exit 1; an intact archive
//! verifies clean.

use std::path::{Path, PathBuf};

use crate::common::world::{BUCKET, PREFIX, World, secret_json};
use crate::common::*;
use graph_sim::Dataset;
use serde_json::Value;
use sha2::{Digest, Sha256};

const END: &str = "2026-11-20T06:00:00Z";

/// `entra-archive verify --json` on `dest` with nothing else in its
/// environment: no tenant, no client, no secret.
async fn verify(dest: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    cmd.env_clear().args(["verify", "--json", "--dest"]).arg(dest).kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap().into()
}

/// An archive of [FROM, END) for signins and directory audits.
async fn archived() -> Harness {
    let h = Harness::start(sim_config(70)).await;
    h.run_to(t(END), &[]).await.assert_code(0);
    h
}

fn key_of(h: &Harness, path: &Path) -> String {
    path.strip_prefix(&h.archive).unwrap().to_string_lossy().replace('\\', "/")
}

fn manifest_path(h: &Harness, data: &Path) -> PathBuf {
    let key = key_of(h, data);
    h.archive.join("_manifests").join(key.strip_suffix(".parquet").unwrap().to_string() + ".json")
}

fn findings(run: &Run) -> Vec<Value> {
    run.json()["findings"].as_array().unwrap().clone()
}

fn dataset<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["datasets"].as_array().unwrap().iter().find(|d| d["dataset"] == name).unwrap()
}

/// Whether a finding says `what` about `key`.
fn has(findings: &[Value], key: &str, what: &str) -> bool {
    findings.iter().any(|f| f["key"] == key && f["what"] == what)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_intact_archive_verifies_clean_with_the_counts_archived() {
    let h = archived().await;
    let run = verify(&h.archive, &[]).await;
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["clean"], true, "{report:#}");
    assert!(findings(&run).is_empty(), "{report:#}");
    for (ds, name) in [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")] {
        let d = dataset(&report, name);
        let expected = h.expected(ds, t(FROM), t(END)).len() as u64;
        assert!(expected > 0);
        assert_eq!(d["rows"].as_u64(), Some(expected), "{d}");
        let files = h.parquet_files(name);
        assert_eq!(d["files"].as_u64(), Some(files.len() as u64), "{d}");
        assert_eq!(d["manifests"].as_u64(), Some(files.len() as u64), "{d}");
        // Each manifest describes its file: the bytes, the rows, the query.
        for file in files {
            let manifest: Value = serde_json::from_slice(&std::fs::read(manifest_path(&h, &file)).unwrap()).unwrap();
            let bytes = std::fs::read(&file).unwrap();
            assert_eq!(manifest["sha256"], hex(&Sha256::digest(&bytes)), "{manifest:#}");
            assert_eq!(manifest["bytes"].as_u64(), Some(bytes.len() as u64));
            assert_eq!(manifest["data_key"], key_of(&h, &file));
            assert_eq!(manifest["tenant_id"], h.sim.config().tenant_id);
            assert_eq!(manifest["dataset"], name);
            assert!(manifest["graph_query"].as_str().unwrap().starts_with("/v1.0/auditLogs/"), "{manifest:#}");
            let rows = read_batches(&file).iter().map(|b| b.num_rows()).sum::<usize>();
            assert_eq!(manifest["records"].as_u64(), Some(rows as u64));
            assert!(manifest["min_time"].as_str().unwrap() <= manifest["max_time"].as_str().unwrap());
        }
    }
    // No manifest is under a dataset's folder, where Athena would read it as data.
    assert!(walk(&h.archive).iter().all(|p| {
        let key = key_of(&h, p);
        !key.ends_with(".json") || key.starts_with("_manifests/") || key.starts_with("_state/")
    }));
    // The same as a table for people.
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    let text: Run = cmd.env_clear().args(["verify", "--dest"]).arg(&h.archive).output().await.unwrap().into();
    text.assert_code(0);
    assert!(text.stdout.contains("signins") && text.stdout.contains("clean"), "{}", text.stdout);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flipped_byte_is_a_hash_mismatch() {
    let h = archived().await;
    let file = h.parquet_files("signins")[1].clone();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let run = verify(&h.archive, &[]).await;
    run.assert_code(1);
    let found = findings(&run);
    let key = key_of(&h, &file);
    assert!(has(&found, &key, "sha256 mismatch"), "{found:#?}");
    assert!(found.iter().all(|f| f["key"] == key), "only that file is named: {found:#?}");
    assert_eq!(run.json()["clean"], false);
    assert_eq!(dataset(&run.json(), "directory_audits")["problems"], 0);

    // A file cut short cannot be decoded, and its size and hash still say so.
    let cut = h.parquet_files("directory_audits")[0].clone();
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let found = findings(&verify(&h.archive, &[]).await);
    let key = key_of(&h, &cut);
    for what in ["size mismatch", "sha256 mismatch", "unreadable Parquet"] {
        assert!(has(&found, &key, what), "{what}: {found:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_file_leaves_a_manifest_without_data() {
    let h = archived().await;
    let file = h.parquet_files("directory_audits")[0].clone();
    std::fs::remove_file(&file).unwrap();
    let run = verify(&h.archive, &[]).await;
    run.assert_code(1);
    let found = findings(&run);
    let manifest_key = key_of(&h, &manifest_path(&h, &file));
    assert!(has(&found, &manifest_key, "manifest without data file"), "{found:#?}");
    // The ledger names the file too, with its range.
    assert!(has(&found, &key_of(&h, &file), "file in the ledger is missing"), "{found:#?}");
    assert_eq!(found.len(), 2, "{found:#?}");
    let orphan = found.iter().find(|f| f["what"] == "manifest without data file").unwrap();
    assert_eq!(orphan["expected"], key_of(&h, &file));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_file_is_reported_as_duplicate_row_keys() {
    let h = archived().await;
    let file = h.parquet_files("signins")[0].clone();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    // …T00-0000-tenant.parquet → …T00-0099-tenant.parquet, in the same cell.
    let (hour, rest) = name.split_once('-').unwrap();
    let copy_name = format!("{hour}-0099-{}", rest.split_once('-').unwrap().1);
    let copy = file.with_file_name(&copy_name);
    std::fs::copy(&file, &copy).unwrap();
    std::fs::copy(manifest_path(&h, &file), manifest_path(&h, &copy)).unwrap();
    let run = verify(&h.archive, &[]).await;
    run.assert_code(1);
    let found = findings(&run);
    let (original, copied) = (key_of(&h, &file), key_of(&h, &copy));
    let duplicate = found
        .iter()
        .find(|f| f["what"] == "duplicate row keys")
        .unwrap_or_else(|| panic!("no duplicate reported: {found:#?}"));
    // Whichever of the two is read second is the one named, the other cited.
    let (named, cited) = (duplicate["key"].as_str().unwrap(), duplicate["found"].as_str().unwrap());
    assert!(
        (named == copied && cited.contains(&original)) || (named == original && cited.contains(&copied)),
        "{duplicate:#}"
    );
    let rows = read_batches(&file).iter().map(|b| b.num_rows()).sum::<usize>();
    assert!(cited.starts_with(&format!("{rows} row keys")), "every row is counted: {cited}");
    // The copied manifest still names the original file.
    assert!(has(&found, &copied, "manifest names another file"), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_file_and_manifest_is_a_warning_the_next_run_repairs() {
    let h = Harness::start(sim_config(71)).await;
    let end = t(END);
    // A first run commits the morning, so the datasets have a ledger.
    h.run_to(t("2026-11-20T03:00:00Z"), &[]).await.assert_code(0);
    let crashed = h.run_with_env(end, &[], &[("ENTRA_ARCHIVE_CRASH_POINT", "after-file:2")]).await;
    assert_ne!(crashed.code, Some(0), "the run must die\n{}", crashed.stderr);
    let run = verify(&h.archive, &[]).await;
    run.assert_code(0);
    let found = findings(&run);
    // The files are there, the last without its manifest, and none yet
    // committed in the ledger: warnings only, nothing lost.
    assert!(found.iter().all(|f| f["severity"] == "warning"), "{found:#?}");
    let orphans: Vec<&Value> = found.iter().filter(|f| f["what"] == "file without manifest").collect();
    assert_eq!(orphans.len(), 1, "{found:#?}");
    let orphan = orphans[0]["key"].as_str().unwrap().to_string();
    let unnamed: Vec<&str> =
        found.iter().filter(|f| f["what"] == "file not in the ledger").map(|f| f["key"].as_str().unwrap()).collect();
    assert!(unnamed.contains(&orphan.as_str()), "{found:#?}");
    assert_eq!(unnamed.len() + 1, found.len(), "{found:#?}");

    // The next run (the crashed run's lease died with it) re-reads that
    // query (the checkpoint did not move), writes the manifest and nothing twice.
    h.run_to(end, &[]).await.assert_code(0);
    let run = verify(&h.archive, &[]).await;
    run.assert_code(0);
    assert!(findings(&run).is_empty(), "{:#}", run.json());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(manifest_path(&h, &h.archive.join(&orphan))).unwrap()).unwrap();
    assert_eq!(manifest["data_key"], orphan.as_str());
    for (ds, name) in [(Dataset::SignIns, "signins"), (Dataset::DirectoryAudits, "directory_audits")] {
        let expected = h.expected(ds, t(FROM), end).len() as u64;
        assert_eq!(dataset(&run.json(), name)["rows"].as_u64(), Some(expected));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_archive_verifies_with_aws_settings_alone() {
    let world = World::start(sim_config(72), secret_json).await;
    let s3_env = |cmd: &mut tokio::process::Command| {
        cmd.env_clear()
            .env("AWS_ENDPOINT_URL", world.moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", crate::common::moto::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", crate::common::moto::SECRET_KEY)
            .env("AWS_REGION", crate::common::moto::REGION)
            .env("ARCHIVE_DEST", format!("s3://{BUCKET}/{PREFIX}"))
            .kill_on_drop(true);
    };
    let now = now_for_end(t(END));
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    s3_env(&mut cmd);
    cmd.env("ENTRA_SECRET_ID", &world.secret_arn)
        .env("GRAPH_BASE_URL", world.sim.url())
        .env("ENTRA_LOGIN_URL", world.sim.url())
        .env("ARCHIVE_GRAPH_BUDGET", "1000/1s")
        .env("ARCHIVE_DATASETS", "signins")
        .args(["run", "--json", "--since", FROM, "--now", &now]);
    let run: Run = cmd.output().await.unwrap().into();
    run.assert_code(0);

    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    s3_env(&mut cmd);
    let checked: Run = cmd.args(["verify", "--json", "--datasets", "signins"]).output().await.unwrap().into();
    checked.assert_code(0);
    let report = checked.json();
    let expected = world.sim.records(Dataset::SignIns).iter().filter(|r| t(FROM) <= r.time && r.time < t(END)).count();
    assert_eq!(dataset(&report, "signins")["rows"].as_u64(), Some(expected as u64), "{report:#}");
    assert!(dataset(&report, "signins")["manifests"].as_u64().unwrap() > 0);

    // A manifest whose file is gone, on S3 too.
    let s3 = world.moto.s3().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = world.download(dir.path()).await;
    let victim = keys.iter().find(|k| k.ends_with(".parquet")).unwrap();
    s3.delete_object().bucket(BUCKET).key(format!("{PREFIX}/{victim}")).send().await.unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    s3_env(&mut cmd);
    let checked: Run = cmd.args(["verify", "--json", "--datasets", "signins"]).output().await.unwrap().into();
    checked.assert_code(1);
    let manifest_key = format!("_manifests/{}.json", victim.strip_suffix(".parquet").unwrap());
    assert!(has(&findings(&checked), &manifest_key, "manifest without data file"), "{}", checked.stdout);
}

/// `verify` opens the archive read-only: a mistyped or unmounted folder is
/// an error, not an empty archive, and nothing is created there or in it.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_folder_is_an_error_and_verify_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("archive-typo");
    let run = verify(&missing, &[]).await;
    // Issue 14, finding 7: exit 2, like any other bad setting.
    run.assert_code(2);
    assert!(run.json()["error"].as_str().unwrap().contains("does not exist"), "{}", run.stdout);
    assert!(!missing.exists(), "verify created the folder");

    let h = archived().await;
    let staging = h.archive.join("_staging");
    std::fs::remove_dir_all(&staging).unwrap();
    let before = h.snapshot();
    verify(&h.archive, &[]).await.assert_code(0);
    assert!(!staging.exists(), "verify created a staging folder");
    assert_eq!(h.snapshot(), before, "verify changed the archive");
}

/// Issue 14, finding 8: deleting a data file *and* its manifest lost its
/// records with `verify` clean. The ledger names every committed file:
/// verify reports the missing file and its range (exit 1); a backfill of the
/// range archives the records again and verify is clean.
#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_proves_the_archive_complete_and_backfill_repairs_it() {
    // Three runs, each committing its window in one entry: [00, 02),
    // [01, 04) and [03, 06) with the hour of overlap.
    let h = Harness::start(sim_config(70)).await;
    for end in ["2026-11-20T02:00:00Z", "2026-11-20T04:00:00Z", END] {
        h.run_to(t(end), &[]).await.assert_code(0);
    }
    let ledger = h.archive.join(format!("_state/{}/signins/ledger", h.sim.config().tenant_id));
    assert!(!walk(&ledger).is_empty(), "runs write ledger entries");
    let victim = h.parquet_files("signins").into_iter().find(|f| f.to_string_lossy().contains("T03-0000")).unwrap();
    let key = key_of(&h, &victim);
    std::fs::remove_file(manifest_path(&h, &victim)).unwrap();
    std::fs::remove_file(&victim).unwrap();
    let run = verify(&h.archive, &[]).await;
    run.assert_code(1);
    let missing = findings(&run).into_iter().find(|f| f["key"] == key.as_str()).expect("the missing file is named");
    assert_eq!(missing["what"], "file in the ledger is missing", "{missing}");
    assert!(missing["expected"].as_str().unwrap().contains("rows, committed by"), "{missing}");

    let backfill: Run = h
        .command(&[
            "backfill",
            "--json",
            "--from",
            "2026-11-20T03:00:00Z",
            "--to",
            "2026-11-20T04:00:00Z",
            "--now",
            &now_for_end(t(END)),
        ])
        .output()
        .await
        .unwrap()
        .into();
    backfill.assert_code(0);
    let run = verify(&h.archive, &[]).await;
    run.assert_code(0);
    let expected = h.expected(Dataset::SignIns, t(FROM), t(END)).len();
    assert_eq!(h.rows("signins").len(), expected, "every record again, once");

    // A range nobody committed is a gap, until a backfill commits it: the
    // second run's entry gone, [02, 03) is covered by none.
    let entry = walk(&ledger).into_iter().find(|p| p.to_string_lossy().contains("/20261120T010000Z_")).unwrap();
    std::fs::remove_file(entry).unwrap();
    let run = verify(&h.archive, &[]).await;
    run.assert_code(1);
    let gap = findings(&run).into_iter().find(|f| f["what"] == "gap in the ledger").expect("a gap");
    assert!(gap["found"].as_str().unwrap().contains("[2026-11-20 02:00:00 UTC, 2026-11-20 03:00:00 UTC)"), "{gap}");
    let backfill: Run = h
        .command(&[
            "backfill",
            "--from",
            "2026-11-20T02:00:00Z",
            "--to",
            "2026-11-20T03:00:00Z",
            "--now",
            &now_for_end(t(END)),
        ])
        .output()
        .await
        .unwrap()
        .into();
    backfill.assert_code(0);
    verify(&h.archive, &[]).await.assert_code(0);
}

/// Issue 14, finding 8: an archive from before the ledger gets one from its
/// manifests with `verify --rebuild-ledger`.
#[tokio::test(flavor = "multi_thread")]
async fn an_archive_without_a_ledger_gets_one_from_its_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archive-v1");
    for path in walk(&fixture) {
        let target = dir.path().join(path.strip_prefix(&fixture).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, target).unwrap();
    }
    let run = verify(dir.path(), &[]).await;
    run.assert_code(0);
    assert!(findings(&run).iter().any(|f| f["what"] == "no ledger"), "{}", run.stdout);
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"));
    cmd.env_clear().args(["verify", "--json", "--rebuild-ledger", "--dest"]).arg(dir.path());
    let rebuilt: Run = cmd.output().await.unwrap().into();
    rebuilt.assert_code(0);
    assert!(rebuilt.stderr.contains("7 entries written"), "{}", rebuilt.stderr);
    let after = verify(dir.path(), &[]).await;
    after.assert_code(0);
    assert!(
        !findings(&after).iter().any(|f| f["what"] == "no ledger" || f["what"] == "file not in the ledger"),
        "{}",
        after.stdout
    );
}
