//! Which data files of a dataset are at which schema version, as far as
//! their manifests say, and whether a tenant's dataset is known to be wholly
//! current (its schema marker).
//!
//! Lists a dataset's data files and manifests and reads the manifests (a few
//! at a time); never reads a data file and never writes.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::datasets::DatasetDef;
use crate::destination::Destination;
use crate::error::{Error, Result};
use crate::layout::{self, PARQUET_SUFFIX};
use crate::manifest::Manifest;

/// Manifests read at once.
const CONCURRENT_READS: usize = 16;

/// One data file and what its manifest says of its schema version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileState {
    /// Its key.
    pub key: String,
    /// Its size.
    pub size: u64,
    /// The schema version its manifest records; `None` without a readable
    /// manifest (the file itself then tells).
    pub version: Option<u32>,
}

impl FileState {
    /// Whether the manifest proves the file current for `def`.
    pub(crate) fn is_current(&self, def: &DatasetDef) -> bool {
        self.version.is_some_and(|v| v >= def.schema_version)
    }
}

/// A tenant's files of `def` (all tenants' if `tenant` is `None`), by
/// tenant, in key order.
pub(crate) async fn files(
    dest: &dyn Destination,
    def: &DatasetDef,
    tenant: Option<&str>,
) -> Result<BTreeMap<String, Vec<FileState>>> {
    let manifests: HashSet<String> =
        dest.list(&layout::manifest_prefix(def.name)).await?.into_iter().map(|m| m.key).collect();
    let data = dest.list(&format!("{}/", def.name)).await?.into_iter().filter(|o| o.key.ends_with(PARQUET_SUFFIX));
    let wanted = data.filter_map(|object| {
        let owner = layout::tenant_of(&object.key)?.to_string();
        tenant.is_none_or(|t| t == owner).then_some((owner, object))
    });
    let states: Vec<(String, FileState)> = futures::stream::iter(wanted)
        .map(|(owner, object)| {
            let manifest_key = layout::manifest_key(&object.key).expect("a .parquet key");
            let listed = manifests.contains(&manifest_key);
            async move {
                let version = match listed {
                    true => dest.get(&manifest_key).await?.and_then(|m| Manifest::parse(&m.bytes).ok()),
                    false => None,
                }
                .map(|m| m.schema_version);
                Ok::<_, Error>((owner, FileState { key: object.key, size: object.size, version }))
            }
        })
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    let mut by_tenant: BTreeMap<String, Vec<FileState>> = BTreeMap::new();
    for (owner, state) in states {
        by_tenant.entry(owner).or_default().push(state);
    }
    Ok(by_tenant)
}

/// What `_state/{tenant}/{dataset}/schema.json` says: every file of the
/// tenant's dataset was at `schema_version` when `checked_at`. Runs only
/// ever write the current version, so it stays true until a release changes
/// the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Marker {
    /// The schema version every file was at.
    pub schema_version: u32,
    /// When that was found.
    pub checked_at: DateTime<Utc>,
}

/// The tenant's marker for `def`, if any (an unreadable one counts as none).
pub(crate) async fn marker(dest: &dyn Destination, tenant: &str, def: &DatasetDef) -> Result<Option<Marker>> {
    let object = dest.get(&layout::schema_key(tenant, def.name)).await?;
    Ok(object.and_then(|o| serde_json::from_slice(&o.bytes).ok()))
}

/// Whether the tenant's files of `def` may still hold an older schema
/// version: no marker of the current version yet.
pub(crate) async fn pending(dest: &dyn Destination, tenant: &str, def: &DatasetDef) -> Result<bool> {
    Ok(marker(dest, tenant, def).await?.is_none_or(|m| m.schema_version < def.schema_version))
}
