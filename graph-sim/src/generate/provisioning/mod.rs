//! One v1.0 `provisioningObjectSummary` record (graph-api.md §6.5 and
//! Microsoft's two examples in `provisioningobjectsummary-list.md`).
//!
//! Draws a provisioning job — HR-inbound (Workday, SuccessFactors → Entra
//! ID) or app provisioning (Entra ID → ServiceNow, Salesforce, Slack) — a
//! person or group, an action and an outcome, then the steps, modified
//! properties and identities that go with them (`parts`). Shapes follow the
//! metadata and Microsoft's examples: `servicePrincipal` is a single
//! `{id, displayName}` object (the resource page once called it a
//! collection; the metadata and the examples do not); `details` are open
//! objects of strings (the connected system's app ids, a step's matching
//! attribute, an identity's name in its system); `errorInformation` is null
//! on success; enums are written as the metadata's member names
//! (`stagedDelete`).

mod parts;

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::Serialize;

use super::vocab::{GROUPS, PEOPLE};
use super::{Ctx, Drawn, guid, weighted};
use crate::time::format_ticks;
use parts::{Identity, Initiator, Modified, ServicePrincipalRef, StatusInfo, Step, System};

/// A provisioning job of the tenant.
#[derive(Debug)]
pub struct Job {
    /// The enterprise app's display name.
    pub app: &'static str,
    /// The connected system's display name.
    pub system: &'static str,
    /// Start of its `jobId`, e.g. `Workday2AAD`.
    pub template: &'static str,
    /// HR-inbound (system → Entra ID) rather than app provisioning.
    pub inbound: bool,
    /// Relative share of provisioning events.
    pub weight: u32,
}

pub static JOBS: &[Job] = &[
    Job {
        app: "Workday to Microsoft Entra ID User Provisioning",
        system: "Workday",
        template: "Workday2AAD",
        inbound: true,
        weight: 30,
    },
    Job {
        app: "SAP SuccessFactors to Microsoft Entra ID User Provisioning",
        system: "SuccessFactors",
        template: "SuccessFactors2AAD",
        inbound: true,
        weight: 10,
    },
    Job { app: "ServiceNow", system: "ServiceNow", template: "ServiceNowOutDelta", inbound: false, weight: 25 },
    Job { app: "Salesforce", system: "Salesforce", template: "SalesforceOutDelta", inbound: false, weight: 20 },
    Job { app: "Slack", system: "Slack", template: "slackOutDelta", inbound: false, weight: 15 },
];

/// Display name of Entra ID as the provisioning service writes it.
const ENTRA: &str = "Azure Active Directory";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProvisioningObjectSummary<'a> {
    id: String,
    activity_date_time: String,
    tenant_id: &'a str,
    job_id: String,
    cycle_id: String,
    change_id: String,
    provisioning_action: &'static str,
    duration_in_milliseconds: u32,
    provisioning_status_info: StatusInfo,
    provisioning_steps: Vec<Step>,
    modified_properties: Vec<Modified>,
    service_principal: ServicePrincipalRef<'a>,
    source_system: System<'a>,
    target_system: System<'a>,
    initiated_by: Initiator<'a>,
    source_identity: Identity,
    target_identity: Identity,
}

/// Draws one provisioning event at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let table: Vec<(u32, usize)> = JOBS.iter().enumerate().map(|(i, j)| (j.weight, i)).collect();
    let j = *weighted(rng, &table);
    let (job, ids) = (&JOBS[j], &dir.provisioning_apps[j]);
    let [sp_id, app_id, suffix, system_id, entra_id] = ids;
    // App provisioning also pushes groups; HR-inbound only workers.
    let group = (!job.inbound && rng.random_bool(0.12)).then(|| rng.random_range(0..GROUPS.len()));
    let who = rng.random_range(0..PEOPLE.len() - 1); // not the guest
    let subject = match group {
        Some(g) => parts::Subject::group(dir, g),
        None => parts::Subject::person(dir, who),
    };
    let outcome = parts::outcome(rng);
    let action = parts::action(rng, job.inbound, group.is_some(), outcome);
    let (source, target) = parts::identities(rng, job, &subject, action, outcome);
    let (source_name, target_name) = if job.inbound { (job.system, ENTRA) } else { (ENTRA, job.system) };
    let (status, steps) = parts::status_and_steps(rng, job, &subject, action, outcome, source_name, target_name);
    let sp = parts::ServicePrincipalRef { id: sp_id, display_name: job.app };
    let id = guid(rng);
    let record = ProvisioningObjectSummary {
        id: id.clone(),
        activity_date_time: format_ticks(time),
        tenant_id: &dir.tenant_id,
        job_id: format!("{}.{}.{suffix}", job.template, dir.tenant_id.replace('-', "")),
        cycle_id: guid(rng),
        change_id: guid(rng),
        provisioning_action: action,
        duration_in_milliseconds: rng.random_range(180..9000),
        provisioning_status_info: status,
        provisioning_steps: steps,
        modified_properties: parts::modified(rng, job, &subject, action),
        service_principal: {
            // The draw that once chose between an object and a list of one,
            // kept so that every seed keeps its sequence.
            let _ = rng.random_bool(1.0 / 3.0);
            sp
        },
        // The job's app details sit with the connected system.
        source_system: parts::system(
            if job.inbound { system_id } else { entra_id },
            source_name,
            job.inbound.then_some((app_id.as_str(), sp_id.as_str(), job.app)),
        ),
        target_system: parts::system(
            if job.inbound { entra_id } else { system_id },
            target_name,
            (!job.inbound).then_some((app_id.as_str(), sp_id.as_str(), job.app)),
        ),
        initiated_by: parts::initiator(rng, dir),
        source_identity: source,
        target_identity: target,
    };
    let json = serde_json::to_string(&record).expect("a provisioningObjectSummary always serializes");
    Drawn { id, json, segment: 0 }
}

#[cfg(test)]
mod tests;
