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
