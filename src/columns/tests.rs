//! Conversion checked on Microsoft's documented examples and on the shapes
//! Graph sends that the schema does not expect.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};

use super::RowBuilder;
use crate::datasets::by_name;
use crate::schema::arrow_schema;

/// The records of a Graph page, as text.
fn page_records(fixture: &str) -> Vec<String> {
    let page: serde_json::Value = serde_json::from_str(fixture).unwrap();
    page["value"].as_array().unwrap().iter().map(|v| v.to_string()).collect()
}

fn batch<S: AsRef<str>>(dataset: &str, texts: &[S]) -> RecordBatch {
    super::batch_of(by_name(dataset).unwrap(), texts)
}

#[test]
fn microsoft_signin_example_converts_to_typed_columns() {
    let records = page_records(include_str!("../../tests/fixtures/signins_v1_doc_example.json"));
    let b = batch("signins", &records);
    assert_eq!(b.num_rows(), 1);
    let time = b.column_by_name("created_date_time").unwrap().as_primitive::<TimestampMicrosecondType>();
    // 2020-03-13T19:15:41.6195833Z to the microsecond (the 7th digit is in `raw`).
    assert_eq!(time.value(0), 1_584_126_941_619_583);
    let status = b.column_by_name("status").unwrap().as_struct();
    assert_eq!(status.column_by_name("error_code").unwrap().as_primitive::<Int32Type>().value(0), 0);
    assert!(status.column_by_name("failure_reason").unwrap().is_null(0));
    let device = b.column_by_name("device_detail").unwrap().as_struct();
    assert_eq!(device.column_by_name("device_id").unwrap().as_string::<i32>().value(0), "");
    assert!(device.column_by_name("is_compliant").unwrap().is_null(0));
    let geo = b.column_by_name("location").unwrap().as_struct().column_by_name("geo_coordinates").unwrap().as_struct();
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
    assert_eq!(b.column_by_name(crate::schema::RAW_COLUMN).unwrap().as_string::<i32>().value(0), raw);
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
    use super::read::float_text;
    assert_eq!(float_text("47.5"), Some(47.5));
    assert!(float_text("NaN").unwrap().is_nan());
    assert_eq!(float_text("-INF"), Some(f64::NEG_INFINITY));
    assert_eq!(float_text("north"), None);
    let raw = r#"{"id":"x","createdDateTime":"2026-01-01T00:00:00Z","location":{"geoCoordinates":
            {"latitude":"47.5","longitude":true,"altitude":12}}}"#;
    let b = batch("signins", &[raw]);
    let geo = b.column_by_name("location").unwrap().as_struct().column_by_name("geo_coordinates").unwrap().as_struct();
    let number = |name: &str| geo.column_by_name(name).unwrap().as_primitive::<arrow::datatypes::Float64Type>().clone();
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
    let records = page_records(include_str!("../../tests/fixtures/directory_audits_v1_doc_example.json"));
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
fn a_single_object_is_a_struct_and_free_form_json_stays_json() {
    let one = r#"{"id":"p1","activityDateTime":"2026-01-01T00:00:00Z",
            "servicePrincipal":{"id":"sp","displayName":"Workday"},
            "provisioningSteps":[{"name":"EntryImport","details":{"ReferenceId":"21000"}},{"name":"x","details":null}]}"#;
    let many = r#"{"id":"p2","activityDateTime":"2026-01-01T00:00:00Z",
            "servicePrincipal":[{"id":"sp2","displayName":"Slack"}],"provisioningSteps":"none"}"#;
    let b = batch("provisioning", &[one, many]);
    let sp = b.column_by_name("service_principal").unwrap().as_struct();
    assert_eq!(sp.column_by_name("display_name").unwrap().as_string::<i32>().value(0), "Workday");
    assert!(sp.is_null(1), "a list where the metadata says one object is null (raw keeps it)");
    let steps = b.column_by_name("provisioning_steps").unwrap().as_list::<i32>();
    assert!(steps.is_null(1), "a string is not a list");
    let first = steps.value(0);
    let details = first.as_struct().column_by_name("details").unwrap().as_string::<i32>().clone();
    assert_eq!(details.value(0), r#"{"ReferenceId":"21000"}"#);
    assert!(details.is_null(1));
}

#[test]
fn empty_input_gives_an_empty_batch() {
    assert_eq!(batch::<&str>("directory_audits", &[]).num_rows(), 0);
}

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
