//! A dataset's typed schema as Arrow sees it.
//!
//! Takes a dataset's tree of Graph properties (`datasets`) and hands on the
//! Arrow schema of its files: one column per property, named in snake_case,
//! typed by its [`Kind`], then `raw`, the record's text byte for byte. Every
//! reader and writer of the archive (conversion, Parquet, manifests, the Glue
//! tables) derives its types from here.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field as ArrowField, Fields, Schema, SchemaRef, TimeUnit};

use crate::datasets::{DatasetDef, Field, Kind, column_name};

/// Name of the column holding each record's JSON text as Graph sent it.
pub(crate) const RAW_COLUMN: &str = "raw";
/// Name of every record's identity column.
pub(crate) const ID_COLUMN: &str = "id";
/// Name of list item fields (the Parquet LIST convention).
const LIST_ITEM: &str = "element";
/// Time zone of every timestamp column.
pub(crate) const UTC: &str = "UTC";

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
        Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
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

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::datasets::ALL;

    /// Each dataset's schema as of its `schema_version`: a change to the
    /// columns without a new version (which `upgrade` needs to find the
    /// files to rewrite) fails here.
    const FINGERPRINTS: &[(&str, u32, &str)] = &[
        ("signins", 2, "1c319f2ae7e11974"),
        ("signins_noninteractive", 2, "1b85d6533bff898f"),
        ("signins_service_principal", 2, "1b85d6533bff898f"),
        ("signins_managed_identity", 2, "1b85d6533bff898f"),
        ("directory_audits", 2, "eb3a3eaba1526e6e"),
        ("provisioning", 2, "ec159dca97471f5e"),
        ("risk_detections", 2, "52b6c64d1c115a92"),
        ("service_principal_risk_detections", 2, "7d5de1eb1567e70e"),
        ("custom_security_attribute_audits", 2, "7320cc9f604dfd64"),
        ("signups", 2, "b4eabdb9409040ff"),
        ("network_access_traffic", 2, "ebd627a06a6b561b"),
    ];

    #[test]
    fn a_schema_changes_only_with_its_version() {
        let mut wrong = Vec::new();
        for def in ALL {
            let fields = format!("{:?}", def.fields);
            let print = hex::encode(&Sha256::digest(fields.as_bytes())[..8]);
            let pinned = FINGERPRINTS.iter().find(|(name, ..)| *name == def.name);
            if pinned != Some(&(def.name, def.schema_version, print.as_str())) {
                wrong.push(format!("(\"{}\", {}, \"{print}\"),", def.name, def.schema_version));
            }
        }
        assert!(
            wrong.is_empty(),
            "a schema changed: bump the dataset's schema_version (and say what changed in docs/schema.md), then pin:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn every_time_column_is_utc_microseconds() {
        fn times(data_type: &DataType, out: &mut Vec<DataType>) {
            match data_type {
                DataType::Timestamp(..) => out.push(data_type.clone()),
                DataType::Struct(fields) => fields.iter().for_each(|f| times(f.data_type(), out)),
                DataType::List(item) => times(item.data_type(), out),
                _ => {}
            }
        }
        for def in ALL {
            let mut found = Vec::new();
            arrow_schema(def).fields().iter().for_each(|f| times(f.data_type(), &mut found));
            assert!(!found.is_empty(), "{def}");
            for t in found {
                assert_eq!(t, DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())), "{def}");
            }
        }
    }
}
