//! The nested pieces of a `provisioningObjectSummary` — identities, systems,
//! steps, status, modified properties, initiator — and how each is drawn for
//! a job, a subject (a person or a group), an action and an outcome.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sha2::{Digest, Sha256};

use super::super::vocab::{DEPARTMENTS, GROUPS, PEOPLE};
use super::super::{Directory, pick, weighted};
use super::Job;

/// A free-form object of string values, in insertion order.
#[derive(Default)]
pub struct Details(Vec<(&'static str, String)>);

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    id: String,
    display_name: String,
    identity_type: &'static str,
    details: Details,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct System<'a> {
    id: &'a str,
    display_name: &'a str,
    details: Details,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalRef<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Initiator<'a> {
    id: &'a str,
    display_name: &'a str,
    initiator_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Modified {
    display_name: &'static str,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    status: &'static str,
    error_information: Option<ErrorInformation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorInformation {
    error_code: String,
    reason: String,
    additional_details: Option<&'static str>,
    error_category: &'static str,
    recommended_action: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    name: String,
    provisioning_step_type: &'static str,
    status: &'static str,
    description: String,
    details: Details,
}

/// Who or what is provisioned.
pub struct Subject<'a> {
    /// Entra object id.
    id: &'a str,
    name: &'static str,
    /// `User` or `Group`.
    kind: &'static str,
    upn: Option<&'static str>,
}

impl<'a> Subject<'a> {
    pub fn person(dir: &'a Directory, who: usize) -> Self {
        Subject { id: &dir.user_ids[who], name: PEOPLE[who].name, kind: "User", upn: Some(PEOPLE[who].upn) }
    }

    pub fn group(dir: &'a Directory, g: usize) -> Self {
        Subject { id: &dir.group_ids[g], name: GROUPS[g].0, kind: "Group", upn: None }
    }
}

/// How the event ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Warning,
    Failure,
    Skipped,
}

pub fn outcome(rng: &mut ChaCha20Rng) -> Outcome {
    *weighted(rng, &[(84, Outcome::Success), (3, Outcome::Warning), (8, Outcome::Failure), (5, Outcome::Skipped)])
}

/// `provisioningAction` for the job and subject.
pub fn action(rng: &mut ChaCha20Rng, inbound: bool, group: bool, outcome: Outcome) -> &'static str {
    if outcome == Outcome::Skipped {
        return "other";
    }
    let table: &[(u32, &'static str)] = if inbound {
        &[(25, "create"), (60, "update"), (15, "disable")]
    } else if group {
        &[(30, "create"), (60, "update"), (10, "delete")]
    } else {
        &[(30, "create"), (45, "update"), (10, "disable"), (10, "delete"), (5, "stagedDelete")]
    };
    weighted::<&str>(rng, table)
}

/// A stable identifier of `subject` in `system`, shaped as that system's ids.
fn external_id(system: &str, subject: &Subject<'_>) -> String {
    let digest = Sha256::digest(format!("{system}\0{}", subject.id));
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let upper: String = hex.to_uppercase().chars().filter(char::is_ascii_alphanumeric).collect();
    match system {
        "Workday" | "ServiceNow" => hex[..32].to_owned(),
        "SuccessFactors" => format!("10{:05}", u32::from_be_bytes([digest[0], digest[1], digest[2], 0]) % 100_000),
        "Salesforce" => format!("0055g00000{}", &upper[..8]),
        "Slack" if subject.kind == "Group" => format!("S0{}", &upper[..9]),
        "Slack" => format!("U0{}", &upper[..9]),
        _ => hex[..32].to_owned(),
    }
}

/// Source and target identity. A failed create has no target object yet.
pub fn identities(
    rng: &mut ChaCha20Rng,
    job: &Job,
    subject: &Subject<'_>,
    action: &str,
    outcome: Outcome,
) -> (Identity, Identity) {
    let entra = Identity {
        id: subject.id.to_owned(),
        display_name: subject.name.to_owned(),
        identity_type: subject.kind,
        details: Details(match subject.upn {
            Some(upn) => vec![("UserPrincipalName", upn.to_owned()), ("ObjectType", subject.kind.to_owned())],
            None => vec![("ObjectType", subject.kind.to_owned())],
        }),
    };
    let external_id = external_id(job.system, subject);
    let external = Identity {
        details: Details(vec![("SystemName", job.system.to_owned()), ("ExternalId", external_id.clone())]),
        id: external_id,
        display_name: if rng.random_bool(0.2) { String::new() } else { subject.name.to_owned() },
        identity_type: subject.kind,
    };
    let (source, mut target) = if job.inbound { (external, entra) } else { (entra, external) };
    if action == "create" && outcome == Outcome::Failure {
        target.id.clear();
        target.display_name.clear();
        target.details = Details::default();
    }
    (source, target)
}

fn system_details(app_id: &str, sp_id: &str, name: &str) -> Details {
    Details(vec![
        ("ApplicationId", app_id.to_owned()),
        ("ServicePrincipalId", sp_id.to_owned()),
        ("ServicePrincipalDisplayName", name.to_owned()),
    ])
}

/// A system; the target carries the job's application and service principal.
pub fn system<'a>(id: &'a str, name: &'a str, app: Option<(&str, &str, &str)>) -> System<'a> {
    let details = app.map_or_else(Details::default, |(app_id, sp_id, sp_name)| system_details(app_id, sp_id, sp_name));
    System { id, display_name: name, details }
}

/// Mostly the provisioning service's own cycle; sometimes an admin's
/// provision-on-demand.
pub fn initiator<'a>(rng: &mut ChaCha20Rng, dir: &'a Directory) -> Initiator<'a> {
    if rng.random_bool(0.05) {
        let admins: Vec<usize> = (0..PEOPLE.len()).filter(|&i| PEOPLE[i].admin).collect();
        let a = *pick(rng, &admins);
        return Initiator { id: &dir.user_ids[a], display_name: PEOPLE[a].name, initiator_type: "user" };
    }
    Initiator { id: "", display_name: "Azure AD Provisioning Service", initiator_type: "system" }
}

const TITLES: &[&str] =
    &["Account Executive", "Software Engineer", "Financial Analyst", "Operations Manager", "Recruiter"];

fn m(name: &'static str, old: Option<&str>, new: Option<&str>) -> Modified {
    Modified { display_name: name, old_value: old.map(str::to_owned), new_value: new.map(str::to_owned) }
}

/// The attributes the event wrote.
pub fn modified(rng: &mut ChaCha20Rng, job: &Job, subject: &Subject<'_>, action: &str) -> Vec<Modified> {
    let changed = |rng: &mut ChaCha20Rng, name, values: &[&str]| {
        let old = *pick(rng, values);
        let new = *pick(rng, values);
        m(name, Some(old), Some(if new == old { values[0] } else { new }))
    };
    match (action, subject.kind, job.inbound) {
        ("other", ..) | ("delete" | "stagedDelete", _, _) => vec![],
        ("create", "Group", _) => {
            vec![m("displayName", None, Some(subject.name)), m("externalId", None, Some(subject.id))]
        }
        ("update", "Group", _) => {
            let member = pick(rng, PEOPLE);
            vec![m("members", None, Some(&format!("[\"{}\"]", member.upn)))]
        }
        ("create", _, true) => vec![
            m("accountEnabled", None, Some("True")),
            m("displayName", None, Some(subject.name)),
            m("employeeId", None, Some(&external_id(job.system, subject)[..6])),
            m("department", None, Some(*pick(rng, DEPARTMENTS))),
            m("jobTitle", None, Some(*pick(rng, TITLES))),
        ],
        ("create", _, false) => vec![
            m("userName", None, subject.upn),
            m("active", None, Some("True")),
            m("displayName", None, Some(subject.name)),
            m("emails[type eq \"work\"].value", None, subject.upn),
        ],
        ("disable", _, true) => vec![m("accountEnabled", Some("True"), Some("False"))],
        ("disable", _, false) => vec![m("active", Some("True"), Some("False"))],
        (_, _, true) => vec![changed(rng, "department", DEPARTMENTS), changed(rng, "jobTitle", TITLES)],
        (_, _, false) => vec![changed(rng, "title", TITLES)],
    }
}

/// (`Add`, `created`, `create`) and so on, for step names and descriptions.
fn verbs(action: &str) -> (&'static str, &'static str, &'static str) {
    match action {
        "create" => ("Add", "created", "create"),
        "delete" | "stagedDelete" => ("Delete", "deleted", "delete"),
        "disable" => ("Update", "disabled", "disable"),
        _ => ("Update", "updated", "update"),
    }
}

fn failure(rng: &mut ChaCha20Rng, job: &Job, action: &str) -> ErrorInformation {
    if job.inbound {
        return ErrorInformation {
            error_code: "DuplicateTargetEntries".to_owned(),
            reason: "The operation failed because there are multiple entries in Azure Active Directory that match \
                     the matching attribute employeeId."
                .to_owned(),
            additional_details: Some("Matching attribute: employeeId. Entries found: 2."),
            error_category: "nonServiceFailure",
            recommended_action: Some(
                "Remove the duplicate entries, or change the matching attribute so that exactly one entry matches.",
            ),
        };
    }
    let sys = job.system;
    let (code, status, text, category, recommended) = match rng.random_range(0..3) {
        0 if action == "create" => (
            "EntryConflict",
            409,
            // (sic) Microsoft's own wording in its documented example.
            "This response indicates that a user or a group already exisits with the same name.",
            "nonServiceFailure",
            None,
        ),
        0 | 1 => (
            "Unauthorized",
            401,
            "The credentials supplied for the provisioning job are not valid or have expired.",
            "nonServiceFailure",
            Some("Update the admin credentials on the Provisioning page of the application and test the connection."),
        ),
        _ => ("ServiceUnavailable", 503, "The request will be retried in the next cycle.", "failure", None),
    };
    let additional_details =
        (status == 503).then_some("The provisioning service will retry the export in its next cycle.");
    ErrorInformation {
        error_code: format!("{sys}{code}"),
        reason: format!("Message: {sys} returned an error response with the HTTP status code {status}.  {text}"),
        additional_details,
        error_category: category,
        recommended_action: recommended,
    }
}

/// The status and the steps that led to it.
pub fn status_and_steps(
    rng: &mut ChaCha20Rng,
    job: &Job,
    subject: &Subject<'_>,
    action: &str,
    outcome: Outcome,
    source: &str,
    target: &str,
) -> (StatusInfo, Vec<Step>) {
    let (kind, name) = (subject.kind, subject.name);
    let (suffix, done, verb) = verbs(action);
    let step = |name: String, step_type, status, description: String, details| Step {
        name,
        provisioning_step_type: step_type,
        status,
        description,
        details,
    };
    let reportable = || Details(vec![("ReportableIdentifier", name.to_owned())]);
    let mut steps = vec![step(
        format!("EntryImport{suffix}"),
        "import",
        "success",
        format!("Received {kind} '{name}' change of type ({suffix}) from {source}"),
        Details::default(),
    )];
    if outcome == Outcome::Skipped {
        steps.push(step(
            "EntrySynchronizationSkipped".to_owned(),
            "scoping",
            "skipped",
            format!("{kind} '{name}' will be skipped because the {kind} is not assigned to the application or is out of scope"),
            reportable(),
        ));
        return (StatusInfo { status: "skipped", error_information: None }, steps);
    }
    let why = match action {
        "create" => format!("{kind} is active and assigned in {source}, but no matching {kind} was found in {target}"),
        "delete" | "stagedDelete" => format!("{kind} is no longer assigned in {source}"),
        "disable" => format!("{kind} is not active in {source}"),
        _ => format!("{kind} is active and assigned in {source}, and a matching {kind} was found in {target}"),
    };
    let matching = Details(vec![("MatchingAttribute", if job.inbound { "employeeId" } else { "userName" }.to_owned())]);
    steps.push(step(
        format!("EntrySynchronization{suffix}"),
        "matching",
        "success",
        format!("{kind} '{name}' will be {done} in {target} ({why})"),
        matching,
    ));
    let (status, description, error) = match outcome {
        Outcome::Failure => {
            ("failure", format!("Failed to {verb} {kind} '{name}' in {target}"), Some(failure(rng, job, action)))
        }
        Outcome::Warning => (
            "warning",
            format!("{kind} '{name}' was {done} in {target}, but some attributes could not be exported"),
            None,
        ),
        _ => ("success", format!("{kind} '{name}' was {done} in {target}"), None),
    };
    steps.push(step(format!("EntryExport{suffix}"), "export", status, description, reportable()));
    (StatusInfo { status, error_information: error }, steps)
}
