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

use std::fmt;
use std::sync::Arc;

use arrow::array::NullBufferBuilder;
use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListArray, RecordBatch, StringBuilder,
    StructArray, TimestampNanosecondBuilder,
};
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::convert::{UTC, list_item, parse_time, struct_fields};
use crate::datasets::{DatasetDef, Field, Kind};

/// Builds batches of one dataset's rows, a record at a time.
pub struct RowBuilder {
    schema: SchemaRef,
    fields: &'static [Field],
    /// A `Column::Struct` of the dataset's fields.
    root: Column,
    raw: StringBuilder,
    raw_bytes: usize,
    rows: usize,
}

impl RowBuilder {
    /// Builders for `def`'s columns; `schema` is `convert::arrow_schema(def)`.
    pub fn new(def: &'static DatasetDef, schema: SchemaRef) -> RowBuilder {
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
    pub fn append(&mut self, raw: &str) -> Result<(), String> {
        let mut reader = serde_json::Deserializer::from_str(raw);
        if let Err(e) = Into(&mut self.root).deserialize(&mut reader).and_then(|()| reader.end()) {
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
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is waiting.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes of JSON text appended since the last batch.
    pub fn raw_bytes(&self) -> usize {
        self.raw_bytes
    }

    /// The rows appended so far as one batch; the builders start over.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
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
    Time(TimestampNanosecondBuilder),
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
            Kind::Timestamp => Column::Time(TimestampNanosecondBuilder::new()),
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
                    map.next_value_seed(Into(&mut self.children[i]))?;
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

/// A property name, borrowed from the text unless it has escapes.
enum NameText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl NameText<'_> {
    fn as_str(&self) -> &str {
        match self {
            NameText::Borrowed(s) => s,
            NameText::Owned(s) => s,
        }
    }
}

struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = NameText<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = NameText<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(NameText::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(NameText::Owned(v.to_owned()))
    }
}

/// Reads one JSON value into a column (one row of it).
struct Into<'c>(&'c mut Column);

impl<'de> DeserializeSeed<'de> for Into<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Column::Json(b) = self.0 {
            // Free-form JSON is kept as its text.
            let text = <&RawValue>::deserialize(d)?.get();
            match text {
                "null" => b.append_null(),
                text => b.append_value(text),
            }
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Into<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.append_null();
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.0 {
            Column::Bool(b) => b.append_value(v),
            other => other.append_null(),
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.0 {
            Column::I32(b) => b.append_option(i32::try_from(v).ok()),
            Column::I64(b) => b.append_value(v),
            Column::F64(b) => b.append_value(v as f64),
            other => other.append_null(),
        }
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match self.0 {
            Column::I32(b) => b.append_option(i32::try_from(v).ok()),
            Column::I64(b) => b.append_option(i64::try_from(v).ok()),
            Column::F64(b) => b.append_value(v as f64),
            other => other.append_null(),
        }
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.0 {
            Column::F64(b) => b.append_value(v),
            other => other.append_null(),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.0 {
            Column::Str(b) => b.append_value(v),
            Column::Time(b) => b.append_option(parse_time(v).and_then(|t| t.timestamp_nanos_opt())),
            Column::F64(b) => b.append_option(float_text(v)),
            other => other.append_null(),
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.0 {
            Column::Struct(s) => s.read_object(map),
            // One object where a list of objects was expected.
            Column::List(ListColumn { item, offsets, validity, .. }) if matches!(**item, Column::Struct(_)) => {
                let Column::Struct(s) = &mut **item else { unreachable!("matched above") };
                s.read_object(map)?;
                offsets.push(offsets.last().expect("offsets start with 0") + 1);
                validity.append_non_null();
                Ok(())
            }
            other => {
                other.append_null();
                drain_map(map)
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            Column::List(ListColumn { item, offsets, validity, .. }) => {
                let mut count = 0;
                while seq.next_element_seed(Into(item))?.is_some() {
                    count += 1;
                }
                offsets.push(offsets.last().expect("offsets start with 0") + count);
                validity.append_non_null();
                Ok(())
            }
            other => {
                other.append_null();
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A number sent as text: Graph's `geoCoordinates` may send numeric strings
/// and the OData special values.
pub fn float_text(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "INF" | "Infinity" => Some(f64::INFINITY),
        "-INF" | "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.trim().parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::arrow_schema;
    use crate::datasets::by_name;
    use arrow::array::{Array, AsArray};

    #[test]
    fn text_that_breaks_halfway_adds_no_row_and_keeps_the_others() {
        let def = by_name("signins").unwrap();
        let mut rows = RowBuilder::new(def, arrow_schema(def));
        let good = |id: &str| format!(r#"{{"id":"{id}","status":{{"errorCode":{}}},"userId":"u"}}"#, id.len());
        rows.append(&good("a")).unwrap();
        let broken = r#"{"id":"b","status":{"errorCode":7,"failureReason":"#;
        assert!(rows.append(broken).unwrap_err().contains("not valid JSON"));
        rows.append(&good("cc")).unwrap();
        assert_eq!(rows.len(), 2);
        let batch = rows.finish().unwrap();
        let raw = batch.column_by_name("raw").unwrap().as_string::<i32>();
        assert_eq!(raw.iter().flatten().collect::<Vec<_>>(), vec![good("a").as_str(), good("cc").as_str()]);
        let status = batch.column_by_name("status").unwrap().as_struct();
        let codes = status.column_by_name("error_code").unwrap().as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(codes.values().to_vec(), vec![1, 2], "the broken record's 7 is gone");
        assert_eq!(status.len(), 2);
    }

    #[test]
    fn properties_in_a_new_order_still_find_their_columns() {
        let def = by_name("signins").unwrap();
        let mut rows = RowBuilder::new(def, arrow_schema(def));
        rows.append(r#"{"id":"a","userId":"u1","extra":1,"appId":"x1"}"#).unwrap();
        rows.append(r#"{"appId":"x2","extra":1,"id":"b","USERID":"u2"}"#).unwrap();
        rows.append(r#"{"id":"c","userId":"u3","extra":1,"appId":"x3"}"#).unwrap();
        let batch = rows.finish().unwrap();
        let text = |name: &str| -> Vec<String> {
            batch.column_by_name(name).unwrap().as_string::<i32>().iter().map(|v| v.unwrap().to_string()).collect()
        };
        assert_eq!(text("id"), vec!["a", "b", "c"]);
        assert_eq!(text("user_id"), vec!["u1", "u2", "u3"]);
        assert_eq!(text("app_id"), vec!["x1", "x2", "x3"]);
    }
}
