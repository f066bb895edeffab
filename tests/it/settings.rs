//! End-to-end: settings that could only waste a run (issue 14) are refused
//! by the real binary with exit 2 and the setting named, before it writes,
//! takes a lease or asks Graph anything; the forgiving ones (dataset names in
//! any case, `~/` destinations, `--overlap 0`) work.

use std::path::Path;

use crate::common::*;
use graph_sim::Dataset;

/// `--now` for every test here: the window ends at [`TO`].
fn now() -> String {
    now_for_end(t(TO))
}

/// What is in `dir`, by name.
fn entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// `args` run in the harness's temporary folder (so a stray relative folder
/// would show there), with `env` added.
async fn run_in_dir(h: &Harness, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = h.command(args);
    cmd.current_dir(h.dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap().into()
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_settings_exit_2_naming_the_setting_before_any_lease_or_request() {
    let h = Harness::start(sim_config(140)).await;
    let now = now();
    let run = |extra: &[&str]| owned(&[&["run", "--since", FROM, "--now", now.as_str()][..], extra].concat());
    let backfill = |from: &str, to: &str| owned(&["backfill", "--from", from, "--to", to, "--now", &now]);
    // (case, arguments, environment added, what the error names)
    type Case<'a> = (&'a str, Vec<String>, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "issue 14 finding 11: run --since 1600 exits 2, not 101 after taking the lease",
            owned(&["run", "--since", "1600-01-01T00:00:00Z", "--now", &now]),
            vec![],
            vec!["--since", "before 2000-01-01T00:00:00Z"],
        ),
        (
            "issue 14 finding 11: backfill --from year 1 exits 2, not 101",
            backfill("0001-01-01T00:00:00Z", TO),
            vec![],
            vec!["--from", "before 2000-01-01T00:00:00Z"],
        ),
        (
            "issue 14 finding 11: a --since after now − lag would archive nothing",
            owned(&["run", "--since", "2026-11-21T00:05:00Z", "--now", &now]),
            vec![],
            vec!["--since", "now − lag"],
        ),
        (
            "issue 14 finding 11: a --since beyond Graph's 30 days costs requests for nothing",
            owned(&["run", "--since", "2026-10-01T00:00:00Z", "--now", &now]),
            vec![],
            vec!["--since", "30 days", "backfill", "--allow-beyond-retention"],
        ),
        (
            "issue 14 finding 11: ARCHIVE_ALLOW_BEYOND_RETENTION=false allows nothing",
            owned(&["run", "--since", "2026-10-01T00:00:00Z", "--now", &now]),
            vec![("ARCHIVE_ALLOW_BEYOND_RETENTION", "false")],
            vec!["--since", "30 days"],
        ),
        (
            "issue 14 finding 11: a --now far in the future",
            owned(&["run", "--since", FROM, "--now", "2100-01-01T00:00:00Z"]),
            vec![],
            vec!["--now", "in the future"],
        ),
        (
            "issue 14 finding 2: --max-duration within --deadline-margin could never start work",
            run(&["--max-duration", "30s"]),
            vec![],
            vec!["--max-duration", "--deadline-margin / ARCHIVE_DEADLINE_MARGIN"],
        ),
        (
            "issue 14 finding 11: the deadline margin's maximum is 10m",
            run(&["--deadline-margin", "11m"]),
            vec![],
            vec!["--deadline-margin / ARCHIVE_DEADLINE_MARGIN", "at most 10m"],
        ),
        (
            "issue 14 finding 11: backfill --from beyond Graph's 30 days",
            backfill("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"),
            vec![],
            vec!["--from", "30 days", "--allow-beyond-retention"],
        ),
        (
            "issue 14 finding 11: backfill --to far in the future",
            backfill(FROM, "2100-01-01T00:00:00Z"),
            vec![],
            vec!["--to", "in the future"],
        ),
        (
            "issue 14 finding 11: backfill --from after now − lag",
            backfill("2026-11-21T00:05:00Z", "2026-11-21T01:00:00Z"),
            vec![],
            vec!["--from", "now − lag"],
        ),
        (
            "issue 14 finding 11: ~/ without HOME is refused, never a folder named ~",
            run(&["--dest", "~/x"]),
            vec![],
            vec!["--dest / ARCHIVE_DEST", "HOME is not set"],
        ),
        (
            "issue 14 finding 11: ~user is refused",
            run(&["--dest", "~ana/x"]),
            vec![("HOME", "/nonexistent")],
            vec!["--dest / ARCHIVE_DEST", "~user is not supported"],
        ),
    ];
    for (case, args, env, needles) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_in_dir(&h, &args, &env).await;
        out.assert_code(2);
        for needle in needles {
            assert!(out.stderr.contains(needle), "{case}: {needle:?} missing from\n{}", out.stderr);
        }
        assert!(!out.stderr.contains("panicked"), "{case}: {}", out.stderr);
        assert_eq!(entries(h.dir.path()), Vec::<String>::new(), "{case}: nothing written, no archive folder, no lease");
        assert!(h.sim.requests().is_empty(), "{case}: no request made: {:?}", h.sim.requests());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dataset_names_are_case_insensitive() {
    let h = Harness::start(sim_config(141)).await;
    let out = h.run_to(t(TO), &["--datasets", "SignIns"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["datasets"].as_array().unwrap().len(), 1, "issue 14 finding 11: SignIns is signins");
    assert_eq!(out.dataset("signins")["status"], "ok");
    assert_eq!(h.rows("signins").len(), h.expected(Dataset::SignIns, t(FROM), t(TO)).len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quoted_tilde_destination_is_under_home() {
    let h = Harness::start(sim_config(142)).await;
    let home = h.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let now = now();
    let args = ["run", "--json", "--since", FROM, "--now", &now, "--datasets", "signins", "--dest", "~/x"];
    let out = run_in_dir(&h, &args, &[("HOME", home.to_str().unwrap())]).await;
    out.assert_code(0);
    let archived = rows_under(&home.join("x"), "signins");
    assert_eq!(archived.len(), h.expected(Dataset::SignIns, t(FROM), t(TO)).len(), "issue 14 finding 11: under HOME");
    assert_eq!(entries(h.dir.path()), ["home"], "issue 14 finding 11: no folder literally named ~");
}

#[tokio::test(flavor = "multi_thread")]
async fn overlap_zero_runs_with_a_warning_and_old_ranges_need_the_flag() {
    let h = Harness::start(sim_config(143)).await;
    let out = h.run_to(t(TO), &["--overlap", "0s"]).await;
    out.assert_code(0);
    assert!(out.stderr.contains("WARN") && out.stderr.contains("no overlap"), "issue 14 finding 4: {}", out.stderr);

    let now = now();
    let old = ["backfill", "--from", "2026-10-01T00:00:00Z", "--to", "2026-10-01T01:00:00Z", "--now", &now];
    let flag = [&old[..], &["--allow-beyond-retention"]].concat();
    h.command(&flag).output().await.map(Run::from).unwrap().assert_code(0);
    let mut env = h.command(&old);
    env.env("ARCHIVE_ALLOW_BEYOND_RETENTION", "true");
    env.output().await.map(Run::from).unwrap().assert_code(0);
}
