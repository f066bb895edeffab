//! Beta's view of a sign-in's device and Conditional Access policies: the
//! browser's id, and for each policy which conditions and rules matched,
//! the session controls left unsatisfied and the authentication strength
//! asked for. Also the policy that covers workload identities.
//!
//! What a policy's conditions say follows from the policy and its result: a
//! policy that applied matched all its conditions; one that did not apply
//! missed the condition it is about (the user is not a guest, the client is
//! not a legacy one, there was no sign-in risk…).

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::signins::parts::SecondFactor;
use super::super::signins::shape::{AppliedPolicy, DeviceDetail};
use super::super::vocab::POLICIES;
use super::super::{Directory, guid};
use super::extras::{AuthenticationStrength, BetaDevice, BetaPolicy, RuleSatisfied};
use super::workloads::WORKLOAD_POLICY;

const fn rule(condition: &'static str, rule: &'static str) -> RuleSatisfied {
    RuleSatisfied { conditional_access_condition: condition, rule_satisfied: rule }
}

const ALL_APPS: RuleSatisfied = rule("application", "allApps");
const ALL_USERS: RuleSatisfied = rule("users", "allUsers");

/// Per [`POLICIES`] entry: the conditions it checks (flags), the rules
/// that put a sign-in in scope, the condition a sign-in out of scope
/// missed, and the exclusion that took it out (if any).
type Conditions = (&'static str, &'static [RuleSatisfied], &'static str, &'static [RuleSatisfied]);

static CONDITIONS: [Conditions; 6] = [
    ("application,users", &[ALL_APPS, ALL_USERS], "users", &[rule("users", "groupId")]),
    ("application,users,clientType", &[ALL_APPS, ALL_USERS], "clientType", &[]),
    ("application,users", &[rule("application", "office365"), ALL_USERS], "application", &[]),
    (
        "application,users,devicePlatform",
        &[ALL_APPS, ALL_USERS, rule("devicePlatform", "allDevicePlatforms")],
        "deviceState",
        &[rule("deviceState", "deviceFilter")],
    ),
    ("application,users", &[rule("application", "appId"), rule("users", "guest")], "users", &[]),
    ("application,users,signInRisk", &[ALL_APPS, ALL_USERS], "signInRisk", &[]),
];

/// Microsoft's built-in "Multifactor authentication" strength, which the
/// classic "Require multifactor authentication" grant maps to.
const MFA_STRENGTH: (&str, &str) = ("00000000-0000-0000-0000-000000000002", "Multifactor authentication");

/// What a user sign-in's policies must agree with.
pub struct PolicyFacts {
    pub interactive: bool,
    pub second: SecondFactor,
    pub error_code: i64,
}

/// Beta's `deviceDetail`: a browser's id where the sign-in came through a
/// web browser.
pub fn device(x: &mut ChaCha20Rng, v1: DeviceDetail) -> BetaDevice {
    let web = !v1.browser.is_empty() && !v1.browser.starts_with("Rich");
    let browser_id = (web && x.random_bool(0.8)).then(|| guid(x));
    BetaDevice { v1, browser_id }
}

/// Beta's view of one of a user sign-in's policies.
pub fn user_policy(x: &mut ChaCha20Rng, v1: AppliedPolicy, facts: &PolicyFacts) -> BetaPolicy {
    let Some(idx) = POLICIES.iter().position(|p| p.0 == v1.display_name) else {
        return unexplained(v1);
    };
    let (all, include, missed, exclude) = CONDITIONS[idx];
    let session = POLICIES[idx].2;
    let applied = matches!(
        v1.result.as_str(),
        "success" | "failure" | "reportOnlySuccess" | "reportOnlyFailure" | "reportOnlyInterrupted"
    );
    let in_scope = |conditions: &str| conditions.split(',').filter(|c| *c != missed).collect::<Vec<_>>().join(",");
    let (satisfied, not_satisfied, include, exclude) = match v1.result.as_str() {
        "notEnabled" => ("none".to_owned(), "none", vec![], vec![]),
        _ if applied => (all.to_owned(), "none", include.to_vec(), vec![]),
        _ => {
            let rest: Vec<RuleSatisfied> =
                include.iter().copied().filter(|r| r.conditional_access_condition != missed).collect();
            (in_scope(all), missed, rest, exclude.to_vec())
        }
    };
    // A session control goes unsatisfied when the session is too old: that
    // is what makes a refresh fail with 70044, and now and then a prompt.
    let stale = facts.error_code == 70044 || x.random_bool(0.1);
    let session_not_satisfied = match session.first() {
        Some(control) if applied && stale => vec![(*control).to_owned()],
        _ => vec![],
    };
    let strength = (idx == 0 && applied).then(|| AuthenticationStrength {
        authentication_strength_id: MFA_STRENGTH.0,
        display_name: MFA_STRENGTH.1,
        authentication_strength_result: strength_result(facts),
    });
    BetaPolicy {
        v1,
        authentication_strength: strength,
        conditions_satisfied: satisfied,
        conditions_not_satisfied: not_satisfied.to_owned(),
        include_rules_satisfied: include,
        exclude_rules_satisfied: exclude,
        session_controls_not_satisfied: session_not_satisfied,
    }
}

/// How an MFA strength was met, from how the second factor went.
fn strength_result(facts: &PolicyFacts) -> &'static str {
    match facts.second {
        _ if !facts.interactive => "satisfied",
        SecondFactor::ByClaim | SecondFactor::Prompted { ok: true, .. } => "satisfied",
        SecondFactor::Prompted { ok: false, .. } => "singleChallengeRequired",
        SecondFactor::NotReached => "notSet",
    }
}

/// A policy the sim does not know (a hand-written record's).
fn unexplained(v1: AppliedPolicy) -> BetaPolicy {
    BetaPolicy {
        v1,
        authentication_strength: None,
        conditions_satisfied: "none".to_owned(),
        conditions_not_satisfied: "none".to_owned(),
        include_rules_satisfied: vec![],
        exclude_rules_satisfied: vec![],
        session_controls_not_satisfied: vec![],
    }
}

/// The workload identity policy, for the service principals in its scope
/// (most of them): it blocks sign-ins from outside the trusted locations,
/// which the tenant's workloads never leave, so it does not apply.
pub fn workload_policies(x: &mut ChaCha20Rng, dir: &Directory) -> Vec<BetaPolicy> {
    if !x.random_bool(0.7) {
        return vec![];
    }
    let v1 = AppliedPolicy {
        id: dir.workload_policy_id.clone(),
        display_name: WORKLOAD_POLICY.to_owned(),
        enforced_grant_controls: vec![],
        enforced_session_controls: vec![],
        result: "notApplied".to_owned(),
    };
    vec![BetaPolicy {
        v1,
        authentication_strength: None,
        conditions_satisfied: "application,servicePrincipals".to_owned(),
        conditions_not_satisfied: "location".to_owned(),
        include_rules_satisfied: vec![ALL_APPS, rule("servicePrincipals", "appId")],
        exclude_rules_satisfied: vec![rule("location", "allTrustedLocations")],
        session_controls_not_satisfied: vec![],
    }]
}
