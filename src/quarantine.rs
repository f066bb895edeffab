//! What the archive cannot take, kept aside with the reason: a record Graph
//! sent without a string `id` or a valid time, or whose text is not UTF-8
//! (so `raw` could not be its exact bytes), and a data file that cannot be
//! read back (corrupt, empty).
//!
//! Takes the destination and the thing, and writes it under `_quarantine/`
//! (outside every dataset folder, so no reader sees it as data): a record as
//! one small JSON object named by its hash (the same bad record read again by
//! a later run is not kept twice), a file at its own key below
//! `_quarantine/{dataset}/files/` with a `.reason.json` beside it. A file is
//! copied there before it and its manifest leave the archive, so a crash in
//! between loses nothing; its records are then read again from Graph while
//! Graph still holds them. Never drops anything silently.

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tracing::warn;

use crate::datasets::DatasetDef;
use crate::destination::{Destination, PutMode};
use crate::error::{Error, Result};
use crate::layout;

/// Folder (key prefix) of quarantined records and files.
pub(crate) const QUARANTINE_DIR: &str = "_quarantine";

/// A record refused, with what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    /// The record's bytes as Graph sent them.
    pub bytes: Vec<u8>,
    /// Why the archive cannot take it.
    pub reason: String,
}

/// Keeps a refused record of `def` (for `tenant`, read from `source`, a
/// Graph path or an input file); answers whether it was new (a record
/// quarantined before is not written again).
pub(crate) async fn record(
    dest: &dyn Destination,
    def: &DatasetDef,
    tenant: &str,
    rejected: &Rejected,
    source: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let digest = hex::encode(Sha256::digest(&rejected.bytes));
    let key = format!("{QUARANTINE_DIR}/{}/{tenant}/records/{digest}.json", def.name);
    let (text, base64) = match std::str::from_utf8(&rejected.bytes) {
        Ok(text) => (Some(text), None),
        Err(_) => (None, Some(base64::engine::general_purpose::STANDARD.encode(&rejected.bytes))),
    };
    let body = serde_json::json!({
        "dataset": def.name,
        "tenant_id": tenant,
        "reason": rejected.reason,
        "source": source,
        "quarantined_at": now,
        "record": text,
        "record_base64": base64,
    });
    let bytes = Bytes::from(serde_json::to_vec_pretty(&body).expect("JSON serialises"));
    match dest.put(&key, bytes, PutMode::Create).await {
        Ok(_) => {
            warn!(dataset = def.name, key = %key, reason = %rejected.reason, "record quarantined");
            Ok(true)
        }
        Err(Error::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Moves the data file `key` of `def` (its bytes `bytes`) and its manifest
/// out of the archive into quarantine, with the reason. Answers where it went.
pub(crate) async fn file(
    dest: &dyn Destination,
    def: &DatasetDef,
    key: &str,
    bytes: Bytes,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let aside = format!("{QUARANTINE_DIR}/{}/files/{key}", def.name);
    dest.put(&aside, bytes, PutMode::Overwrite).await?;
    let why = serde_json::json!({ "dataset": def.name, "key": key, "reason": reason, "quarantined_at": now });
    let why = Bytes::from(serde_json::to_vec_pretty(&why).expect("JSON serialises"));
    dest.put(&format!("{aside}.reason.json"), why, PutMode::Overwrite).await?;
    if let Some(manifest) = layout::manifest_key(key) {
        dest.delete(&manifest).await?;
    }
    dest.delete(key).await?;
    warn!(dataset = def.name, key, aside = %aside, reason, "unreadable data file moved to quarantine");
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;
    use crate::testing::{local_dest, t};

    #[tokio::test]
    async fn a_record_is_kept_once_with_its_exact_bytes() {
        let (_d, dest) = local_dest();
        let def = by_name("signins").unwrap();
        let now = t("2026-11-24T08:00:00Z");
        let bad = Rejected { bytes: b"{\"createdDateTime\":\"x\"}".to_vec(), reason: "no id".into() };
        assert!(record(dest.as_ref(), def, "t", &bad, "/v1.0/auditLogs/signIns", now).await.unwrap());
        assert!(!record(dest.as_ref(), def, "t", &bad, "/v1.0/auditLogs/signIns", now).await.unwrap());
        let not_utf8 = Rejected { bytes: b"{\"id\":\"\xff\"}".to_vec(), reason: "not UTF-8".into() };
        assert!(record(dest.as_ref(), def, "t", &not_utf8, "/p", now).await.unwrap());
        let kept = dest.list("_quarantine/signins/t/records/").await.unwrap();
        assert_eq!(kept.len(), 2);
        let bodies: Vec<serde_json::Value> = futures::future::join_all(kept.iter().map(|o| dest.get(&o.key)))
            .await
            .into_iter()
            .map(|o| serde_json::from_slice(&o.unwrap().unwrap().bytes).unwrap())
            .collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&not_utf8.bytes);
        assert!(bodies.iter().any(|b| b["record_base64"] == encoded.as_str() && b["record"].is_null()));
        assert!(bodies.iter().any(|b| b["record"] == "{\"createdDateTime\":\"x\"}" && b["reason"] == "no id"));
    }
}
