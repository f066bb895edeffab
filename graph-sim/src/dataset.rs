//! The activity-report datasets the simulator serves, described as data.
//!
//! Each [`Dataset`] owns one [`DatasetSpec`] row: its URL path, time field,
//! `@odata.context`, licence and permission requirements, page sizes, the
//! throttle group whose budget its requests spend, the RNG stream its records
//! are drawn from and the function that draws one record.
//! The server and the store only ever read these rows, so adding a dataset
//! (provisioning, riskDetections, beta signIns) means adding a variant, a row
//! and a generator file — not a new code path.

use crate::generate::{self, GenerateFn};
use crate::throttle::ThrottleGroup;

/// One Microsoft Graph activity-report collection served by the simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// `GET /v1.0/auditLogs/signIns` — interactive user sign-ins.
    SignIns,
    /// `GET /v1.0/auditLogs/directoryAudits` — directory audit events.
    DirectoryAudits,
}

/// Everything the simulator knows about a dataset.
#[derive(Debug)]
pub(crate) struct DatasetSpec {
    /// Canonical request path, e.g. `/v1.0/auditLogs/signIns`.
    pub path: &'static str,
    /// Property holding the event time, the only one `$filter` accepts.
    pub time_field: &'static str,
    /// Path-relative `@odata.context` (appended to the sim's base URL).
    pub context: &'static str,
    /// Whether the tenant needs Entra ID P1/P2 to read it.
    pub requires_premium: bool,
    /// Application permission the caller must hold.
    pub permission: &'static str,
    /// Page size when `$top` is absent.
    pub default_page_size: usize,
    /// Largest accepted `$top`.
    pub max_page_size: usize,
    /// Whose request budget this dataset's requests spend.
    pub throttle: ThrottleGroup,
    /// ChaCha stream the dataset's records are drawn from, so datasets don't
    /// disturb each other's sequences.
    pub rng_stream: u64,
    /// Draws one record at the given time.
    pub generate: GenerateFn,
}

static SPECS: [DatasetSpec; 2] = [
    DatasetSpec {
        path: "/v1.0/auditLogs/signIns",
        time_field: "createdDateTime",
        context: "/v1.0/$metadata#auditLogs/signIns",
        requires_premium: true,
        permission: "AuditLog.Read.All",
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        rng_stream: 1,
        generate: generate::signins::generate,
    },
    DatasetSpec {
        path: "/v1.0/auditLogs/directoryAudits",
        time_field: "activityDateTime",
        context: "/v1.0/$metadata#auditLogs/directoryAudits",
        requires_premium: false,
        permission: "AuditLog.Read.All",
        default_page_size: 1000,
        max_page_size: 1000,
        throttle: ThrottleGroup::AuditLogs,
        rng_stream: 2,
        generate: generate::audits::generate,
    },
];

impl Dataset {
    /// Every dataset, in a fixed order.
    pub fn all() -> &'static [Dataset] {
        &[Dataset::SignIns, Dataset::DirectoryAudits]
    }

    /// Request path, e.g. `/v1.0/auditLogs/signIns`.
    pub fn path(self) -> &'static str {
        self.spec().path
    }

    /// Name of the event-time property, e.g. `createdDateTime`.
    pub fn time_field(self) -> &'static str {
        self.spec().time_field
    }

    pub(crate) fn spec(self) -> &'static DatasetSpec {
        match self {
            Dataset::SignIns => &SPECS[0],
            Dataset::DirectoryAudits => &SPECS[1],
        }
    }

    /// The dataset whose path equals `path`, ignoring ASCII case (Graph's own
    /// nextLinks sometimes say `signins`).
    pub(crate) fn from_path(path: &str) -> Option<Dataset> {
        Dataset::all().iter().copied().find(|d| d.path().eq_ignore_ascii_case(path))
    }

    /// Position in [`Dataset::all`], used to index per-dataset tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // "auditLogs/signIns" — the context's fragment reads naturally in logs.
        let ctx = self.spec().context;
        f.write_str(ctx.rsplit('#').next().unwrap_or(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_line_up_with_variants() {
        for (i, d) in Dataset::all().iter().enumerate() {
            assert_eq!(d.index(), i);
            assert!(d.spec().path.ends_with(d.spec().context.rsplit('/').next().unwrap()));
        }
        assert_eq!(Dataset::SignIns.path(), "/v1.0/auditLogs/signIns");
        assert_eq!(Dataset::DirectoryAudits.time_field(), "activityDateTime");
    }

    #[test]
    fn audit_logs_share_one_throttle_group() {
        for d in Dataset::all() {
            if d.path().starts_with("/v1.0/auditLogs/") {
                assert_eq!(d.spec().throttle, ThrottleGroup::AuditLogs, "{d}");
            }
        }
    }

    #[test]
    fn path_lookup_ignores_case() {
        assert_eq!(Dataset::from_path("/v1.0/auditLogs/signins"), Some(Dataset::SignIns));
        assert_eq!(Dataset::from_path("/V1.0/AUDITLOGS/DIRECTORYAUDITS"), Some(Dataset::DirectoryAudits));
        assert_eq!(Dataset::from_path("/v1.0/auditLogs/provisioning"), None);
    }

    #[test]
    fn streams_are_distinct() {
        let mut streams: Vec<u64> = Dataset::all().iter().map(|d| d.spec().rng_stream).collect();
        streams.sort();
        streams.dedup();
        assert_eq!(streams.len(), Dataset::all().len());
    }
}
