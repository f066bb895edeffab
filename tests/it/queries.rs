//! The shipped DuckDB queries (`queries/duckdb/*.sql`), run by the real DuckDB
//! package over an archive of every dataset, answer what the source records
//! say — on the pinned DuckDB (the release used for S3) and on the current
//! one (issue 17: 2.x refused the `->` lambdas of two of them). The queries of
//! the datasets of issue 15 and of agentic sign-ins are checked in
//! [`new_datasets`].

mod new_datasets;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use graph_sim::{Dataset, Record, SignInEventType, SimConfig};
use serde_json::{Value, json};

fn parsed(records: &[Record]) -> Vec<Value> {
    records.iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect()
}

/// One query's answer as maps from column name to value, one per row.
fn rows(results: &Value, query: &str) -> Vec<HashMap<String, Value>> {
    let q = &results[query];
    let columns: Vec<String> = q["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{query} did not run"))
        .iter()
        .map(|c| c.as_str().unwrap().into())
        .collect();
    let out: Vec<HashMap<String, Value>> = q["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| columns.iter().cloned().zip(row.as_array().unwrap().iter().cloned()).collect())
        .collect();
    assert!(!out.is_empty(), "{query} returned no rows");
    out
}

fn sum(rows: &[HashMap<String, Value>], column: &str) -> i64 {
    rows.iter().map(|r| r[column].as_i64().unwrap()).sum()
}

/// `tests/python/run_queries.py` over `archive` on one DuckDB release (the
/// venv's pinned one, or with `duckdb2` the current one the Makefile installs
/// beside it): the release that ran, and every query's answer.
fn run_queries(archive: &Path, duckdb2: bool) -> (String, Value) {
    let mut cmd = std::process::Command::new(python());
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/run_queries.py")).arg(archive);
    if duckdb2 {
        cmd.env("PYTHONPATH", python().parent().unwrap().parent().unwrap().join("duckdb2"));
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {} ({e}); run `make venv` first", python().display()));
    assert!(out.status.success(), "a shipped query failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    (answer["duckdb"].as_str().unwrap().to_string(), answer["queries"].take())
}

#[tokio::test(flavor = "multi_thread")]
async fn shipped_duckdb_queries_answer_what_the_records_say_on_both_duckdb_releases() {
    let config = tenant_with_everything(SimConfig {
        signins_noninteractive: 800,
        signins_service_principal: 300,
        signins_managed_identity: 200,
        provisioning: 400,
        risk_detections: 150,
        service_principal_risk_detections: 120,
        custom_security_attribute_audits: 250,
        signups: 200,
        network_access_traffic: 500,
        ..sim_config(70)
    });
    let h = Harness::start(config).await;
    let first_end = t("2026-11-20T18:00:00Z");
    h.run_to(first_end, &["--datasets", "all"]).await.assert_code(0);
    // Some detections change state, so some have two rows.
    let updated = h.sim.update_risk_detections(12, first_end + Duration::minutes(30));
    assert_eq!(updated.len(), 12);
    let sp_updated =
        h.sim.update_records(Dataset::ServicePrincipalRiskDetections, 8, first_end + Duration::minutes(30));
    assert_eq!(sp_updated.len(), 8);
    let end = t(TO);
    h.run_to(end, &["--datasets", "all"]).await.assert_code(0);

    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/duckdb")).unwrap().count();
    // Each release answers every query, and answers it right: the checks run
    // on each release's own answers.
    for (duckdb2, release) in [(false, "1.5."), (true, "2.")] {
        let (version, results) = run_queries(&h.archive, duckdb2);
        assert!(version.starts_with(release), "expected DuckDB {release}x, ran {version}");
        eprintln!("checking the answers of DuckDB {version}");
        assert_eq!(results.as_object().unwrap().len(), shipped, "every shipped query ran on DuckDB {version}");
        for (query, answer) in results.as_object().unwrap() {
            assert!(
                !answer["rows"].as_array().unwrap().is_empty(),
                "{query} returned no rows on DuckDB {version} on an archive of every dataset"
            );
        }
        check_answers(&h, &results, end, &updated);
        new_datasets::check_answers(&h, &results, end, &sp_updated);
    }
}

/// The answers of the queries of the first seven datasets, recomputed from
/// the records graph-sim served in `[FROM, end)`.
fn check_answers(h: &Harness, results: &Value, end: DateTime<Utc>, updated: &[Record]) {
    let window = |records: Vec<Record>| -> Vec<Value> {
        parsed(&records.into_iter().filter(|r| t(FROM) <= r.time && r.time < end).collect::<Vec<_>>())
    };
    let signins = window(h.sim.records(Dataset::SignIns));
    let kinds: Vec<(SignInEventType, Vec<Value>)> =
        SignInEventType::all().iter().map(|&k| (k, window(h.sim.signins_of_type(k)))).collect();
    let of_kind = |k: SignInEventType| &kinds.iter().find(|(kind, _)| *kind == k).unwrap().1;

    // signins: failures per user.
    let mut failures: BTreeMap<String, i64> = BTreeMap::new();
    for s in &signins {
        if s["status"]["errorCode"].as_i64() != Some(0) {
            *failures.entry(s["userPrincipalName"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    let got: BTreeMap<String, i64> = rows(results, "signins_failed_by_user")
        .iter()
        .map(|r| (r["user_principal_name"].as_str().unwrap().to_string(), r["failures"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, failures);

    // Non-interactive: every sign-in counted once; countries per user and app.
    let nonint = of_kind(SignInEventType::NonInteractiveUser);
    let spread = rows(results, "signins_noninteractive_ip_spread");
    assert_eq!(sum(&spread, "sign_ins"), nonint.len() as i64);
    let mut countries: HashMap<(String, String), HashSet<String>> = HashMap::new();
    for s in nonint {
        let key =
            (s["userPrincipalName"].as_str().unwrap_or("").into(), s["appDisplayName"].as_str().unwrap_or("").into());
        if let Some(c) = s["location"]["countryOrRegion"].as_str() {
            countries.entry(key).or_default().insert(c.into());
        }
    }
    for r in &spread {
        let key = (
            r["user_principal_name"].as_str().unwrap_or("").into(),
            r["app_display_name"].as_str().unwrap_or("").into(),
        );
        assert_eq!(r["countries"].as_i64().unwrap() as usize, countries.get(&key).map_or(0, HashSet::len), "{key:?}");
    }

    // Service principals: sign-ins and failures per credential type add up.
    let sp = of_kind(SignInEventType::ServicePrincipal);
    let creds = rows(results, "signins_service_principal_credentials");
    assert_eq!(sum(&creds, "sign_ins"), sp.len() as i64);
    let sp_failures = sp.iter().filter(|s| s["status"]["errorCode"].as_i64() != Some(0)).count() as i64;
    assert_eq!(sum(&creds, "failures"), sp_failures);
    let types: HashSet<&str> = creds.iter().filter_map(|r| r["client_credential_type"].as_str()).collect();
    assert!(types.len() >= 2, "several credential types: {types:?}");

    // Managed identities: per Azure resource.
    let mi = of_kind(SignInEventType::ManagedIdentity);
    let by_resource = rows(results, "signins_managed_identity_by_resource");
    assert_eq!(sum(&by_resource, "sign_ins"), mi.len() as i64);
    assert!(by_resource.iter().all(|r| r["azure_resource"].is_string()), "managed_service_identity is a typed struct");

    // All four kinds in one table: per kind totals.
    let per_day = rows(results, "signins_all_kinds_per_day");
    for (kind, records) in &kinds {
        let total: i64 =
            per_day.iter().filter(|r| r["kind"] == json!(kind.as_str())).map(|r| r["sign_ins"].as_i64().unwrap()).sum();
        assert_eq!(total, records.len() as i64, "{kind}");
    }

    // Role assignments: one row per "Add member to role" with its role decoded from JSON-in-string.
    let audits = window(h.sim.records(Dataset::DirectoryAudits));
    let mut expected_roles: Vec<String> = audits
        .iter()
        .filter(|a| a["activityDisplayName"] == "Add member to role")
        .flat_map(|a| a["targetResources"].as_array().unwrap().clone())
        .flat_map(|t| t["modifiedProperties"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["displayName"] == "Role.DisplayName")
        .map(|m| serde_json::from_str::<String>(m["newValue"].as_str().unwrap()).unwrap())
        .collect();
    let mut roles: Vec<String> = rows(results, "directory_audits_role_assignments")
        .iter()
        .map(|r| r["role"].as_str().unwrap().to_string())
        .collect();
    expected_roles.sort();
    roles.sort();
    assert_eq!(roles, expected_roles);

    // Provisioning failures.
    let provisioning = window(h.sim.records(Dataset::Provisioning));
    let failed = provisioning.iter().filter(|p| p["provisioningStatusInfo"]["status"] == "failure").count() as i64;
    let prov = rows(results, "provisioning_failures");
    assert_eq!(sum(&prov, "failures"), failed);
    assert!(prov.iter().all(|r| r["provisioning_app"].is_string()), "service_principal is one object");

    // Risk detections: the latest state of each equals what Graph holds now.
    let held: HashMap<String, Value> = h
        .sim
        .records(Dataset::RiskDetections)
        .into_iter()
        .filter(|r| t(FROM) <= r.time && r.time < end)
        .map(|r| (r.id.clone(), serde_json::from_str(&r.json).unwrap()))
        .collect();
    let latest = rows(results, "risk_detections_latest_state");
    assert_eq!(latest.len(), held.len(), "one row per detection");
    assert!(latest.iter().filter(|r| r["user_agent"].is_string()).count() > latest.len() / 2, "user agents parsed");
    let updated_ids: HashSet<&str> = updated.iter().map(|r| r.id.as_str()).collect();
    for r in &latest {
        let id = r["id"].as_str().unwrap();
        let source = &held[id];
        assert_eq!(r["risk_state"], source["riskState"], "{id}");
        let states = r["states_seen"].as_i64().unwrap();
        assert_eq!(states, if updated_ids.contains(id) { 2 } else { 1 }, "{id}");
        let info: Vec<Value> = serde_json::from_str(source["additionalInfo"].as_str().unwrap()).unwrap();
        let agent =
            info.iter().find(|kv| kv["Key"] == "userAgent").map(|kv| kv["Value"].clone()).unwrap_or(Value::Null);
        assert_eq!(r["user_agent"], agent, "{id}: additional_info parsed from its JSON string");
    }
    // Risky sign-ins: exactly the interactive and non-interactive sign-ins rated
    // medium or high, or left at risk or confirmed compromised.
    let risky_level = |v: &Value| matches!(v.as_str(), Some("medium" | "high"));
    let is_risky = |s: &Value| {
        risky_level(&s["riskLevelDuringSignIn"])
            || risky_level(&s["riskLevelAggregated"])
            || matches!(s["riskState"].as_str(), Some("atRisk" | "confirmedCompromised"))
    };
    let by_kind: Vec<(&str, &Value)> = signins
        .iter()
        .map(|s| ("interactiveUser", s))
        .chain(nonint.iter().map(|s| ("nonInteractiveUser", s)))
        .collect();
    let expected_risky: BTreeMap<(String, String), &Value> = by_kind
        .iter()
        .filter(|(_, s)| is_risky(s))
        .map(|(kind, s)| ((kind.to_string(), s["id"].as_str().unwrap().to_string()), *s))
        .collect();
    let risky = rows(results, "signins_risky");
    let got_risky: BTreeMap<(String, String), &HashMap<String, Value>> = risky
        .iter()
        .map(|r| ((r["kind"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string()), r))
        .collect();
    assert_eq!(got_risky.len(), risky.len(), "one row per sign-in");
    assert_eq!(got_risky.keys().collect::<Vec<_>>(), expected_risky.keys().collect::<Vec<_>>());
    for (key, r) in &got_risky {
        let source = expected_risky[key];
        let types: Vec<&str> =
            source["riskEventTypes_v2"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(r["risk_event_types"], json!(types.join(", ")), "{key:?}");
        assert_eq!(r["country"], source["location"]["countryOrRegion"], "{key:?}");
        assert_eq!(r["conditional_access_status"], source["conditionalAccessStatus"], "{key:?}");
    }

    // Consent grants and app credential changes, with their JSON-in-string values decoded.
    let decoded = |m: &Value, side: &str| -> Option<Value> {
        m[side].as_str().map(|s| serde_json::from_str(s).expect("modified values are JSON"))
    };
    let property = |a: &Value, name: &str| -> Value {
        a["targetResources"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["modifiedProperties"].as_array().cloned().unwrap_or_default())
            .find(|m| m["displayName"] == name)
            .unwrap_or(Value::Null)
    };
    let is_credential_change =
        |name: &str| name.starts_with("Update application") && name.contains("Certificates and secrets management");
    let consents: HashMap<&str, &Value> = audits
        .iter()
        .filter(|a| a["activityDisplayName"] == "Consent to application")
        .map(|a| (a["id"].as_str().unwrap(), a))
        .collect();
    let credential_changes: HashMap<&str, &Value> = audits
        .iter()
        .filter(|a| is_credential_change(a["activityDisplayName"].as_str().unwrap()))
        .map(|a| (a["id"].as_str().unwrap(), a))
        .collect();
    let changes = rows(results, "directory_audits_consent_changes");
    let of_change = |c: &str| changes.iter().filter(|r| r["change"] == c).collect::<Vec<_>>();
    let consent_rows = of_change("consent");
    let credential_rows = of_change("credential");
    assert_eq!(consent_rows.len(), consents.len(), "one row per consent");
    assert_eq!(credential_rows.len(), credential_changes.len(), "one row per credential change");
    assert_eq!(changes.len(), consent_rows.len() + credential_rows.len());
    assert!(!consent_rows.is_empty() && !credential_rows.is_empty(), "both kinds of change in the archive");
    for r in consent_rows {
        let a = consents[r["id"].as_str().unwrap()];
        let admin = decoded(&property(a, "ConsentContext.IsAdminConsent"), "newValue").unwrap();
        assert_eq!(r["admin_consent"], json!(admin.as_str().unwrap().eq_ignore_ascii_case("true")));
        // "[old] => [[Id: …, Scope: a b, …]];": the scopes of the new grant.
        let permissions = decoded(&property(a, "ConsentAction.Permissions"), "newValue").unwrap();
        let granted = permissions.as_str().unwrap().split_once("=>").unwrap().1;
        let scope = granted.split_once("Scope:").unwrap().1;
        let scope = scope[..scope.find([',', ']']).unwrap()].trim();
        assert_eq!(r["scopes"], json!(scope), "{a}");
        assert_eq!(r["app"], a["targetResources"][0]["displayName"]);
    }
    for r in credential_rows {
        let a = credential_changes[r["id"].as_str().unwrap()];
        let keys = |side: &str| -> Vec<String> {
            decoded(&property(a, "KeyDescription"), side)
                .map(|v| serde_json::from_value(v).unwrap())
                .unwrap_or_default()
        };
        let (before, after) = (keys("oldValue"), keys("newValue"));
        // "[KeyIdentifier=…,KeyType=Password,KeyUsage=Verify,DisplayName=…]" → "Password: …"
        let field = |k: &str, name: &str| -> String {
            k.trim_matches(['[', ']']).split(',').find_map(|kv| kv.strip_prefix(name)).unwrap_or("").to_string()
        };
        let added: Vec<String> = after
            .iter()
            .filter(|k| !before.contains(k))
            .map(|k| format!("{}: {}", field(k, "KeyType="), field(k, "DisplayName=")))
            .collect();
        assert!(!added.is_empty(), "{a}");
        assert_eq!(r["credentials_added"], json!(added.join("; ")), "{a}");
    }

    // New countries: recomputed from the records. The recent window is the last
    // 24 hours, or the later half of a shorter archive; times as DuckDB reads them
    // (microseconds).
    struct UserSignIn {
        micros: i64,
        user_id: String,
        upn: String,
        country: String,
        ok: bool,
    }
    let in_window = |records: Vec<Record>| records.into_iter().filter(|r| t(FROM) <= r.time && r.time < end);
    let user_sign_ins: Vec<UserSignIn> = in_window(h.sim.records(Dataset::SignIns))
        .chain(in_window(h.sim.signins_of_type(SignInEventType::NonInteractiveUser)))
        .filter_map(|r| {
            let s: Value = serde_json::from_str(&r.json).unwrap();
            let user_id = s["userId"].as_str().filter(|u| !u.is_empty())?.to_string();
            let country = s["location"]["countryOrRegion"].as_str().filter(|c| !c.is_empty())?.to_string();
            Some(UserSignIn {
                micros: r.time.timestamp_micros(),
                user_id,
                upn: s["userPrincipalName"].as_str().unwrap().to_string(),
                country,
                ok: s["status"]["errorCode"].as_i64() == Some(0),
            })
        })
        .collect();
    let first = user_sign_ins.iter().map(|s| s.micros).min().unwrap();
    let last = user_sign_ins.iter().map(|s| s.micros).max().unwrap();
    let since = (last - Duration::hours(24).num_microseconds().unwrap()).max(first + (last - first + 1) / 2);
    let mut known: HashMap<&str, HashSet<&str>> = HashMap::new();
    for s in user_sign_ins.iter().filter(|s| s.micros < since && s.ok) {
        known.entry(&s.user_id).or_default().insert(&s.country);
    }
    let mut expected_new: BTreeMap<(String, String), i64> = BTreeMap::new();
    for s in user_sign_ins.iter().filter(|s| s.micros >= since) {
        if known.get(s.user_id.as_str()).is_some_and(|k| !k.contains(s.country.as_str())) {
            *expected_new.entry((s.upn.clone(), s.country.clone())).or_default() += 1;
        }
    }
    let got_new: BTreeMap<(String, String), i64> = rows(results, "signins_new_countries")
        .iter()
        .map(|r| {
            let key = (r["user_principal_name"].as_str().unwrap().into(), r["new_country"].as_str().unwrap().into());
            (key, r["sign_ins"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(got_new, expected_new);
}
