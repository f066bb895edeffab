//! One record of a Graph page: its identity and its time.
//!
//! Takes the exact JSON text of a record (as Graph sent it inside a page's
//! `value` array, or as a line of an import) and reads only as far as it must
//! to find the two properties the archive cannot work without — a string
//! `id` and the dataset's time field — so a record is placed (hour cell, row
//! key) without being parsed twice. The rest of the text is read where it is
//! converted (`columns`). Also the row key and time parsing every reader of
//! the archive shares.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::datasets::DatasetDef;

/// One record read from a Graph page: its identity and time, and its text.
#[derive(Debug, Clone)]
pub(crate) struct Record<'a> {
    /// Graph's `id`.
    pub id: Cow<'a, str>,
    /// The dataset's time field.
    pub time: DateTime<Utc>,
    /// The record's JSON text, exactly as received.
    pub raw: &'a str,
}

impl<'a> Record<'a> {
    /// Reads one record's JSON text as far as it must to find a string `id`
    /// and a valid date-time in `time_field` (matched exactly, else
    /// case-insensitively): an object's text whose top level holds both.
    /// The error says which is missing. Reading stops once both are found,
    /// so the rest of the text is checked where it is converted
    /// (`columns::RowBuilder::append`) or already was (a page).
    pub(crate) fn parse(raw: &'a str, time_field: &str) -> Result<Record<'a>, String> {
        let mut head = Found { id: None, time: None, time_any_case: None, object: false };
        let mut reader = serde_json::Deserializer::from_str(raw);
        let read = Head { time_field, found: &mut head }.deserialize(&mut reader).and_then(|()| reader.end());
        match read {
            Ok(()) if !head.object => return Err("record is not a JSON object".into()),
            Ok(()) => {}
            Err(_) if head.complete() => {}
            Err(e) => return Err(format!("record is not valid JSON: {e}")),
        }
        let id = match head.id {
            Some(id) if !id.is_empty() => id,
            _ => return Err("record has no string \"id\"".into()),
        };
        let time = head
            .time
            .or(head.time_any_case)
            .and_then(|t| parse_time(&t))
            .ok_or_else(|| format!("record {id} has no valid \"{time_field}\""))?;
        Ok(Record { id, time, raw })
    }

    /// What identifies the record's row in `def`'s archive.
    pub(crate) fn key(&self, def: &DatasetDef) -> String {
        row_key(def.versioned, &self.id, self.time.timestamp_nanos_opt())
    }
}

/// Visitor methods answering `$answer` for null, booleans and numbers: the
/// visitors below look for one shape and let every other value pass.
macro_rules! pass_scalars {
    ($answer:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($answer)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($answer)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($answer)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($answer)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($answer)
        }
    };
}

/// The two properties [`Record::parse`] looks for, as found.
struct Found<'de> {
    id: Option<Cow<'de, str>>,
    time: Option<Cow<'de, str>>,
    time_any_case: Option<Cow<'de, str>>,
    /// The text is an object.
    object: bool,
}

impl Found<'_> {
    /// Both found, as a string `id` and an exactly named time: nothing
    /// later in the record can change them (the first of a name wins).
    fn complete(&self) -> bool {
        self.object && self.id.is_some() && self.time.is_some()
    }
}

/// Reads a record's top level for `id` and the time field, skipping the
/// rest, and stops (with an error the caller sees through) once both are
/// found.
struct Head<'f, 'r, 'de> {
    time_field: &'f str,
    found: &'r mut Found<'de>,
}

impl<'de> DeserializeSeed<'de> for Head<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Head<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let found = self.found;
        found.object = true;
        while let Some(name) = map.next_key_seed(Text)? {
            let Some(name) = name else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let slot = if name == "id" && found.id.is_none() {
                &mut found.id
            } else if name == self.time_field && found.time.is_none() {
                &mut found.time
            } else if name.eq_ignore_ascii_case(self.time_field) && found.time_any_case.is_none() {
                &mut found.time_any_case
            } else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            *slot = map.next_value_seed(Text)?;
            if found.complete() {
                return Err(de::Error::custom("found"));
            }
        }
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    pass_scalars!(());
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// A JSON string, borrowed unless it has escapes; any other value is `None`.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    pass_scalars!(None);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A row's identity in the archive: the record's `id`, or for a versioned
/// dataset (records updated in place) `id@<version time in ns>`, so each
/// version seen is a row and none is written twice.
pub(crate) fn row_key(versioned: bool, id: &str, version_nanos: Option<i64>) -> String {
    if versioned { format!("{id}@{}", version_nanos.unwrap_or_default()) } else { id.to_owned() }
}

/// Parses an RFC 3339 date-time (Graph sends up to 7 fractional digits).
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_without_id_or_time_are_rejected_with_the_reason() {
        let e = Record::parse(r#"{"createdDateTime":"2026-01-01T00:00:00Z"}"#, "createdDateTime").unwrap_err();
        assert!(e.contains("\"id\""), "{e}");
        let e = Record::parse(r#"{"id":"a","createdDateTime":"yesterday"}"#, "createdDateTime").unwrap_err();
        assert!(e.contains("createdDateTime"), "{e}");
        assert!(Record::parse("[1]", "createdDateTime").is_err());
        assert!(Record::parse("{\"id\":", "createdDateTime").is_err());
    }

    #[test]
    fn parse_reads_no_further_than_id_and_time() {
        // The rest is checked where the record is converted.
        let r = Record::parse(r#"{"id":"a","createdDateTime":"2026-01-01T00:00:00Z","x":"#, "createdDateTime");
        assert_eq!(r.unwrap().id, "a");
        // Only a case-insensitive match so far: an exact one may follow.
        let r = Record::parse(
            r#"{"id":"a","CreatedDateTime":"2026-01-01T00:00:00Z","createdDateTime":"2026-02-01T00:00:00Z"}"#,
            "createdDateTime",
        );
        assert_eq!(r.unwrap().time, parse_time("2026-02-01T00:00:00Z").unwrap());
        let e = Record::parse(r#"{"id":"a","CreatedDateTime":"2026-01-01T00:00:00Z","#, "createdDateTime");
        assert!(e.unwrap_err().contains("not valid JSON"));
    }
}
