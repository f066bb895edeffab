//! Reading JSON into the column builders: a serde visitor per column,
//! driven by the column's kind. A value of an unexpected type or shape
//! appends a null (and is skipped); only text that is not JSON fails.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Column, ListColumn};
use crate::record::parse_time;

/// A property name, borrowed from the text unless it has escapes.
pub(super) enum NameText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl NameText<'_> {
    pub(super) fn as_str(&self) -> &str {
        match self {
            NameText::Borrowed(s) => s,
            NameText::Owned(s) => s,
        }
    }
}

pub(super) struct Name;

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
pub(super) struct IntoColumn<'c>(pub(super) &'c mut Column);

impl<'de> DeserializeSeed<'de> for IntoColumn<'_> {
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

impl<'de> Visitor<'de> for IntoColumn<'_> {
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
            Column::Time(b) => b.append_option(parse_time(v).map(|t| t.timestamp_micros())),
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
                while seq.next_element_seed(IntoColumn(item))?.is_some() {
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
pub(super) fn float_text(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "INF" | "Infinity" => Some(f64::INFINITY),
        "-INF" | "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.trim().parse().ok(),
    }
}
