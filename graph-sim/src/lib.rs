//! `graph-sim` plays Microsoft for the exporter's tests and demos: the Entra
//! token endpoint and Microsoft Graph's activity-report endpoints, served over
//! real HTTP on loopback, seeded and deterministic. Its [`sts`] module plays
//! the AWS side of secretless sign-in (STS `GetWebIdentityToken` and the
//! account's OIDC issuer).
//!
//! ```text
//! POST /{tenant}/oauth2/v2.0/token ─► secret, certificate client assertion, or
//!        federated assertion (issuer's keys fetched from its OIDC discovery)
//!        ─► token, roles = granted permissions (AADSTS errors as Entra sends them)
//! GET  /v1.0/auditLogs/{signIns,directoryAudits,provisioning}
//!      /beta/auditLogs/{signIns,customSecurityAttributeAudits,signUps}
//!      /v1.0/identityProtection/{riskDetections,servicePrincipalRiskDetections}
//!      /beta/networkAccess/logs/traffic
//!        bearer ─► rate limit (throttle group) ─► fault queue
//!        ─► permission, then licence ─► $filter/$top/$skiptoken ─► keyset page
//!
//! sts::StsSim, its own port:
//! POST / Action=GetWebIdentityToken (AWS STS Query protocol, SigV4)
//!        ─► an RS256 JWT about the caller's role
//! GET  /issuer/.well-known/{openid-configuration,jwks.json} ─► the key to verify it
//! ```
//!
//! It shares no code with the exporter: it is the other side of the wire.
//! The same seed and the same sequence of calls give byte-identical records,
//! so tests can compare exact record sets and exact bytes.
//!
//! What each dataset does, and the choices where Graph's docs are silent
//! (the rows live in `dataset`):
//!
//! | dataset | `$filter` | page default/max | premium | permission | throttle |
//! |---|---|---|---|---|---|
//! | v1.0 signIns | createdDateTime eq/ge/le | 1000/1000 | yes | AuditLog.Read.All | auditLogs |
//! | beta signIns | the same, and one `signInEventTypes/any(t: t eq '…')` | 1000/1000 | yes | AuditLog.Read.All | auditLogs |
//! | directoryAudits | activityDateTime eq/ge/le | 1000/1000 | no | AuditLog.Read.All | auditLogs |
//! | provisioning | activityDateTime eq/gt/lt | 100/1000 | no | AuditLog.Read.All | auditLogs |
//! | riskDetections | lastUpdatedDateTime or detectedDateTime eq/ge/le | 20/500 | yes | IdentityRiskEvent.Read.All | identityProtection |
//! | servicePrincipalRiskDetections | lastUpdatedDateTime eq/ge/le (none documented) | 20/500 | Workload ID Premium | IdentityRiskEvent.Read.All | identityProtection |
//! | beta customSecurityAttributeAudits | activityDateTime eq/ge/le | 100/100 | no | CustomSecAttributeAuditLogs.Read.All (optional) | auditLogs |
//! | beta signUps | createdDateTime eq/ge/le | 1000/1000 | External ID tenant | AuditLog.Read.All | auditLogs |
//! | beta networkAccess traffic | createdDateTime eq/ge/le (eq documented) | 1000/1000 | Global Secure Access | NetworkAccess-Reports.Read.All (optional) | networkAccess |
//!
//! - **v1.0 and beta sign-ins are the same events.** Every v1.0 sign-in is
//!   interactive (`isInteractive: true`) and is also beta's `interactiveUser`
//!   record with the same id and `createdDateTime`: every v1.0 property with
//!   the same value (beta's `deviceDetail` and applied policies add
//!   properties to v1.0's), then the beta properties. Beta alone holds
//!   the non-interactive user, service principal and managed identity
//!   sign-ins, so v1.0 can never return one. Without a `signInEventTypes`
//!   clause beta returns interactive sign-ins only, as Graph documents.
//!   [`GraphSim::signins_of_type`] gives the records of one kind. Hand-written
//!   records ([`GraphSim::insert_raw`]) are served by the dataset they are
//!   inserted into only.
//! - **Shapes follow Microsoft's metadata.** Every property the metadata
//!   declares for a resource, and for each complex type it reaches, is sent
//!   (null where Graph sends null), in the metadata's JSON shape: beta
//!   sign-ins carry the union of the beta SDK's and the beta CSDL's
//!   properties; provisioning's `servicePrincipal` is one object. The list
//!   the sim is checked against is `tests/fixtures/graph-metadata.txt` of
//!   the workspace (graph-sim's `metadata` test).
//! - **Provisioning** takes the operators its page documents (`eq`, `gt`,
//!   `lt`; `ge`/`le` answer 400 naming the operator). `gt`/`lt` are exclusive
//!   at full precision (Graph's times are 100 ns ticks). Its page size is
//!   undocumented: the sim defaults to 100 so a client that omits `$top`
//!   must follow nextLinks, and accepts up to 1000. It does not require
//!   premium (not documented as premium-only).
//! - **Risk detections** accept `$top` up to 500 and answer 400 naming the
//!   maximum above it (rather than capping silently). They are ordered by the
//!   time field the filter bounds, newest first with ties by id, and the skip
//!   token is sealed to that field; without a filter, by
//!   `lastUpdatedDateTime` ([`Record::time`]). They change in place
//!   ([`GraphSim::update_risk_detections`]): an update moves a detection to
//!   its new `lastUpdatedDateTime`, so a walk that has passed it does not see
//!   it again, and ranges that held its old time no longer return it.
//!   Service principal risk detections change the same way
//!   ([`GraphSim::update_records`]), from `atRisk` to `dismissed` or
//!   `confirmedCompromised`.
//! - **Network access traffic has no `id`**: its key is `transactionId`
//!   ([`Dataset::key_property`]), which [`Record::id`] holds.
//! - **Undocumented filters**: the sim accepts `ge`/`le` on the time field of
//!   servicePrincipalRiskDetections and network access traffic, where
//!   Microsoft documents none or only `eq`;
//!   [`Switches::refuse_undocumented_filters`] makes them 400s.
//! - **Throttle groups** have separate budgets: everything under
//!   `/auditLogs` ([`Switches::rate_limit`]), identityProtection
//!   ([`Switches::identity_protection_rate_limit`]), whose 429s carry no
//!   `Retry-After`, and networkAccess
//!   ([`Switches::network_access_rate_limit`]; Graph documents no limit of
//!   its own).
//! - **Licence and permissions**: [`Switches::unlicensed`] closes the
//!   premium datasets with 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`;
//!   [`SimConfig::workload_id_premium`], [`SimConfig::external_id_tenant`]
//!   and [`SimConfig::global_secure_access`] open the datasets that need
//!   them. A permission missing from the app's granted set
//!   ([`Switches::revoked_permissions`], [`control::GRANTED_PERMISSIONS`];
//!   the [`control::OPTIONAL_PERMISSIONS`] only when granted by
//!   [`SimConfig::extra_permissions`] or [`GraphSim::grant_permission`])
//!   closes the datasets that need it — checked before the licence.
//! - Datasets beyond v1.0 signIns and directoryAudits are generated on first
//!   use, so a default tenant stays cheap to start; when that happens does
//!   not change the records.
//!
//! Modules:
//! - [`config`]: `SimConfig`, the tenant before it starts.
//! - [`control`]: switches (licence, permissions, rate limits, page-size
//!   cap), one-shot faults, the request log and counters.
//! - `dataset`: the served datasets, as data.
//! - `filter`, `query`, `skiptoken`: OData query options and paging tokens.
//! - `record`: stored records and the keyset-ordered store.
//! - `generate`: realistic records from a seeded ChaCha RNG (`signins`,
//!   `signins_beta`, `audits`, `provisioning`, `risk`,
//!   `service_principal_risk`, `attribute_audits`, `signups`,
//!   `network_access`, and the static cast in `vocab`).
//! - `server`: the axum server, token endpoint (`token`, `jwt`), client
//!   authentication (`credential`: secret or assertion; `certificate`: the
//!   uploaded certificate; `assertion`: certificate assertion checks;
//!   `federation`: federated assertions checked against the app's
//!   [`FederatedCredential`]s and the issuer's keys), data endpoints
//!   (`graph`), response shapes (`reply`), shared `state`, and the
//!   [`GraphSim`] handle (`registration`: the app's permissions and
//!   credentials changed at runtime).
//! - `serving`: a server on its own task that stops on request (under both
//!   the simulator and the STS stand-in).
//! - [`sts`]: a stand-in for AWS STS `GetWebIdentityToken` and the account's
//!   OIDC issuer, on its own port: the other side of secretless sign-in.
//! - `throttle`: throttle groups and the sliding window that enforces a
//!   rate limit on each.
//! - `time`: Graph's 100 ns timestamps.
#![warn(missing_docs)]

pub mod config;
pub mod control;
mod dataset;
mod filter;
mod generate;
mod query;
mod record;
mod server;
mod serving;
mod skiptoken;
pub mod sts;
mod throttle;
mod time;

pub use config::{FederatedCredential, SimConfig};
pub use control::{Fault, RateLimit, RequestLog, SimStats, Switches};
pub use dataset::{Dataset, SignInEventType};
pub use record::Record;
pub use server::GraphSim;
