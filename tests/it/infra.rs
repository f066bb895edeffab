//! The deployment template, read as CloudFormation would read it.
//!
//! Its Glue tables describe exactly the Parquet the code writes: one table per
//! dataset, named as the dataset, whose columns (names, order and Hive types,
//! nested structs and arrays included) are derived here from the Arrow schemas
//! themselves, not from the template's generator.
//!
//! Its sign-in choices hold what they promise once the conditions are decided
//! for a set of parameter values (`render`): `Credential=federation` has no
//! secret, no Secrets Manager permission, and a role that may get a web
//! identity token only for Entra; `secret` and `certificate` are today's stack.

use std::collections::BTreeMap;

use arrow::datatypes::{DataType, Field};
use entra_archive::arrow_schema;
use entra_archive::datasets::{self, DatasetDef};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::yaml::Hash;
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

// --- The sign-in choices ------------------------------------------------------------------

const TENANT: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";
const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";
const ISSUER: &str = "https://0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.tokens.sts.global.api.aws";
const ENTRA_AUDIENCE: &str = "api://AzureADTokenExchange";

fn federation(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut values =
        vec![("Credential", "federation"), ("TenantId", TENANT), ("ClientId", CLIENT), ("FederationIssuer", ISSUER)];
    values.extend_from_slice(extra);
    values
}

/// The template with CloudFormation's short forms kept: `!Ref X` becomes
/// `{Ref: X}`, `!Condition C` `{Condition: C}`, any other `!F …` `{Fn::F: …}`
/// (`YamlLoader` drops tags, and with them which function a node is).
fn template_with_functions() -> Yaml {
    /// A mapping or sequence being read, with the function its tag names.
    struct Open {
        map: Option<Hash>,
        list: Vec<Yaml>,
        key: Option<Yaml>,
        function: Option<String>,
    }
    #[derive(Default)]
    struct Loader {
        open: Vec<Open>,
        document: Option<Yaml>,
    }
    fn function(node: Yaml, tag: Option<String>) -> Yaml {
        let Some(name) = tag else { return node };
        let key = if name == "Ref" || name == "Condition" { name } else { format!("Fn::{name}") };
        Yaml::Hash(Hash::from_iter([(Yaml::String(key), node)]))
    }
    impl Loader {
        fn value(&mut self, node: Yaml) {
            match self.open.last_mut() {
                None => self.document = Some(node),
                Some(Open { map: None, list, .. }) => list.push(node),
                Some(Open { map: Some(map), key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => {
                        map.insert(k, node);
                    }
                },
            }
        }
        fn open(&mut self, map: Option<Hash>, function: Option<String>) {
            self.open.push(Open { map, list: Vec::new(), key: None, function });
        }
    }
    impl MarkedEventReceiver for Loader {
        fn on_event(&mut self, event: Event, _: Marker) {
            let local = |tag: Option<yaml_rust2::parser::Tag>| tag.filter(|t| t.handle == "!").map(|t| t.suffix);
            match event {
                Event::Scalar(text, style, _, tag) => {
                    let node = if style == TScalarStyle::Plain { Yaml::from_str(&text) } else { Yaml::String(text) };
                    self.value(function(node, local(tag)));
                }
                Event::SequenceStart(_, tag) => self.open(None, local(tag)),
                Event::MappingStart(_, tag) => self.open(Some(Hash::new()), local(tag)),
                Event::SequenceEnd | Event::MappingEnd => {
                    let done = self.open.pop().expect("balanced YAML events");
                    self.value(function(done.map.map_or(Yaml::Array(done.list), Yaml::Hash), done.function));
                }
                _ => {}
            }
        }
    }
    let text = std::fs::read_to_string(TEMPLATE).expect("infra/template.yaml exists");
    let mut loader = Loader::default();
    Parser::new_from_str(&text).load(&mut loader, false).expect("the template is YAML");
    loader.document.expect("one document")
}

fn text(node: &Yaml) -> String {
    match node {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// Decides conditions and rules for parameter values (the others at their defaults).
struct Deployment {
    template: Yaml,
    parameters: BTreeMap<String, String>,
}

impl Deployment {
    fn new(values: &[(&str, &str)]) -> Self {
        let template = template_with_functions();
        let mut parameters: BTreeMap<String, String> = template["Parameters"]
            .as_hash()
            .expect("Parameters")
            .iter()
            .map(|(name, spec)| {
                (text(name), spec["Default"].as_str().map_or_else(|| text(&spec["Default"]), String::from))
            })
            .collect();
        for (name, value) in values {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert(name.to_string(), value.to_string());
        }
        Deployment { template, parameters }
    }

    fn value(&self, node: &Yaml) -> String {
        match node["Ref"].as_str() {
            Some(name) => self.parameters.get(name).unwrap_or_else(|| panic!("{name} is not a parameter")).clone(),
            None => text(node),
        }
    }

    /// A condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn holds(&self, expression: &Yaml) -> bool {
        let (function, args) = expression.as_hash().and_then(|h| h.front()).expect("a condition function");
        let args_list = || args.as_vec().expect("a list of arguments").iter();
        match function.as_str().unwrap() {
            "Condition" => self.holds(&self.template["Conditions"][args.as_str().unwrap()]),
            "Fn::Equals" => self.value(&args[0]) == self.value(&args[1]),
            "Fn::Not" => !self.holds(&args[0]),
            "Fn::And" => args_list().all(|a| self.holds(a)),
            "Fn::Or" => args_list().any(|a| self.holds(a)),
            other => panic!("condition function {other} is not handled here"),
        }
    }

    fn condition(&self, name: &str) -> bool {
        self.holds(&self.template["Conditions"][name])
    }

    /// `node` as deployed: `Fn::If` decided, `AWS::NoValue` gone (`None`), parameters' Refs replaced by their values.
    fn resolve(&self, node: &Yaml) -> Option<Yaml> {
        match node {
            Yaml::Hash(map) if map.len() == 1 && node["Fn::If"].is_array() => {
                let branches = &node["Fn::If"];
                self.resolve(&branches[if self.condition(branches[0].as_str().unwrap()) { 1 } else { 2 }])
            }
            Yaml::Hash(_) if node["Ref"].as_str() == Some("AWS::NoValue") => None,
            Yaml::Hash(_) if node["Ref"].as_str().is_some_and(|r| self.parameters.contains_key(r)) => {
                Some(Yaml::String(self.value(node)))
            }
            Yaml::Hash(map) => {
                Some(Yaml::Hash(map.iter().filter_map(|(k, v)| Some((k.clone(), self.resolve(v)?))).collect()))
            }
            Yaml::Array(list) => Some(Yaml::Array(list.iter().filter_map(|v| self.resolve(v)).collect())),
            other => Some(other.clone()),
        }
    }

    /// The resources (or outputs) this deployment has, resolved, by logical id.
    fn section(&self, name: &str) -> BTreeMap<String, Yaml> {
        let items = self.template[name].as_hash().unwrap_or_else(|| panic!("the template has {name}"));
        items
            .iter()
            .filter(|(_, item)| item["Condition"].as_str().is_none_or(|c| self.condition(c)))
            .map(|(id, item)| (text(id), self.resolve(item).unwrap()))
            .collect()
    }

    /// The assertions of the template's Rules that fail, by description.
    fn rule_failures(&self) -> Vec<String> {
        let rules = self.template["Rules"].as_hash().expect("the template has Rules");
        rules
            .values()
            .filter(|rule| rule["RuleCondition"].is_badvalue() || self.holds(&rule["RuleCondition"]))
            .flat_map(|rule| rule["Assertions"].as_vec().unwrap().iter())
            .filter(|assertion| !self.holds(&assertion["Assert"]))
            .map(|assertion| text(&assertion["AssertDescription"]))
            .collect()
    }
}

/// Every IAM action the resources grant or deny, anywhere (role, key and bucket policies).
fn actions(resources: &BTreeMap<String, Yaml>) -> Vec<String> {
    fn walk(node: &Yaml, out: &mut Vec<String>) {
        match node {
            Yaml::Hash(map) => {
                for (key, value) in map {
                    if key.as_str() == Some("Action") {
                        out.extend(strings(value));
                    } else {
                        walk(value, out);
                    }
                }
            }
            Yaml::Array(list) => list.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    resources.values().for_each(|r| walk(r, &mut out));
    out
}

fn strings(node: &Yaml) -> Vec<String> {
    match node {
        Yaml::Array(list) => list.iter().map(text).collect(),
        other => vec![text(other)],
    }
}

/// The statements of the function role's inline policy.
fn role_statements(resources: &BTreeMap<String, Yaml>) -> Vec<Yaml> {
    let policies = resources["FunctionRole"]["Properties"]["Policies"].as_vec().expect("the role's policies");
    policies.iter().flat_map(|p| p["PolicyDocument"]["Statement"].as_vec().unwrap().clone()).collect()
}

fn environment(resources: &BTreeMap<String, Yaml>) -> BTreeMap<String, Yaml> {
    let variables = &resources["ArchiveFunction"]["Properties"]["Environment"]["Variables"];
    variables.as_hash().unwrap().iter().map(|(k, v)| (text(k), v.clone())).collect()
}

/// The sign-in settings the template gives the function with
/// `Credential=federation` for this tenant and app: what a deployed function
/// starts with (`federation.rs` runs the binary with exactly these).
pub fn federated_sign_in_env(tenant: &str, client: &str) -> Vec<(String, String)> {
    let deployment = Deployment::new(&[
        ("Credential", "federation"),
        ("TenantId", tenant),
        ("ClientId", client),
        ("FederationIssuer", ISSUER),
    ]);
    let env = environment(&deployment.section("Resources"));
    let sign_in: Vec<(String, String)> = env
        .iter()
        .filter(|(name, _)| name.starts_with("ENTRA_"))
        .map(|(name, value)| {
            (name.clone(), value.as_str().unwrap_or_else(|| panic!("{name} is not plain text")).to_string())
        })
        .collect();
    assert!(sign_in.iter().any(|(name, _)| name == "ENTRA_CREDENTIAL"), "{sign_in:?}");
    sign_in
}

/// The one statement allowing `sts:GetWebIdentityToken`, checked to be limited to Entra's `audience`.
fn assert_token_only_for(resources: &BTreeMap<String, Yaml>, audience: &str) {
    let statements: Vec<Yaml> = role_statements(resources)
        .into_iter()
        .filter(|s| strings(&s["Action"]).contains(&"sts:GetWebIdentityToken".to_string()))
        .collect();
    assert_eq!(statements.len(), 1, "one statement grants sts:GetWebIdentityToken");
    let statement = &statements[0];
    assert_eq!(strings(&statement["Action"]), ["sts:GetWebIdentityToken"], "and nothing else");
    assert_eq!(statement["Effect"].as_str(), Some("Allow"));
    assert_eq!(statement["Resource"].as_str(), Some("*"), "GetWebIdentityToken has no resource type");
    let condition = &statement["Condition"];
    let operators: Vec<String> = condition.as_hash().expect("conditions").keys().map(text).collect();
    assert_eq!(operators, ["ForAllValues:StringEquals", "Null", "StringEquals", "NumericLessThanEquals"]);
    assert_eq!(strings(&condition["ForAllValues:StringEquals"]["sts:IdentityTokenAudience"]), [audience]);
    assert_eq!(condition["Null"]["sts:IdentityTokenAudience"].as_str(), Some("false"), "no empty audience list");
    assert_eq!(condition["StringEquals"]["sts:SigningAlgorithm"].as_str(), Some("RS256"));
    assert_eq!(condition["NumericLessThanEquals"]["sts:DurationSeconds"].as_i64(), Some(300));
}

#[test]
fn federation_has_no_secret_and_the_role_may_get_a_token_only_for_entra() {
    let deployment = Deployment::new(&federation(&[]));
    let resources = deployment.section("Resources");
    let secrets: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| text(&r["Type"]).starts_with("AWS::SecretsManager::"))
        .map(|(id, _)| id)
        .collect();
    assert!(secrets.is_empty(), "Secrets Manager resources with federation: {secrets:?}");
    let granted = actions(&resources);
    let secret_actions: Vec<&String> =
        granted.iter().filter(|a| a.to_lowercase().starts_with("secretsmanager:")).collect();
    assert!(secret_actions.is_empty(), "Secrets Manager permissions with federation: {secret_actions:?}");
    let role = format!("{:?}", resources["FunctionRole"]).to_lowercase();
    assert!(!role.contains("secretsmanager"), "the role mentions Secrets Manager (a kms:ViaService grant?)");
    assert_token_only_for(&resources, ENTRA_AUDIENCE);

    let env = environment(&resources);
    assert_eq!(env["ENTRA_CREDENTIAL"].as_str(), Some("aws-federation"));
    assert_eq!(env["ENTRA_TENANT_ID"].as_str(), Some(TENANT));
    assert_eq!(env["ENTRA_CLIENT_ID"].as_str(), Some(CLIENT));
    assert_eq!(env["ENTRA_FEDERATION_AUDIENCE"].as_str(), Some(ENTRA_AUDIENCE));
    assert!(!env.contains_key("ENTRA_SECRET_ID"), "ENTRA_SECRET_ID with federation");

    let outputs = deployment.section("Outputs");
    assert!(!outputs.contains_key("SecretArn"));
    assert_eq!(outputs["FederationSubject"]["Value"]["Fn::GetAtt"].as_str(), Some("FunctionRole.Arn"));
    assert_eq!(outputs["FederationIssuer"]["Value"].as_str(), Some(ISSUER));
    let command = &outputs["RegisterAppCommand"]["Value"]["Fn::Sub"];
    assert_eq!(
        command[0].as_str(),
        Some(
            "infra/entra/register-app.sh --federation --tenant-id ${TenantId} --client-id ${ClientId} \
             --issuer ${FederationIssuer} --subject ${FunctionRole.Arn}${Audience}"
        )
    );
    assert_eq!(command[1]["Audience"].as_str(), Some(""), "the default audience needs no --audience");
    assert!(deployment.rule_failures().is_empty(), "{:?}", deployment.rule_failures());
}

#[test]
fn federation_asks_for_the_audience_of_the_tenants_cloud() {
    for (login, audience) in [
        ("https://login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"),
        ("https://login.chinacloudapi.cn", "api://AzureADTokenExchangeChina"),
    ] {
        let deployment = Deployment::new(&federation(&[("LoginUrl", login)]));
        let resources = deployment.section("Resources");
        assert_token_only_for(&resources, audience);
        assert_eq!(environment(&resources)["ENTRA_FEDERATION_AUDIENCE"].as_str(), Some(audience), "{login}");
        let command = &deployment.section("Outputs")["RegisterAppCommand"]["Value"]["Fn::Sub"];
        assert_eq!(command[1]["Audience"].as_str(), Some(format!(" --audience {audience}").as_str()), "{login}");
    }
}

#[test]
fn federation_needs_tenant_client_and_issuer_and_no_secret() {
    let refused = |values: &[(&str, &str)]| Deployment::new(values).rule_failures();
    for missing in ["TenantId", "ClientId", "FederationIssuer"] {
        let values: Vec<_> = federation(&[]).into_iter().filter(|(name, _)| *name != missing).collect();
        let failures = refused(&values);
        assert_eq!(failures.len(), 1, "without {missing}: {failures:?}");
        assert!(failures[0].contains(missing), "{failures:?}");
    }
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:entra-AbCdEf";
    assert_eq!(refused(&federation(&[("ExistingSecretArn", arn)])).len(), 1, "a secret with federation");
    assert!(refused(&[]).is_empty(), "the defaults need none of them");
    assert!(refused(&[("Credential", "certificate")]).is_empty());
}

#[test]
fn secret_and_certificate_deploy_todays_stack() {
    let secret = Deployment::new(&[]);
    assert_eq!(secret.parameters["Credential"], "secret", "the default");
    let resources = secret.section("Resources");
    assert_eq!(resources["EntraSecret"]["Type"].as_str(), Some("AWS::SecretsManager::Secret"));
    let read: Vec<Yaml> = role_statements(&resources)
        .into_iter()
        .filter(|s| strings(&s["Action"]) == ["secretsmanager:GetSecretValue"])
        .collect();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0]["Resource"]["Ref"].as_str(), Some("EntraSecret"));
    assert!(
        !actions(&resources).iter().any(|a| a == "sts:GetWebIdentityToken"),
        "no web identity tokens without federation"
    );
    let env = environment(&resources);
    assert_eq!(env["ENTRA_SECRET_ID"]["Ref"].as_str(), Some("EntraSecret"));
    for federated in ["ENTRA_CREDENTIAL", "ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "ENTRA_FEDERATION_AUDIENCE"] {
        assert!(!env.contains_key(federated), "{federated} without federation");
    }
    let outputs = secret.section("Outputs");
    assert!(outputs.contains_key("SecretArn"));
    for federated in ["FederationSubject", "FederationIssuer", "RegisterAppCommand"] {
        assert!(!outputs.contains_key(federated), "{federated} without federation");
    }

    // A certificate lives in the same secret: the same stack, so switching never touches the secret.
    let certificate = Deployment::new(&[("Credential", "certificate")]);
    assert_eq!(certificate.section("Resources"), resources);
    assert_eq!(certificate.section("Outputs"), outputs);
    // Tenant and client are ignored without federation.
    assert_eq!(Deployment::new(&[("TenantId", TENANT), ("ClientId", CLIENT)]).section("Resources"), resources);

    // An existing secret (and its key): read, not created.
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:entra-AbCdEf";
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let existing =
        Deployment::new(&[("ExistingSecretArn", arn), ("ExistingSecretKmsKeyArn", key)]).section("Resources");
    assert!(!existing.contains_key("EntraSecret"));
    let statements = role_statements(&existing);
    let grants = |action: &str, resource: &str| {
        statements.iter().any(|s| s["Action"].as_str() == Some(action) && s["Resource"].as_str() == Some(resource))
    };
    assert!(grants("secretsmanager:GetSecretValue", arn));
    assert!(grants("kms:Decrypt", key));
    assert_eq!(environment(&existing)["ENTRA_SECRET_ID"].as_str(), Some(arn));
}
