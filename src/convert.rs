//! Graph records → Arrow record batches.
//!
//! Takes the exact JSON text of each record (as Graph sent it inside a page's
//! `value` array) and a dataset's schema tree, and hands on one Arrow
//! [`RecordBatch`] whose columns are the typed fields plus `raw`, the record's
//! text byte for byte. A value of an unexpected type or shape never fails the
//! conversion: its typed cell is null and `raw` keeps it. Only the two
//! properties the archive cannot work without — `id` and the dataset's time
//! field — are checked, by [`Record::parse`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field as ArrowField, Fields, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::columns::RowBuilder;
use crate::datasets::{DatasetDef, Field, Kind, column_name};

/// Name of the column holding each record's JSON text as Graph sent it.
pub const RAW_COLUMN: &str = "raw";
/// Name of every record's identity column.
pub const ID_COLUMN: &str = "id";
/// Name of list item fields (the Parquet LIST convention).
const LIST_ITEM: &str = "element";
/// Time zone of every timestamp column.
pub(crate) const UTC: &str = "UTC";

/// One record read from a Graph page: its identity and time, and its text.
#[derive(Debug, Clone)]
pub struct Record<'a> {
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
    /// ([`crate::columns::RowBuilder::append`]) or already was (a page).
    pub fn parse(raw: &'a str, time_field: &str) -> Result<Record<'a>, String> {
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
    pub fn key(&self, def: &DatasetDef) -> String {
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
pub fn row_key(versioned: bool, id: &str, version_nanos: Option<i64>) -> String {
    if versioned { format!("{id}@{}", version_nanos.unwrap_or_default()) } else { id.to_owned() }
}

/// Parses an RFC 3339 date-time (Graph sends up to 7 fractional digits).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// The Arrow schema of a dataset: its typed columns, then `raw`.
pub fn arrow_schema(def: &DatasetDef) -> SchemaRef {
    let mut fields: Vec<ArrowField> = def.fields.iter().map(arrow_field).collect();
    fields.push(ArrowField::new(RAW_COLUMN, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

fn arrow_field(field: &Field) -> ArrowField {
    ArrowField::new(column_name(field.json), data_type(&field.kind), true)
}

fn data_type(kind: &Kind) -> DataType {
    match kind {
        Kind::String | Kind::Json => DataType::Utf8,
        Kind::Bool => DataType::Boolean,
        Kind::Int32 => DataType::Int32,
        Kind::Int64 => DataType::Int64,
        Kind::Float64 => DataType::Float64,
        Kind::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some(UTC.into())),
        Kind::Struct(fields) => DataType::Struct(struct_fields(fields)),
        Kind::List(item) => DataType::List(Arc::new(list_item(item))),
    }
}

pub(crate) fn struct_fields(fields: &[Field]) -> Fields {
    fields.iter().map(arrow_field).collect()
}

pub(crate) fn list_item(item: &Kind) -> ArrowField {
    ArrowField::new(LIST_ITEM, data_type(item), true)
}

/// Converts records into one batch with `schema` (from [`arrow_schema`] for
/// the same `def`), rows in the order given; a record whose text is not
/// JSON is an error.
pub fn to_batch(def: &'static DatasetDef, schema: &SchemaRef, records: &[Record]) -> Result<RecordBatch, ArrowError> {
    let mut rows = RowBuilder::new(def, schema.clone());
    for record in records {
        rows.append(record.raw).map_err(ArrowError::InvalidArgumentError)?;
    }
    rows.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, TimestampNanosecondType};

    /// The records of a Graph page, as text.
    fn page_records(fixture: &str) -> Vec<String> {
        let page: serde_json::Value = serde_json::from_str(fixture).unwrap();
        page["value"].as_array().unwrap().iter().map(|v| v.to_string()).collect()
    }

    fn batch<S: AsRef<str>>(dataset: &str, texts: &[S]) -> RecordBatch {
        let def = by_name(dataset).unwrap();
        let records: Vec<Record> = texts.iter().map(|t| Record::parse(t.as_ref(), def.time_field).unwrap()).collect();
        to_batch(def, &arrow_schema(def), &records).unwrap()
    }

    #[test]
    fn microsoft_signin_example_converts_to_typed_columns() {
        let records = page_records(include_str!("../tests/fixtures/signins_v1_doc_example.json"));
        let b = batch("signins", &records);
        assert_eq!(b.num_rows(), 1);
        let time = b.column_by_name("created_date_time").unwrap().as_primitive::<TimestampNanosecondType>();
        // 2020-03-13T19:15:41.6195833Z, all seven digits kept.
        assert_eq!(time.value(0), 1_584_126_941_619_583_300);
        let status = b.column_by_name("status").unwrap().as_struct();
        assert_eq!(status.column_by_name("error_code").unwrap().as_primitive::<Int32Type>().value(0), 0);
        assert!(status.column_by_name("failure_reason").unwrap().is_null(0));
        let device = b.column_by_name("device_detail").unwrap().as_struct();
        assert_eq!(device.column_by_name("device_id").unwrap().as_string::<i32>().value(0), "");
        assert!(device.column_by_name("is_compliant").unwrap().is_null(0));
        let geo =
            b.column_by_name("location").unwrap().as_struct().column_by_name("geo_coordinates").unwrap().as_struct();
        assert!(geo.column_by_name("altitude").unwrap().is_null(0));
        assert_eq!(
            geo.column_by_name("latitude").unwrap().as_primitive::<arrow::datatypes::Float64Type>().value(0),
            47.68050003051758
        );
        let policies = b.column_by_name("applied_conditional_access_policies").unwrap().as_list::<i32>();
        assert_eq!(policies.value_length(0), 2);
        let policy = policies.value(0);
        let names = policy.as_struct().column_by_name("display_name").unwrap().as_string::<i32>().clone();
        assert_eq!(names.value(1), "Medium signin risk block");
        assert!(b.column_by_name("risk_event_types_v2").unwrap().is_null(0), "absent list is null");
        assert_eq!(b.column_by_name("risk_event_types").unwrap().as_list::<i32>().value_length(0), 0);
    }

    #[test]
    fn raw_column_is_the_exact_text() {
        let raw = r#"{"id":"a","createdDateTime":"2026-01-01T00:00:00Z",  "userDisplayName":"Zoë \u00c5"}"#;
        let b = batch("signins", &[raw]);
        assert_eq!(b.column_by_name(RAW_COLUMN).unwrap().as_string::<i32>().value(0), raw);
    }

    #[test]
    fn unexpected_shapes_become_nulls_not_errors() {
        let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z",
            "isInteractive":"yes","status":"failed","location":{"geoCoordinates":{}},
            "riskEventTypes":"none","appliedConditionalAccessPolicies":[{"id":7,"enforcedGrantControls":"Mfa"}],
            "deviceDetail":null}"#;
        let b = batch("signins", &[raw]);
        assert!(b.column_by_name("is_interactive").unwrap().is_null(0));
        assert!(b.column_by_name("status").unwrap().is_null(0));
        assert!(b.column_by_name("device_detail").unwrap().is_null(0));
        assert!(b.column_by_name("risk_event_types").unwrap().is_null(0));
        let location = b.column_by_name("location").unwrap().as_struct();
        assert!(location.is_valid(0));
        let geo = location.column_by_name("geo_coordinates").unwrap().as_struct();
        assert!(geo.is_valid(0), "{{}} is an object with null members");
        assert!(geo.column_by_name("latitude").unwrap().is_null(0));
        let policies = b.column_by_name("applied_conditional_access_policies").unwrap().as_list::<i32>();
        let policy = policies.value(0);
        assert!(policy.as_struct().column_by_name("id").unwrap().is_null(0));
        assert!(policy.as_struct().column_by_name("enforced_grant_controls").unwrap().is_null(0));
    }

    #[test]
    fn numbers_in_strings_and_odata_specials_parse_as_floats() {
        use crate::columns::float_text;
        assert_eq!(float_text("47.5"), Some(47.5));
        assert!(float_text("NaN").unwrap().is_nan());
        assert_eq!(float_text("-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(float_text("north"), None);
        let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z","location":{"geoCoordinates":
            {"latitude":"47.5","longitude":true,"altitude":12}}}"#;
        let b = batch("signins", &[raw]);
        let geo =
            b.column_by_name("location").unwrap().as_struct().column_by_name("geo_coordinates").unwrap().as_struct();
        let number =
            |name: &str| geo.column_by_name(name).unwrap().as_primitive::<arrow::datatypes::Float64Type>().clone();
        assert_eq!(number("latitude").value(0), 47.5);
        assert!(number("longitude").is_null(0));
        assert_eq!(number("altitude").value(0), 12.0);
    }

    #[test]
    fn out_of_range_integers_are_null() {
        let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z","status":{"errorCode":9999999999}}"#;
        let b = batch("signins", &[raw]);
        let status = b.column_by_name("status").unwrap().as_struct();
        assert!(status.column_by_name("error_code").unwrap().is_null(0));
    }

    #[test]
    fn audit_example_tolerates_capitalised_keys_and_json_in_strings() {
        let records = page_records(include_str!("../tests/fixtures/directory_audits_v1_doc_example.json"));
        let b = batch("directory_audits", &records);
        let targets = b.column_by_name("target_resources").unwrap().as_list::<i32>().value(0);
        let types = targets.as_struct().column_by_name("type").unwrap().as_string::<i32>().clone();
        assert_eq!(types.value(0), "N/A");
        assert_eq!(types.value(1), "Group", "\"Type\" matched case-insensitively");
        let initiated = b.column_by_name("initiated_by").unwrap().as_struct();
        assert!(initiated.column_by_name("app").unwrap().is_null(0));
        let user = initiated.column_by_name("user").unwrap().as_struct();
        assert_eq!(user.column_by_name("ip_address").unwrap().as_string::<i32>().value(0), "10.0.0.0");
        let modified = targets.as_struct().column_by_name("modified_properties").unwrap().as_list::<i32>().value(1);
        let new_value = modified.as_struct().column_by_name("new_value").unwrap().as_string::<i32>().clone();
        assert_eq!(new_value.value(0), "\"DirectorySync\"");
    }

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
    fn a_single_object_is_a_one_item_list_and_free_form_json_stays_json() {
        let one = r#"{"id":"p1","activityDateTime":"2026-01-01T00:00:00Z",
            "servicePrincipal":{"id":"sp","displayName":"Workday"},
            "provisioningSteps":[{"name":"EntryImport","details":{"ReferenceId":"21000"}},{"name":"x","details":null}]}"#;
        let many = r#"{"id":"p2","activityDateTime":"2026-01-01T00:00:00Z",
            "servicePrincipal":[{"id":"sp2","displayName":"Slack"}],"provisioningSteps":"none"}"#;
        let b = batch("provisioning", &[one, many]);
        let sp = b.column_by_name("service_principal").unwrap().as_list::<i32>();
        for (row, name) in [(0, "Workday"), (1, "Slack")] {
            assert_eq!(sp.value_length(row), 1);
            let item = sp.value(row);
            assert_eq!(item.as_struct().column_by_name("display_name").unwrap().as_string::<i32>().value(0), name);
        }
        let steps = b.column_by_name("provisioning_steps").unwrap().as_list::<i32>();
        assert!(steps.is_null(1), "a string is not a list");
        let first = steps.value(0);
        let details = first.as_struct().column_by_name("details").unwrap().as_string::<i32>().clone();
        assert_eq!(details.value(0), r#"{"ReferenceId":"21000"}"#);
        assert!(details.is_null(1));
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

    #[test]
    fn empty_input_gives_an_empty_batch() {
        assert_eq!(batch::<&str>("directory_audits", &[]).num_rows(), 0);
    }
}
