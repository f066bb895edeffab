//! Datasets as data. Each Graph activity log the archive knows is one
//! [`DatasetDef`]: its name in the archive, its endpoint, the record field that
//! decides the partition, its page size, the permissions and licence it needs,
//! and the typed schema of its records. Adding a dataset means adding one
//! small file here and one line to [`ALL`]; nothing downstream branches on a
//! dataset's identity.
//!
//! The schema is a tree of [`Field`]s named as Graph names them (camelCase);
//! column names are derived with [`column_name`]. Conversion to Arrow lives in
//! `convert`, which never fails on an unexpected shape: the typed value
//! becomes null and the record's `raw` column keeps what Graph sent.

mod directory_audits;
mod signins;
pub(crate) mod types;

use std::fmt;

/// The value type of a field, as stored in Parquet.
#[derive(Debug)]
pub enum Kind {
    /// UTF-8 string (also enums, GUIDs, JSON-in-string values).
    String,
    /// Boolean.
    Bool,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit float; accepts JSON numbers and the strings `NaN`, `INF`, `-INF`.
    Float64,
    /// An RFC 3339 date-time, stored as UTC nanoseconds.
    Timestamp,
    /// A nested object with these fields.
    Struct(&'static [Field]),
    /// A JSON array whose items are of this kind.
    List(&'static Kind),
}

/// One property of a Graph resource.
#[derive(Debug)]
pub struct Field {
    /// The property name as Graph sends it (camelCase).
    pub json: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// Shorthand for building schema tables.
pub const fn field(json: &'static str, kind: Kind) -> Field {
    Field { json, kind }
}

/// A Graph activity log archived as one dataset.
#[derive(Debug)]
pub struct DatasetDef {
    /// Name in the archive and on the command line, e.g. `signins`.
    pub name: &'static str,
    /// One line for `--help` and the README.
    pub description: &'static str,
    /// Endpoint path below the Graph base URL, e.g. `v1.0/auditLogs/signIns`.
    pub path: &'static str,
    /// The record's own date-time property that windows filter on and
    /// partitions derive from.
    pub time_field: &'static str,
    /// `$top` to request (the endpoint's documented maximum).
    pub page_size: u32,
    /// Microsoft Graph application permissions the app needs.
    pub permissions: &'static [&'static str],
    /// The licence the tenant needs, if any.
    pub licence: Option<&'static str>,
    /// Typed columns, in order. An `id` field is required.
    pub fields: &'static [Field],
}

/// Datasets are the same when their names are.
impl PartialEq for DatasetDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for DatasetDef {}

impl fmt::Display for DatasetDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Every dataset the archive knows, in the order summaries list them.
pub static ALL: &[&DatasetDef] = &[&signins::DEF, &directory_audits::DEF];

/// Datasets selected when none are named.
pub const DEFAULT_DATASETS: &str = "signins,directory_audits";

/// Looks a dataset up by its archive name.
pub fn by_name(name: &str) -> Option<&'static DatasetDef> {
    ALL.iter().copied().find(|d| d.name == name)
}

/// The Parquet column name for a Graph property: snake_case, with acronyms
/// kept together (`ipAddress` → `ip_address`, `riskEventTypes_v2` →
/// `risk_event_types_v2`, `IPAddress` → `ip_address`).
pub fn column_name(json: &str) -> String {
    let chars: Vec<char> = json.chars().collect();
    let mut out = String::with_capacity(json.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_snake_case() {
        let table = [
            ("id", "id"),
            ("createdDateTime", "created_date_time"),
            ("ipAddress", "ip_address"),
            ("riskEventTypes_v2", "risk_event_types_v2"),
            ("countryOrRegion", "country_or_region"),
            ("IPAddress", "ip_address"),
            ("processingTimeInMilliseconds", "processing_time_in_milliseconds"),
            ("homeTenantId", "home_tenant_id"),
            ("Type", "type"),
            ("isCompliant", "is_compliant"),
        ];
        for (json, column) in table {
            assert_eq!(column_name(json), column, "{json}");
        }
    }

    #[test]
    fn every_dataset_has_id_and_time_fields_and_unique_columns() {
        for def in ALL {
            let names: Vec<String> = def.fields.iter().map(|f| column_name(f.json)).collect();
            assert!(names.contains(&"id".to_string()), "{def} lacks id");
            assert!(
                def.fields.iter().any(|f| f.json == def.time_field && matches!(f.kind, Kind::Timestamp)),
                "{def} time field must be a Timestamp field"
            );
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{def} has duplicate columns");
            assert!(!names.contains(&"raw".to_string()), "raw is reserved");
            assert!(by_name(def.name).is_some());
        }
    }

    #[test]
    fn default_datasets_exist() {
        for name in DEFAULT_DATASETS.split(',') {
            assert!(by_name(name).is_some(), "{name}");
        }
    }
}
