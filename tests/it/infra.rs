//! The deployment template's Glue tables describe exactly the Parquet the code
//! writes: one table per dataset, named as the dataset, whose columns (names,
//! order and Hive types, nested structs and arrays included) are derived here
//! from the Arrow schemas themselves, not from the template's generator.

use std::collections::BTreeMap;

use arrow::datatypes::{DataType, Field};
use entra_archive::arrow_schema;
use entra_archive::datasets::{self, DatasetDef};
use yaml_rust2::{Yaml, YamlLoader};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/infra/template.yaml");

/// The Hive type Athena needs to read an Arrow (Parquet) type.
fn hive(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::Struct(fields) => {
            let members: Vec<String> = fields.iter().map(|f| format!("{}:{}", f.name(), hive(f.data_type()))).collect();
            format!("struct<{}>", members.join(","))
        }
        DataType::List(item) => format!("array<{}>", hive(item.data_type())),
        other => panic!("no Hive type for {other}"),
    }
}

fn expected_columns(def: &DatasetDef) -> Vec<(String, String)> {
    arrow_schema(def).fields().iter().map(|f: &std::sync::Arc<Field>| (f.name().clone(), hive(f.data_type()))).collect()
}

/// `TableInput` of every `AWS::Glue::Table` in the template, by table name.
fn glue_tables(template: &Yaml) -> BTreeMap<String, Yaml> {
    let resources = template["Resources"].as_hash().expect("the template has Resources");
    resources
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Glue::Table"))
        .map(|r| {
            let input = r["Properties"]["TableInput"].clone();
            let name = input["Name"].as_str().expect("a Glue table's TableInput.Name is a plain string").to_string();
            (name, input)
        })
        .collect()
}

fn columns(list: &Yaml) -> Vec<(String, String)> {
    list.as_vec()
        .expect("a list of columns")
        .iter()
        .map(|c| (c["Name"].as_str().unwrap().to_string(), c["Type"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn glue_tables_match_the_parquet_schema_of_every_dataset() {
    let text = std::fs::read_to_string(TEMPLATE).expect("infra/template.yaml exists");
    let template = YamlLoader::load_from_str(&text).expect("the template is YAML").remove(0);
    let tables = glue_tables(&template);
    let names: Vec<&str> = datasets::ALL.iter().map(|d| d.name).collect();
    assert_eq!(tables.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut sorted = names.clone();
        sorted.sort();
        sorted
    });
    for def in datasets::ALL {
        let input = &tables[def.name];
        let storage = &input["StorageDescriptor"];
        let expected = expected_columns(def);
        let actual = columns(&storage["Columns"]);
        for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
            assert_eq!(e, a, "{}: column {i} differs — regenerate with infra/glue.py", def.name);
        }
        assert_eq!(actual.len(), expected.len(), "{}: column count", def.name);
        assert_eq!(columns(&input["PartitionKeys"]), vec![("date".to_string(), "date".to_string())], "{}", def.name);
        assert!(
            storage["SerdeInfo"]["SerializationLibrary"].as_str().unwrap_or("").contains("ParquetHiveSerDe"),
            "{}: Parquet SerDe",
            def.name
        );
        let parameters = &input["Parameters"];
        assert_eq!(parameters["projection.enabled"].as_str(), Some("true"), "{}: partition projection", def.name);
        assert_eq!(parameters["projection.date.type"].as_str(), Some("date"), "{}", def.name);
        assert_eq!(parameters["projection.date.format"].as_str(), Some("yyyy-MM-dd"), "{}", def.name);
    }
}

#[test]
fn hive_types_derived_from_arrow_agree_with_the_schema_document() {
    // docs/schema.md and `entra-archive datasets --glue` use the schema tree;
    // this derives from Arrow: both must give the same answer.
    for def in datasets::ALL {
        assert_eq!(datasets::doc::glue_columns(def), expected_columns(def), "{}", def.name);
    }
}
