//! `entra-archive import`: JSON Lines, diagnostic-settings lines, pages and
//! pretty-printed pages into the archive, malformed lines reported with file
//! and line, nothing written twice, and the result identical to an export of
//! the same records.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;
use graph_sim::Dataset;

const TENANT: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";

async fn import(archive: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_entra-archive"))
        .env_clear()
        .args(["import", "--json", "--tenant-id", TENANT, "--dest", archive.to_str().unwrap()])
        .args(args)
        .output()
        .await
        .unwrap();
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.status.code().unwrap(), summary, String::from_utf8(out.stderr).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_input_shape_is_imported_once_and_malformed_lines_are_named() {
    let h = Harness::start(sim_config(11)).await;
    let records = h.sim.records(Dataset::SignIns);
    let (a, rest) = records.split_at(records.len() / 2);
    let (b, rest) = rest.split_at(rest.len() / 3);
    let (c, d) = rest.split_at(rest.len() / 2);
    let inputs = tempfile::tempdir().unwrap();
    let path = |name: &str| inputs.path().join(name);

    // Plain JSON Lines, with three malformed lines among them.
    let mut lines: Vec<String> = a.iter().map(|r| r.json.clone()).collect();
    lines.insert(3, r#"{"id":"truncated","createdDateTime":"2026-11-20T01:00:00Z","userId""#.into());
    lines.insert(7, "not json at all".into());
    lines.insert(9, r#"{"createdDateTime":"2026-11-20T01:00:00Z"}"#.into());
    lines.insert(10, String::new());
    std::fs::write(path("a.jsonl"), lines.join("\n")).unwrap();
    // Azure Monitor diagnostic settings: the record under "properties".
    let wrapped: Vec<String> = b
        .iter()
        .map(|r| {
            format!(
                r#"{{"time":"{}","category":"SignInLogs","operationName":"Sign-in activity","properties":{}}}"#,
                r.time.to_rfc3339(),
                r.json
            )
        })
        .collect();
    std::fs::write(path("PT1H.json"), wrapped.join("\r\n") + "\r\n").unwrap();
    // A Graph page per line.
    let page = |rs: &[graph_sim::Record]| {
        format!(
            r#"{{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[{}]}}"#,
            rs.iter().map(|r| r.json.as_str()).collect::<Vec<_>>().join(",")
        )
    };
    std::fs::write(path("pages.jsonl"), format!("{}\n{}\n", page(&c[..c.len() / 2]), page(&c[c.len() / 2..]))).unwrap();
    // One pretty-printed page, as saved from Graph Explorer.
    let pretty: serde_json::Value = serde_json::from_str(&page(d)).unwrap();
    std::fs::write(path("page.json"), serde_json::to_string_pretty(&pretty).unwrap()).unwrap();

    let files = ["a.jsonl", "PT1H.json", "pages.jsonl", "page.json"].map(|f| path(f).display().to_string());
    let mut args = vec!["--dataset", "signins", "--file-size", "64KiB"];
    args.extend(files.iter().map(String::as_str));
    let (code, s, stderr) = import(&h.archive, &args).await;
    assert_eq!(code, 3, "malformed lines make the exit status 3: {s} {stderr}");
    assert_eq!(s["inputs"], 4);
    assert_eq!(s["records"].as_u64().unwrap() as usize, records.len(), "{s}");
    assert_eq!(s["imported"].as_u64().unwrap() as usize, records.len());
    assert_eq!(s["malformed"], 3);
    let problems: Vec<&str> = s["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    let a_file = &files[0];
    assert!(problems[0].starts_with(&format!("{a_file}:4: record is not valid JSON")), "{problems:?}");
    assert!(problems[1].starts_with(&format!("{a_file}:8: record is not valid JSON")), "{problems:?}");
    assert!(problems[2].starts_with(&format!("{a_file}:10: record has no string \"id\"")), "{problems:?}");

    // Every record once, byte for byte; never the malformed ones.
    let rows = h.rows("signins");
    let by_id: HashMap<&str, &str> = rows.iter().map(|r| (r.id.as_str(), r.raw.as_str())).collect();
    assert_eq!(rows.len(), records.len(), "no record twice");
    let pretty_ids: std::collections::HashSet<&str> = d.iter().map(|r| r.id.as_str()).collect();
    for r in &records {
        let raw = by_id.get(r.id.as_str()).unwrap_or_else(|| panic!("{} missing", r.id));
        if pretty_ids.contains(r.id.as_str()) {
            // `raw` is the text as the file has it: here, pretty-printed.
            let parsed = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
            assert_eq!(parsed(raw), parsed(&r.json), "{}", r.id);
            assert!(raw.contains('\n'));
        } else {
            assert_eq!(*raw, r.json, "{}", r.id);
        }
    }
    assert!(h.parquet_files("signins").len() > 24, "files roll over at --file-size");
    let verified = h.command(&["verify", "--datasets", "signins"]).output().await.unwrap();
    assert!(verified.status.success(), "{verified:?}");

    // Again: everything is already there.
    let (code, s, _) = import(&h.archive, &args).await;
    assert_eq!(code, 3);
    assert_eq!((s["imported"].as_u64(), s["files"].as_u64()), (Some(0), Some(0)), "{s}");
    assert_eq!(s["duplicates"].as_u64().unwrap() as usize, records.len());

    // A run over the same hours finds nothing new either.
    let run = h.run_to(t(TO), &["--datasets", "signins"]).await;
    run.assert_code(0);
    assert_eq!(run.dataset("signins")["records"], 0, "import and export agree on the layout");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_and_unreadable_files_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let (code, s, _) = import(&archive, &["--dataset", "sign_ins", "x.jsonl"]).await;
    assert_eq!(code, 2);
    assert!(s["error"].as_str().unwrap().contains("sign_ins"), "{s}");
    let (code, s, _) = import(&archive, &["--dataset", "signins", "/nonexistent/x.jsonl"]).await;
    assert_eq!(code, 1);
    assert!(s["error"].as_str().unwrap().contains("/nonexistent/x.jsonl"), "{s}");
    assert!(parquet_files_under(&archive, "signins").is_empty());
    // A file that is neither lines of records nor a page.
    std::fs::write(dir.path().join("odd.json"), "{\n \"nothing\": [1, 2]\n}\n").unwrap();
    let odd = dir.path().join("odd.json").display().to_string();
    let (code, s, _) = import(&archive, &["--dataset", "signins", &odd]).await;
    assert_eq!(code, 3, "{s}");
    assert_eq!(s["malformed"], 1);
    assert!(s["problems"][0].as_str().unwrap().starts_with(&format!("{odd}:1:")), "{s}");
}

/// Issue 13: a page with a syntax error is reported where the parser
/// stopped (not re-read line by line as if every line were malformed), and a
/// sign-in of another kind than the dataset's is refused, naming both kinds.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_page_names_line_and_column_and_sign_ins_of_another_kind_are_refused() {
    let archive = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let page = inputs.path().join("page.json");
    let record = |id: &str, kind: &str| {
        format!(
            "    {{\n      \"id\": \"{id}\",\n      \"createdDateTime\": \"2026-11-20T01:00:00Z\",\n      \"signInEventTypes\": [\"{kind}\"]\n    }}"
        )
    };
    // Microsoft's own examples have had this trailing comma.
    let broken = format!("{{\n  \"value\": [\n{},\n  ]\n}}\n", record("x1", "nonInteractiveUser"));
    std::fs::write(&page, &broken).unwrap();
    let (code, summary, stderr) =
        import(archive.path(), &["--dataset", "signins_noninteractive", page.to_str().unwrap()]).await;
    assert_eq!(code, 3, "{summary} {stderr}");
    assert_eq!((summary["malformed"].as_u64(), summary["imported"].as_u64()), (Some(1), Some(0)), "{summary}");
    let problem = summary["problems"][0].as_str().unwrap();
    assert!(
        problem.starts_with(&format!("{}:8: not valid JSON (trailing comma at line 8 column 3)", page.display())),
        "{problem}"
    );

    let mixed = format!(
        "{{\n  \"value\": [\n{},\n{},\n{}\n  ]\n}}\n",
        record("n1", "nonInteractiveUser"),
        record("i1", "interactiveUser"),
        record("s1", "servicePrincipal")
    );
    std::fs::write(&page, mixed).unwrap();
    let (code, summary, _) =
        import(archive.path(), &["--dataset", "signins_noninteractive", page.to_str().unwrap()]).await;
    assert_eq!(code, 3, "{summary}");
    assert_eq!((summary["imported"].as_u64(), summary["malformed"].as_u64()), (Some(1), Some(2)), "{summary}");
    let problems: Vec<&str> = summary["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    let at = page.display();
    assert_eq!(
        problems,
        [
            format!("{at}:1: value[1]: an interactive sign-in, not non-interactive"),
            format!("{at}:1: value[2]: a service-principal sign-in, not non-interactive"),
        ]
    );
}
