//! Issue 16: Graph is read in as few requests as the records allow. Graph's
//! budget counts requests, whatever they return, so each dataset's requests
//! are held against the minimum, Σ ceil(records / page size) (one request
//! for an empty window): within 1.25 × the minimum + 2, over a sparse 10-day
//! first run and a dense 30-hour one, each archived exactly; an incremental
//! run with less than a page of new records then makes one request per
//! dataset. A deadline inside a wide window stops the run; the next one
//! resumes from what was committed, never reading it again, and is exact.

use chrono::{DateTime, Duration, Utc};
use graph_sim::{Dataset, Record, SignInEventType, SimConfig};

use crate::common::*;

/// Where an archive dataset's records are in graph-sim.
#[derive(Clone, Copy)]
enum Source {
    Plain(Dataset),
    SignIns(SignInEventType),
}

/// The datasets these tests read, with where graph-sim keeps each.
const READ: [(&str, Source); 5] = [
    ("signins", Source::Plain(Dataset::SignIns)),
    ("signins_noninteractive", Source::SignIns(SignInEventType::NonInteractiveUser)),
    ("signins_service_principal", Source::SignIns(SignInEventType::ServicePrincipal)),
    ("directory_audits", Source::Plain(Dataset::DirectoryAudits)),
    ("provisioning", Source::Plain(Dataset::Provisioning)),
];

/// Graph's records of `source` in [`from`, `end`).
fn held(h: &Harness, source: Source, from: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Record> {
    let all = match source {
        Source::Plain(ds) => h.sim.records(ds),
        Source::SignIns(kind) => h.sim.signins_of_type(kind),
    };
    all.into_iter().filter(|r| from <= r.time && r.time < end).collect()
}

/// Adds `count` records of `source` in [`from`, `to`).
fn add(h: &Harness, source: Source, count: usize, from: DateTime<Utc>, to: DateTime<Utc>) {
    match source {
        Source::Plain(ds) => drop(h.sim.generate(ds, count, from, to)),
        Source::SignIns(kind) => drop(h.sim.generate_signins(kind, count, from, to)),
    }
}

const LIST: &str = "signins,signins_noninteractive,signins_service_principal,directory_audits,provisioning";

/// A tenant with `counts` records of the five datasets between FROM and `to`.
fn tenant(seed: u64, to: DateTime<Utc>, counts: [usize; 5]) -> SimConfig {
    let [signins, signins_noninteractive, signins_service_principal, directory_audits, provisioning] = counts;
    SimConfig {
        to,
        signins,
        signins_noninteractive,
        signins_service_principal,
        directory_audits,
        provisioning,
        risk_detections: 0,
        ..sim_config(seed)
    }
}

/// Runs the five datasets to `end`, with `extra` arguments.
async fn run(h: &Harness, end: DateTime<Utc>, extra: &[&str]) -> Run {
    let mut args = vec!["--datasets", LIST, "--overlap", "1h"];
    args.extend_from_slice(extra);
    h.run_to(end, &args).await
}

/// Each dataset's archive holds exactly Graph's records before `end`, once.
fn assert_exact(h: &Harness, end: DateTime<Utc>) {
    for (name, ds) in READ {
        let mut archived: Vec<String> = h.rows(name).into_iter().map(|r| r.id).collect();
        let mut held: Vec<String> = held(h, ds, t(FROM), end).into_iter().map(|r| r.id).collect();
        archived.sort();
        held.sort();
        assert_eq!(archived.len(), held.len(), "{name}: {} archived, {} in Graph", archived.len(), held.len());
        assert!(archived == held, "{name}: the archive holds other records than Graph");
    }
}

/// The fewest requests that read `records` in pages of `page`.
fn minimum(records: usize, page: usize) -> u64 {
    records.div_ceil(page).max(1) as u64
}

/// Each dataset's requests in `run` (every one answered 200: no faults
/// here) against its minimum over [`from`, `end`); the run's requests in all,
/// as graph-sim counted them, are the sum.
fn assert_near_minimum(h: &Harness, run: &Run, (from, end): (DateTime<Utc>, DateTime<Utc>), page: usize, before: u64) {
    let mut total = 0;
    for (name, ds) in READ {
        let d = run.dataset(name);
        let requests = d["pages"].as_u64().unwrap() + d["retries"].as_u64().unwrap();
        let min = minimum(held(h, ds, from, end).len(), page);
        let bound = (min as f64 * 1.25).floor() as u64 + 2;
        eprintln!("{name}: {requests} requests, minimum {min}");
        assert!(requests <= bound, "{name}: {requests} requests, minimum {min}, bound {bound}");
        assert!(requests >= min, "{name}: {requests} requests, fewer than the minimum {min}?");
        total += requests;
    }
    assert_eq!(h.sim.stats().data_requests_total() - before, total, "graph-sim counted the same requests");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sparse_ten_day_first_run_takes_about_a_request_per_page() {
    let end = t(FROM) + Duration::days(10);
    let h = Harness::start(tenant(160, end, [3000, 2200, 450, 700, 180])).await;
    let first = run(&h, end, &[]).await;
    first.assert_code(0);
    assert_near_minimum(&h, &first, (t(FROM), end), 1000, 0);
    assert_exact(&h, end);

    // An hour later, less than a page of new records each: one request each
    // (the overlap and the new hour in one query).
    let later = end + Duration::hours(1);
    for (_, ds) in READ {
        add(&h, ds, 40, end, later);
    }
    let before = h.sim.stats().data_requests_total();
    let next = run(&h, later, &[]).await;
    next.assert_code(0);
    for (name, _) in READ {
        assert_eq!(next.dataset(name)["pages"], 1, "{name}: one request\n{}", next.stdout);
    }
    assert_eq!(h.sim.stats().data_requests_total() - before, READ.len() as u64);
    assert_exact(&h, later);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dense_window_is_read_in_queries_of_many_pages_near_the_minimum() {
    // 30 hours, pages of 100: signins take 140 pages, so the first query is
    // cut short and the window read in queries sized to its density.
    let end = t(FROM) + Duration::hours(30);
    let h = Harness::start(tenant(161, end, [14_000, 9_000, 1_500, 3_000, 700])).await;
    h.sim.set_switches(|s| s.max_page_size = Some(100));
    let first = run(&h, end, &[]).await;
    first.assert_code(0);
    assert_near_minimum(&h, &first, (t(FROM), end), 100, 0);
    assert_exact(&h, end);

    let later = end + Duration::hours(1);
    for (_, ds) in READ {
        add(&h, ds, 60, end, later);
    }
    // The overlap hour alone is several pages of 100 here: near its minimum.
    let before = h.sim.stats().data_requests_total();
    let next = run(&h, later, &[]).await;
    next.assert_code(0);
    assert_near_minimum(&h, &next, (end - Duration::hours(1), later), 100, before);
    assert_exact(&h, later);
}

/// The start of each v1.0 sign-in request's `$filter` (`… ge <time>`).
fn filter_starts(h: &Harness, skip: usize) -> Vec<DateTime<Utc>> {
    h.sim
        .requests()
        .into_iter()
        .skip(skip)
        .filter(|r| r.path_and_query.starts_with("/v1.0/auditLogs/signIns?"))
        .filter_map(|r| {
            let query = urlencoding_decode(&r.path_and_query);
            let at = query.find(" ge ")? + 4;
            query[at..].split([' ', '&', ')']).next()?.parse().ok()
        })
        .collect()
}

/// Percent-decodes a request line (`+` is a space in a query).
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_inside_a_wide_window_loses_nothing_and_the_next_run_reads_nothing_committed_again() {
    let end = t(FROM) + Duration::hours(30);
    let h = Harness::start(tenant(162, end, [14_000, 0, 0, 0, 0])).await;
    // 140 pages of 100, 20 ms each: about 3 s of reading; the run may take 1.5 s.
    h.sim.set_switches(|s| {
        s.max_page_size = Some(100);
        s.page_delay = std::time::Duration::from_millis(20);
    });
    let first = run(&h, end, &["--max-duration", "1500ms", "--deadline-margin", "200ms"]).await;
    first.assert_code(0); // stopped in time is not a failure: the next run resumes
    assert_eq!(first.json()["complete"], false);
    let signins = first.dataset("signins");
    assert_eq!(signins["status"], "stopped", "{}", first.stdout);
    let through: DateTime<Utc> = signins["archived_through"].as_str().expect(&first.stdout).parse().unwrap();
    assert!(t(FROM) < through && through < end, "queries were committed before the deadline: {through}");

    let served = h.sim.requests().len();
    h.sim.set_switches(|s| s.page_delay = std::time::Duration::ZERO);
    let second = run(&h, end, &[]).await;
    second.assert_code(0);
    let resumed_from = through - Duration::hours(1);
    let starts = filter_starts(&h, served);
    assert!(!starts.is_empty());
    assert!(
        starts.iter().all(|s| *s >= resumed_from),
        "the second run asked for nothing before the checkpoint less the overlap ({resumed_from}): {starts:?}"
    );
    assert_exact(&h, end);
}
