//! `entra-archive doctor`: every prerequisite checked, each with its fix.
//!
//! Takes the [`Services`] the composition root built from the settings, and
//! runs the checks in pipeline order — credentials (for a federated
//! credential: the token it presents and its issuer's keys), token and clock, permissions in
//! the token's `roles`, a one-record probe of each dataset (licence and
//! access), the destination (a probe object written, read and deleted) and
//! each dataset's checkpoint and lag, and whether its files are at the
//! current schema version. A failing check never stops the
//! others; a check that needs an earlier one's result is skipped with the
//! reason. Hands back a [`Report`]. Never prints, logs or reports the client
//! secret, the private key or the bearer token.

mod archive;
mod federation;
mod inspect;
mod report;

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};

pub use report::{Check, Outcome, Report};

use crate::checkpoint::CheckpointStore;
use crate::compose::Services;
use crate::credentials::{ClientCredentials, Credential};
use crate::datasets::DatasetDef;
use crate::deadline::Deadline;
use crate::destination::{Destination, PutMode};
use crate::error::Error;
use crate::graph::{GraphClient, RequestStats, slice_url};
use crate::layout::STATE_DIR;
use crate::token::TokenClient;
use inspect::{expiry_outcome, human, not_after, skew_outcome, token_roles};

/// Permissions every archive needs, whatever datasets are selected.
const BASE_PERMISSIONS: &[&str] = &["AuditLog.Read.All", "Directory.Read.All"];
/// Warn when a checkpoint is further behind than this.
const LAG_WARN: TimeDelta = TimeDelta::hours(48);
/// Longest time one dataset probe may take, retries included.
const PROBE_TIME: Duration = Duration::from_secs(60);
/// Advice for client secrets, whose expiry the token does not show.
const SECRET_ADVICE: &str = "rotate the client secret before it expires (App registrations > your app > Certificates & secrets shows the date); doctor cannot see its expiry";
/// Fix for a missing application permission.
const CONSENT: &str = "In the Entra admin center open App registrations > your app > API permissions, add it as a Microsoft Graph *application* permission (not delegated), then choose 'Grant admin consent'";

/// A report whose settings did not validate: `error` names the flag or
/// variable; everything else is skipped.
pub fn bad_settings(error: &Error) -> Report {
    let mut checks = vec![Check::new("settings", Outcome::Fail, error.to_string(), "fix the setting named above")];
    for name in
        ["credentials", "token", "clock", "permissions", "licence", "destination", "checkpoint", "lease", "schema"]
    {
        checks.push(Check::skip(name, "valid settings"));
    }
    Report { checks, bad_settings: true }
}

/// Runs every check with what `services` holds; windows and lags are
/// measured from `--now`, or the clock.
pub async fn examine(services: &Services) -> Report {
    let config = services.config();
    let now = config.now.unwrap_or_else(|| (services.clock)());
    let names: Vec<&str> = config.datasets.iter().map(|d| d.name).collect();
    let mut checks = vec![Check::ok("settings", format!("valid; datasets: {}", names.join(", ")))];

    let creds = check_credentials(&mut checks, services, now).await;
    let tenant = creds.as_ref().map(|c| c.tenant_id.clone());
    let roles = match creds {
        Some(_) => check_token(&mut checks, &services.tokens).await,
        None => {
            checks.push(Check::skip("token", "readable credentials"));
            checks.push(Check::skip("clock", "a token response"));
            None
        }
    };
    match &roles {
        Some(roles) => checks.push(check_roles(roles.as_deref(), &config.datasets, &config.named)),
        None => checks.push(Check::skip("permissions", "a token")),
    }
    for def in &config.datasets {
        let name = format!("licence {}", def.name);
        match roles {
            Some(_) => {
                let named = config.named.contains(&def.name);
                checks.push(probe(&services.graph, def, now - config.lag, name, named).await)
            }
            None => checks.push(Check::skip(name, "a token")),
        }
    }

    check_destination(&mut checks, services, tenant.as_deref(), now).await;
    Report { checks, bad_settings: false }
}

async fn check_credentials(
    checks: &mut Vec<Check>,
    services: &Services,
    now: DateTime<Utc>,
) -> Option<ClientCredentials> {
    let creds = match services.credentials.credentials().await {
        Ok(creds) => creds,
        Err(e) => {
            checks.push(Check::new(
                "credentials",
                Outcome::Fail,
                e.to_string(),
                "see the message: it names the field or setting",
            ));
            return None;
        }
    };
    let who = format!("app {} in tenant {}", creds.client_id, creds.tenant_id);
    if let Credential::Federated(federation) = &creds.credential {
        // Boxed: the federated checks' future would make doctor's too deep to lay out.
        return Box::pin(federation::check(checks, services, federation, &who)).await.then_some(creds);
    }
    let check = match &creds.credential {
        Credential::Secret(_) => {
            Check::new("credentials", Outcome::Ok, format!("client secret (value not shown) for {who}"), SECRET_ADVICE)
        }
        Credential::Federated(_) => unreachable!("checked above"),
        Credential::Certificate(cert) => match not_after(cert.der()) {
            None => Check::new(
                "credentials",
                Outcome::Warn,
                format!("certificate for {who}; its expiry date could not be read"),
                "check the certificate's expiry under App registrations > your app > Certificates & secrets",
            ),
            Some(end) => {
                let (outcome, days) = expiry_outcome(now, end);
                let evidence = format!("certificate for {who}, expires {end} ({days} days left)");
                let fix = match outcome {
                    Outcome::Fail => {
                        "the certificate has expired: upload a new certificate to the app registration and store it with its key"
                    }
                    Outcome::Warn => {
                        "the certificate expires within 30 days: upload a new one to the app registration and rotate"
                    }
                    _ => "",
                };
                Check::new("credentials", outcome, evidence, fix)
            }
        },
    };
    checks.push(check);
    Some(creds)
}

/// Pushes the token and clock checks; returns the token's roles (`None`
/// inside when the token is not a readable JWT) if a token was issued.
async fn check_token(checks: &mut Vec<Check>, tokens: &TokenClient) -> Option<Option<Vec<String>>> {
    let issued = match tokens.issue().await {
        Ok(issued) => issued,
        Err(e) => {
            let evidence = match &e {
                Error::Token(r) => {
                    let codes: Vec<String> = r.codes.iter().map(|c| format!("AADSTS{c}")).collect();
                    format!("token request refused: HTTP {} {} [{}]", r.status, r.error, codes.join(", "))
                }
                _ => "no token".to_string(),
            };
            checks.push(Check::new("token", Outcome::Fail, evidence, e.to_string()));
            checks.push(Check::skip("clock", "a token response"));
            return None;
        }
    };
    let minutes = issued.lifetime.as_secs() / 60;
    checks.push(Check::ok("token", format!("issued; expires in {minutes} min")));
    let local = Utc::now();
    checks.push(match issued.server_date {
        None => {
            Check::new("clock", Outcome::Warn, "the token endpoint sent no Date header", "check the clock with NTP")
        }
        Some(server) => {
            let (outcome, skew) = skew_outcome(local, server);
            let evidence = format!("local clock differs from the token endpoint's by {}", human(skew));
            let fix = match outcome {
                Outcome::Ok => "",
                _ => "synchronise the clock (NTP): Entra refuses client assertions outside their few-minute validity",
            };
            Check::new("clock", outcome, evidence, fix)
        }
    });
    Some(token_roles(issued.token.expose()))
}

fn check_roles(roles: Option<&[String]>, datasets: &[&'static DatasetDef], named: &[&str]) -> Check {
    let Some(roles) = roles else {
        return Check::new("permissions", Outcome::Warn, "the access token is not a readable JWT; roles unknown", "");
    };
    let held = |p: &&str| roles.iter().any(|r| r.eq_ignore_ascii_case(p));
    // Optional permissions of datasets selected through `all`: their lack
    // only makes those datasets not applicable.
    let optional = |d: &&&DatasetDef| d.permission_optional && !named.contains(&d.name);
    let mut required: Vec<&str> = BASE_PERMISSIONS.to_vec();
    let mut wanted: Vec<&str> = Vec::new();
    for d in datasets {
        let list = if optional(&d) { &mut wanted } else { &mut required };
        for p in d.permissions {
            if !list.contains(p) {
                list.push(p);
            }
        }
    }
    let missing: Vec<&str> = required.iter().copied().filter(|p| !held(p)).collect();
    let not_given: Vec<&str> = wanted.iter().copied().filter(|p| !held(p) && !required.contains(p)).collect();
    if missing.is_empty() && !not_given.is_empty() {
        let datasets: Vec<&str> = datasets.iter().filter(|d| optional(d)).map(|d| d.name).collect();
        return Check::new(
            "permissions",
            Outcome::Warn,
            format!("token roles include {}; not the optional {}", required.join(", "), not_given.join(", ")),
            format!(
                "{} are not applicable without them: to archive those logs, add them (infra/entra/register-app.sh --with custom-security-attributes,network-access) and grant admin consent",
                datasets.join(", ")
            ),
        );
    }
    if missing.is_empty() {
        return Check::ok("permissions", format!("token roles include {}", required.join(", ")));
    }
    Check::new(
        "permissions",
        Outcome::Fail,
        format!("token roles lack {} (has: {})", missing.join(", "), roles.join(", ")),
        format!("the app lacks {}. {CONSENT}", missing.join(" and ")),
    )
}

async fn probe(graph: &GraphClient, def: &'static DatasetDef, end: DateTime<Utc>, name: String, named: bool) -> Check {
    let start = end - TimeDelta::hours(1);
    let mut url = slice_url(graph.base(), def, start, end);
    let pairs: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != "$top").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut().clear().extend_pairs(pairs).append_pair("$top", "1");
    let deadline = Deadline::within(PROBE_TIME, Duration::ZERO);
    match graph.get_page(def, &url, Some(&deadline), &mut RequestStats::default()).await {
        Ok(page) => Check::ok(
            name,
            format!("readable ({} records in the probe hour, $top=1, {start} to {end})", page.records.len()),
        ),
        Err(e @ Error::Licence { .. }) if !named => Check::new(
            name,
            Outcome::Warn,
            format!("not applicable to this tenant: {e}"),
            format!("nothing to do unless the tenant should have {}", def.licence.unwrap_or("the licence")),
        ),
        Err(e @ Error::Licence { .. }) => Check::new(
            name,
            Outcome::Fail,
            format!("needs {}: {e}", def.licence.unwrap_or("a licence")),
            format!("get {} for the tenant, or leave {} out of --datasets", def.licence.unwrap_or("it"), def.name),
        ),
        Err(e @ Error::Permission { .. }) if def.permission_optional && !named => Check::new(
            name,
            Outcome::Warn,
            format!("not applicable: the app was not given the optional {}", def.permissions.join(" and ")),
            format!("to archive this log, add it and grant admin consent. ({e})"),
        ),
        Err(e @ Error::FilterRefused { .. }) => Check::new(
            name,
            Outcome::Fail,
            e.to_string(),
            "report it (see the message); the other datasets are archived",
        ),
        Err(e @ Error::Permission { .. }) => Check::new(
            name,
            Outcome::Fail,
            format!("permission denied ({})", def.permissions.join(", ")),
            format!("the app lacks {}. {CONSENT}. ({e})", def.permissions.join(" and ")),
        ),
        Err(e) => Check::new(name, Outcome::Fail, e.to_string(), ""),
    }
}

async fn check_destination(checks: &mut Vec<Check>, services: &Services, tenant: Option<&str>, now: DateTime<Utc>) {
    let config = services.config();
    let dest = match services.destination().await {
        Ok(dest) => dest,
        Err(e) => {
            checks.push(Check::new(
                "destination",
                Outcome::Fail,
                e.to_string(),
                "make the destination writable, or point --dest / ARCHIVE_DEST elsewhere",
            ));
            for def in &config.datasets {
                checks.push(Check::skip(format!("checkpoint {}", def.name), "a readable destination"));
                checks.push(Check::skip(format!("lease {}", def.name), "a readable destination"));
                checks.push(Check::skip(format!("schema {}", def.name), "a readable destination"));
            }
            return;
        }
    };
    checks.push(write_probe(dest.as_ref(), tenant).await);
    for def in &config.datasets {
        let name = format!("checkpoint {}", def.name);
        let Some(tenant) = tenant else {
            checks.push(Check::skip(name, "the tenant (from the credentials)"));
            checks.push(Check::skip(format!("lease {}", def.name), "the tenant (from the credentials)"));
            checks.push(Check::skip(format!("schema {}", def.name), "the tenant (from the credentials)"));
            continue;
        };
        checks.push(match CheckpointStore::new(dest.clone(), tenant, def.name).load().await {
            Ok(None) => {
                Check::new(name, Outcome::Warn, "no checkpoint yet: the first run archives the last 30 days", "")
            }
            Ok(Some((checkpoint, _))) if checkpoint.archived_through > now - config.lag => Check::new(
                name,
                Outcome::Fail,
                format!(
                    "archived through {}, later than now minus the lag ({}): a host whose clock was ahead wrote it; runs refuse it, and trusting it would skip that span",
                    checkpoint.archived_through,
                    now - config.lag
                ),
                format!(
                    "set it to the last time you trust: `entra-archive checkpoint --dataset {} --set <RFC 3339 time>` (or delete it and backfill), and fix that host's clock (NTP)",
                    def.name
                ),
            ),
            Ok(Some((checkpoint, _))) => {
                let lag = now - checkpoint.archived_through;
                let evidence = format!("archived through {} ({} behind)", checkpoint.archived_through, human(lag));
                match lag > LAG_WARN {
                    true => Check::new(
                        name,
                        Outcome::Warn,
                        evidence,
                        "runs are not keeping up: check the schedule and the last run's summary",
                    ),
                    false => Check::ok(name, evidence),
                }
            }
            Err(e) => Check::new(name, Outcome::Fail, e.to_string(), ""),
        });
        // Leases are written with the wall clock, whatever --now says.
        checks.push(archive::lease(dest.as_ref(), tenant, def, (services.clock)()).await);
        checks.push(archive::schema_versions(dest.as_ref(), tenant, def).await);
    }
}

async fn write_probe(dest: &dyn Destination, tenant: Option<&str>) -> Check {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key = match tenant {
        Some(tenant) => format!("{STATE_DIR}/{tenant}/doctor/probe-{id}.json"),
        None => format!("{STATE_DIR}/doctor/probe-{id}.json"),
    };
    let body = Bytes::from(format!("{{\"probe\":\"{id}\"}}"));
    let fix = "make the destination writable for this identity (folder permissions; for S3 the bucket, s3:PutObject/GetObject/DeleteObject and, with SSE-KMS, kms:GenerateDataKey/Decrypt on the key)";
    let result = async {
        dest.put(&key, body.clone(), PutMode::Create).await?;
        let read = dest.get(&key).await?;
        dest.delete(&key).await?;
        Ok::<_, Error>(read.is_some_and(|o| o.bytes == body))
    };
    match result.await {
        Ok(true) => {
            Check::ok("destination", format!("{}: probe object written, read back and deleted", dest.describe()))
        }
        Ok(false) => Check::new(
            "destination",
            Outcome::Fail,
            format!("{}: the probe object read back differs", dest.describe()),
            fix,
        ),
        Err(e) => Check::new("destination", Outcome::Fail, e.to_string(), fix),
    }
}
