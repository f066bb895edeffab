//! One beta `selfServiceSignUp` record: a step of a customer's self-service
//! sign-up in a Microsoft Entra External ID tenant (Microsoft's
//! `auditlogroot-list-signups.md` and its example, and the beta Prod
//! metadata: `userId` and `fraudProtectionDetails` rather than the older
//! page's `userSnapshot`).
//!
//! A sign-up goes through stages — credential collection and validation for
//! an email one-time passcode or an email with password, or federation with
//! a social provider, then attribute collection, consent and user creation —
//! and each stage is a record. Earlier stages are more frequent (customers
//! drop out), `status.errorCode` is 0 unless the stage failed, and only a
//! successful `userCreation` names the new user. The tenant's attribute
//! collection runs custom authentication extensions now and then
//! (`appliedEventListeners`), and its flagship app is protected by a fraud
//! protection provider (`fraudProtectionDetails`; null for the other apps).
//! Error codes other than 1002013 (Microsoft's example) are the sim's.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::{Ctx, Directory, Drawn, guid, lower_hex, pick, weighted};
use crate::time::format_ticks;

/// The tenant's customer-facing apps (display names); their application ids
/// are per seed ([`Directory::customer_apps`]). Fraud protection guards the
/// first.
pub static APPS: &[&str] = &["Woodgrove Groceries", "Woodgrove Groceries (iOS)", "Woodgrove Rewards"];

/// The tenant's authentication event listeners, by event type; listener and
/// custom extension ids are per seed ([`Directory::signup_listeners`]).
pub static LISTENERS: &[&str] = &["attributeCollectionStart", "attributeCollectionSubmit", "emailOtpSend"];

/// How a customer signs up: `signUpIdentityProvider`, its stages in order,
/// the mail domains of its identifiers, relative share.
type Method = (&'static str, &'static [&'static str], &'static [&'static str], u32);

static METHODS: &[Method] = &[
    (
        "Email OTP",
        &["credentialCollection", "credentialValidation", "attributeCollectionAndValidation", "userCreation"],
        &["outlook.com", "yahoo.com", "gmx.de", "example.org"],
        45,
    ),
    (
        "Email with password",
        &["credentialCollection", "credentialValidation", "attributeCollectionAndValidation", "userCreation"],
        &["hotmail.com", "proton.me", "web.de"],
        20,
    ),
    (
        "Google",
        &["credentialFederation", "attributeCollectionAndValidation", "consent", "userCreation"],
        &["gmail.com"],
        25,
    ),
    (
        "Facebook",
        &["credentialFederation", "attributeCollectionAndValidation", "consent", "userCreation"],
        &["outlook.com"],
        8,
    ),
    (
        "Apple",
        &["credentialFederation", "tenantConsent", "userCreation"],
        &["icloud.com", "privaterelay.appleid.com"],
        2,
    ),
];

/// Local parts of customers' addresses.
static CUSTOMERS: &[&str] =
    &["ana.silva", "b.nguyen", "chloe.martin", "dmitri.k", "emma_w", "felix.schmidt", "grace.o", "hiro.tanaka"];

/// A failed stage: the stage, `errorCode`, `failureReason`, `additionalDetails`.
type Failure = (&'static str, i32, Option<&'static str>, Option<&'static str>);

static FAILURES: &[Failure] = &[
    // Microsoft's example: a failed validation with nothing more said.
    ("credentialValidation", 1_002_013, None, None),
    (
        "credentialValidation",
        1_003_037,
        Some("The verification code has expired."),
        Some("The customer did not enter the one-time passcode within 10 minutes."),
    ),
    (
        "attributeCollectionAndValidation",
        1_003_060,
        Some("A custom authentication extension returned an error."),
        Some("The attributeCollectionSubmit API answered HTTP 400."),
    ),
    ("userCreation", 1_003_031, Some("A user with this sign-in name already exists."), None),
    ("credentialFederation", 1_003_004, Some("The identity provider did not return an email address."), None),
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignUp {
    app_display_name: Option<&'static str>,
    app_id: String,
    correlation_id: String,
    created_date_time: String,
    id: String,
    sign_up_stage: &'static str,
    sign_up_identity_provider: &'static str,
    user_id: Option<String>,
    applied_event_listeners: Vec<Listener>,
    status: Status,
    sign_up_identity: Identity,
    fraud_protection_details: Option<FraudProtection>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    error_code: i32,
    failure_reason: Option<&'static str>,
    additional_details: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    sign_up_identifier: String,
    sign_up_identifier_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listener {
    event_type: &'static str,
    executed_listener_id: String,
    handler_result: CalloutResult,
}

/// The open `authenticationEventHandlerResult`: here the result of calling a
/// custom authentication extension.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CalloutResult {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    callout_date_time: String,
    custom_extension_id: String,
    error_code: i32,
    http_status: i32,
    number_of_attempts: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FraudProtection {
    provider_name: &'static str,
    provider_session_id: String,
    verdict: &'static str,
    reason: Option<&'static str>,
    provider_error_messages: Vec<&'static str>,
    provider_http_status_codes: Vec<i32>,
    provider_response_times: Vec<i32>,
}

/// The listeners that ran at `stage`, if any.
fn listeners(
    rng: &mut ChaCha20Rng,
    dir: &Directory,
    stage: &str,
    provider: &str,
    time: DateTime<Utc>,
) -> Vec<Listener> {
    let ran: &[usize] = match stage {
        "attributeCollectionAndValidation" if rng.random_bool(0.35) => &[0, 1],
        "credentialValidation" if provider == "Email OTP" && rng.random_bool(0.25) => &[2],
        _ => &[],
    };
    ran.iter()
        .map(|&i| {
            let failed = rng.random_bool(0.05);
            let [listener, extension] = &dir.signup_listeners[i];
            Listener {
                event_type: LISTENERS[i],
                executed_listener_id: listener.clone(),
                handler_result: CalloutResult {
                    odata_type: "#microsoft.graph.customExtensionCalloutResult",
                    callout_date_time: format_ticks(time - TimeDelta::milliseconds(rng.random_range(50..900))),
                    custom_extension_id: extension.clone(),
                    error_code: if failed { 1_003_060 } else { 0 },
                    http_status: if failed { 400 } else { 200 },
                    number_of_attempts: if failed { 3 } else { 1 },
                },
            }
        })
        .collect()
}

/// What the fraud protection provider said about this step.
fn fraud_protection(rng: &mut ChaCha20Rng) -> FraudProtection {
    let (verdict, reason) = *weighted(
        rng,
        &[
            (90, ("allow", None)),
            (7, ("block", Some("Automated traffic detected"))),
            (3, ("challenge", Some("Suspicious device fingerprint"))),
        ],
    );
    let retried = rng.random_bool(0.06);
    FraudProtection {
        provider_name: "HUMAN Security",
        provider_session_id: lower_hex(rng, 32),
        verdict,
        reason,
        provider_error_messages: if retried { vec!["The request to the provider timed out."] } else { vec![] },
        provider_http_status_codes: if retried { vec![504, 200] } else { vec![200] },
        provider_response_times: if retried {
            vec![2000, rng.random_range(40..400)]
        } else {
            vec![rng.random_range(40..400)]
        },
    }
}

/// Draws one sign-up step at `time`.
pub fn generate(ctx: &mut Ctx<'_>, time: DateTime<Utc>) -> Drawn {
    let rng = &mut *ctx.rng;
    let dir = ctx.dir;
    let table: Vec<(u32, usize)> = METHODS.iter().enumerate().map(|(i, m)| (m.3, i)).collect();
    let (provider, stages, domains, _) = METHODS[*weighted(rng, &table)];
    // Customers drop out: each stage is seen less often than the one before.
    let weights: Vec<(u32, usize)> = (0..stages.len()).map(|i| (40 >> i.min(3), i)).collect();
    let stage = stages[*weighted(rng, &weights)];
    let app = *weighted(rng, &[(60, 0usize), (25, 1), (15, 2)]);
    let failure = FAILURES.iter().filter(|f| f.0 == stage).collect::<Vec<_>>();
    let failure = (!failure.is_empty() && rng.random_bool(0.12)).then(|| **pick(rng, &failure));
    let status = match failure {
        Some((_, code, reason, details)) => {
            Status { error_code: code, failure_reason: reason, additional_details: details }
        }
        None => Status { error_code: 0, failure_reason: None, additional_details: None },
    };
    let email = format!("{}{}@{}", pick(rng, CUSTOMERS), rng.random_range(1..100u8), pick(rng, domains));
    let federated = !provider.starts_with("Email");
    // As in Microsoft's example, the first step does not always name the app.
    let app_display_name = (stage != "credentialCollection" || rng.random_bool(0.5)).then_some(APPS[app]);
    let user_id = (stage == "userCreation" && failure.is_none()).then(|| guid(rng));
    let applied_event_listeners = listeners(rng, dir, stage, provider, time);
    let fraud = (app == 0).then(|| fraud_protection(rng));
    // Ids end in 0000, 0100 or 0200, as in Microsoft's example.
    let id = format!("{}{}00", &guid(rng)[..32], pick(rng, &["00", "01", "02"]));
    let record = SignUp {
        app_display_name,
        app_id: dir.customer_apps[app].clone(),
        correlation_id: guid(rng),
        created_date_time: format_ticks(time),
        id: id.clone(),
        sign_up_stage: stage,
        sign_up_identity_provider: provider,
        user_id,
        applied_event_listeners,
        status,
        sign_up_identity: Identity {
            sign_up_identifier: email,
            sign_up_identifier_type: if federated { "federation" } else { "emailAddress" },
        },
        fraud_protection_details: fraud,
    };
    let json = serde_json::to_string(&record).expect("a selfServiceSignUp always serializes");
    Drawn { id, json, segment: 0 }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::Generator;
    use crate::dataset::Dataset;
    use crate::record::Store;
    use crate::time::parse_filter_datetime;

    fn sample(n: usize) -> Vec<Value> {
        let mut g = Generator::new(42, "tenant");
        let mut s = Store::default();
        let from = parse_filter_datetime("2026-11-22T00:00:00Z").unwrap();
        let to = parse_filter_datetime("2026-11-24T00:00:00Z").unwrap();
        g.generate(&mut s, Dataset::SignUps, None, n, from, to)
            .iter()
            .map(|r| serde_json::from_str(&r.json).unwrap())
            .collect()
    }

    #[test]
    fn steps_hang_together() {
        for v in sample(500) {
            let id = v["id"].as_str().unwrap();
            assert_eq!(id.len(), 36);
            assert!(id.ends_with("00"), "{id}");
            let ok = v["status"]["errorCode"] == 0;
            assert_eq!(v["userId"].is_string(), ok && v["signUpStage"] == "userCreation", "{v}");
            let federated = v["signUpIdentityProvider"].as_str().map(|p| !p.starts_with("Email")).unwrap();
            let kind = if federated { "federation" } else { "emailAddress" };
            assert_eq!(v["signUpIdentity"]["signUpIdentifierType"], kind);
            assert!(v["signUpIdentity"]["signUpIdentifier"].as_str().unwrap().contains('@'));
        }
    }

    #[test]
    fn fraud_protection_guards_one_app() {
        let all = sample(500);
        let mut protected: Vec<&Value> =
            all.iter().filter(|v| v["fraudProtectionDetails"].is_object()).map(|v| &v["appId"]).collect();
        protected.dedup();
        assert_eq!(protected.len(), 1);
        assert!(all.iter().filter(|v| &v["appId"] == protected[0]).all(|v| v["fraudProtectionDetails"].is_object()));
    }

    #[test]
    fn has_the_variety_downstream_must_handle() {
        let all = sample(1500);
        let any = |f: &dyn Fn(&Value) -> bool| all.iter().any(f);
        for stage in [
            "credentialCollection",
            "credentialValidation",
            "credentialFederation",
            "attributeCollectionAndValidation",
            "consent",
            "userCreation",
            "tenantConsent",
        ] {
            assert!(any(&|v| v["signUpStage"] == stage), "{stage}");
        }
        assert!(any(&|v| v["status"]["errorCode"] == 1_002_013 && v["status"]["failureReason"].is_null()));
        assert!(any(&|v| v["status"]["failureReason"].is_string()));
        assert!(any(&|v| v["appDisplayName"].is_null()));
        assert!(any(&|v| v["fraudProtectionDetails"].is_null()));
        assert!(any(&|v| v["fraudProtectionDetails"]["providerErrorMessages"]
            .as_array()
            .is_some_and(|a| !a.is_empty())));
        assert!(any(&|v| v["appliedEventListeners"].as_array().unwrap().len() == 2));
        assert!(any(&|v| v["appliedEventListeners"][0]["eventType"] == "emailOtpSend"));
        assert!(any(&|v| v["appliedEventListeners"].as_array().unwrap().is_empty()));
    }
}
