//! End-to-end: DuckDB, the real Python package, reads the archive with
//! `hive_partitioning = true` and answers typed queries with the same numbers
//! as the source records.

use std::collections::BTreeMap;

use crate::common::*;
use graph_sim::Dataset;
use serde_json::Value;

fn count_by<F: Fn(&Value) -> Option<String>>(records: &[graph_sim::Record], key: F) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in records {
        let v: Value = serde_json::from_str(&r.json).unwrap();
        if let Some(k) = key(&v) {
            *out.entry(k).or_insert(0) += 1;
        }
    }
    out
}

fn rows_as_map(rows: &Value) -> BTreeMap<String, i64> {
    rows.as_array().unwrap().iter().map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn duckdb_answers_typed_queries_over_the_archive() {
    let h = Harness::start(sim_config(30)).await;
    let end = t(TO);
    h.run_to(end, &[]).await.assert_code(0);

    let out = std::process::Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/query_archive.py"))
        .arg(&h.archive)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}); run `make venv` first", python().display()));
    assert!(out.status.success(), "duckdb failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();

    let signins = h.expected(Dataset::SignIns, t(FROM), end);
    let audits = h.expected(Dataset::DirectoryAudits, t(FROM), end);
    let failed = count_by(&signins, |v| {
        (v["status"]["errorCode"].as_i64() != Some(0)).then(|| v["userPrincipalName"].as_str().unwrap().to_string())
    });
    assert!(!failed.is_empty() && failed.len() > 3, "the sim produces failed sign-ins: {failed:?}");
    assert_eq!(rows_as_map(&results["failed_signins_per_user"]), failed);

    let initiators = count_by(&audits, |v| v["initiatedBy"]["user"]["userPrincipalName"].as_str().map(str::to_string));
    assert!(!initiators.is_empty());
    assert_eq!(rows_as_map(&results["audits_by_initiator"]), initiators);

    for zero in ["signins_in_wrong_partition", "audits_in_wrong_partition", "raw_id_mismatches"] {
        assert_eq!(results[zero], serde_json::json!([[0]]), "{zero}");
    }
    let policy_total: i64 =
        results["ca_policy_results"].as_array().unwrap().iter().map(|r| r[1].as_i64().unwrap()).sum();
    let expected_total: usize = signins
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.json).unwrap()["appliedConditionalAccessPolicies"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(policy_total as usize, expected_total);

    let types: BTreeMap<String, String> = results["column_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(types["date"], "DATE", "the partition is typed as a date");
    assert_eq!(types["is_interactive"], "BOOLEAN");
    assert!(types["created_date_time"].starts_with("TIMESTAMP"), "{types:?}");
    assert!(types["status"].starts_with("STRUCT(error_code INTEGER"), "{types:?}");
}
