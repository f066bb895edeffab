//! The cells of an import against a store in a temporary folder: each cell
//! written once whatever the order, records in order never spilled, each
//! record once, nothing left in the staging area.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::*;
use crate::cell::{CellSpec, KeySet};
use crate::columns::batch_of;
use crate::datasets::by_name;
use crate::encode::read_keys;
use crate::error::Error;
use crate::layout;
use crate::schema::arrow_schema;
use crate::testing::t;

/// Files moved into a pretend archive: each file's key and row keys.
struct Fake {
    def: &'static DatasetDef,
    limits: Limits,
    staging: tempfile::TempDir,
    /// Row keys the archive held before the import.
    known: HashMap<DateTime<Utc>, KeySet>,
    moved: BTreeMap<DateTime<Utc>, Vec<(String, Vec<String>)>>,
    opened: usize,
    /// Refuse to open this cell.
    broken: Option<DateTime<Utc>>,
}

impl Fake {
    fn new(limits: Limits) -> Fake {
        let def = by_name("signins").unwrap();
        let staging = tempfile::tempdir().unwrap();
        Fake { def, limits, staging, known: HashMap::new(), moved: BTreeMap::new(), opened: 0, broken: None }
    }

    fn cells(&self) -> Cells {
        Cells::new(self.def, self.limits, self.staging.path(), "run", 2)
    }

    /// Files in the staging area.
    fn staged(&self) -> Vec<String> {
        std::fs::read_dir(self.staging.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
    }

    /// Files per cell.
    fn files(&self) -> Vec<usize> {
        self.moved.values().map(Vec::len).collect()
    }

    /// Every row key moved in, sorted.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.moved.values().flatten().flat_map(|(_, keys)| keys.clone()).collect();
        keys.sort();
        keys
    }
}

impl Store for Fake {
    fn open(&mut self, cell: DateTime<Utc>) -> Result<CellFiles> {
        if self.broken == Some(cell) {
            return Err(Error::destination("list", "cell", "broken"));
        }
        self.opened += 1;
        let moved = self.moved.get(&cell).map_or(&[][..], Vec::as_slice);
        let mut known = self.known.get(&cell).cloned().unwrap_or_default();
        known.extend(moved.iter().flat_map(|(_, keys)| keys.iter().cloned()));
        let spec = CellSpec {
            def: self.def,
            schema: arrow_schema(self.def),
            cell,
            tenant_id: "t".into(),
            staging: self.staging.path().to_path_buf(),
            run_id: "run".into(),
            metadata: vec![],
            limits: self.limits,
        };
        Ok(CellFiles::new(spec, known, moved.len() as u32, Utc::now()))
    }

    fn deliver(&mut self, files: Vec<Finished>) -> Result<()> {
        for file in files {
            let bytes = Bytes::from(std::fs::read(&file.staged).unwrap());
            std::fs::remove_file(&file.staged).unwrap();
            let keys = read_keys(&file.key, bytes, crate::datasets::by_name("signins").unwrap()).unwrap();
            let cell = (0..24)
                .map(|h| t("2026-11-20T00:00:00Z") + chrono::Duration::hours(h))
                .find(|c| layout::parse_seq(&file.key, "signins", *c, "t").is_some())
                .expect("a data key of the day");
            self.moved.entry(cell).or_default().push((file.key, keys));
        }
        Ok(())
    }
}

fn hour(h: u32) -> DateTime<Utc> {
    t(&format!("2026-11-20T{h:02}:00:00Z"))
}

/// Sign-ins `ids` of hour `h` (all of one length), as the parser hands them on.
fn rows(h: u32, ids: &[u32]) -> CellRows {
    let def = by_name("signins").unwrap();
    let texts: Vec<String> = ids
        .iter()
        .map(|i| format!(r#"{{"id":"h{h:02}-{i:04}","createdDateTime":"2026-11-20T{h:02}:{:02}:00Z"}}"#, i % 60))
        .collect();
    CellRows::whole(hour(h), ids.iter().map(|i| format!("h{h:02}-{i:04}")).collect(), batch_of(def, &texts))
}

fn ids(h: u32, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("h{h:02}-{i:04}")).collect()
}

/// Bytes of one record of [`rows`].
fn one() -> u64 {
    rows(1, &[0]).json_bytes()
}

#[test]
fn records_in_order_go_straight_into_their_files_and_are_never_spilled() {
    let mut store = Fake::new(Limits { batch_rows: 4, file_bytes: 1 << 20 });
    let mut cells = store.cells();
    for h in 1..=4 {
        for part in 0..5 {
            cells.add(&mut store, rows(h, &[part * 3, part * 3 + 1, part * 3 + 2])).unwrap();
            assert!(cells.spills.cells().is_empty(), "hour {h}, part {part}");
        }
    }
    cells.finish(&mut store).unwrap();
    assert_eq!(store.files(), [1, 1, 1, 1]);
    assert_eq!(store.opened, 4, "each cell's contents read once");
    assert_eq!(store.keys(), (1..=4).flat_map(|h| ids(h, 0..15)).collect::<Vec<_>>());
    assert!(store.staged().is_empty(), "{:?}", store.staged());
}

#[test]
fn records_out_of_order_make_one_file_per_cell_and_each_record_once() {
    let mut store = Fake::new(Limits { batch_rows: 4, file_bytes: 1 << 20 });
    // The archive holds some of hour 3 already.
    store.known.insert(hour(3), ids(3, 0..5).into_iter().collect());
    let mut cells = store.cells();
    let mut spilled = false;
    for round in 0..8 {
        for h in [5, 1, 4, 2, 3] {
            cells.add(&mut store, rows(h, &[round * 2, round * 2 + 1])).unwrap();
            spilled |= !cells.spills.cells().is_empty();
        }
        // Some records come twice.
        cells.add(&mut store, rows(1, &[0, round * 2])).unwrap();
    }
    assert!(spilled, "records out of order wait in spill files");
    assert!(store.moved.is_empty(), "nothing moved in before the end: {:?}", store.files());
    cells.finish(&mut store).unwrap();
    assert_eq!(store.files(), [1, 1, 1, 1, 1], "one file per cell");
    let mut expected: Vec<String> = (1..=5).flat_map(|h| ids(h, if h == 3 { 5..16 } else { 0..16 })).collect();
    expected.sort();
    assert_eq!(store.keys(), expected, "each record once, none the archive held");
    assert!(store.staged().is_empty(), "spill and held files removed: {:?}", store.staged());
}

#[test]
fn a_spill_holding_a_file_s_worth_is_written_before_the_end() {
    // Three records make a file.
    let mut store = Fake::new(Limits { batch_rows: 100, file_bytes: 3 * one() });
    let mut cells = store.cells();
    for round in 0..10 {
        for h in [1, 2, 3] {
            cells.add(&mut store, rows(h, &[round])).unwrap();
        }
    }
    assert!(!store.moved.is_empty(), "full files moved in while reading");
    cells.finish(&mut store).unwrap();
    for (cell, files) in &store.moved {
        let sizes: Vec<usize> = files.iter().map(|(_, keys)| keys.len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 10, "{cell}: {sizes:?}");
        assert_eq!(files.len(), 4, "{cell}: as few files as the size allows: {sizes:?}");
    }
    assert_eq!(store.keys().len(), 30);
    assert!(store.staged().is_empty(), "{:?}", store.staged());
}

#[test]
fn held_files_beyond_the_limit_are_moved_in_and_a_cell_come_back_to_gets_one_more() {
    let mut store = Fake::new(Limits { batch_rows: 4, file_bytes: 1 << 20 });
    let mut cells = store.cells();
    cells.held_limit = 0;
    for h in 1..=4 {
        cells.add(&mut store, rows(h, &[0, 1])).unwrap();
    }
    assert_eq!(store.files(), [1, 1], "hours 1 and 2 closed and moved in");
    cells.add(&mut store, rows(1, &[1, 2])).unwrap();
    cells.finish(&mut store).unwrap();
    assert_eq!(store.files(), [2, 1, 1, 1]);
    assert_eq!(store.moved[&hour(1)][1].1, ["h01-0002"], "the record moved in before is not written again");
}

#[test]
fn a_failed_import_leaves_nothing_in_the_staging_area() {
    // Hours 3 and 4 stay open (and waiting), 1 and 2 are spilled, enough
    // of them to be written out.
    let mut store = Fake::new(Limits { batch_rows: 10_000, file_bytes: 1 << 20 });
    store.broken = Some(hour(4));
    let mut cells = store.cells();
    for round in 0..4 {
        for h in [1, 2, 3, 4] {
            cells.add(&mut store, rows(h, &(round * 400..(round + 1) * 400).collect::<Vec<_>>())).unwrap();
        }
    }
    assert_eq!(store.staged().len(), 2, "spill files: {:?}", store.staged());
    let e = cells.finish(&mut store).unwrap_err();
    assert!(e.to_string().contains("broken"), "{e}");
    assert!(store.staged().is_empty(), "{:?}", store.staged());
}

#[test]
fn once_the_input_is_out_of_order_a_small_cell_closed_is_spilled_not_written() {
    let mut store = Fake::new(Limits { batch_rows: 4, file_bytes: 1 << 20 });
    let mut cells = store.cells();
    cells.out_of_order();
    for h in 1..=5 {
        cells.add(&mut store, rows(h, &[0, 1])).unwrap();
    }
    assert_eq!(store.opened, 0, "no cell read from the archive yet");
    assert!(store.staged().is_empty(), "no Parquet file: {:?}", store.staged());
    assert_eq!(cells.spills.cells(), [hour(1), hour(2), hour(3)], "4 and 5 open");
    cells.finish(&mut store).unwrap();
    assert_eq!(store.files(), [1, 1, 1, 1, 1]);
    assert_eq!(store.keys().len(), 10);
}
