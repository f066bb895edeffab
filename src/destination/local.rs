//! A local folder as the archive destination.
//!
//! Objects are files under the root. Every write goes to a hidden temp file in
//! the target's folder, is fsynced, renamed over the target and the folder is
//! fsynced: a reader or a crash sees the old file or the new one, never part
//! of one. `Create` publishes with a hard link (fails if the name exists) and
//! `Update` compares versions under an exclusive file lock, so conditional
//! writes are atomic between processes on one machine. A version is the
//! file's inode and content hash: every write is a new inode, so a rewrite
//! with equal content is still a new version. A process lock
//! ([`Destination::process_lock`]) is an exclusive OS lock (`flock`) on a
//! hidden file beside the object, which the kernel drops when its process
//! dies (a file system without such locks offers none, as S3). Hidden files
//! (temps, locks) are never listed.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tracing::warn;

use super::{Destination, Object, ObjectMeta, ProcessLock, PutMode, Version};
use crate::error::{Error, Result};

/// Folder under the root for files being prepared.
const STAGING: &str = "_staging";
/// Staged files older than this are leftovers of a crashed run.
const STALE_STAGING: Duration = Duration::from_secs(24 * 3600);
/// Age after which a state write's temp file can only be a failed write's
/// leftover (they live for milliseconds).
const STALE_STATE_TEMP: Duration = Duration::from_secs(10 * 60);

/// A folder on a local (or mounted) file system.
#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalFolder {
    /// Opens (creating if needed) the folder at `root`, and clears staged files
    /// a crashed run left behind.
    pub fn open(root: impl Into<PathBuf>) -> Result<LocalFolder> {
        let root = root.into();
        let staging = root.join(STAGING);
        fs::create_dir_all(&staging).map_err(|e| Error::destination("open", root.display().to_string(), e))?;
        let folder = LocalFolder { root, staging };
        folder.clear_stale_staging();
        clear_stale_temps(&folder.root.join(crate::layout::STATE_DIR));
        Ok(folder)
    }

    /// Opens the existing folder at `root` for reading; creates nothing, and
    /// fails if there is no folder there (a mistyped or unmounted path).
    pub fn existing(root: impl Into<PathBuf>) -> Result<LocalFolder> {
        let root = root.into();
        let problem = match fs::metadata(&root) {
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some("is not a folder".to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NoArchive { location: root.display().to_string() });
            }
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            return Err(Error::destination("open", root.display().to_string(), problem));
        }
        Ok(LocalFolder { staging: root.join(STAGING), root })
    }

    fn clear_stale_staging(&self) {
        let Ok(entries) = fs::read_dir(&self.staging) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_STAGING);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        let valid = !key.is_empty()
            && !key.contains('\\')
            && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
        if !valid {
            return Err(Error::destination("resolve", key, "not a valid relative key"));
        }
        Ok(self.root.join(key))
    }
}

/// The version of a local object: its inode and a hash of its content.
fn version_of(ino: u64, bytes: &[u8]) -> Version {
    Version(format!("{ino:x}-{}", hex::encode(&Sha256::digest(bytes)[..12])))
}

/// Reads a file and its version from one open handle; `None` if missing.
fn read_versioned(path: &Path) -> io::Result<Option<(Vec<u8>, Version)>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let ino = file.metadata()?.ino();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let version = version_of(ino, &bytes);
    Ok(Some((bytes, version)))
}

/// Removes the temp files a failed state write left (`.lease.json.….tmp`
/// after a full disk) below `dir`, once they are older than a run could be
/// writing them.
fn clear_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            clear_stale_temps(&path);
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = meta.modified().is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_STATE_TEMP);
        if name.starts_with('.') && name.ends_with(".tmp") && stale {
            let _ = fs::remove_file(path);
        }
    }
}

/// The hidden file beside `target` whose OS lock is a process lock on it
/// (not the `.lock` file conditional writes lock for a moment: a process
/// lock is held for a whole run, across its own conditional writes).
fn process_lock_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.process-lock"))
}

/// What became of an attempt to take a process lock.
enum Locking {
    Taken(File),
    /// Another open handle (another process, or another holder here) has it.
    Held,
    /// The file system has no such locks (some network or FUSE mounts).
    Unsupported(io::Error),
}

/// Locks `target`'s process-lock file without waiting.
fn try_lock_process(target: &Path) -> io::Result<Locking> {
    fs::create_dir_all(parent(target))?;
    let file = File::options().create(true).truncate(false).write(true).open(process_lock_path(target))?;
    Ok(match file.try_lock() {
        Ok(()) => Locking::Taken(file),
        Err(fs::TryLockError::WouldBlock) => Locking::Held,
        Err(fs::TryLockError::Error(e)) => Locking::Unsupported(e),
    })
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn parent(path: &Path) -> &Path {
    path.parent().expect("keys always have a parent under the root")
}

/// Writes `bytes` to a fresh temp file beside `target`, fsynced.
fn write_temp(target: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(parent(target))?;
    let temp = temp_path(target);
    let mut file = File::create_new(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(temp)
}

fn publish(temp: &Path, target: &Path, mode: &PutMode) -> io::Result<std::result::Result<(), ()>> {
    match mode {
        PutMode::Overwrite => fs::rename(temp, target)?,
        PutMode::Create => {
            let linked = fs::hard_link(temp, target);
            fs::remove_file(temp)?;
            match linked {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Err(())),
                other => other?,
            }
        }
        PutMode::Update(expected) => {
            let lock_path =
                target.with_file_name(format!(".{}.lock", target.file_name().unwrap_or_default().to_string_lossy()));
            let lock = File::options().create(true).truncate(false).write(true).open(lock_path)?;
            lock.lock()?;
            let current = read_versioned(target)?.map(|(_, version)| version);
            if current.as_ref() != Some(expected) {
                fs::remove_file(temp)?;
                return Ok(Err(()));
            }
            fs::rename(temp, target)?;
        }
    }
    sync_dir(parent(target))?;
    Ok(Ok(()))
}

fn move_in(staged: &Path, target: &Path) -> io::Result<u64> {
    fs::create_dir_all(parent(target))?;
    File::open(staged)?.sync_all()?;
    let size = fs::metadata(staged)?.len();
    match fs::rename(staged, target) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            let temp = temp_path(target);
            fs::copy(staged, &temp)?;
            File::open(&temp)?.sync_all()?;
            fs::rename(&temp, target)?;
            fs::remove_file(staged)?;
        }
        Err(e) => return Err(e),
    }
    sync_dir(parent(target))?;
    Ok(size)
}

fn walk(dir: &Path, root: &Path, prefix: &str, out: &mut Vec<ObjectMeta>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        let key = path.strip_prefix(root).expect("walked under the root").to_string_lossy().replace('\\', "/");
        if kind.is_dir() {
            if prefix.starts_with(&format!("{key}/")) || key.starts_with(prefix) {
                walk(&path, root, prefix, out)?;
            }
        } else if key.starts_with(prefix) {
            out.push(ObjectMeta { key, size: entry.metadata()?.len() });
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    op: &'static str,
    key: &str,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::destination(op, key, e))?
        .map_err(|e| Error::destination(op, key, e))
}

#[async_trait]
impl Destination for LocalFolder {
    fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }

    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    async fn put_file(&self, key: &str, file: &Path) -> Result<u64> {
        let target = self.path(key)?;
        let staged = file.to_path_buf();
        blocking("put", key, move || move_in(&staged, &target)).await
    }

    async fn put(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<Version> {
        let target = self.path(key)?;
        let published = blocking("put", key, move || {
            let temp = write_temp(&target, &bytes)?;
            let version = version_of(fs::metadata(&temp)?.ino(), &bytes);
            Ok(publish(&temp, &target, &mode)?.map(|()| version))
        })
        .await?;
        published.map_err(|()| Error::Conflict { key: key.to_string() })
    }

    async fn get(&self, key: &str) -> Result<Option<Object>> {
        let path = self.path(key)?;
        let read = blocking("get", key, move || read_versioned(&path)).await?;
        Ok(read.map(|(bytes, version)| Object { bytes: Bytes::from(bytes), version }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let root = self.root.clone();
        let owned = prefix.to_string();
        let mut found = blocking("list", prefix, move || {
            let mut out = Vec::new();
            walk(&root, &root, &owned, &mut out)?;
            Ok(out)
        })
        .await?;
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn process_lock(&self, key: &str) -> Result<Option<ProcessLock>> {
        let target = self.path(key)?;
        match blocking("lock", key, move || try_lock_process(&target)).await? {
            Locking::Taken(file) => Ok(Some(ProcessLock { _file: file })),
            Locking::Held => Err(Error::Conflict { key: key.to_string() }),
            Locking::Unsupported(e) => {
                warn!(key, error = %e, "the file system takes no file locks: leases here are short and renewed, as on S3");
                Ok(None)
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        blocking("delete", key, move || match fs::remove_file(&path) {
            Ok(()) => sync_dir(parent(&path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14, finding 12: temp files of state writes a failure left are
    /// removed by the next open, once stale (never a fresh one in use).
    #[test]
    fn stale_temp_files_of_state_writes_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("_state/t/signins");
        fs::create_dir_all(&state).unwrap();
        let (old, fresh) = (state.join(".lease.json.abc.tmp"), state.join(".checkpoint.json.def.tmp"));
        fs::write(&old, b"{").unwrap();
        fs::write(&fresh, b"{").unwrap();
        fs::write(state.join("lease.json"), b"{}").unwrap();
        let long_ago = SystemTime::now() - STALE_STATE_TEMP - std::time::Duration::from_secs(60);
        File::options().write(true).open(&old).unwrap().set_modified(long_ago).unwrap();
        LocalFolder::open(dir.path()).unwrap();
        assert!(!old.exists() && fresh.exists() && state.join("lease.json").exists());
    }

    fn folder() -> (tempfile::TempDir, LocalFolder) {
        let dir = tempfile::tempdir().unwrap();
        let folder = LocalFolder::open(dir.path().join("archive")).unwrap();
        (dir, folder)
    }

    #[tokio::test]
    async fn list_hides_temp_files() {
        let (_dir, f) = folder();
        for key in [
            "signins/date=2026-11-24/20261124T08-0000-t.parquet",
            "signins/date=2026-11-24/20261124T09-0000-t.parquet",
            "signins/date=2026-11-25/x",
            "directory_audits/date=2026-11-24/y",
        ] {
            f.put(key, Bytes::from_static(b"x"), PutMode::Overwrite).await.unwrap();
        }
        fs::write(f.root.join("signins/date=2026-11-24/.20261124T08-0001-t.parquet.abc.tmp"), b"partial").unwrap();
        let keys = |v: Vec<ObjectMeta>| v.into_iter().map(|m| m.key).collect::<Vec<_>>();
        assert_eq!(
            keys(f.list("signins/date=2026-11-24/20261124T08-").await.unwrap()),
            vec!["signins/date=2026-11-24/20261124T08-0000-t.parquet"]
        );
        assert_eq!(keys(f.list("signins/").await.unwrap()).len(), 3);
        assert!(f.list("nothing/here").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn put_file_moves_a_staged_file_in_and_delete_removes_it() {
        let (_dir, f) = folder();
        let staged = f.staging_dir().join("a.partial");
        fs::write(&staged, b"parquet bytes").unwrap();
        assert_eq!(f.put_file("signins/date=2026-11-24/a.parquet", &staged).await.unwrap(), 13);
        assert!(!staged.exists());
        assert_eq!(&f.get("signins/date=2026-11-24/a.parquet").await.unwrap().unwrap().bytes[..], b"parquet bytes");
        f.delete("signins/date=2026-11-24/a.parquet").await.unwrap();
        f.delete("signins/date=2026-11-24/a.parquet").await.unwrap();
        assert!(f.get("signins/date=2026-11-24/a.parquet").await.unwrap().is_none());
    }

    #[test]
    fn a_folder_opened_for_reading_must_exist_and_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo");
        let e = LocalFolder::existing(&missing).unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("ARCHIVE_DEST"), "{e}");
        assert!(!missing.exists(), "nothing was created");
        std::fs::write(&missing, b"x").unwrap();
        assert!(LocalFolder::existing(&missing).unwrap_err().to_string().contains("not a folder"));
        LocalFolder::existing(dir.path()).unwrap();
        assert!(!dir.path().join(STAGING).exists(), "no staging folder for a reader");
    }

    /// Issue 16: a process lock excludes every other holder until dropped,
    /// never shows in listings, and does not stand in the way of the
    /// holder's own conditional writes of the object.
    #[tokio::test]
    async fn a_process_lock_is_exclusive_until_dropped() {
        let (_dir, f) = folder();
        let key = "_state/t/signins/lease.json";
        let lock = f.process_lock(key).await.unwrap().expect("a local folder has process locks");
        assert!(matches!(f.process_lock(key).await, Err(Error::Conflict { .. })), "held");
        let other = f.process_lock("_state/t/directory_audits/lease.json").await.unwrap();
        assert!(other.is_some(), "each key has its own lock");
        let v = f.put(key, Bytes::from_static(b"1"), PutMode::Create).await.unwrap();
        f.put(key, Bytes::from_static(b"2"), PutMode::Update(v)).await.unwrap();
        assert_eq!(f.list("_state/").await.unwrap().len(), 1, "only the object is listed");
        drop(lock);
        assert!(f.process_lock(key).await.unwrap().is_some(), "free once dropped");
    }

    #[tokio::test]
    async fn backslashes_are_not_path_separators_here() {
        let (_dir, f) = folder();
        assert!(f.get("a\\b").await.is_err());
    }
}
