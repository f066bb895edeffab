//! One v1.0 `directoryAudit` record (graph-api.md §6.3, §6.4, §6.7).
//!
//! Draws an activity from a weighted catalogue (`activities`), then wraps it
//! in the record envelope: id, correlation id, result, time. Quirks from
//! Microsoft's own examples are reproduced on purpose: ids that are not GUIDs
//! (`Directory_…`, `SSGM_…_MCDC4_…`), a capitalised `"Type"` key,
//! JSON-encoded strings in `oldValue`/`newValue`, null display names.

mod activities;
mod parts;

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::Serialize;

use super::{Ctx, Drawn, guid, upper_alnum};
use crate::time::format_ticks;
use parts::{Initiator, KeyValue, Target};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryAudit<'a> {
    id: String,
    category: &'a str,
    correlation_id: String,
    result: &'a str,
    result_reason: &'a str,
    activity_display_name: &'a str,
    activity_date_time: String,
    logged_by_service: &'a str,
    operation_type: &'a str,
    initiated_by: Initiator<'a>,
    target_resources: Vec<Target>,
    additional_details: Vec<KeyValue>,
}

/// Draws one directory audit at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let e = activities::draw(rng, ctx.dir, time);
    let correlation_id = guid(rng);
    let id = if e.service == "Self-service Group Management" {
        format!("SSGM_{correlation_id}_MCDC4_{}", rng.random_range(10_000_000..100_000_000u32))
    } else {
        format!(
            "Directory_{correlation_id}_{}_{}",
            upper_alnum(rng, 5),
            rng.random_range(100_000_000..1_000_000_000u32)
        )
    };
    let failed = rng.random_bool(0.05);
    let record = DirectoryAudit {
        id: id.clone(),
        category: e.category,
        correlation_id,
        result: if failed { "failure" } else { "success" },
        result_reason: if failed { e.fail_reason } else { e.ok_reason },
        activity_display_name: e.name,
        activity_date_time: format_ticks(time),
        logged_by_service: e.service,
        operation_type: e.op,
        initiated_by: e.initiated_by,
        target_resources: e.targets,
        additional_details: e.details,
    };
    let json = serde_json::to_string(&record).expect("a directoryAudit always serializes");
    Drawn { id, json, segment: 0 }
}

#[cfg(test)]
mod tests {
    use super::super::Generator;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;
    use serde_json::Value;

    fn sample(n: usize) -> Vec<(String, Value)> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::DirectoryAudits, None, n, from, to)
            .into_iter()
            .map(|r| {
                let v = serde_json::from_str(&r.json).unwrap();
                (r.json, v)
            })
            .collect()
    }

    #[test]
    fn has_every_documented_property() {
        const PROPS: &[&str] = &[
            "id",
            "category",
            "correlationId",
            "result",
            "resultReason",
            "activityDisplayName",
            "activityDateTime",
            "loggedByService",
            "operationType",
            "initiatedBy",
            "targetResources",
            "additionalDetails",
        ];
        for (_, v) in sample(100) {
            for p in PROPS {
                assert!(v.get(p).is_some(), "{p} missing in {v}");
            }
            let n = v["targetResources"].as_array().unwrap().len();
            assert!((1..=3).contains(&n));
            let by = &v["initiatedBy"];
            assert!(by["app"].is_null() != by["user"].is_null(), "{by}");
        }
    }

    #[test]
    fn reproduces_microsofts_quirks() {
        let all = sample(1500);
        let any = |f: &dyn Fn(&str, &Value) -> bool| all.iter().any(|(j, v)| f(j, v));
        assert!(any(
            &|_, v| v["id"].as_str().unwrap().starts_with("SSGM_") && v["id"].as_str().unwrap().contains("_MCDC4_")
        ));
        assert!(any(&|_, v| v["id"].as_str().unwrap().starts_with("Directory_")));
        assert!(any(&|j, _| j.contains("\"Type\":\"Group\"")));
        assert!(any(&|j, _| j.contains("\"type\":\"Group\"")));
        assert!(any(&|j, _| j.contains(r#""newValue":"[\"adelev@contoso.com\"]""#)));
        assert!(any(&|j, _| j.contains("\"oldValue\":null")));
        assert!(any(&|j, _| j.contains("\"homeTenantName\":\"Contoso\"")));
        assert!(any(&|j, _| j.contains("\"groupType\":\"unifiedGroups\"")));
        assert!(any(&|_, v| v["result"] == "failure"));
        assert!(any(&|_, v| !v["initiatedBy"]["app"].is_null()));
        assert!(any(&|_, v| !v["additionalDetails"].as_array().unwrap().is_empty()));
    }
}
