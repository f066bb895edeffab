//! Paging over HTTP: a walk that follows nextLinks verbatim returns exactly
//! the filtered set, once each, newest first, with inclusive bounds and
//! byte-exact records; ties, whole-hour boundaries, inserts during a walk and
//! skip tokens bound to their query.

use crate::common::*;
use graph_sim::Dataset;
use reqwest::StatusCode;

#[tokio::test]
async fn multi_page_walk_returns_the_filtered_set_once_newest_first() {
    let sim = start().await;
    let tok = token(&sim).await;
    for ds in [Dataset::SignIns, Dataset::DirectoryAudits] {
        let all = sim.records(ds);
        // Bounds sit exactly on existing records: both must be included.
        let (hi, lo) = (all[40].time, all[all.len() - 40].time);
        let field = ds.time_field();
        let first = format!(
            "{}?$filter=({field}%20ge%20{}%20and%20{field}%20le%20{})&$top=37",
            ds.path(),
            ticks(lo),
            ticks(hi)
        );
        let (ids, pages) = walk(&sim, ds, &first, &tok).await;
        let want = expected(&sim, ds, lo, hi);
        assert_eq!(ids, want);
        assert_eq!(ids.first(), Some(&all[40].id));
        assert_eq!(ids.last(), Some(&all[all.len() - 40].id));
        assert_eq!(pages, want.len().div_ceil(37));

        // Unfiltered, the walk is the whole store.
        let (ids, _) = walk(&sim, ds, &format!("{}?$top=100", ds.path()), &tok).await;
        let every: Vec<String> = all.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, every);
    }
}

#[tokio::test]
async fn whole_hour_boundaries_and_ties() {
    let sim = start().await;
    let tok = token(&sim).await;
    // Three records on the boundary (ties broken by id descending), one a tick
    // on either side.
    for (id, time) in [
        ("b-boundary", "2026-11-23T10:00:00.0000000Z"),
        ("a-boundary", "2026-11-23T10:00:00.0000000Z"),
        ("c-boundary", "2026-11-23T10:00:00.0000000Z"),
        ("just-after", "2026-11-23T10:00:00.0000001Z"),
        ("just-before", "2026-11-23T09:59:59.9999999Z"),
    ] {
        sim.insert_raw(Dataset::SignIns, &format!("{{\"id\":\"{id}\",\"createdDateTime\":\"{time}\"}}"));
    }
    let q = |filter: &str| format!("/v1.0/auditLogs/signIns?$top=2&$filter={filter}");
    let (ids, _) = walk(&sim, Dataset::SignIns, &q("createdDateTime+eq+2026-11-23T10:00:00Z"), &tok).await;
    assert_eq!(ids, ["c-boundary", "b-boundary", "a-boundary"]);

    let (ids, _) = walk(
        &sim,
        Dataset::SignIns,
        &q("createdDateTime+le+2026-11-23T10:00:00Z+and+createdDateTime+ge+2026-11-23T09:59:59.9999999Z"),
        &tok,
    )
    .await;
    assert_eq!(ids, ["c-boundary", "b-boundary", "a-boundary", "just-before"]);

    let (ids, _) = walk(
        &sim,
        Dataset::SignIns,
        &q("createdDateTime+ge+2026-11-23T10:00:00.0000001Z+and+createdDateTime+le+2026-11-23T10:00:00.0000001Z"),
        &tok,
    )
    .await;
    assert_eq!(ids, ["just-after"]);

    // An offset spelling of the same instant selects the same records.
    let (ids, _) = walk(&sim, Dataset::SignIns, &q("createdDateTime+eq+2026-11-23T12:00:00%2B02:00"), &tok).await;
    assert_eq!(ids.len(), 3);

    // About 2% of generated records sit on a whole hour.
    let on_hour = sim
        .records(Dataset::SignIns)
        .iter()
        .filter(|r| r.json.contains(":00:00.0000000Z\"") && !r.id.ends_with("boundary"))
        .count();
    assert!(on_hour > 0, "no generated record on a whole hour");
}

#[tokio::test]
async fn inserts_during_pagination_do_not_shift_pages() {
    let sim = start().await;
    let tok = token(&sim).await;
    let before: Vec<String> = sim.records(Dataset::DirectoryAudits).into_iter().map(|r| r.id).collect();
    let first = get(&sim, "/v1.0/auditLogs/directoryAudits?$top=50", Some(&tok)).await.json();
    let next = first["@odata.nextLink"].as_str().unwrap();
    // New records newer than the cursor (as real late arrivals would be).
    let newest = sim.records(Dataset::DirectoryAudits)[0].time;
    sim.generate(Dataset::DirectoryAudits, 20, newest, newest + chrono::TimeDelta::hours(1));
    let rest = walk(&sim, Dataset::DirectoryAudits, &next[sim.url().len()..], &tok).await.0;
    let mut ids: Vec<String> =
        first["value"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    ids.extend(rest);
    assert_eq!(ids, before);
    assert_eq!(sim.records(Dataset::DirectoryAudits).len(), before.len() + 20);
}

#[tokio::test]
async fn skiptoken_is_bound_to_its_query() {
    let sim = start().await;
    let tok = token(&sim).await;
    let r =
        get(&sim, "/v1.0/auditLogs/signIns?$top=5&$filter=createdDateTime+ge+2026-11-23T00:00:00Z", Some(&tok)).await;
    let next = r.json()["@odata.nextLink"].as_str().unwrap().to_owned();
    let token_part = next.split("$skiptoken=").nth(1).unwrap();
    // Same token with another filter, or on another dataset: refused.
    for other in [
        format!("/v1.0/auditLogs/signIns?$top=5&$skiptoken={token_part}"),
        format!("/v1.0/auditLogs/directoryAudits?$top=5&$skiptoken={token_part}"),
        format!(
            "/v1.0/auditLogs/signIns?$top=5&$filter=createdDateTime+ge+2026-11-23T00:00:00Z&$skiptoken={}0",
            &token_part[..token_part.len() - 1]
        ),
    ] {
        let r = get(&sim, &other, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{other}");
        assert_eq!(r.error_message(), "Invalid skip token");
    }
    // A different page size with the same token is fine.
    let r = get_url(&next.replace("$top=5", "$top=7"), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn max_page_size_serves_shorter_pages_of_the_same_set() {
    let sim = start().await;
    let tok = token(&sim).await;
    sim.set_switches(|s| s.max_page_size = Some(17));
    let ds = Dataset::SignIns;
    let all = sim.records(ds);
    let (hi, lo) = (all[25].time, all[all.len() - 25].time);
    let first = format!(
        "{}?$filter=createdDateTime%20ge%20{}%20and%20createdDateTime%20le%20{}&$top=100",
        ds.path(),
        ticks(lo),
        ticks(hi)
    );
    let want = expected(&sim, ds, lo, hi);
    assert!(want.len() > 300, "{}", want.len());

    // $top=100 is capped at 17: more pages, the exact set, nothing twice.
    let (ids, pages) = walk(&sim, ds, &first, &tok).await;
    assert_eq!(ids, want);
    assert_eq!(pages, want.len().div_ceil(17));

    // The nextLink keeps the client's $top; a $top under the cap is honoured.
    let r = get(&sim, &first, Some(&tok)).await.json();
    assert_eq!(r["value"].as_array().unwrap().len(), 17);
    let next = r["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(next.contains("$top=100&"), "{next}");
    let (ids, pages) = walk(&sim, ds, &first.replace("$top=100", "$top=9"), &tok).await;
    assert_eq!((ids.len(), pages), (want.len(), want.len().div_ceil(9)));

    // Lifting the cap mid-walk: the rest comes in pages of 100, still exact.
    sim.set_switches(|s| s.max_page_size = None);
    let (rest, pages) = walk(&sim, ds, &next[sim.url().len()..], &tok).await;
    assert_eq!(rest, want[17..]);
    assert_eq!(pages, (want.len() - 17).div_ceil(100));

    // A cap of 0 still makes progress, one record per page.
    sim.set_switches(|s| s.max_page_size = Some(0));
    let r = get(&sim, &first, Some(&tok)).await.json();
    assert_eq!(r["value"].as_array().unwrap().len(), 1);
}
