//! Checks a sample of one dataset's records against its schema: every
//! declared property (recursively through complex types and collections)
//! has a value — non-null, and for a collection at least one element — in
//! some record, every value has its declared JSON shape,
//! and no record carries a top-level property the schema does not declare.
//!
//! Paths name properties as `a.b` and elements of a collection as `a[].b`.
//! Problems are collected, not raised, so one run lists them all.

use serde_json::Value;

use super::enums;
use super::schema::{Edm, Kind, Prop, Schema};

pub struct Check<'a> {
    schema: &'a Schema,
    /// Dataset name, for messages: `beta signIns (servicePrincipal)`.
    dataset: String,
    /// Paths Graph leaves empty in this dataset (with what is under them).
    exempt: &'a [&'a str],
    pub problems: Vec<String>,
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A record's key, for messages: its `id`, or a network access traffic
/// record's `transactionId`.
fn object_key(record: &Value) -> &Value {
    record.get("id").or_else(|| record.get("transactionId")).unwrap_or(&Value::Null)
}

/// Graph's time format: UTC, seven fractional digits, `Z`.
fn is_graph_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && b[19] == b'.'
        && b[27] == b'Z'
        && b[20..27].iter().all(u8::is_ascii_digit)
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

impl<'a> Check<'a> {
    pub fn new(schema: &'a Schema, dataset: impl Into<String>, exempt: &'a [&'a str]) -> Self {
        Check { schema, dataset: dataset.into(), exempt, problems: Vec::new() }
    }

    /// Records a problem once, however many records show it.
    fn problem(&mut self, what: String) {
        let line = format!("{}: {what}", self.dataset);
        if !self.problems.contains(&line) {
            self.problems.push(line);
        }
    }

    fn is_exempt(&self, path: &str) -> bool {
        self.exempt.iter().any(|e| {
            path == *e || path.strip_prefix(e).is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
        })
    }

    /// Checks `records` as instances of type `root`; `extras` are top-level
    /// properties allowed beyond the declared ones.
    pub fn records(&mut self, root: &str, records: &[Value], extras: &[&str]) {
        assert!(!records.is_empty(), "{}: no records to check", self.dataset);
        let props = self.schema.props(root);
        let declared: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
        for record in records {
            let object = record.as_object().expect("a record is an object");
            for key in object.keys() {
                if !declared.contains(&key.as_str()) && !extras.contains(&key.as_str()) {
                    self.problem(format!("{key} is not in the metadata (record {})", object_key(record)));
                }
            }
            for key in &declared {
                if !object.contains_key(*key) {
                    self.problem(format!("{key} is not a key of record {}", object_key(record)));
                }
            }
        }
        let objects: Vec<&Value> = records.iter().collect();
        self.walk(root, "", &objects);
    }

    fn walk(&mut self, ty: &str, path: &str, objects: &[&Value]) {
        let props: Vec<Prop> = self.schema.props(ty);
        if props.is_empty() && !objects.iter().any(|o| o.as_object().is_some_and(|m| !m.is_empty())) {
            if !self.is_exempt(path) {
                self.problem(format!("{path} (open type {ty}) is always an empty object"));
            }
            return;
        }
        for prop in &props {
            let here = if path.is_empty() { prop.name.clone() } else { format!("{path}.{}", prop.name) };
            let values: Vec<&Value> =
                objects.iter().filter_map(|o| o.get(&prop.name)).filter(|v| !v.is_null()).collect();
            let mut items = Vec::new();
            for v in &values {
                if prop.list {
                    match v.as_array() {
                        Some(list) => items.extend(list.iter().filter(|i| !i.is_null())),
                        None => self.problem(format!("{here} is {}, metadata says a collection", json_type(v))),
                    }
                } else {
                    items.push(*v);
                }
            }
            for item in &items {
                self.value(&here, &prop.kind, item);
            }
            // A collection needs an element somewhere, so its element type is
            // seen (and checked) too.
            let has_value = !items.is_empty();
            // An exemption must still be needed.
            if self.exempt.contains(&here.as_str()) && !items.is_empty() {
                self.problem(format!("{here} is exempt but has values: drop the exemption"));
            }
            if !has_value && !self.is_exempt(&here) {
                let what = if values.is_empty() { "missing" } else { "never has an element" };
                self.problem(format!("{here} {what}"));
            }
            if let Kind::Complex(inner) = &prop.kind {
                let child = if prop.list { format!("{here}[]") } else { here.clone() };
                self.walk(inner, &child, &items);
            }
        }
    }

    fn value(&mut self, path: &str, kind: &Kind, v: &Value) {
        let ok = match kind {
            Kind::Edm(Edm::String) => v.is_string(),
            Kind::Edm(Edm::Int) => v.is_i64() || v.is_u64(),
            Kind::Edm(Edm::Double) => v.is_number(),
            Kind::Edm(Edm::Bool) => v.is_boolean(),
            Kind::Edm(Edm::DateTime) => {
                if v.as_str().is_some_and(|s| !is_graph_time(s)) {
                    self.problem(format!("{path} = {v} is not Graph's time format"));
                }
                v.is_string()
            }
            Kind::Complex(_) => v.is_object(),
            Kind::Enum { name, flags } => {
                let members = enums::members(name).unwrap_or_else(|| panic!("no member list for enum {name}"));
                if let Some(s) = v.as_str() {
                    let parts: Vec<&str> = if *flags { s.split(',').collect() } else { vec![s] };
                    if parts.iter().any(|p| !members.contains(p)) {
                        self.problem(format!("{path} = \"{s}\" is not a member of {name}"));
                    }
                }
                v.is_string()
            }
        };
        if !ok {
            self.problem(format!("{path} is {}, metadata says {kind:?}", json_type(v)));
        }
    }
}
