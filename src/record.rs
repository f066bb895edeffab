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
    #[cfg(test)]
    pub(crate) fn parse(raw: &'a str, time_field: &str) -> Result<Record<'a>, String> {
        Record::parse_keyed(raw, "id", time_field)
    }

    /// A record of `def`: identified by its key property (`id`, or
    /// `transactionId` for traffic logs) and placed by its time field.
    pub(crate) fn of(raw: &'a str, def: &DatasetDef) -> Result<Record<'a>, String> {
        Record::parse_keyed(raw, def.key, def.time_field)
    }

    /// [`parse`](Self::parse) with another key property than `id`.
    pub(crate) fn parse_keyed(raw: &'a str, key_field: &str, time_field: &str) -> Result<Record<'a>, String> {
        let mut head = Found { id: None, time: None, time_any_case: None, object: false };
        let mut reader = serde_json::Deserializer::from_str(raw);
        let read =
            Head { key_field, time_field, found: &mut head }.deserialize(&mut reader).and_then(|()| reader.end());
        match read {
            Ok(()) if !head.object => return Err("record is not a JSON object".into()),
            Ok(()) => {}
            Err(_) if head.complete() => {}
            Err(e) => return Err(format!("record is not valid JSON: {e}")),
        }
        let id = match head.id {
            Some(id) if !id.is_empty() => id,
            _ => return Err(format!("record has no string \"{key_field}\"")),
        };
        let text = head.time.or(head.time_any_case);
        let time =
            text.as_deref().and_then(parse_time).ok_or_else(|| format!("record {id} has no valid \"{time_field}\""))?;
        check_instant(time).map_err(|problem| {
            format!("record {id}: \"{time_field}\" {} is {problem}", text.as_deref().unwrap_or_default())
        })?;
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
    key_field: &'f str,
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
            let slot = if name == self.key_field && found.id.is_none() {
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

/// Earliest record time the archive takes (Entra's logs begin long after).
pub(crate) const EARLIEST: DateTime<Utc> = DateTime::from_timestamp_nanos(946_684_800_000_000_000); // 2000-01-01
/// The first record time the archive no longer takes.
pub(crate) const LATEST: DateTime<Utc> = DateTime::from_timestamp_nanos(4_102_444_800_000_000_000); // 2100-01-01

/// Whether `t` can place a record: a real instant (not a leap second, which
/// would land in a second copy of its hour's cell) between [`EARLIEST`] and
/// [`LATEST`]. The problem, in words, if not.
pub(crate) fn check_instant(t: DateTime<Utc>) -> Result<(), String> {
    if t.timestamp_subsec_nanos() >= 1_000_000_000 {
        return Err("a leap second, which is not an instant the archive can place".into());
    }
    if !(EARLIEST..LATEST).contains(&t) {
        return Err(format!(
            "outside {} to {}, the times the archive takes",
            EARLIEST.date_naive(),
            LATEST.date_naive()
        ));
    }
    Ok(())
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

#[cfg(test)]
mod fuzz {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::datasets::by_name;
    use crate::layout;

    /// A string shaped like an RFC 3339 time, with every field free to be out
    /// of range (years 0000–9999, hour 24, second 60, 0–12 fraction digits,
    /// odd zones).
    fn rfc3339ish(rng: &mut StdRng) -> String {
        // Mostly plausible, often not: each field in its usual range 3 times in 4.
        let mut n = |usual: (u32, u32), max: u32, width: usize| {
            let v = if rng.random_range(0..4) > 0 {
                rng.random_range(usual.0..=usual.1)
            } else {
                rng.random_range(0..=max)
            };
            format!("{v:0width$}")
        };
        let (y, mo, d) = (n((1995, 2105), 9999, 4), n((1, 12), 19, 2), n((1, 28), 39, 2));
        let (h, mi, s) = (n((0, 23), 29, 2), n((0, 59), 69, 2), n((0, 59), 69, 2));
        let digits = rng.random_range(0..=12);
        let fraction: String = (0..digits).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
        let fraction = if digits > 0 { format!(".{fraction}") } else { String::new() };
        let zone = ["Z", "+00:00", "-23:59", "+14:00", "+24:00", "z", "", " Z"][rng.random_range(0..8)];
        format!("{y}-{mo}-{d}T{h}:{mi}:{s}{fraction}{zone}")
    }

    /// Issue 14, findings 3 and 4: no time text panics the time parser or
    /// the functions that place a record (cell, partition, key), and a
    /// record is accepted only at a real instant in the archive's range.
    #[test]
    fn no_time_text_panics_and_only_real_instants_place_records() {
        let mut rng = StdRng::seed_from_u64(14);
        let def = by_name("risk_detections").unwrap();
        let mut accepted = 0;
        for _ in 0..50_000 {
            let text = rfc3339ish(&mut rng);
            let Some(t) = parse_time(&text) else { continue };
            let cell = layout::cell_of(t);
            let _ = (layout::partition_dir(def.name, cell), layout::data_key(def.name, cell, 0, "t"));
            let _ = row_key(true, "id", t.timestamp_nanos_opt());
            let raw = format!(r#"{{"id":"a","lastUpdatedDateTime":"{text}"}}"#);
            match Record::parse(&raw, def.time_field) {
                Ok(record) => {
                    accepted += 1;
                    assert!(check_instant(record.time).is_ok(), "{text}");
                    let cell = layout::cell_of(record.time);
                    assert!(cell <= record.time && record.time < cell + layout::CELL, "{text}");
                    assert_eq!(
                        layout::partition_dir(def.name, cell),
                        layout::partition_dir(def.name, cell_of_day(record.time)),
                        "{text}"
                    );
                }
                Err(e) => assert!(check_instant(t).is_err(), "{text} refused: {e}"),
            }
        }
        assert!(accepted > 500, "only {accepted} times accepted: the generator is too wild");
    }

    fn cell_of_day(t: DateTime<Utc>) -> DateTime<Utc> {
        t.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn leap_seconds_and_times_out_of_range_are_refused_with_the_reason() {
        let parse = |at: &str| {
            let raw = format!(r#"{{"id":"a","createdDateTime":"{at}"}}"#);
            Record::parse(&raw, "createdDateTime").map(|r| r.time)
        };
        assert!(parse("2026-11-24T10:59:60Z").unwrap_err().contains("leap second"));
        assert!(parse("1600-01-01T00:00:00Z").unwrap_err().contains("outside"));
        assert!(parse("9999-01-01T00:00:00Z").unwrap_err().contains("outside"));
        assert!(parse("2026-11-24T24:00:00Z").is_err());
        assert_eq!(parse("2026-11-24T10:59:59.9999999Z").unwrap().timestamp(), 1795517999);
    }
}
