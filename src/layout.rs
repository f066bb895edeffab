//! Where things live in an archive, as pure functions of their inputs.
//!
//! ```text
//! {dest}/{dataset}/date=YYYY-MM-DD/{YYYYMMDD}T{HH}-{seq}-{tenant}.parquet   data (an hour cell's)
//! {dest}/{dataset}/date=YYYY-MM-DD/{YYYYMMDD}-{part}-{tenant}.parquet      data (a compacted day's)
//! {dest}/_manifests/{dataset}/date=YYYY-MM-DD/{YYYYMMDD}T{HH}-{seq}-{tenant}.json   each data file's manifest
//! {dest}/_state/{tenant}/{dataset}/checkpoint.json                        progress
//! {dest}/_state/{tenant}/{dataset}/lease.json                             who is writing
//! {dest}/_state/{tenant}/{dataset}/schema.json                            the schema version all files are at
//! ```
//!
//! Time is cut into one-hour *cells* (UTC), the unit of files (a Graph query
//! may span many). A cell never crosses midnight, so
//! it lies in exactly one `date=` partition, and a record belongs to exactly
//! one cell: the one holding its own time. Each file of a cell holds records
//! that were new when it was written; `seq` counts the cell's files from 0.
//! Keys are deterministic, so a pass that is redone after a crash writes the
//! same names again instead of adding copies.
//!
//! `compact` merges a sealed day's hour files into day files (`part` counts
//! them from 0, further parts when a day is compacted again after a
//! backfill added hour files to it).
//!
//! Manifests live outside `{dataset}/` on purpose: Athena reads every object
//! under a table's location whatever its suffix, so a JSON file next to the
//! Parquet files would break queries.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Folder (key prefix) of checkpoints and leases.
pub(crate) const STATE_DIR: &str = "_state";
/// Hive partition column of every dataset.
pub(crate) const PARTITION_COLUMN: &str = "date";
/// Suffix of data files.
pub(crate) const PARQUET_SUFFIX: &str = ".parquet";
/// Folder (key prefix) of the data files' manifests.
pub(crate) const MANIFEST_DIR: &str = "_manifests";
/// Suffix of manifests.
pub(crate) const MANIFEST_SUFFIX: &str = ".json";
/// Length of a cell, the unit of files.
pub(crate) const CELL: Duration = Duration::hours(1);

/// The cell holding `t` (for any time chrono holds; a leap second belongs
/// to the hour it ends).
pub(crate) fn cell_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let hour = t.timestamp().div_euclid(CELL.num_seconds()) * CELL.num_seconds();
    DateTime::from_timestamp(hour, 0).expect("the start of an hour chrono holds is a time chrono holds")
}

/// The partition folder of a cell: `signins/date=2026-11-24`.
pub(crate) fn partition_dir(dataset: &str, cell: DateTime<Utc>) -> String {
    format!("{dataset}/{PARTITION_COLUMN}={}", cell.format("%Y-%m-%d"))
}

/// The key prefix every data file of a cell starts with.
pub(crate) fn cell_prefix(dataset: &str, cell: DateTime<Utc>) -> String {
    format!("{}/{}-", partition_dir(dataset, cell), cell.format("%Y%m%dT%H"))
}

/// The key of file `seq` of a cell.
pub(crate) fn data_key(dataset: &str, cell: DateTime<Utc>, seq: u32, tenant: &str) -> String {
    format!("{}{seq:04}-{tenant}{PARQUET_SUFFIX}", cell_prefix(dataset, cell))
}

/// The `seq` of a key produced by [`data_key`] for the same dataset, cell and
/// tenant; `None` for any other key (another tenant's file, a temp file).
pub(crate) fn parse_seq(key: &str, dataset: &str, cell: DateTime<Utc>, tenant: &str) -> Option<u32> {
    let rest = key.strip_prefix(&cell_prefix(dataset, cell))?;
    let seq = rest.strip_suffix(PARQUET_SUFFIX)?.strip_suffix(tenant)?.strip_suffix('-')?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seq.parse().ok()
}

/// The key of a data file's manifest: `signins/date=…/X.parquet` →
/// `_manifests/signins/date=…/X.json`. `None` for a key that is not a data file.
pub(crate) fn manifest_key(data_key: &str) -> Option<String> {
    let stem = data_key.strip_suffix(PARQUET_SUFFIX)?;
    Some(format!("{MANIFEST_DIR}/{stem}{MANIFEST_SUFFIX}"))
}

/// The data file a manifest describes: the inverse of [`manifest_key`].
pub(crate) fn data_key_of_manifest(manifest_key: &str) -> Option<String> {
    let stem = manifest_key.strip_prefix(MANIFEST_DIR)?.strip_prefix('/')?.strip_suffix(MANIFEST_SUFFIX)?;
    Some(format!("{stem}{PARQUET_SUFFIX}"))
}

/// The key prefix every day file of `day` (a compacted day) starts with.
pub(crate) fn day_prefix(dataset: &str, day: NaiveDate) -> String {
    format!("{dataset}/{PARTITION_COLUMN}={}/{}-", day.format("%Y-%m-%d"), day.format("%Y%m%d"))
}

/// The key of day file `part` of `day`.
pub(crate) fn day_key(dataset: &str, day: NaiveDate, part: u32, tenant: &str) -> String {
    format!("{}{part:04}-{tenant}{PARQUET_SUFFIX}", day_prefix(dataset, day))
}

/// The `part` of a key produced by [`day_key`] for the same dataset, day and
/// tenant; `None` for any other key (an hour file, another tenant's).
pub(crate) fn parse_day_part(key: &str, dataset: &str, day: NaiveDate, tenant: &str) -> Option<u32> {
    let rest = key.strip_prefix(&day_prefix(dataset, day))?;
    let part = rest.strip_suffix(PARQUET_SUFFIX)?.strip_suffix(tenant)?.strip_suffix('-')?;
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// The day of a data key's partition (`signins/date=2026-11-24/…`).
pub(crate) fn day_of(key: &str) -> Option<NaiveDate> {
    let partition = key.split('/').nth(1)?.strip_prefix(PARTITION_COLUMN)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(partition, "%Y-%m-%d").ok()
}

/// The first instant of `day` (UTC).
pub(crate) fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// The key prefix every manifest of a dataset starts with.
pub(crate) fn manifest_prefix(dataset: &str) -> String {
    format!("{MANIFEST_DIR}/{dataset}/")
}

/// The key prefix every manifest of a cell's data files starts with.
pub(crate) fn cell_manifest_prefix(dataset: &str, cell: DateTime<Utc>) -> String {
    format!("{MANIFEST_DIR}/{}", cell_prefix(dataset, cell))
}

/// The tenant in a data file's name (`…T08-0003-{tenant}.parquet`).
pub(crate) fn tenant_of(data_key: &str) -> Option<&str> {
    let name = data_key.rsplit('/').next()?.strip_suffix(PARQUET_SUFFIX)?;
    name.splitn(3, '-').nth(2).filter(|t| !t.is_empty())
}

/// The checkpoint object of a tenant's dataset.
pub(crate) fn checkpoint_key(tenant: &str, dataset: &str) -> String {
    format!("{STATE_DIR}/{tenant}/{dataset}/checkpoint.json")
}

/// The journal of a tenant's dataset's compaction in progress.
pub(crate) fn compaction_key(tenant: &str, dataset: &str) -> String {
    format!("{STATE_DIR}/{tenant}/{dataset}/compaction.json")
}

/// The lease object of a tenant's dataset.
pub(crate) fn lease_key(tenant: &str, dataset: &str) -> String {
    format!("{STATE_DIR}/{tenant}/{dataset}/lease.json")
}

/// The schema marker of a tenant's dataset: the version all its files are at.
pub(crate) fn schema_key(tenant: &str, dataset: &str) -> String {
    format!("{STATE_DIR}/{tenant}/{dataset}/schema.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_time_belongs_to_the_hour_it_lies_in() {
        assert_eq!(cell_of(t("2026-11-24T01:00:00Z")), t("2026-11-24T01:00:00Z"));
        assert_eq!(cell_of(t("2026-11-24T01:59:59.9999999Z")), t("2026-11-24T01:00:00Z"));
        assert_eq!(cell_of(t("1969-12-31T23:30:00Z")), t("1969-12-31T23:00:00Z"), "before the epoch too");
    }

    #[test]
    fn keys_are_deterministic_and_partitioned_by_utc_day() {
        let cell = cell_of(t("2026-11-24T08:59:59.9999999Z"));
        assert_eq!(cell, t("2026-11-24T08:00:00Z"));
        assert_eq!(partition_dir("signins", cell), "signins/date=2026-11-24");
        assert_eq!(
            data_key("signins", cell, 3, TENANT),
            format!("signins/date=2026-11-24/20261124T08-0003-{TENANT}.parquet")
        );
        assert_eq!(cell_of(t("2026-11-24T00:00:00Z")), t("2026-11-24T00:00:00Z"));
        assert_eq!(partition_dir("x", cell_of(t("2026-11-23T23:59:59Z"))), "x/date=2026-11-23");
    }

    #[test]
    fn seq_parses_only_our_own_keys() {
        let cell = t("2026-11-24T08:00:00Z");
        for seq in [0, 7, 12345] {
            assert_eq!(parse_seq(&data_key("signins", cell, seq, TENANT), "signins", cell, TENANT), Some(seq));
        }
        let other_tenant = data_key("signins", cell, 1, "0a1b2c3d-1111-4222-8333-444455556666");
        assert_eq!(parse_seq(&other_tenant, "signins", cell, TENANT), None);
        assert_eq!(parse_seq(&data_key("signins", cell + CELL, 1, TENANT), "signins", cell, TENANT), None);
        let prefix = cell_prefix("signins", cell);
        for bad in ["x-{T}.parquet", "-{T}.parquet", "0001-{T}.parquet.tmp", "0001-{T}.json"] {
            let key = format!("{prefix}{}", bad.replace("{T}", TENANT));
            assert_eq!(parse_seq(&key, "signins", cell, TENANT), None, "{key}");
        }
    }

    #[test]
    fn manifests_sit_outside_the_dataset_folder_and_map_back() {
        let data = data_key("signins", t("2026-11-24T08:00:00Z"), 3, TENANT);
        let manifest = manifest_key(&data).unwrap();
        assert_eq!(manifest, format!("_manifests/signins/date=2026-11-24/20261124T08-0003-{TENANT}.json"));
        assert!(!manifest.starts_with("signins/"), "Athena would read it as Parquet");
        assert!(manifest.starts_with(&cell_manifest_prefix("signins", t("2026-11-24T08:00:00Z"))));
        assert!(manifest.starts_with(&manifest_prefix("signins")));
        assert_eq!(data_key_of_manifest(&manifest).as_deref(), Some(data.as_str()));
        assert_eq!(manifest_key("signins/date=2026-11-24/x.json"), None);
        assert_eq!(data_key_of_manifest("signins/date=2026-11-24/x.json"), None);
        assert_eq!(tenant_of(&data), Some(TENANT));
        assert_eq!(tenant_of("signins/date=2026-11-24/x.parquet"), None);
    }

    #[test]
    fn day_files_have_their_own_names_in_the_day_partition() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let key = day_key("signins", day, 1, TENANT);
        assert_eq!(key, format!("signins/date=2026-11-24/20261124-0001-{TENANT}.parquet"));
        assert_eq!(parse_day_part(&key, "signins", day, TENANT), Some(1));
        assert_eq!(tenant_of(&key), Some(TENANT));
        assert_eq!(day_of(&key), Some(day));
        let hour = data_key("signins", t("2026-11-24T08:00:00Z"), 0, TENANT);
        assert_eq!(parse_day_part(&hour, "signins", day, TENANT), None, "an hour file is no day file");
        assert!(!hour.starts_with(&day_prefix("signins", day)));
        assert!(!key.starts_with(&cell_prefix("signins", t("2026-11-24T00:00:00Z"))));
        assert_eq!(day_of(&hour), Some(day));
        assert_eq!(day_start(day), t("2026-11-24T00:00:00Z"));
    }

    #[test]
    fn state_keys() {
        assert_eq!(checkpoint_key(TENANT, "signins"), format!("_state/{TENANT}/signins/checkpoint.json"));
        assert_eq!(lease_key(TENANT, "signins"), format!("_state/{TENANT}/signins/lease.json"));
    }
}
