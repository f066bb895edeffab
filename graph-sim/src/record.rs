//! Stored records and the keyset-ordered store that pages them.
//!
//! A [`Record`] is serialized once and kept as the exact bytes the server
//! sends. The store keeps one ordered map per dataset keyed by (time, id), so
//! a page is a range scan from the cursor downwards: records inserted during a
//! pagination never shift the pages already handed out. The store never
//! rewrites a record's JSON.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;

use chrono::{DateTime, TimeDelta, Utc};

use crate::dataset::Dataset;
use crate::filter::TimeRange;
use crate::skiptoken::Cursor;

/// One activity record as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's `id`.
    pub id: String,
    /// The record's event time (`createdDateTime` / `activityDateTime`).
    pub time: DateTime<Utc>,
    /// Exactly the bytes sent for this record inside `"value"`.
    pub json: String,
}

type Key = (DateTime<Utc>, String);

#[derive(Debug, Default)]
struct Table {
    rows: BTreeMap<Key, Record>,
    ids: HashSet<String>,
}

/// All records of all datasets.
#[derive(Debug)]
pub struct Store {
    tables: Vec<Table>,
}

/// One page of records, and the cursor of the next page if there is one.
#[derive(Debug)]
pub struct Page<'a> {
    /// Records, newest first.
    pub records: Vec<&'a Record>,
    /// Position after the last record, when more records match.
    pub next: Option<Cursor>,
}

impl Default for Store {
    fn default() -> Self {
        Store { tables: Dataset::all().iter().map(|_| Table::default()).collect() }
    }
}

impl Store {
    fn table(&self, ds: Dataset) -> &Table {
        &self.tables[ds.index()]
    }

    /// Whether `id` is already used in `ds`.
    pub fn contains_id(&self, ds: Dataset, id: &str) -> bool {
        self.table(ds).ids.contains(id)
    }

    /// Adds a record; a record with the same time and id is replaced.
    pub fn insert(&mut self, ds: Dataset, record: Record) {
        let table = &mut self.tables[ds.index()];
        table.ids.insert(record.id.clone());
        table.rows.insert((record.time, record.id.clone()), record);
    }

    /// Every record of `ds`, newest first (ties: id descending).
    pub fn all(&self, ds: Dataset) -> Vec<Record> {
        self.table(ds).rows.values().rev().cloned().collect()
    }

    /// Up to `top` records of `ds` in `range`, strictly after `cursor` in
    /// newest-first order.
    pub fn page(&self, ds: Dataset, range: &TimeRange, cursor: Option<&Cursor>, top: usize) -> Page<'_> {
        // Keys (t, id) with t <= hi are exactly those below (hi + 1 ns, ""),
        // since "" is the smallest id.
        let from_range = range.hi.map(|hi| (hi + TimeDelta::nanoseconds(1), String::new()));
        let from_cursor = cursor.map(|c| (c.time, c.id.clone()));
        let upper = match (from_range, from_cursor) {
            (Some(a), Some(b)) => Bound::Excluded(a.min(b)),
            (Some(k), None) | (None, Some(k)) => Bound::Excluded(k),
            (None, None) => Bound::Unbounded,
        };
        let mut records: Vec<&Record> = self
            .table(ds)
            .rows
            .range((Bound::Unbounded, upper))
            .rev()
            .map(|(_, r)| r)
            .take_while(|r| range.lo.is_none_or(|lo| r.time >= lo))
            .take(top + 1)
            .collect();
        let next = if records.len() > top {
            records.truncate(top);
            records.last().map(|r| Cursor { time: r.time, id: r.id.clone() })
        } else {
            None
        };
        Page { records, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_filter_datetime;

    fn rec(time: &str, id: &str) -> Record {
        Record { id: id.to_owned(), time: parse_filter_datetime(time).unwrap(), json: format!("{{\"id\":\"{id}\"}}") }
    }

    fn ids(p: &Page<'_>) -> Vec<String> {
        p.records.iter().map(|r| r.id.clone()).collect()
    }

    fn store() -> Store {
        let mut s = Store::default();
        for (t, id) in [
            ("2026-11-24T08:00:00Z", "a"),
            ("2026-11-24T08:00:00Z", "b"),
            ("2026-11-24T09:00:00Z", "c"),
            ("2026-11-24T10:00:00Z", "d"),
            ("2026-11-24T07:00:00Z", "e"),
        ] {
            s.insert(Dataset::SignIns, rec(t, id));
        }
        s
    }

    #[test]
    fn newest_first_with_id_tiebreak() {
        let s = store();
        let all: Vec<String> = s.all(Dataset::SignIns).into_iter().map(|r| r.id).collect();
        assert_eq!(all, ["d", "c", "b", "a", "e"]);
        assert!(s.all(Dataset::DirectoryAudits).is_empty());
    }

    #[test]
    fn pages_walk_the_keyset() {
        let s = store();
        let r = TimeRange::default();
        let p1 = s.page(Dataset::SignIns, &r, None, 2);
        assert_eq!(ids(&p1), ["d", "c"]);
        let p2 = s.page(Dataset::SignIns, &r, p1.next.as_ref(), 2);
        assert_eq!(ids(&p2), ["b", "a"]);
        let p3 = s.page(Dataset::SignIns, &r, p2.next.as_ref(), 2);
        assert_eq!(ids(&p3), ["e"]);
        assert!(p3.next.is_none());
    }

    #[test]
    fn exact_fit_has_no_next() {
        let s = store();
        let p = s.page(Dataset::SignIns, &TimeRange::default(), None, 5);
        assert_eq!(p.records.len(), 5);
        assert!(p.next.is_none());
    }

    #[test]
    fn range_bounds_are_inclusive() {
        let s = store();
        let r = TimeRange {
            lo: parse_filter_datetime("2026-11-24T08:00:00Z"),
            hi: parse_filter_datetime("2026-11-24T09:00:00Z"),
        };
        assert_eq!(ids(&s.page(Dataset::SignIns, &r, None, 10)), ["c", "b", "a"]);
        let p1 = s.page(Dataset::SignIns, &r, None, 2);
        let p2 = s.page(Dataset::SignIns, &r, p1.next.as_ref(), 2);
        assert_eq!(ids(&p2), ["a"]);
        let empty = TimeRange { lo: r.hi, hi: r.lo };
        assert!(s.page(Dataset::SignIns, &empty, None, 10).records.is_empty());
    }

    #[test]
    fn inserts_behind_the_cursor_do_not_shift_pages() {
        let mut s = store();
        let r = TimeRange::default();
        let next = s.page(Dataset::SignIns, &r, None, 2).next;
        s.insert(Dataset::SignIns, rec("2026-11-24T11:00:00Z", "z"));
        let p2 = s.page(Dataset::SignIns, &r, next.as_ref(), 2);
        assert_eq!(ids(&p2), ["b", "a"]);
        assert!(s.contains_id(Dataset::SignIns, "z"));
        assert_eq!(s.all(Dataset::SignIns).len(), 6);
    }
}
