//! Doctor checks of what the archive holds, beyond its checkpoint: whether
//! every data file is at its dataset's current schema version.

use crate::datasets::DatasetDef;
use crate::destination::Destination;
use crate::upgrade;

use super::{Check, Outcome};

/// Warns while files of an older schema version remain (readers then see
/// two schemas of the dataset), with their count and the fix.
pub(super) async fn schema_versions(dest: &dyn Destination, tenant: &str, def: &DatasetDef) -> Check {
    let name = format!("schema {}", def.name);
    let current = def.schema_version;
    match upgrade::pending(dest, tenant, def).await {
        Ok(false) => return Check::ok(name, format!("every file at schema version {current} (recorded by upgrade)")),
        Ok(true) => {}
        Err(e) => return Check::new(name, Outcome::Fail, e.to_string(), ""),
    }
    let files = match upgrade::tenant_files(dest, def, tenant).await {
        Ok(files) => files,
        Err(e) => return Check::new(name, Outcome::Fail, e.to_string(), ""),
    };
    let old = files.iter().filter(|f| !f.is_current(def)).count();
    if old == 0 {
        return Check::ok(name, format!("all {} files at schema version {current}", files.len()));
    }
    Check::new(
        name,
        Outcome::Warn,
        format!(
            "{old} of {} files may be at an older schema version than {current} (their manifests say so, or they have none): \
             readers see the dataset's old and new columns side by side until they are upgraded",
            files.len()
        ),
        "run `entra-archive upgrade --dest <the archive>` (a scheduled Lambda upgrades them after its runs, in the time it has left)",
    )
}
