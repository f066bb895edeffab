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

/// Issue 14, finding 12: unordered input multiplied files (a shuffled dump
/// of 30,000 sign-ins made 1,055 files, in order 48). The same records
/// imported in order and shuffled (with some twice, and a malformed line)
/// give the same rows, and each hour cell is one file either way.
#[tokio::test(flavor = "multi_thread")]
async fn shuffled_input_writes_each_hour_once_like_ordered_input() {
    use graph_sim::SimConfig;
    use rand::SeedableRng;
    use rand::seq::SliceRandom;

    let h = Harness::start(SimConfig { signins: 30_000, ..sim_config(14) }).await;
    let mut records = h.sim.records(Dataset::SignIns);
    records.sort_by_key(|r| r.time);
    let hours: std::collections::HashSet<i64> = records.iter().map(|r| r.time.timestamp() / 3600).collect();
    let inputs = tempfile::tempdir().unwrap();
    let ordered = inputs.path().join("ordered.jsonl");
    let lines: Vec<&str> = records.iter().map(|r| r.json.as_str()).collect();
    std::fs::write(&ordered, lines.join("\n") + "\n").unwrap();
    let shuffled = inputs.path().join("shuffled.jsonl");
    let mut lines: Vec<&str> = lines.iter().chain(&lines[..300]).copied().collect();
    lines.shuffle(&mut rand::rngs::StdRng::seed_from_u64(14));
    lines.insert(999, r#"{"id":"broken","createdDateTime":"#);
    std::fs::write(&shuffled, lines.join("\n") + "\n").unwrap();

    let in_order = h.archive.clone();
    let out_of_order = h.dir.path().join("shuffled-archive");
    let (code, s, stderr) = import(&in_order, &["--dataset", "signins", ordered.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{s} {stderr}");
    assert_eq!(s["imported"].as_u64().unwrap() as usize, records.len(), "{s}");
    let (code, s, stderr) = import(&out_of_order, &["--dataset", "signins", shuffled.to_str().unwrap()]).await;
    assert_eq!(code, 3, "{s} {stderr}");
    assert_eq!(s["records"].as_u64().unwrap() as usize, records.len() + 300, "{s}");
    assert_eq!(s["imported"].as_u64().unwrap() as usize, records.len(), "{s}");
    assert_eq!(s["duplicates"], 300, "{s}");
    assert_eq!(s["malformed"], 1, "{s}");
    let problem = s["problems"][0].as_str().unwrap();
    assert!(problem.starts_with(&format!("{}:1000: ", shuffled.display())), "{problem}");

    // The same rows, byte for byte, each once.
    let rows = |archive: &Path| {
        let mut rows: Vec<(String, String)> =
            rows_under(archive, "signins").into_iter().map(|r| (r.id, r.raw)).collect();
        rows.sort();
        rows
    };
    let expected = rows(&in_order);
    assert_eq!(expected.len(), records.len());
    assert!(rows(&out_of_order) == expected, "the same rows in both archives");
    let files = |archive: &Path| parquet_files_under(archive, "signins").len();
    assert_eq!(files(&in_order), hours.len(), "in order: one file per hour");
    assert_eq!(files(&out_of_order), hours.len(), "shuffled: no more files than in order");
    assert_eq!(s["files"].as_u64().unwrap() as usize, hours.len());
    let staged: Vec<_> = std::fs::read_dir(out_of_order.join("_staging")).unwrap().collect();
    assert!(staged.is_empty(), "spill files removed: {staged:?}");

    // Again, shuffled: everything is there already.
    let (code, s, _) = import(&out_of_order, &["--dataset", "signins", shuffled.to_str().unwrap()]).await;
    assert_eq!(code, 3);
    assert_eq!((s["imported"].as_u64(), s["files"].as_u64()), (Some(0), Some(0)), "{s}");
    assert_eq!(s["duplicates"].as_u64().unwrap() as usize, records.len() + 300, "{s}");
}

/// Issue 14, finding 3: a leap-second time (`…T10:59:60Z`) made a second
/// cell whose file collided with the real hour's, losing records with
/// `verify` clean. It is a malformed line now, and the hour's file holds
/// every other record.
#[tokio::test(flavor = "multi_thread")]
async fn a_leap_second_is_a_malformed_line_not_a_second_cell() {
    let archive = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let path = inputs.path().join("leap.jsonl");
    let line = |id: &str, at: &str| format!(r#"{{"id":"{id}","createdDateTime":"{at}"}}"#);
    let lines = [
        line("a", "2026-11-20T10:15:00Z"),
        line("leap", "2026-11-20T10:59:60Z"),
        line("b", "2026-11-20T10:59:59.9999999Z"),
        line("old", "1600-01-01T00:00:00Z"),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let (code, summary, _) = import(archive.path(), &["--dataset", "signins", path.to_str().unwrap()]).await;
    assert_eq!(code, 3, "{summary}");
    assert_eq!((summary["imported"].as_u64(), summary["malformed"].as_u64()), (Some(2), Some(2)), "{summary}");
    let problems = summary["problems"].to_string();
    assert!(problems.contains(":2: ") && problems.contains("leap second"), "{problems}");
    assert!(problems.contains(":4: ") && problems.contains("outside"), "{problems}");
    let files = parquet_files_under(archive.path(), "signins");
    assert_eq!(files.len(), 1, "one cell, one file: {files:?}");
    let mut ids: Vec<String> = rows_under(archive.path(), "signins").into_iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, ["a", "b"]);
}
