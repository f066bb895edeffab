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

mod beta_types;
#[cfg(test)]
mod conformance;
mod custom_security_attribute_audits;
mod directory_audits;
pub mod doc;
mod network_access_traffic;
mod provisioning;
mod risk_detections;
mod service_principal_risk;
mod signins;
mod signins_beta;
mod signups;
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
    /// An RFC 3339 date-time, stored as UTC microseconds: the unit every
    /// engine reads (Spark refuses nanoseconds). Graph sends 100 ns ticks;
    /// the 7th fractional digit is truncated here and kept exact in `raw`.
    Timestamp,
    /// A nested object with these fields.
    Struct(&'static [Field]),
    /// A JSON array whose items are of this kind. A single item where an
    /// array was expected (Graph's provisioning `servicePrincipal` comes both
    /// ways) is read as a one-item list.
    List(&'static Kind),
    /// A free-form JSON value (e.g. provisioning step `details`), stored as
    /// its compact JSON text; DuckDB reads it with `json_extract`.
    Json,
}

/// How an endpoint filters on a time range: the operators its documentation
/// lists for its time field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOps {
    /// `ge` and `le` (signIns, directoryAudits, riskDetections): inclusive on
    /// both ends, so a record on a slice boundary comes back twice and is kept
    /// by one slice only.
    GeLe,
    /// `gt` and `lt` (provisioning: "eq, contains, gt, lt"): queried as
    /// `gt start − 100 ns and lt end`, which is exactly `[start, end)` at
    /// Graph's 100 ns resolution.
    GtLt,
}

/// Whose request budget an endpoint spends (graph-api.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Throttle {
    /// Everything under `/auditLogs`: 5 requests per 10 s per app per tenant.
    AuditLogs,
    /// `identityProtection`: 1 request per second per tenant, 429s without
    /// `Retry-After`.
    IdentityProtection,
    /// `networkAccess`: no limit of its own is documented (Graph's global
    /// one applies); paced by `--network-access-budget`.
    NetworkAccess,
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
pub(crate) const fn field(json: &'static str, kind: Kind) -> Field {
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
    /// Whether those permissions are optional for an archive (granted only
    /// when asked for: `register-app.sh --with …`): with the default
    /// selection, an app without them makes the dataset `not applicable`
    /// (with the fix) instead of skipped.
    pub permission_optional: bool,
    /// The licence the tenant needs, if any.
    pub licence: Option<&'static str>,
    /// The property identifying a record (`id`; `transactionId` for traffic
    /// logs, which have no `id`). A field of that name is required.
    pub key: &'static str,
    /// Typed columns, in order.
    pub fields: &'static [Field],
    /// A clause ANDed to the time range in `$filter`, e.g. the beta sign-in
    /// event type.
    pub filter: Option<&'static str>,
    /// The kind of sign-in its records are (`signInEventTypes`:
    /// `interactiveUser`, `nonInteractiveUser`, `servicePrincipal`,
    /// `managedIdentity`), for sign-in datasets: `import` refuses a record of
    /// another kind.
    pub sign_in_event_type: Option<&'static str>,
    /// The time-range operators used.
    pub range: RangeOps,
    /// Whether Microsoft documents those operators on `time_field` for this
    /// endpoint; if not (inferred), Graph's 400 to the filter skips the
    /// dataset with that said instead of failing the run.
    pub filter_documented: bool,
    /// Whose request budget its requests spend.
    pub throttle: Throttle,
    /// Records change after creation and `time_field` is their last-change
    /// time (riskDetections): each version seen is a row of its own,
    /// identified by `id` and `time_field` together.
    pub versioned: bool,
    /// Version of the typed schema, recorded in every data file and its
    /// manifest: bumped whenever a column is added, removed or retyped, so
    /// `upgrade` knows which files to re-derive from `raw`. Version 1 is
    /// every file written before versions were recorded.
    pub schema_version: u32,
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
pub static ALL: &[&DatasetDef] = &[
    &signins::DEF,
    &signins_beta::NON_INTERACTIVE,
    &signins_beta::SERVICE_PRINCIPAL,
    &signins_beta::MANAGED_IDENTITY,
    &directory_audits::DEF,
    &provisioning::DEF,
    &risk_detections::DEF,
    &service_principal_risk::DEF,
    &custom_security_attribute_audits::DEF,
    &signups::DEF,
    &network_access_traffic::DEF,
];

/// The word that selects every dataset.
pub const ALL_DATASETS: &str = "all";

/// Datasets selected when none are named: every one. Those the tenant's
/// licence or the app's permissions do not allow are reported as skipped,
/// with the reason, and the rest are archived.
pub const DEFAULT_DATASETS: &str = ALL_DATASETS;

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
    fn every_dataset_has_key_and_time_fields_and_unique_columns() {
        for def in ALL {
            let names: Vec<String> = def.fields.iter().map(|f| column_name(f.json)).collect();
            assert!(
                def.fields.iter().any(|f| f.json == def.key && matches!(f.kind, Kind::String)),
                "{def} lacks its key {}",
                def.key
            );
            assert_eq!(def.fields[0].json, def.key, "{def}: the key is the first column");
            if let Some(kind) = def.sign_in_event_type {
                assert!(def.filter.is_none_or(|f| f.contains(kind)), "{def}: filter and kind agree");
            }
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
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = ALL.iter().map(|d| d.name).collect();
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(by_name(ALL_DATASETS).is_none(), "'all' is not a dataset name");
    }

    #[test]
    fn identity_protection_endpoints_spend_their_own_budget() {
        for def in ALL {
            let expected = if def.path.contains("/identityProtection/") {
                Throttle::IdentityProtection
            } else if def.path.contains("/networkAccess/") {
                Throttle::NetworkAccess
            } else {
                Throttle::AuditLogs
            };
            assert_eq!(def.throttle, expected, "{def}");
        }
    }
}
