//! Parsers for single setting values: each takes the raw string and the
//! setting's id (a [`Settings`](super::Settings) field, or another flag's
//! name), and returns a typed value or an error naming the setting.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use url::{Host, Url};

use super::invalid;
use crate::credentials::normalise_guid;
use crate::datasets::{self, DatasetDef};
use crate::destination::{Location, Sse};
use crate::error::Result;

pub(super) fn guid(setting: &str, value: Option<&str>, expected: &str) -> Result<String> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(setting, format!("not set; expected {expected}")))?;
    normalise_guid(value).ok_or_else(|| invalid(setting, format!("{value:?} is not a GUID; expected {expected}")))
}

/// The earliest time a setting may name: older ones are surely typos (Graph
/// keeps 30 days), and time arithmetic on them can overflow.
pub(super) const EARLIEST: DateTime<Utc> = DateTime::from_timestamp(946_684_800, 0).expect("2000-01-01 is a time");
/// How far past now a time setting may lie (clocks disagree, time zones).
pub(super) const FUTURE_SLACK: Duration = Duration::days(1);

/// `./archive`, `~/archive` (with `home`, the HOME directory) or
/// `s3://bucket/prefix`.
pub(super) fn destination(value: &str, kms_key_id: Option<&str>, home: Option<&Path>) -> Result<Location> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("dest", "empty; give a folder such as ./archive or s3://bucket/prefix"));
    }
    let kms = kms_key_id.map(str::trim).filter(|k| !k.is_empty());
    if let Some(rest) = value.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_bucket(bucket) {
            return Err(invalid(
                "dest",
                format!("{bucket:?} is not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)"),
            ));
        }
        let sse = kms.map_or(Sse::BucketDefault, |k| Sse::Kms { key_id: k.to_string() });
        return Ok(Location::S3 { bucket: bucket.to_string(), prefix: prefix.trim_matches('/').to_string(), sse });
    }
    if let Some((scheme, _)) = value.split_once("://") {
        return Err(invalid("dest", format!("{scheme}:// is not supported; give a folder or s3://bucket/prefix")));
    }
    if kms.is_some() {
        return Err(invalid("kms_key_id", "applies only to s3:// destinations"));
    }
    Ok(Location::Local(expand_home(value, home)?))
}

/// A folder with a leading `~` or `~/` replaced by `home`, as a shell would
/// (a quoted or environment value reaches us unexpanded); never a folder
/// literally named `~`.
fn expand_home(value: &str, home: Option<&Path>) -> Result<PathBuf> {
    let Some(rest) = value.strip_prefix('~') else {
        return Ok(PathBuf::from(value));
    };
    let Some(rest) = rest.strip_prefix('/').or(rest.is_empty().then_some("")) else {
        return Err(invalid(
            "dest",
            format!("{value:?}: ~user is not supported (only ~ and ~/ for the HOME directory); give the full path"),
        ));
    };
    let home = home.ok_or_else(|| {
        invalid("dest", format!("{value:?} starts with ~ but HOME is not set; give the full path or set HOME"))
    })?;
    Ok(home.join(rest))
}

fn valid_bucket(name: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ends_ok(name.chars().next())
        && ends_ok(name.chars().last())
}

pub(super) fn dataset_list(value: &str) -> Result<Vec<&'static DatasetDef>> {
    let known = || datasets::ALL.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    let mut out: Vec<&'static DatasetDef> = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let defs: Vec<&'static DatasetDef> = if name.eq_ignore_ascii_case(datasets::ALL_DATASETS) {
            datasets::ALL.to_vec()
        } else {
            vec![
                datasets::by_name(&name.to_ascii_lowercase())
                    .ok_or_else(|| invalid("datasets", format!("unknown dataset {name:?}; known: all, {}", known())))?,
            ]
        };
        for def in defs {
            if !out.iter().any(|d| d.name == def.name) {
                out.push(def);
            }
        }
    }
    if out.is_empty() {
        return Err(invalid("datasets", format!("names no dataset; known: {}", known())));
    }
    Ok(out)
}

/// The datasets a list names one by one (not through `all`).
pub(super) fn named_datasets(value: &str) -> Vec<&'static str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(datasets::ALL_DATASETS))
        .filter_map(|n| datasets::by_name(&n.to_ascii_lowercase()).map(|d| d.name))
        .collect()
}

pub(super) fn base_url(setting: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim()).map_err(|e| invalid(setting, format!("{value:?} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                setting,
                format!("{value} is plain http; use https (http is only accepted on loopback, for test servers)"),
            ));
        }
        other => {
            return Err(invalid(setting, format!("{value}: scheme {other} is not http(s)")));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(setting, format!("{value} must be a base URL without query or fragment")));
    }
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Ok(Url::parse(&trimmed).expect("trimming a slash keeps a URL valid"))
}

pub(super) fn time(setting: &str, value: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(setting, format!("{value:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})")))
}

/// A [`time`] from 2000-01-01 to a day after `now`.
pub(super) fn time_until(setting: &str, value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let t = time(setting, value)?;
    let latest = now + FUTURE_SLACK;
    if t < EARLIEST {
        return Err(invalid(
            setting,
            format!("{value:?} is before {}, the earliest time accepted; give a recent time", rfc3339(EARLIEST)),
        ));
    }
    if t > latest {
        return Err(invalid(
            setting,
            format!("{value:?} is in the future: more than a day after now ({}); give a past time", rfc3339(now)),
        ));
    }
    Ok(t)
}

/// A time in messages: RFC 3339 in UTC, to the second (`2026-11-01T00:00:00Z`).
pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn duration(setting: &str, value: &str, max: Duration) -> Result<Duration> {
    let parsed = humantime::parse_duration(value.trim())
        .map_err(|e| invalid(setting, format!("{value:?} is not a duration such as 10m or 1h ({e})")))?;
    let d = Duration::from_std(parsed).map_err(|_| invalid(setting, format!("{value:?} is too long")))?;
    if d > max {
        let max = humantime::format_duration(max.to_std().expect("maximums are positive"));
        return Err(invalid(setting, format!("{value:?} is too long: at most {max}")));
    }
    Ok(d)
}

pub(super) fn std_duration(setting: &str, value: &str, max: Duration) -> Result<std::time::Duration> {
    Ok(duration(setting, value, max)?.to_std().expect("durations parsed from text are positive"))
}

/// A size such as `128MiB`, `512MB`, `1GiB` or a number of bytes, from 1 KiB
/// (tests use tiny files) to 16 GiB.
pub(super) fn byte_size(setting: &str, value: &str) -> Result<u64> {
    let text = value.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" => 1 << 10,
        "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        other => return Err(invalid(setting, format!("{value:?}: unknown unit {other:?}; use e.g. 128MiB or 1GB"))),
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .ok_or_else(|| invalid(setting, format!("{value:?} is not a size such as 128MiB")))?;
    if !(1 << 10..=16 << 30).contains(&bytes) {
        return Err(invalid(setting, format!("{value:?} is outside 1KiB..16GiB")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(byte_size("s", "128MiB").unwrap(), 128 << 20);
        assert_eq!(byte_size("s", " 2 GB ").unwrap(), 2_000_000_000);
        assert_eq!(byte_size("s", "1048576").unwrap(), 1 << 20);
        assert_eq!(byte_size("s", "2KiB").unwrap(), 2048);
        for bad in ["", "MiB", "12 parsecs", "1000", "99GiB", "-5MB", "18446744073709551615GiB"] {
            let e = byte_size("--file-size", bad).unwrap_err().to_string();
            assert!(e.contains("--file-size"), "{bad}: {e}");
        }
    }

    #[test]
    fn destinations_are_folders_or_s3_urls() {
        assert_eq!(destination("./archive", None, None).unwrap(), Location::Local("./archive".into()));
        assert_eq!(
            destination("s3://my-bucket/entra/logs/", None, None).unwrap(),
            Location::S3 { bucket: "my-bucket".into(), prefix: "entra/logs".into(), sse: Sse::BucketDefault }
        );
        assert_eq!(
            destination("s3://my.bucket", Some("alias/archive"), None).unwrap(),
            Location::S3 {
                bucket: "my.bucket".into(),
                prefix: String::new(),
                sse: Sse::Kms { key_id: "alias/archive".into() }
            }
        );
        for bad in ["s3://My_Bucket/x", "s3://ab", "s3://-bucket", "gs://bucket/x", ""] {
            assert!(destination(bad, None, None).unwrap_err().to_string().contains("ARCHIVE_DEST"), "{bad}");
        }
        assert!(destination("./archive", Some("k"), None).unwrap_err().to_string().contains("ARCHIVE_KMS_KEY_ID"));
    }
}
