//! One hour cell's rows of a parsed chunk.
//!
//! A chunk of input is converted into one Arrow batch, its rows in input
//! order whatever their hours; each hour cell's share is a list of that
//! batch's rows with their row keys. The share becomes a batch of its own
//! only where it is written (a slice of the chunk's batch when its rows are
//! together and most of it, else a copy of just those rows, so a batch kept
//! waiting never holds a whole chunk), while a share set aside in a spill
//! file needs only its rows' text. So a chunk touching hundreds of hours
//! (shuffled input) costs one builder and one batch, not one per hour.

use arrow::array::{Array, AsArray, RecordBatch, StringArray, UInt32Array};
use arrow::compute::take_record_batch;
use chrono::{DateTime, Utc};

use crate::schema::RAW_COLUMN;

/// Rows of one hour cell in a chunk's batch.
pub(super) struct CellRows {
    /// The hour.
    pub cell: DateTime<Utc>,
    /// Row keys of the rows, in order.
    pub keys: Vec<String>,
    /// The chunk's batch (shared by every cell of the chunk).
    batch: RecordBatch,
    /// Which of its rows, in order.
    rows: Vec<u32>,
}

impl CellRows {
    /// Rows `rows` (ascending) of `batch`, whose keys are `keys`.
    pub(super) fn new(cell: DateTime<Utc>, keys: Vec<String>, batch: RecordBatch, rows: Vec<u32>) -> CellRows {
        debug_assert_eq!(keys.len(), rows.len());
        CellRows { cell, keys, batch, rows }
    }

    /// Every row of `batch` (tests).
    #[cfg(test)]
    pub(super) fn whole(cell: DateTime<Utc>, keys: Vec<String>, batch: RecordBatch) -> CellRows {
        let rows = (0..batch.num_rows() as u32).collect();
        CellRows::new(cell, keys, batch, rows)
    }

    /// How many rows.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The rows' JSON text, in order.
    pub(super) fn raws(&self) -> impl Iterator<Item = &str> {
        let raw = self.raw_column();
        self.rows.iter().map(move |&row| raw.value(row as usize))
    }

    /// Bytes of the rows' JSON text.
    pub(super) fn json_bytes(&self) -> u64 {
        let offsets = self.raw_column().value_offsets();
        self.rows.iter().map(|&row| (offsets[row as usize + 1] - offsets[row as usize]) as u64).sum()
    }

    /// The row keys and the rows as a batch of their own: a slice of the
    /// chunk's batch if they are together and at least half of it, else
    /// a copy of just these rows.
    pub(super) fn into_batch(self) -> (Vec<String>, RecordBatch) {
        let (first, count) = (self.rows.first().copied().unwrap_or(0) as usize, self.rows.len());
        let together = self.rows.last().is_none_or(|&last| last as usize + 1 - first == count);
        let batch = match together && 2 * count >= self.batch.num_rows() {
            true => self.batch.slice(first, count),
            false => take_record_batch(&self.batch, &UInt32Array::from(self.rows))
                .expect("row numbers of the batch pick rows of it"),
        };
        (self.keys, batch)
    }

    fn raw_column(&self) -> &StringArray {
        let raw = self.batch.column_by_name(RAW_COLUMN).expect("the dataset's schema has raw");
        debug_assert_eq!(raw.null_count(), 0);
        raw.as_string::<i32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;
    use crate::testing::t;

    fn record(i: usize) -> String {
        format!(r#"{{"id":"r{i}","createdDateTime":"2026-11-20T01:{i:02}:00Z"}}"#)
    }

    #[test]
    fn rows_together_are_a_slice_and_rows_apart_a_copy_of_just_them() {
        let def = by_name("signins").unwrap();
        let texts: Vec<String> = (0..6).map(record).collect();
        let batch = batch_of(def, &texts);
        let hour = t("2026-11-20T01:00:00Z");
        let share = |rows: &[u32]| {
            let keys = rows.iter().map(|r| format!("r{r}")).collect();
            CellRows::new(hour, keys, batch.clone(), rows.to_vec())
        };
        let apart = share(&[1, 3, 4]);
        assert_eq!(apart.len(), 3);
        assert_eq!(apart.raws().collect::<Vec<_>>(), [&texts[1], &texts[3], &texts[4]]);
        assert_eq!(apart.json_bytes(), (texts[1].len() + texts[3].len() + texts[4].len()) as u64);
        let (keys, rows) = apart.into_batch();
        assert_eq!(keys, ["r1", "r3", "r4"]);
        let raw = rows.column_by_name(RAW_COLUMN).unwrap().as_string::<i32>();
        assert_eq!(raw.iter().flatten().collect::<Vec<_>>(), [&texts[1], &texts[3], &texts[4]]);
        assert!(rows.get_array_memory_size() < batch.get_array_memory_size(), "a copy of just the rows");

        let (_, rows) = share(&[2, 3, 4]).into_batch();
        let raw = rows.column_by_name(RAW_COLUMN).unwrap().as_string::<i32>();
        assert_eq!(raw.iter().flatten().collect::<Vec<_>>(), [&texts[2], &texts[3], &texts[4]]);
        let shared = |b: &RecordBatch| b.column_by_name(RAW_COLUMN).unwrap().to_data().buffers()[1].as_ptr();
        assert_eq!(shared(&rows), shared(&batch), "a slice, no copy");
    }
}
