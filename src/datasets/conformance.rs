//! The datasets' schemas checked against Microsoft's own metadata
//! (`tests/fixtures/graph-metadata.txt`, taken from microsoftgraph/msgraph-metadata
//! and the beta SDK models): every property of each resource, and of every
//! complex type it reaches, has a typed column of the metadata's shape.
//! A failure names the dataset and the property path.

use std::collections::HashMap;

use super::{ALL, Field, Kind};

const METADATA: &str = include_str!("../../tests/fixtures/graph-metadata.txt");

/// Where each dataset's resource is declared: the metadata section (by the
/// start of its `# ` header) and the type name there. A dataset is checked
/// against every source listed (beta `signIn` has two: the SDK models from
/// the Prod metadata, and the USNat CSDL with exact integer widths).
const SOURCES: &[(&str, &[(&str, &str)])] = &[
    ("signins", &[("v1.0 (", "microsoft.graph.signIn")]),
    ("signins_noninteractive", BETA_SIGN_IN),
    ("signins_service_principal", BETA_SIGN_IN),
    ("signins_managed_identity", BETA_SIGN_IN),
    ("directory_audits", &[("v1.0 (", "microsoft.graph.directoryAudit")]),
    ("provisioning", &[("v1.0 (", "microsoft.graph.provisioningObjectSummary")]),
    ("risk_detections", &[("v1.0 (", "microsoft.graph.riskDetection")]),
    (
        "service_principal_risk_detections",
        &[("v1.0 servicePrincipalRiskDetection", "microsoft.graph.servicePrincipalRiskDetection")],
    ),
    (
        "custom_security_attribute_audits",
        &[("beta customSecurityAttributeAudit", "microsoft.graph.customSecurityAttributeAudit")],
    ),
    ("signups", &[("beta selfServiceSignUp", "microsoft.graph.selfServiceSignUp")]),
    ("network_access_traffic", &[("beta networkAccessTraffic", "microsoft.graph.networkaccess.networkAccessTraffic")]),
];

const BETA_SIGN_IN: &[(&str, &str)] = &[
    ("beta signIn (msgraph-beta-sdk-python", "sign_in"),
    ("beta signIn (msgraph-metadata schemas/beta-USNat", "microsoft.graph.signIn"),
];

/// Columns the metadata does not declare but Microsoft's documented example
/// responses carry, so they are kept: (type, property, where Graph shows it).
const DOCUMENTED_EXTRAS: &[(&str, &str, &str)] = &[
    ("microsoft.graph.userIdentity", "userType", "v1.0 directoryaudit-list.md, example 2"),
    ("microsoft.graph.userIdentity", "homeTenantId", "v1.0 directoryaudit-list.md, example 2"),
    ("microsoft.graph.userIdentity", "homeTenantName", "v1.0 directoryaudit-list.md, example 2"),
];

/// How an undeclared column is reported.
const NOT_DECLARED: &str = "not in the metadata of";

/// One declared property.
struct Property<'m> {
    name: &'m str,
    ty: &'m str,
    kind: &'m str,
}

/// A declared type: its properties and the types derived from it.
#[derive(Default)]
struct Type<'m> {
    properties: Vec<Property<'m>>,
    derived: Vec<&'m str>,
}

/// The metadata: section header → type name → type.
struct Metadata<'m> {
    sections: Vec<(&'m str, HashMap<&'m str, Type<'m>>)>,
}

impl<'m> Metadata<'m> {
    fn parse(text: &'m str) -> Metadata<'m> {
        let mut sections: Vec<(&str, HashMap<&str, Type>)> = Vec::new();
        let mut current: Option<&str> = None;
        for line in text.lines() {
            if let Some(header) = line.strip_prefix("# ").filter(|h| !h.starts_with(' ')) {
                sections.push((header, HashMap::new()));
            } else if line.starts_with('#') {
                // An indented comment inside a section.
            } else if let Some(rest) = line.strip_prefix("== ") {
                let name = rest.split_whitespace().next().expect("a type name");
                let derived = rest
                    .split_once("derived=[")
                    .and_then(|(_, list)| list.split_once(']'))
                    .map(|(list, _)| list.split(',').map(str::trim).filter(|d| !d.is_empty()).collect())
                    .unwrap_or_default();
                sections.last_mut().expect("a section").1.insert(name, Type { properties: Vec::new(), derived });
                current = Some(name);
            } else if let Some(rest) = line.strip_prefix("   ") {
                let mut words = rest.split_whitespace();
                let (name, ty) = (words.next().expect("a name"), words.next().expect("a type"));
                let kind = words.next().expect("a kind");
                let types = &mut sections.last_mut().expect("a section").1;
                types.get_mut(current.expect("a type")).expect("declared").properties.push(Property { name, ty, kind });
            }
        }
        Metadata { sections }
    }

    fn section(&self, header: &str) -> &HashMap<&'m str, Type<'m>> {
        let found = self.sections.iter().filter(|(h, _)| h.starts_with(header)).collect::<Vec<_>>();
        assert_eq!(found.len(), 1, "one metadata section starts with {header:?}");
        &found[0].1
    }
}

/// Checks `fields` against the properties of `type_name`, recursively;
/// problems are pushed as `path: what`.
fn check(types: &HashMap<&str, Type>, type_name: &str, fields: &[Field], path: &str, problems: &mut Vec<String>) {
    let declared = properties(types, type_name);
    for property in &declared {
        let at = format!("{path}{}", property.name);
        match fields.iter().find(|f| f.json == property.name) {
            None => problems.push(format!("{at}: missing ({} {})", property.ty, property.kind)),
            Some(field) => check_kind(types, &field.kind, property.ty, property.kind, &at, problems),
        }
    }
    for field in fields {
        let documented = DOCUMENTED_EXTRAS.iter().any(|(t, p, _)| *t == type_name && *p == field.json);
        if !declared.iter().any(|p| p.name == field.json) && !documented {
            problems.push(format!("{path}{}: {NOT_DECLARED} {type_name}", field.json));
        }
    }
}

/// A type's properties; for an abstract type without any, those of the
/// types derived from it (what its values carry).
fn properties<'t, 'm>(types: &'t HashMap<&str, Type<'m>>, name: &str) -> Vec<&'t Property<'m>> {
    let declared = types.get(name).unwrap_or_else(|| panic!("{name} is declared"));
    match declared.properties.is_empty() {
        true => declared.derived.iter().flat_map(|d| properties(types, d)).collect(),
        false => declared.properties.iter().collect(),
    }
}

fn check_kind(
    types: &HashMap<&str, Type>,
    kind: &Kind,
    ty: &str,
    meta_kind: &str,
    at: &str,
    problems: &mut Vec<String>,
) {
    if let Some(item) = ty.strip_prefix("Collection(").and_then(|t| t.strip_suffix(')')) {
        match kind {
            Kind::List(inner) => check_kind(types, inner, item, meta_kind, &format!("{at}[]"), problems),
            other => problems.push(format!("{at}: a collection ({ty}) typed {other:?}")),
        }
        return;
    }
    let ok = match meta_kind {
        "enum" | "flags-enum" => matches!(kind, Kind::String),
        "type" => {
            if properties(types, ty).is_empty() {
                // An open type: kept as its JSON text.
                matches!(kind, Kind::Json)
            } else if let Kind::Struct(fields) = kind {
                check(types, ty, fields, &format!("{at}."), problems);
                true
            } else {
                false
            }
        }
        _ => match ty {
            "Edm.String" | "Edm.Guid" => matches!(kind, Kind::String),
            "Edm.Boolean" => matches!(kind, Kind::Bool),
            "Edm.Int32" => matches!(kind, Kind::Int32),
            "Edm.Int64" => matches!(kind, Kind::Int64),
            // The SDK models do not say; the CSDL listing does.
            "Edm.Int32|Int64" => matches!(kind, Kind::Int32 | Kind::Int64),
            "Edm.Double" => matches!(kind, Kind::Float64),
            "Edm.DateTimeOffset" => matches!(kind, Kind::Timestamp),
            other => panic!("{at}: no rule for {other}"),
        },
    };
    if !ok {
        problems.push(format!("{at}: {ty} ({meta_kind}) typed {kind:?}"));
    }
}

#[test]
fn every_property_in_the_metadata_has_a_column_of_its_shape() {
    let metadata = Metadata::parse(METADATA);
    let mut problems = Vec::new();
    for def in ALL {
        let (_, sources) = SOURCES
            .iter()
            .find(|(name, _)| *name == def.name)
            .unwrap_or_else(|| panic!("{}: say where its metadata is in SOURCES", def.name));
        // A column one source lacks is fine if another declares it.
        let mut extras: Option<Vec<String>> = None;
        for (header, root) in *sources {
            let mut found = Vec::new();
            check(metadata.section(header), root, def.fields, "", &mut found);
            let (extra, wrong): (Vec<String>, Vec<String>) = found.into_iter().partition(|p| p.contains(NOT_DECLARED));
            problems.extend(wrong.into_iter().map(|p| format!("{} ({header}…): {p}", def.name)));
            let path = |p: &String| p.split(':').next().unwrap_or_default().to_string();
            extras = Some(match extras {
                None => extra,
                Some(before) => before.into_iter().filter(|e| extra.iter().any(|x| path(x) == path(e))).collect(),
            });
        }
        problems.extend(extras.unwrap_or_default().into_iter().map(|p| format!("{}: {p}", def.name)));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_checker_finds_a_missing_or_mistyped_property() {
    let metadata = Metadata::parse(METADATA);
    let types = metadata.section("v1.0 (");
    const STATUS: &[Field] = &[
        super::field("errorCode", Kind::String),
        super::field("failureReason", Kind::String),
        super::field("errorKind", Kind::String),
    ];
    let mut problems = Vec::new();
    check(types, "microsoft.graph.signInStatus", STATUS, "status.", &mut problems);
    assert_eq!(
        problems,
        [
            "status.additionalDetails: missing (Edm.String edm)",
            "status.errorCode: Edm.Int32 (edm) typed String",
            "status.errorKind: not in the metadata of microsoft.graph.signInStatus",
        ]
    );
}
