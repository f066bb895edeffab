//! Microsoft's documented example responses (tests/fixtures/examples/, from
//! microsoft-graph-docs-contrib) converted: every value lands in its typed
//! column, equal to the JSON (timestamps to the microsecond), and every
//! property the examples send has a column.

use arrow::array::{Array, ArrayRef, AsArray, StructArray};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use serde_json::{Map, Value};

use crate::datasets::{Field, Kind, by_name, column_name};
use crate::record::parse_time;

/// Example file → the dataset whose schema its records have.
const EXAMPLES: &[(&str, &str)] = &[
    ("v1.0-signin-list-1.json", "signins"),
    ("v1.0-signin-list-2.json", "signins"),
    ("v1.0-signin-get-1.json", "signins"),
    ("beta-signin-list-1.json", "signins_noninteractive"),
    ("beta-signin-list-2.json", "signins_noninteractive"),
    ("beta-signin-get-1.json", "signins_noninteractive"),
    ("v1.0-directoryaudit-list-1.json", "directory_audits"),
    ("v1.0-directoryaudit-list-2.json", "directory_audits"),
    ("v1.0-directoryaudit-get-1.json", "directory_audits"),
    ("v1.0-provisioningobjectsummary-list-1.json", "provisioning"),
    ("v1.0-provisioningobjectsummary-list-2.json", "provisioning"),
    ("v1.0-riskdetection-list-1.json", "risk_detections"),
    ("v1.0-riskdetection-get-1.json", "risk_detections"),
    ("v1.0-identityprotectionroot-list-serviceprincipalriskdetections-1.json", "service_principal_risk_detections"),
    ("beta-auditlogroot-list-customsecurityattributeaudits-1.json", "custom_security_attribute_audits"),
    ("beta-selfservicesignup-list-1.json", "signups"),
    ("beta-networkaccess-logs-list-traffic-1.json", "network_access_traffic"),
];

/// Properties the examples send that no metadata declares (so no column
/// holds them; `raw` does): (dataset, property path, where).
const UNDECLARED: &[(&str, &str, &str)] = &[
    ("directory_audits", "targetResource", "v1.0 directoryaudit-get.md: singular, the metadata's is targetResources"),
    (
        "provisioning",
        "initiatedBy.initiatingType",
        "v1.0 provisioningobjectsummary-list.md: metadata says initiatorType",
    ),
    ("signups", "userSnapshot", "beta selfservicesignup-list.md: the beta Prod CSDL has userId instead"),
    ("network_access_traffic", "policy", "beta networkaccess-logs-list-traffic.md: not in the CSDL"),
    ("network_access_traffic", "policyRule", "beta networkaccess-logs-list-traffic.md: not in the CSDL"),
];

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A response body's records, each its exact text: a page's `value`, a bare
/// array, or one entity.
fn records(body: &str) -> Vec<&str> {
    use serde_json::value::RawValue;
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        value: Vec<&'a RawValue>,
    }
    if let Ok(page) = serde_json::from_str::<Page>(body) {
        return page.value.iter().map(|r| r.get()).collect();
    }
    match serde_json::from_str::<Vec<&RawValue>>(body) {
        Ok(items) => items.iter().map(|r| r.get()).collect(),
        Err(_) => vec![body.trim()],
    }
}

/// Parses JSON keeping the first of duplicate keys, as the archive's reader
/// does (Microsoft's beta examples repeat `homeTenantId` with two values).
fn first_wins(text: &str) -> Value {
    fn dedupe(text: &str) -> Value {
        #[derive(serde::Deserialize)]
        struct Pairs(#[serde(with = "pairs")] Vec<(String, Box<serde_json::value::RawValue>)>);
        mod pairs {
            use serde::de::{Deserializer, MapAccess, Visitor};
            pub(super) fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<Vec<(String, Box<serde_json::value::RawValue>)>, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Vec<(String, Box<serde_json::value::RawValue>)>;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        let mut out = Vec::new();
                        while let Some(entry) = map.next_entry()? {
                            out.push(entry);
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            let Pairs(pairs) = serde_json::from_str(text).expect("an example object");
            let mut object = Map::new();
            for (key, value) in pairs {
                object.entry(key).or_insert_with(|| dedupe(value.get()));
            }
            return Value::Object(object);
        }
        if trimmed.starts_with('[') {
            let items: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(text).expect("an example list");
            return Value::Array(items.iter().map(|i| dedupe(i.get())).collect());
        }
        serde_json::from_str(text).expect("an example value")
    }
    dedupe(text)
}

/// The property of `object` a field reads: its exact name, else the first
/// case-insensitive match (Graph's examples send `Type` for `type`).
fn property<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// What a column must hold for `value`: the JSON the archive's typed value
/// stands for (`Null` where the value does not fit the column's kind).
fn expected(kind: &Kind, value: Option<&Value>) -> Value {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Value::Null };
    match (kind, value) {
        (Kind::String, Value::String(_)) | (Kind::Bool, Value::Bool(_)) => value.clone(),
        (Kind::Json, v) => v.clone(),
        (Kind::Int32, Value::Number(n)) => {
            n.as_i64().and_then(|i| i32::try_from(i).ok()).map_or(Value::Null, Value::from)
        }
        (Kind::Int64, Value::Number(n)) => n.as_i64().map_or(Value::Null, Value::from),
        (Kind::Float64, Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
        (Kind::Float64, Value::String(s)) => s.trim().parse::<f64>().map_or(Value::Null, Value::from),
        (Kind::Timestamp, Value::String(s)) => parse_time(s).map_or(Value::Null, |t| Value::from(t.timestamp_micros())),
        (Kind::Struct(fields), Value::Object(o)) => {
            Value::Object(fields.iter().map(|f| (f.json.to_string(), expected(&f.kind, property(o, f.json)))).collect())
        }
        (Kind::List(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|i| expected(item, Some(i))).collect())
        }
        (Kind::List(item @ Kind::Struct(_)), Value::Object(_)) => Value::Array(vec![expected(item, Some(value))]),
        _ => Value::Null,
    }
}

/// The JSON a column's row holds.
fn actual(kind: &Kind, array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match kind {
        Kind::String => Value::from(array.as_string::<i32>().value(row)),
        Kind::Json => serde_json::from_str(array.as_string::<i32>().value(row)).expect("JSON text"),
        Kind::Bool => Value::from(array.as_boolean().value(row)),
        Kind::Int32 => Value::from(array.as_primitive::<Int32Type>().value(row)),
        Kind::Int64 => Value::from(array.as_primitive::<Int64Type>().value(row)),
        Kind::Float64 => Value::from(array.as_primitive::<Float64Type>().value(row)),
        Kind::Timestamp => Value::from(array.as_primitive::<TimestampMicrosecondType>().value(row)),
        Kind::Struct(fields) => struct_row(fields, array.as_struct(), row),
        Kind::List(item) => {
            let items = array.as_list::<i32>().value(row);
            Value::Array((0..items.len()).map(|i| actual(item, &items, i)).collect())
        }
    }
}

fn struct_row(fields: &[Field], array: &StructArray, row: usize) -> Value {
    let pairs = fields
        .iter()
        .map(|f| (f.json.to_string(), actual(&f.kind, array.column_by_name(&column_name(f.json)).unwrap(), row)));
    Value::Object(pairs.collect())
}

/// Properties of `value` (an object of `fields`) that no field reads.
fn unread(fields: &[Field], value: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(object) = value else { return };
    for (name, inner) in object {
        if name.starts_with('@') {
            continue; // OData annotations
        }
        let Some(field) = fields
            .iter()
            .find(|f| f.json == name)
            .or_else(|| fields.iter().find(|f| f.json.eq_ignore_ascii_case(name)))
        else {
            out.push(format!("{path}{name}"));
            continue;
        };
        match (&field.kind, inner) {
            (Kind::Struct(children), v) => unread(children, v, &format!("{path}{name}."), out),
            (Kind::List(Kind::Struct(children)), Value::Array(items)) => {
                items.iter().for_each(|i| unread(children, i, &format!("{path}{name}[]."), out))
            }
            _ => {}
        }
    }
}

#[test]
fn every_documented_value_lands_in_its_typed_column() {
    let mut compared = 0;
    let mut problems = Vec::new();
    for (file, dataset) in EXAMPLES {
        let def = by_name(dataset).unwrap();
        let body = fixture(file);
        // Converted from the exact text of each record, as a page gives it.
        let texts = records(&body);
        assert!(!texts.is_empty(), "{file}");
        let rows = StructArray::from(super::batch_of(def, &texts));
        for (row, text) in texts.iter().enumerate() {
            let record = &first_wins(text);
            let want = expected(&Kind::Struct(def.fields), Some(record));
            let got = struct_row(def.fields, &rows, row);
            for field in def.fields {
                let (w, g) = (&want[field.json], &got[field.json]);
                if w != g {
                    problems.push(format!("{file} record {row}: {}: expected {w}, found {g}", field.json));
                }
                compared += usize::from(!w.is_null());
            }
            let mut extra = Vec::new();
            unread(def.fields, record, "", &mut extra);
            for path in extra {
                if !UNDECLARED.iter().any(|(d, p, _)| d == dataset && *p == path) {
                    problems.push(format!("{file} record {row}: {path} has no column"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared > 300, "only {compared} values compared");
}
