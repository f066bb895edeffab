//! Issue 15: the four Entra logs added to the seven — service-principal risk
//! detections, custom security attribute audits, External ID sign-ups,
//! Global Secure Access traffic — end to end against graph-sim: exact key
//! sets over multi-page windows, a rerun that writes nothing, a late arrival
//! caught in the overlap, traffic deduplicated by `transactionId`; each
//! licence or optional permission missing: `not applicable` by default,
//! skipped (exit 3) when named; Graph refusing an inferred filter.

use std::collections::HashSet;

use crate::common::*;
use chrono::Duration;
use graph_sim::{Dataset, SimConfig};

const NEW: [(&str, Dataset); 4] = [
    ("service_principal_risk_detections", Dataset::ServicePrincipalRiskDetections),
    ("custom_security_attribute_audits", Dataset::CustomSecurityAttributeAudits),
    ("signups", Dataset::SignUps),
    ("network_access_traffic", Dataset::NetworkAccessTraffic),
];

const LIST: &str = "service_principal_risk_detections,custom_security_attribute_audits,signups,network_access_traffic";

/// The archive's row keys of `name` against Graph's records in the window:
/// the same set, none twice (risk detections: one row per state seen).
fn assert_exact(h: &Harness, name: &str, ds: Dataset, end: chrono::DateTime<chrono::Utc>) {
    let versioned = name.ends_with("risk_detections");
    let key = |id: &str, time: chrono::DateTime<chrono::Utc>| match versioned {
        true => format!("{id}@{}", time.timestamp_micros()),
        false => id.to_string(),
    };
    let rows = h.rows(name);
    let time_column = if name.contains("risk") {
        "last_updated_date_time"
    } else if name.contains("audit") {
        "activity_date_time"
    } else {
        "created_date_time"
    };
    let mut archived = HashSet::new();
    for row in &rows {
        let t: chrono::DateTime<chrono::Utc> = row.typed[time_column].as_str().unwrap().parse().unwrap();
        assert!(archived.insert(key(&row.id, t)), "{name}: {} archived twice", row.id);
    }
    let held: HashSet<String> = h
        .sim
        .records(ds)
        .into_iter()
        .filter(|r| t(FROM) <= r.time && r.time < end)
        .map(|r| key(&r.id, r.time))
        .collect();
    assert!(held.len() > 10, "{name}: {} records", held.len());
    assert_eq!(archived, held, "{name}: the archive holds exactly Graph's records");
    for row in &rows {
        let json: serde_json::Value = serde_json::from_str(&row.raw).unwrap();
        assert_typed_matches(&row.typed, &json, &format!("{name}[{}]", row.id));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_new_dataset_is_archived_exactly_then_reruns_write_nothing_and_late_arrivals_are_caught() {
    let config = SimConfig {
        service_principal_risk_detections: 600,
        custom_security_attribute_audits: 450,
        signups: 1500,
        network_access_traffic: 2500,
        ..tenant_with_everything(sim_config(151))
    };
    let h = Harness::start(config).await;
    // Pages of at most 100 records, so every dataset's window takes several.
    h.sim.set_switches(|s| s.max_page_size = Some(100));
    let end = t("2026-11-20T18:00:00Z");
    let run = h.run_to(end, &["--datasets", LIST]).await;
    run.assert_code(0);
    for (name, ds) in NEW {
        assert_eq!(run.dataset(name)["status"], "ok", "{}", run.stdout);
        assert!(run.dataset(name)["pages"].as_u64().unwrap() > 1, "{name}: several pages");
        assert_exact(&h, name, ds, end);
    }

    let again = h.run_to(end, &["--datasets", LIST]).await;
    again.assert_code(0);
    for (name, _) in NEW {
        assert_eq!(again.dataset(name)["records"], 0, "{name}: a rerun writes nothing: {}", again.stdout);
    }

    // Records that become visible late, inside the overlap the next run
    // re-reads (the last hour before the checkpoint), and detections that
    // change state there.
    for (_, ds) in NEW {
        if ds != Dataset::ServicePrincipalRiskDetections {
            h.sim.generate(ds, 7, end - Duration::minutes(50), end - Duration::minutes(10));
        }
    }
    h.sim.update_records(Dataset::ServicePrincipalRiskDetections, 3, end - Duration::minutes(20));
    let later = end + Duration::hours(1);
    let run = h.run_to(later, &["--datasets", LIST]).await;
    run.assert_code(0);
    for (name, ds) in NEW {
        assert!(run.dataset(name)["records"].as_u64().unwrap() >= 3, "{name}: late arrivals caught: {}", run.stdout);
        if ds != Dataset::ServicePrincipalRiskDetections {
            assert_exact(&h, name, ds, later);
        }
    }
    // Traffic has no `id`: its files are keyed by `transactionId`.
    let traffic = h.rows("network_access_traffic");
    assert!(traffic.iter().all(|r| r.typed["transaction_id"] == r.id.as_str()));
}

/// A tenant without each licence (or of another kind), or an app without an
/// optional permission: by default the dataset is `not applicable` and the
/// run exits 0; named, it is skipped with the fix and the run exits 3.
#[tokio::test(flavor = "multi_thread")]
async fn what_a_tenant_cannot_have_is_not_applicable_by_default_and_skipped_when_named() {
    // Workload ID Premium off; neither External ID nor Global Secure Access;
    // neither optional permission granted.
    let h = Harness::start(SimConfig { workload_id_premium: false, ..sim_config(152) }).await;
    let mut cmd = h.command(&["run", "--json", "--since", FROM, "--now", &now_for_end(t(TO))]);
    cmd.env_remove("ARCHIVE_DATASETS");
    let run: Run = cmd.output().await.unwrap().into();
    run.assert_code(0);
    for (name, _) in NEW {
        let d = run.dataset(name);
        assert_eq!(d["status"], "not_applicable", "{d}");
        assert!(h.parquet_files(name).is_empty(), "{name}");
    }
    let reasons: Vec<String> = NEW.iter().map(|(n, _)| run.dataset(n)["error"].as_str().unwrap().to_string()).collect();
    assert!(reasons[0].contains("Workload ID Premium"), "{}", reasons[0]);
    assert!(reasons[1].contains("CustomSecAttributeAuditLogs.Read.All"), "{}", reasons[1]);
    assert!(reasons[2].contains("External ID"), "{}", reasons[2]);
    assert!(reasons[3].contains("NetworkAccess-Reports.Read.All"), "{}", reasons[3]);
    assert_eq!(run.dataset("signins")["status"], "ok", "the rest is archived");

    for (name, _) in NEW {
        let named = h.run_to(t(TO), &["--datasets", &format!("signins,{name}")]).await;
        named.assert_code(3);
        assert_eq!(named.dataset(name)["status"], "skipped", "{name}: {}", named.stdout);
    }

    // What is granted later is picked up by the next run, settings unchanged.
    h.sim.grant_permission("CustomSecAttributeAuditLogs.Read.All");
    let mut cmd = h.command(&["run", "--json", "--since", FROM, "--now", &now_for_end(t(TO))]);
    cmd.env_remove("ARCHIVE_DATASETS");
    let run: Run = cmd.output().await.unwrap().into();
    run.assert_code(0);
    let audits = run.dataset("custom_security_attribute_audits");
    assert_eq!(audits["status"], "ok", "{audits}");
    assert!(audits["records"].as_u64().unwrap() > 0, "{audits}");
}

/// Graph refusing a filter the archive inferred (no operator documented on
/// the time field): the dataset is skipped naming the filter and what to
/// report, `doctor` fails its probe with the same, the others are archived.
#[tokio::test(flavor = "multi_thread")]
async fn an_inferred_filter_graph_refuses_skips_its_dataset_and_says_what_to_report() {
    let h = Harness::start(tenant_with_everything(sim_config(153))).await;
    h.sim.set_switches(|s| s.refuse_undocumented_filters = true);
    let run = h.run_to(t(TO), &["--datasets", &format!("signins,{LIST}")]).await;
    run.assert_code(3);
    for name in ["network_access_traffic", "service_principal_risk_detections"] {
        let d = run.dataset(name);
        assert_eq!(d["status"], "skipped", "{d}");
        let error = d["error"].as_str().unwrap();
        assert!(error.contains("refused the filter") && error.contains(" ge ") && error.contains("report"), "{error}");
    }
    for name in ["signins", "custom_security_attribute_audits", "signups"] {
        assert_eq!(run.dataset(name)["status"], "ok", "{}", run.stdout);
    }
    let mut cmd = h.command(&["doctor", "--json", "--now", &now_for_end(t(TO))]);
    cmd.env("ARCHIVE_DATASETS", "network_access_traffic");
    let doctor: Run = cmd.output().await.unwrap().into();
    let probe = doctor.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "licence network_access_traffic")
        .cloned()
        .unwrap();
    assert_eq!(probe["result"], "fail", "{probe}");
    assert!(probe["evidence"].as_str().unwrap().contains("refused the filter"), "{probe}");
}
