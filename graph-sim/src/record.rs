//! Stored records and the keyset-ordered store that pages them.
//!
//! A [`Record`] is serialized once and kept as the exact bytes the server
//! sends. Each dataset's table holds at most one record per id (inserting an
//! id again replaces the record: that is how a record is updated in place)
//! and one ordered index per filterable time field, keyed by (segment, time,
//! id). A page is a range scan downwards from the cursor within one segment on
//! one index, so records inserted during a pagination never shift the pages
//! already handed out. The store never rewrites a record's JSON.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use chrono::{DateTime, TimeDelta, Utc};

use crate::dataset::Dataset;
use crate::filter::Selection;
use crate::skiptoken::Cursor;

/// One activity record as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's key: its `id`, or for network access traffic its
    /// `transactionId` ([`Dataset::key_property`]).
    pub id: String,
    /// The record's event time: the value of its dataset's
    /// [`Dataset::time_field`] (`createdDateTime`, `activityDateTime`, or a
    /// risk detection's `lastUpdatedDateTime`).
    pub time: DateTime<Utc>,
    /// Exactly the bytes sent for this record inside `"value"`.
    pub json: String,
}

/// (segment, time, id): newest-first order is descending.
type Key = (usize, DateTime<Utc>, String);

#[derive(Debug)]
struct Row {
    record: Record,
    segment: usize,
    /// One time per filterable time field; `times[0] == record.time`.
    times: Vec<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct Table {
    rows: HashMap<String, Row>,
    /// One per time field of the dataset.
    indexes: Vec<BTreeSet<Key>>,
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
        let tables = Dataset::all()
            .iter()
            .map(|d| Table { rows: HashMap::new(), indexes: d.time_fields().iter().map(|_| BTreeSet::new()).collect() })
            .collect();
        Store { tables }
    }
}

/// The times of `record` in each of `fields`: `record.time` for the first,
/// the others read from its JSON (falling back to `record.time` when absent).
fn times_of(fields: &[&str], record: &Record) -> Vec<DateTime<Utc>> {
    let mut times = vec![record.time];
    if fields.len() > 1 {
        let value: serde_json::Value = serde_json::from_str(&record.json).unwrap_or_default();
        for field in &fields[1..] {
            let t = value[*field].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            times.push(t.map_or(record.time, |t| t.to_utc()));
        }
    }
    times
}

impl Store {
    fn table(&self, ds: Dataset) -> &Table {
        &self.tables[ds.index()]
    }

    /// Whether `id` is already used in `ds`.
    pub fn contains_id(&self, ds: Dataset, id: &str) -> bool {
        self.table(ds).rows.contains_key(id)
    }

    /// The record of `ds` with this id.
    pub fn get(&self, ds: Dataset, id: &str) -> Option<&Record> {
        self.table(ds).rows.get(id).map(|r| &r.record)
    }

    /// Adds a record to `segment` of `ds` (0 when the dataset has none),
    /// replacing any record with the same id.
    pub fn insert(&mut self, ds: Dataset, record: Record, segment: usize) {
        let times = times_of(ds.time_fields(), &record);
        let table = &mut self.tables[ds.index()];
        if let Some(old) = table.rows.remove(&record.id) {
            for (index, t) in table.indexes.iter_mut().zip(old.times) {
                index.remove(&(old.segment, t, old.record.id.clone()));
            }
        }
        for (index, &t) in table.indexes.iter_mut().zip(&times) {
            index.insert((segment, t, record.id.clone()));
        }
        table.rows.insert(record.id.clone(), Row { record, segment, times });
    }

    /// Every record of `ds`, newest first (ties: id descending).
    pub fn all(&self, ds: Dataset) -> Vec<Record> {
        let mut rows: Vec<&Record> = self.table(ds).rows.values().map(|r| &r.record).collect();
        rows.sort_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
        rows.into_iter().cloned().collect()
    }

    /// Every record in `segment` of `ds`, newest first (ties: id descending).
    pub fn segment(&self, ds: Dataset, segment: usize) -> Vec<Record> {
        let table = self.table(ds);
        let lower = (segment, DateTime::<Utc>::MIN_UTC, String::new());
        let upper = (segment + 1, DateTime::<Utc>::MIN_UTC, String::new());
        table.indexes[0].range(lower..upper).rev().map(|(_, _, id)| table.rows[id].record.clone()).collect()
    }

    /// Up to `top` records of `ds` in the selection (segment, range on the
    /// selected time field), strictly after `cursor` in newest-first order on
    /// that field.
    pub fn page(&self, ds: Dataset, sel: &Selection, cursor: Option<&Cursor>, top: usize) -> Page<'_> {
        let table = self.table(ds);
        let seg = sel.segment;
        // Keys (seg, t, id) with t <= hi are exactly those below
        // (seg, hi + 1 ns, ""), since "" is the smallest id.
        let from_range = sel.range.hi.and_then(|hi| hi.checked_add_signed(TimeDelta::nanoseconds(1)));
        let mut upper = (seg + 1, DateTime::<Utc>::MIN_UTC, String::new());
        if let Some(t) = from_range {
            upper = upper.min((seg, t, String::new()));
        }
        if let Some(c) = cursor {
            upper = upper.min((seg, c.time, c.id.clone()));
        }
        let lower = (seg, sel.range.lo.unwrap_or(DateTime::<Utc>::MIN_UTC), String::new());
        let mut keys: Vec<&Key> = table.indexes[sel.field]
            .range((Bound::Unbounded, Bound::Excluded(upper)))
            .rev()
            .take_while(|k| **k >= lower)
            .take(top + 1)
            .collect();
        let next = if keys.len() > top {
            keys.truncate(top);
            keys.last().map(|(_, time, id)| Cursor { time: *time, id: id.clone() })
        } else {
            None
        };
        Page { records: keys.into_iter().map(|(_, _, id)| &table.rows[id].record).collect(), next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::TimeRange;
    use crate::time::parse_filter_datetime;

    fn t(s: &str) -> DateTime<Utc> {
        parse_filter_datetime(s).unwrap()
    }

    fn rec(time: &str, id: &str) -> Record {
        Record { id: id.to_owned(), time: t(time), json: format!("{{\"id\":\"{id}\"}}") }
    }

    fn ids(p: &Page<'_>) -> Vec<String> {
        p.records.iter().map(|r| r.id.clone()).collect()
    }

    fn all() -> Selection {
        Selection::default()
    }

    fn within(lo: &str, hi: &str) -> Selection {
        Selection { range: TimeRange { lo: Some(t(lo)), hi: Some(t(hi)) }, ..Selection::default() }
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
            s.insert(Dataset::SignIns, rec(t, id), 0);
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
        let p1 = s.page(Dataset::SignIns, &all(), None, 2);
        assert_eq!(ids(&p1), ["d", "c"]);
        let p2 = s.page(Dataset::SignIns, &all(), p1.next.as_ref(), 2);
        assert_eq!(ids(&p2), ["b", "a"]);
        let p3 = s.page(Dataset::SignIns, &all(), p2.next.as_ref(), 2);
        assert_eq!(ids(&p3), ["e"]);
        assert!(p3.next.is_none());
    }

    #[test]
    fn exact_fit_has_no_next() {
        let s = store();
        let p = s.page(Dataset::SignIns, &all(), None, 5);
        assert_eq!(p.records.len(), 5);
        assert!(p.next.is_none());
    }

    #[test]
    fn range_bounds_are_inclusive() {
        let s = store();
        let r = within("2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z");
        assert_eq!(ids(&s.page(Dataset::SignIns, &r, None, 10)), ["c", "b", "a"]);
        let p1 = s.page(Dataset::SignIns, &r, None, 2);
        let p2 = s.page(Dataset::SignIns, &r, p1.next.as_ref(), 2);
        assert_eq!(ids(&p2), ["a"]);
        let empty = within("2026-11-24T09:00:00Z", "2026-11-24T08:00:00Z");
        assert!(s.page(Dataset::SignIns, &empty, None, 10).records.is_empty());
    }

    #[test]
    fn inserts_behind_the_cursor_do_not_shift_pages() {
        let mut s = store();
        let next = s.page(Dataset::SignIns, &all(), None, 2).next;
        s.insert(Dataset::SignIns, rec("2026-11-24T11:00:00Z", "z"), 0);
        let p2 = s.page(Dataset::SignIns, &all(), next.as_ref(), 2);
        assert_eq!(ids(&p2), ["b", "a"]);
        assert!(s.contains_id(Dataset::SignIns, "z"));
        assert_eq!(s.all(Dataset::SignIns).len(), 6);
    }

    #[test]
    fn an_id_is_stored_once_and_replaced_in_place() {
        let mut s = store();
        s.insert(Dataset::SignIns, rec("2026-11-24T12:00:00Z", "a"), 0);
        let all: Vec<String> = s.all(Dataset::SignIns).into_iter().map(|r| r.id).collect();
        assert_eq!(all, ["a", "d", "c", "b", "e"]);
        let old = within("2026-11-24T08:00:00Z", "2026-11-24T08:00:00Z");
        assert_eq!(ids(&s.page(Dataset::SignIns, &old, None, 10)), ["b"]);
        assert_eq!(s.get(Dataset::SignIns, "a").unwrap().time, t("2026-11-24T12:00:00Z"));
    }

    #[test]
    fn segments_page_separately() {
        let mut s = Store::default();
        for (i, seg) in [0, 1, 1, 2, 1, 0].into_iter().enumerate() {
            let time = format!("2026-11-24T0{i}:00:00Z");
            s.insert(Dataset::SignInsBeta, rec(&time, &format!("r{i}")), seg);
        }
        let one = Selection { segment: 1, ..Selection::default() };
        assert_eq!(ids(&s.page(Dataset::SignInsBeta, &one, None, 10)), ["r4", "r2", "r1"]);
        let p1 = s.page(Dataset::SignInsBeta, &one, None, 2);
        assert_eq!(ids(&s.page(Dataset::SignInsBeta, &one, p1.next.as_ref(), 2)), ["r1"]);
        let zero = Selection { range: TimeRange { lo: None, hi: Some(t("2026-11-24T04:00:00Z")) }, ..all() };
        assert_eq!(ids(&s.page(Dataset::SignInsBeta, &zero, None, 10)), ["r0"]);
        let seg: Vec<String> = s.segment(Dataset::SignInsBeta, 1).into_iter().map(|r| r.id).collect();
        assert_eq!(seg, ["r4", "r2", "r1"]);
        assert_eq!(s.all(Dataset::SignInsBeta).len(), 6);
        assert!(s.segment(Dataset::SignInsBeta, 3).is_empty());
    }

    #[test]
    fn a_second_time_field_has_its_own_order() {
        let mut s = Store::default();
        for (id, updated, detected) in [
            ("x", "2026-11-24T10:00:00Z", "2026-11-24T01:00:00Z"),
            ("y", "2026-11-24T09:00:00Z", "2026-11-24T03:00:00Z"),
            ("z", "2026-11-24T08:00:00Z", "2026-11-24T02:00:00Z"),
        ] {
            let json = format!(r#"{{"id":"{id}","lastUpdatedDateTime":"{updated}","detectedDateTime":"{detected}"}}"#);
            s.insert(Dataset::RiskDetections, Record { id: id.to_owned(), time: t(updated), json }, 0);
        }
        let by_update = s.page(Dataset::RiskDetections, &all(), None, 10);
        assert_eq!(ids(&by_update), ["x", "y", "z"]);
        let by_detection = Selection { field: 1, ..all() };
        let p1 = s.page(Dataset::RiskDetections, &by_detection, None, 2);
        assert_eq!(ids(&p1), ["y", "z"]);
        assert_eq!(p1.next.as_ref().unwrap().time, t("2026-11-24T02:00:00Z"));
        assert_eq!(ids(&s.page(Dataset::RiskDetections, &by_detection, p1.next.as_ref(), 2)), ["x"]);
        // Replacing a record moves it in both indexes.
        let json =
            r#"{"id":"z","lastUpdatedDateTime":"2026-11-24T11:00:00Z","detectedDateTime":"2026-11-24T02:00:00Z"}"#;
        s.insert(
            Dataset::RiskDetections,
            Record { id: "z".into(), time: t("2026-11-24T11:00:00Z"), json: json.into() },
            0,
        );
        assert_eq!(ids(&s.page(Dataset::RiskDetections, &all(), None, 10)), ["z", "x", "y"]);
        assert_eq!(ids(&s.page(Dataset::RiskDetections, &by_detection, None, 10)), ["y", "z", "x"]);
    }
}
