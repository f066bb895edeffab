//! Graph records → Arrow record batches.
//!
//! Takes the exact JSON text of each record (as Graph sent it inside a page's
//! `value` array) and a dataset's schema tree, and hands on one Arrow
//! [`RecordBatch`] whose columns are the typed fields plus `raw`, the record's
//! text byte for byte. A value of an unexpected type or shape never fails the
//! conversion: its typed cell is null and `raw` keeps it. Only the two
//! properties the archive cannot work without — `id` and the dataset's time
//! field — are checked, by [`Record::parse`].

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    TimestampNanosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field as ArrowField, Fields, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::datasets::{DatasetDef, Field, Kind, column_name};

/// Name of the column holding each record's JSON text as Graph sent it.
pub const RAW_COLUMN: &str = "raw";
/// Name of every record's identity column.
pub const ID_COLUMN: &str = "id";
/// Name of list item fields (the Parquet LIST convention).
const LIST_ITEM: &str = "element";
/// Time zone of every timestamp column.
const UTC: &str = "UTC";

/// One record read from a Graph page.
#[derive(Debug, Clone)]
pub struct Record {
    /// Graph's `id`.
    pub id: String,
    /// The dataset's time field.
    pub time: DateTime<Utc>,
    /// The record's JSON text, exactly as received.
    pub raw: String,
    /// The parsed record.
    pub value: Value,
}

impl Record {
    /// Parses one record's JSON text, requiring a string `id` and a valid
    /// date-time in `time_field`. The error says which is missing.
    pub fn parse(raw: &str, time_field: &str) -> Result<Record, String> {
        let value: Value = serde_json::from_str(raw).map_err(|e| format!("record is not valid JSON: {e}"))?;
        let object = value.as_object().ok_or("record is not a JSON object")?;
        let id = match object.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err("record has no string \"id\"".into()),
        };
        let time = lookup(object, time_field)
            .and_then(Value::as_str)
            .and_then(parse_time)
            .ok_or_else(|| format!("record {id} has no valid \"{time_field}\""))?;
        Ok(Record { id, time, raw: raw.to_owned(), value })
    }
}

impl Record {
    /// What identifies the record's row in `def`'s archive.
    pub fn key(&self, def: &DatasetDef) -> String {
        row_key(def.versioned, &self.id, self.time.timestamp_nanos_opt())
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

fn struct_fields(fields: &[Field]) -> Fields {
    fields.iter().map(arrow_field).collect()
}

fn list_item(item: &Kind) -> ArrowField {
    ArrowField::new(LIST_ITEM, data_type(item), true)
}

/// Converts records into one batch with `schema` (from [`arrow_schema`] for
/// the same `def`), rows in the order given.
pub fn to_batch(def: &DatasetDef, schema: &SchemaRef, records: &[Record]) -> Result<RecordBatch, ArrowError> {
    let mut columns: Vec<ArrayRef> = def
        .fields
        .iter()
        .map(|field| {
            let values: Vec<Option<&Value>> =
                records.iter().map(|r| r.value.as_object().and_then(|o| lookup(o, field.json))).collect();
            build(&field.kind, &values)
        })
        .collect();
    columns.push(Arc::new(StringArray::from_iter_values(records.iter().map(|r| r.raw.as_str()))));
    RecordBatch::try_new(schema.clone(), columns)
}

/// Finds a property by its exact name, else by a case-insensitive match
/// (Graph's own examples send `Type` where the schema says `type`).
fn lookup<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

fn build(kind: &Kind, values: &[Option<&Value>]) -> ArrayRef {
    match kind {
        Kind::String => Arc::new(values.iter().map(|v| v.and_then(Value::as_str)).collect::<StringArray>()),
        Kind::Bool => Arc::new(values.iter().map(|v| v.and_then(Value::as_bool)).collect::<BooleanArray>()),
        Kind::Int32 => Arc::new(
            values
                .iter()
                .map(|v| v.and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()))
                .collect::<Int32Array>(),
        ),
        Kind::Int64 => Arc::new(values.iter().map(|v| v.and_then(Value::as_i64)).collect::<Int64Array>()),
        Kind::Float64 => Arc::new(values.iter().map(|v| v.and_then(float)).collect::<Float64Array>()),
        Kind::Timestamp => Arc::new(
            values
                .iter()
                .map(|v| v.and_then(Value::as_str).and_then(parse_time).and_then(|t| t.timestamp_nanos_opt()))
                .collect::<TimestampNanosecondArray>()
                .with_timezone(UTC),
        ),
        Kind::Json => Arc::new(
            values
                .iter()
                .map(|v| v.filter(|v| !v.is_null()).map(|v| serde_json::to_string(v).expect("a Value serialises")))
                .collect::<StringArray>(),
        ),
        Kind::Struct(fields) => build_struct(fields, values),
        Kind::List(item) => build_list(item, values),
    }
}

/// Numbers as numbers; Graph's `geoCoordinates` may also send numeric strings
/// and the OData special values.
fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "INF" | "Infinity" => Some(f64::INFINITY),
            "-INF" | "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        _ => None,
    }
}

fn build_struct(fields: &'static [Field], values: &[Option<&Value>]) -> ArrayRef {
    let objects: Vec<Option<&Map<String, Value>>> = values.iter().map(|v| v.and_then(Value::as_object)).collect();
    let children: Vec<ArrayRef> = fields
        .iter()
        .map(|field| {
            let child: Vec<Option<&Value>> = objects.iter().map(|o| o.and_then(|o| lookup(o, field.json))).collect();
            build(&field.kind, &child)
        })
        .collect();
    let nulls = NullBuffer::from_iter(objects.iter().map(Option::is_some));
    if fields.is_empty() {
        return Arc::new(StructArray::new_empty_fields(values.len(), Some(nulls)));
    }
    Arc::new(StructArray::new(struct_fields(fields), children, Some(nulls)))
}

fn build_list(item: &'static Kind, values: &[Option<&Value>]) -> ArrayRef {
    let mut items: Vec<Option<&Value>> = Vec::new();
    let mut lengths: Vec<usize> = Vec::with_capacity(values.len());
    let mut valid: Vec<bool> = Vec::with_capacity(values.len());
    for value in values {
        match value {
            Some(Value::Array(array)) => {
                items.extend(array.iter().map(Some));
                lengths.push(array.len());
                valid.push(true);
            }
            // One object where a list of objects was expected.
            Some(object @ Value::Object(_)) if matches!(item, Kind::Struct(_)) => {
                items.push(Some(object));
                lengths.push(1);
                valid.push(true);
            }
            _ => {
                lengths.push(0);
                valid.push(false);
            }
        }
    }
    let child = build(item, &items);
    Arc::new(ListArray::new(
        Arc::new(list_item(item)),
        OffsetBuffer::from_lengths(lengths),
        child,
        Some(NullBuffer::from(valid)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, TimestampNanosecondType};

    fn page_records(fixture: &str, time_field: &str) -> Vec<Record> {
        let page: Value = serde_json::from_str(fixture).unwrap();
        page["value"].as_array().unwrap().iter().map(|v| Record::parse(&v.to_string(), time_field).unwrap()).collect()
    }

    fn batch(dataset: &str, records: &[Record]) -> RecordBatch {
        let def = by_name(dataset).unwrap();
        to_batch(def, &arrow_schema(def), records).unwrap()
    }

    #[test]
    fn microsoft_signin_example_converts_to_typed_columns() {
        let records = page_records(include_str!("../tests/fixtures/signins_v1_doc_example.json"), "createdDateTime");
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
        let b = batch("signins", &[Record::parse(raw, "createdDateTime").unwrap()]);
        assert_eq!(b.column_by_name(RAW_COLUMN).unwrap().as_string::<i32>().value(0), raw);
    }

    #[test]
    fn unexpected_shapes_become_nulls_not_errors() {
        let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z",
            "isInteractive":"yes","status":"failed","location":{"geoCoordinates":{}},
            "riskEventTypes":"none","appliedConditionalAccessPolicies":[{"id":7,"enforcedGrantControls":"Mfa"}],
            "deviceDetail":null}"#;
        let b = batch("signins", &[Record::parse(raw, "createdDateTime").unwrap()]);
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
        assert_eq!(float(&Value::from("47.5")), Some(47.5));
        assert!(float(&Value::from("NaN")).unwrap().is_nan());
        assert_eq!(float(&Value::from("-INF")), Some(f64::NEG_INFINITY));
        assert_eq!(float(&Value::from("north")), None);
        assert_eq!(float(&Value::Bool(true)), None);
    }

    #[test]
    fn out_of_range_integers_are_null() {
        let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z","status":{"errorCode":9999999999}}"#;
        let b = batch("signins", &[Record::parse(raw, "createdDateTime").unwrap()]);
        let status = b.column_by_name("status").unwrap().as_struct();
        assert!(status.column_by_name("error_code").unwrap().is_null(0));
    }

    #[test]
    fn audit_example_tolerates_capitalised_keys_and_json_in_strings() {
        let records =
            page_records(include_str!("../tests/fixtures/directory_audits_v1_doc_example.json"), "activityDateTime");
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
        let records: Vec<Record> = [one, many].iter().map(|r| Record::parse(r, "activityDateTime").unwrap()).collect();
        let b = batch("provisioning", &records);
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
    fn empty_input_gives_an_empty_batch() {
        assert_eq!(batch("directory_audits", &[]).num_rows(), 0);
    }
}
