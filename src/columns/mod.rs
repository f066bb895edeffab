//! Graph records → Arrow columns in one pass over each record's text.
//!
//! Takes a dataset's schema tree and records' JSON text, and hands back Arrow
//! [`RecordBatch`]es: the typed columns plus `raw`, the text byte for byte.
//! The JSON is read straight into Arrow builders (a serde visitor per column,
//! driven by the schema), with no `serde_json::Value` tree per record; the
//! builders are reused from batch to batch. A value of an unexpected type or
//! shape never fails: its typed cell is null and `raw` keeps it. Property
//! names match exactly, else case-insensitively (Graph's own examples send
//! `Type` where the schema says `type`); of two properties matching one
//! field, the first wins.

use std::sync::Arc;

use arrow::array::NullBufferBuilder;
use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListArray, RecordBatch, StringBuilder,
    StructArray, TimestampMicrosecondBuilder,
};
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess};

use crate::datasets::{DatasetDef, Field, Kind};
use crate::schema::{UTC, list_item, struct_fields};

#[cfg(test)]
mod examples;
mod read;
#[cfg(test)]
mod tests;

use read::{IntoColumn, Name};

/// Builds batches of one dataset's rows, a record at a time.
pub(crate) struct RowBuilder {
    schema: SchemaRef,
    fields: &'static [Field],
    /// A `Column::Struct` of the dataset's fields.
    root: Column,
    raw: StringBuilder,
    raw_bytes: usize,
    rows: usize,
}

impl RowBuilder {
    /// Builders for `def`'s columns; `schema` is `schema::arrow_schema(def)`.
    pub(crate) fn new(def: &'static DatasetDef, schema: SchemaRef) -> RowBuilder {
        RowBuilder {
            schema,
            fields: def.fields,
            root: Column::Struct(StructColumn::new(def.fields)),
            raw: StringBuilder::new(),
            raw_bytes: 0,
            rows: 0,
        }
    }

    /// Appends one record, the text of a JSON object. Text that is not
    /// valid JSON is an error and adds no row (the rows before it stay).
    pub(crate) fn append(&mut self, raw: &str) -> Result<(), String> {
        let mut reader = serde_json::Deserializer::from_str(raw);
        if let Err(e) = IntoColumn(&mut self.root).deserialize(&mut reader).and_then(|()| reader.end()) {
            self.rebuild();
            return Err(format!("record is not valid JSON: {e}"));
        }
        self.raw.append_value(raw);
        self.raw_bytes += raw.len();
        self.rows += 1;
        Ok(())
    }

    /// After a record failed halfway (some columns hold a value of it, some
    /// not): starts the columns over and appends the good rows again, from
    /// their text. Rare (only text that is not JSON gets here), so simple.
    fn rebuild(&mut self) {
        let good = self.raw.finish();
        self.root = Column::Struct(StructColumn::new(self.fields));
        self.rows = 0;
        self.raw_bytes = 0;
        for text in good.iter().flatten() {
            let again = self.append(text);
            debug_assert!(again.is_ok(), "a row appended before appends again");
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes of JSON text appended since the last batch.
    pub(crate) fn raw_bytes(&self) -> usize {
        self.raw_bytes
    }

    /// The rows appended so far as one batch; the builders start over.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let Column::Struct(root) = &mut self.root else { unreachable!("the root is a struct") };
        let mut columns = root.finish_children();
        root.validity = NullBufferBuilder::new(0);
        // The next batch is likely as big: no growing the buffer again.
        let next = StringBuilder::with_capacity(self.rows, self.raw_bytes);
        columns.push(Arc::new(std::mem::replace(&mut self.raw, next).finish()));
        self.rows = 0;
        self.raw_bytes = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

/// One column's builder, shaped like its [`Kind`].
enum Column {
    Str(StringBuilder),
    Json(StringBuilder),
    Bool(BooleanBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Time(TimestampMicrosecondBuilder),
    Struct(StructColumn),
    List(ListColumn),
}

struct StructColumn {
    fields: &'static [Field],
    children: Vec<Column>,
    validity: NullBufferBuilder,
    /// Scratch: which children the current object filled. A struct never
    /// contains itself, so one row is in progress at a time.
    filled: Vec<bool>,
    /// The field the n-th property of the last object matched
    /// ([`UNKNOWN`] if none): records of one dataset list their properties
    /// in the same order, so this is nearly always right the first time.
    shape: Vec<usize>,
}

/// In [`StructColumn::shape`]: a property no field matched.
const UNKNOWN: usize = usize::MAX;

struct ListColumn {
    kind: &'static Kind,
    item: Box<Column>,
    offsets: Vec<i32>,
    validity: NullBufferBuilder,
}

impl Column {
    fn new(kind: &'static Kind) -> Column {
        match kind {
            Kind::String => Column::Str(StringBuilder::new()),
            Kind::Json => Column::Json(StringBuilder::new()),
            Kind::Bool => Column::Bool(BooleanBuilder::new()),
            Kind::Int32 => Column::I32(Int32Builder::new()),
            Kind::Int64 => Column::I64(Int64Builder::new()),
            Kind::Float64 => Column::F64(Float64Builder::new()),
            Kind::Timestamp => Column::Time(TimestampMicrosecondBuilder::new()),
            Kind::Struct(fields) => Column::Struct(StructColumn::new(fields)),
            Kind::List(item) => Column::List(ListColumn {
                kind: item,
                item: Box::new(Column::new(item)),
                offsets: vec![0],
                validity: NullBufferBuilder::new(0),
            }),
        }
    }

    fn append_null(&mut self) {
        match self {
            Column::Str(b) | Column::Json(b) => b.append_null(),
            Column::Bool(b) => b.append_null(),
            Column::I32(b) => b.append_null(),
            Column::I64(b) => b.append_null(),
            Column::F64(b) => b.append_null(),
            Column::Time(b) => b.append_null(),
            Column::Struct(s) => s.append_null(),
            Column::List(l) => {
                l.offsets.push(*l.offsets.last().expect("offsets start with 0"));
                l.validity.append_null();
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Str(b) | Column::Json(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::I32(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::Time(b) => Arc::new(b.finish().with_timezone(UTC)),
            Column::Struct(s) => {
                let len = s.validity.len();
                let nulls = s.validity.finish();
                let children = s.finish_children();
                if s.fields.is_empty() {
                    return Arc::new(StructArray::new_empty_fields(len, nulls));
                }
                Arc::new(StructArray::new(struct_fields(s.fields), children, nulls))
            }
            Column::List(l) => {
                let offsets = std::mem::replace(&mut l.offsets, vec![0]);
                let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
                Arc::new(ListArray::new(Arc::new(list_item(l.kind)), offsets, l.item.finish(), l.validity.finish()))
            }
        }
    }
}

impl StructColumn {
    fn new(fields: &'static [Field]) -> StructColumn {
        StructColumn {
            fields,
            children: fields.iter().map(|f| Column::new(&f.kind)).collect(),
            validity: NullBufferBuilder::new(0),
            filled: vec![false; fields.len()],
            shape: Vec::new(),
        }
    }

    fn append_null(&mut self) {
        self.validity.append_null();
        self.children.iter_mut().for_each(Column::append_null);
    }

    fn finish_children(&mut self) -> Vec<ArrayRef> {
        self.children.iter_mut().map(Column::finish).collect()
    }

    /// The child the `nth` property of an object, `name`, belongs to.
    fn position(&mut self, nth: usize, name: &str) -> Option<usize> {
        let fields = self.fields;
        match self.shape.get(nth) {
            Some(&i) if i != UNKNOWN && fields[i].json == name => return Some(i),
            _ => {}
        }
        let found = fields
            .iter()
            .position(|f| f.json == name)
            .or_else(|| fields.iter().position(|f| f.json.eq_ignore_ascii_case(name)));
        if nth >= self.shape.len() {
            self.shape.resize(nth + 1, UNKNOWN);
        }
        self.shape[nth] = found.unwrap_or(UNKNOWN);
        found
    }

    /// Reads one JSON object into one row.
    fn read_object<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        self.filled.iter_mut().for_each(|f| *f = false);
        let mut nth = 0;
        while let Some(name) = map.next_key_seed(Name)? {
            let position = self.position(nth, name.as_str());
            nth += 1;
            match position {
                Some(i) if !self.filled[i] => {
                    self.filled[i] = true;
                    map.next_value_seed(IntoColumn(&mut self.children[i]))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for (child, filled) in self.children.iter_mut().zip(&self.filled) {
            if !filled {
                child.append_null();
            }
        }
        self.validity.append_non_null();
        Ok(())
    }
}

/// One batch of `def`'s rows from records' text (tests of the stages after
/// conversion).
#[cfg(test)]
pub(crate) fn batch_of<S: AsRef<str>>(def: &'static DatasetDef, texts: &[S]) -> RecordBatch {
    let mut rows = RowBuilder::new(def, crate::schema::arrow_schema(def));
    texts.iter().for_each(|t| rows.append(t.as_ref()).expect("test records are JSON"));
    rows.finish().expect("a batch of the dataset's schema")
}
