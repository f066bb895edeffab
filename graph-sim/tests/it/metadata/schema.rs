//! `tests/fixtures/graph-metadata.txt` read into schemas: for v1.0 and for
//! beta, each type's properties with their JSON shape.
//!
//! The file lists types in sections (`# v1.0 …`, `# beta signIn …`); each
//! type is a `== name …` line followed by one line per property: JSON name,
//! type (`Collection(…)` for a list) and kind (`edm`, `enum`, `flags-enum`,
//! `type`). Type names are normalized to the metadata's camelCase
//! (`microsoft.graph.signInStatus`, `sign_in_status` → `signInStatus`), so
//! beta's two listings — the SDK's and the USNat CSDL's — merge into one
//! schema holding the union of their properties. An abstract type without
//! properties of its own (`derived=[…]` on its line) stands for its derived
//! types: a value has their properties.

use std::collections::BTreeMap;

/// Where the metadata lives, from graph-sim's manifest.
pub const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/graph-metadata.txt");

/// A primitive (`Edm.*`) type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edm {
    String,
    Int,
    Double,
    Bool,
    DateTime,
}

/// What one value of a property is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Edm(Edm),
    /// An enum member, or with `flags` comma-separated members.
    Enum {
        name: String,
        flags: bool,
    },
    /// A complex type (an object).
    Complex(String),
}

#[derive(Clone, Debug)]
pub struct Prop {
    pub name: String,
    /// `Collection(…)`: a JSON array of such values.
    pub list: bool,
    pub kind: Kind,
}

/// The types of one API version, by normalized name.
#[derive(Debug, Default)]
pub struct Schema {
    types: BTreeMap<String, Vec<Prop>>,
    /// Derived types, by base type.
    derived: BTreeMap<String, Vec<String>>,
}

impl Schema {
    /// The properties of type `name`: its own, or for an abstract type
    /// without any those of its derived types; none for an open type.
    pub fn props(&self, name: &str) -> Vec<Prop> {
        let own = self.types.get(name).unwrap_or_else(|| panic!("the metadata declares no type {name}"));
        let derived = self.derived.get(name).map_or(&[][..], Vec::as_slice);
        if !own.is_empty() || derived.is_empty() {
            return own.clone();
        }
        let mut props: Vec<Prop> = Vec::new();
        for d in derived {
            for p in self.props(d) {
                if !props.iter().any(|q| q.name == p.name) {
                    props.push(p);
                }
            }
        }
        props
    }

    fn add(&mut self, ty: &str, prop: Prop) {
        let props = self.types.entry(ty.to_owned()).or_default();
        match props.iter_mut().find(|p| p.name == prop.name) {
            None => props.push(prop),
            Some(p) => {
                assert_eq!(p.list, prop.list, "{ty}.{}: listings disagree on list", p.name);
                match (&mut p.kind, prop.kind) {
                    // One listing may call a flags enum plain (the CSDL marks flags on the enum).
                    (Kind::Enum { name, flags }, Kind::Enum { name: other, flags: f }) if *name == other => *flags |= f,
                    (mine, other) => assert_eq!(*mine, other, "{ty}.{}: listings disagree", p.name),
                }
            }
        }
    }
}

/// Both versions' schemas.
pub struct Metadata {
    pub v1: Schema,
    pub beta: Schema,
}

/// `microsoft.graph.signInStatus`, `agentic.agent_sign_in` → `signInStatus`, `agentSignIn`.
pub fn normalize(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut parts = last.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn edm(name: &str) -> Edm {
    match name {
        "Edm.String" => Edm::String,
        "Edm.Int32" | "Edm.Int64" | "Edm.Int32|Int64" => Edm::Int,
        "Edm.Double" => Edm::Double,
        "Edm.Boolean" => Edm::Bool,
        "Edm.DateTimeOffset" => Edm::DateTime,
        other => panic!("unknown primitive type {other}"),
    }
}

fn prop(line: &str) -> Prop {
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert!(cols.len() >= 3, "not a property line: {line}");
    let (name, ty, kind) = (cols[0], cols[1], cols[2]);
    let (list, inner) = match ty.strip_prefix("Collection(").and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, ty),
    };
    let kind = match kind {
        "edm" => Kind::Edm(edm(inner)),
        "enum" => Kind::Enum { name: normalize(inner), flags: false },
        "flags-enum" => Kind::Enum { name: normalize(inner), flags: true },
        "type" => Kind::Complex(normalize(inner)),
        other => panic!("unknown kind {other} in: {line}"),
    };
    Prop { name: name.to_owned(), list, kind }
}

/// Reads the metadata file.
pub fn load() -> Metadata {
    let text = std::fs::read_to_string(PATH).unwrap_or_else(|e| panic!("{PATH}: {e}"));
    let mut meta = Metadata { v1: Schema::default(), beta: Schema::default() };
    let mut section: Option<bool> = None; // Some(true): beta
    let mut ty: Option<String> = None;
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if comment.starts_with("v1.0") {
                section = Some(false);
            } else if comment.starts_with("beta") {
                section = Some(true);
            }
            ty = None;
        } else if let Some(header) = line.strip_prefix("== ") {
            let name = normalize(header.split_whitespace().next().expect("a type name"));
            let schema = if section.expect("a type before any section") { &mut meta.beta } else { &mut meta.v1 };
            schema.types.entry(name.clone()).or_default();
            let derived = header.split("derived=[").nth(1).and_then(|d| d.split(']').next()).unwrap_or_default();
            for d in derived.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                let list = schema.derived.entry(name.clone()).or_default();
                if !list.contains(&normalize(d)) {
                    list.push(normalize(d));
                }
            }
            ty = Some(name);
        } else if !line.trim().is_empty() {
            let name = ty.as_deref().unwrap_or_else(|| panic!("a property outside a type: {line}"));
            let schema = if section == Some(true) { &mut meta.beta } else { &mut meta.v1 };
            schema.add(name, prop(line));
        }
    }
    meta
}
