//! The AWS Lambda face: event payloads in, a JSON summary out.
//!
//! Takes the invocation's event, decides what is asked ([`parse_event`]:
//! an EventBridge Scheduler or EventBridge rule "Scheduled Event" means an
//! incremental run; `{"action":"run"}` and `{"action":"backfill"}` are the
//! custom forms; `{"action":"doctor"}` runs the `doctor` checks and
//! `{"action":"upgrade"}` rewrites files of an older schema version), runs it
//! through an [`Archiver`] built from the same [`Settings`] the CLI uses
//! (read from the environment) — once per execution environment, so cached
//! credentials and tokens survive warm invocations — and returns the run
//! summary. A failed run is returned as an error so Lambda counts it (and
//! EventBridge retries or dead-letters it); a partial one (a dataset skipped
//! for a licence or permission) is not. After an incremental run, files of
//! an older schema version are upgraded in the time left (once a tenant's
//! dataset is known to be current this costs one read), so a deployed stack
//! converges by itself after a release changes a schema; the response then
//! carries the upgrade's summary under `upgrade`. A doctor report is always
//! the response, failed checks included: only a rejected event or a failed
//! setup is an invocation error.

mod event;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use serde_json::Value;
use tokio::sync::OnceCell;
use tracing::{error, info};

pub use event::{ACCEPTED, Action, parse_event};

use crate::aws::Aws;
use crate::compact::{self, CompactRequest};
use crate::compose::Services;
use crate::config::{self, Config, Settings};
use crate::datasets::{self, DatasetDef};
use crate::deadline::Deadline;
use crate::doctor;
use crate::metrics;
use crate::retry::RetryPolicy;
use crate::run::{Archiver, Mode, Observer, Request};
use crate::summary::{EXIT_FAILED, RunSummary, Status};
use crate::upgrade::{self, UpgradeRequest, UpgradeSummary};

/// The function's settings: the CLI's, and the metrics namespace.
#[derive(Debug, Parser)]
#[command(name = "entra-archive")]
struct FunctionSettings {
    #[command(flatten)]
    settings: Settings,

    /// CloudWatch namespace of the metrics printed after every invocation.
    #[arg(long, env = "ARCHIVE_METRICS_NAMESPACE", default_value = metrics::DEFAULT_NAMESPACE)]
    metrics_namespace: String,
}

/// The function's state across invocations of one execution environment.
pub struct App {
    settings: Settings,
    aws: Aws,
    retry: RetryPolicy,
    observers: Vec<Arc<dyn Observer>>,
    archiver: OnceCell<Archiver>,
    metrics_namespace: Option<String>,
}

impl App {
    /// An app with its settings from the process environment (the CLI's
    /// parser, with no command line) and AWS from the standard chain (the
    /// Lambda role), printing metrics.
    pub fn from_env() -> App {
        let function = FunctionSettings::try_parse_from(["entra-archive"]).unwrap_or_else(|e| e.exit());
        App::new(function.settings.with_env_secret(), Aws::standard(), RetryPolicy::default())
            .with_metrics(function.metrics_namespace)
    }

    /// An app whose archiver is built from `settings` and `aws` on the first
    /// invocation (tests point them at local servers). If that fails, the
    /// invocation fails with the reason and the next one tries again.
    pub fn new(settings: Settings, aws: Aws, retry: RetryPolicy) -> App {
        App { settings, aws, retry, observers: Vec::new(), archiver: OnceCell::new(), metrics_namespace: None }
    }

    /// Prints CloudWatch EMF metrics (see [`metrics`]) in `namespace` to
    /// stdout after every invocation, where Lambda's log capture turns them
    /// into metrics.
    pub fn with_metrics(mut self, namespace: String) -> App {
        self.metrics_namespace = Some(namespace);
        self
    }

    /// Tells `observer` of every run's progress.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> App {
        self.observers.push(observer);
        self
    }

    async fn archiver(&self) -> Result<&Archiver, HandlerError> {
        let setup = || async {
            let config = Config::from_settings(self.settings.clone())?;
            let services = Services::new(config, self.aws.clone(), self.retry.clone(), Arc::new(Utc::now)).await?;
            Archiver::connect(services).await
        };
        self.archiver.get_or_try_init(setup).await.map_err(|e| HandlerError::new(SETUP_FAILED, e.to_string()))
    }

    /// Handles one invocation, which must end within `remaining` (the
    /// Lambda context's deadline; `None`: no limit): the summary as JSON, or
    /// an error whose message says what failed (with the summary, when there
    /// is one). Work stops `ARCHIVE_DEADLINE_MARGIN` before the end, so what
    /// was read is committed; the next invocation resumes.
    pub async fn handle(&self, event: Value, remaining: Option<Duration>) -> Result<Value, HandlerError> {
        let action = parse_event(&event);
        match action {
            Ok(Action::Doctor {}) => return self.doctor().await,
            Ok(Action::Upgrade { datasets }) => return self.upgrade(datasets, remaining).await,
            Ok(Action::Compact { datasets }) => return self.compact(datasets, remaining).await,
            _ => {}
        }
        let incremental = matches!(action, Ok(Action::Run { .. }));
        let deadline = self.deadline(remaining).await?;
        let summary = match action {
            Ok(action) => self.run(action, deadline).await,
            Err(e) => Err(HandlerError::new(REJECTED_EVENT, format!("rejected event: {e}"))),
        };
        if let Some(namespace) = &self.metrics_namespace {
            for line in metrics::emf_lines(namespace, summary.as_ref().ok(), Utc::now()) {
                println!("{line}");
            }
        }
        let upgraded = match &summary {
            Ok(s) if incremental => self.upgrade_after_run(s, deadline).await,
            _ => None,
        };
        let mut response = summary.and_then(outcome)?;
        if let Some(upgraded) = upgraded {
            response["upgrade"] = upgraded.to_json();
        }
        Ok(response)
    }

    /// The invocation's deadline: its remaining time less the margin.
    async fn deadline(&self, remaining: Option<Duration>) -> Result<Option<Deadline>, HandlerError> {
        let margin = self.archiver().await?.config().deadline_margin;
        Ok(remaining.map(|r| Deadline::within(r, margin)))
    }

    /// `{"action":"upgrade"}`: the function's tenant's files, as the CLI's
    /// `upgrade` does them, within the invocation's time.
    async fn upgrade(
        &self,
        datasets: Option<Vec<&'static DatasetDef>>,
        remaining: Option<Duration>,
    ) -> Result<Value, HandlerError> {
        let archiver = self.archiver().await?;
        let services = archiver.services();
        let dest = services.destination().await.map_err(|e| HandlerError::new(RUN_FAILED, e.to_string()))?;
        let request = UpgradeRequest {
            datasets: datasets.unwrap_or_else(|| archiver.config().datasets.clone()),
            tenant: Some(archiver.tenant_id().to_string()),
            dry_run: false,
            deadline: self.deadline(remaining).await?,
            observers: self.observers.clone(),
        };
        let summary = upgrade::upgrade(dest, &request, services.clock.clone()).await;
        info!(files = summary.upgraded(), exit_code = summary.exit_code, "upgrade");
        match summary.exit_code == EXIT_FAILED {
            true => Err(HandlerError::new(RUN_FAILED, format!("upgrade failed: {}", summary.to_json()))),
            false => Ok(summary.to_json()),
        }
    }

    /// `{"action":"compact"}` (the daily schedule): the function's tenant's
    /// sealed days, as the CLI's `compact` does them, within the
    /// invocation's time; the next invocation goes on where it stopped.
    async fn compact(
        &self,
        datasets: Option<Vec<&'static DatasetDef>>,
        remaining: Option<Duration>,
    ) -> Result<Value, HandlerError> {
        let archiver = self.archiver().await?;
        let services = archiver.services();
        let dest = services.destination().await.map_err(|e| HandlerError::new(RUN_FAILED, e.to_string()))?;
        let config = archiver.config();
        let request = CompactRequest {
            datasets: datasets.unwrap_or_else(|| config.datasets.clone()),
            tenant: Some(archiver.tenant_id().to_string()),
            overlap: config.overlap,
            limits: config.file_limits,
            deadline: self.deadline(remaining).await?,
            observers: self.observers.clone(),
        };
        let summary = compact::compact(dest, &request, services.clock.clone()).await;
        info!(days = summary.days(), exit_code = summary.exit_code, "compact");
        match summary.exit_code == EXIT_FAILED {
            true => Err(HandlerError::new(RUN_FAILED, format!("compaction failed: {}", summary.to_json()))),
            false => Ok(summary.to_json()),
        }
    }

    /// After an incremental run: the datasets it archived whose files may
    /// still be at an older schema version, upgraded before the deadline.
    /// `None` when there was nothing to upgrade (one marker read per dataset
    /// once they are all current).
    async fn upgrade_after_run(&self, run: &RunSummary, deadline: Option<Deadline>) -> Option<UpgradeSummary> {
        let archiver = self.archiver().await.ok()?;
        let services = archiver.services();
        let dest = services.destination().await.ok()?;
        let tenant = archiver.tenant_id();
        let mut datasets = Vec::new();
        for summary in run.datasets.iter().filter(|d| d.status == Status::Ok) {
            let def = datasets::by_name(summary.dataset)?;
            if upgrade::pending(dest.as_ref(), tenant, def).await.unwrap_or(false) {
                datasets.push(def);
            }
        }
        if datasets.is_empty() || deadline.as_ref().is_some_and(Deadline::reached) {
            return None;
        }
        let tenant = Some(tenant.to_string());
        let request = UpgradeRequest { datasets, tenant, dry_run: false, deadline, observers: self.observers.clone() };
        let summary = upgrade::upgrade(dest, &request, services.clock.clone()).await;
        summary.worth_reporting().then_some(summary)
    }

    /// The doctor's report as the response; failed checks are in it, not an error.
    async fn doctor(&self) -> Result<Value, HandlerError> {
        let report = doctor::examine(self.archiver().await?.services()).await;
        info!(ok = report.passed(), checks = report.checks.len(), "doctor");
        Ok(report.to_json())
    }

    async fn run(&self, action: Action, deadline: Option<Deadline>) -> Result<RunSummary, HandlerError> {
        let archiver = self.archiver().await?;
        let config = archiver.config();
        let (mode, datasets) = match action {
            Action::Run { datasets } => (Mode::Incremental, datasets),
            Action::Backfill { from, to, datasets } => {
                // The CLI's rules for a backfill's range (2000 to a day
                // after now, before now − lag, within Graph's retention).
                config::parse_backfill_range(&self.settings, &from.to_rfc3339(), &to.to_rfc3339())
                    .map_err(|e| HandlerError::new(REJECTED_EVENT, format!("rejected event: {e}")))?;
                (Mode::Backfill { from, to }, datasets)
            }
            Action::Doctor {} | Action::Upgrade { .. } | Action::Compact { .. } => {
                unreachable!("handled by App::handle")
            }
        };
        let request = Request {
            datasets: datasets.unwrap_or_else(|| config.datasets.clone()),
            mode,
            deadline,
            observers: self.observers.clone(),
        };
        info!(mode = ?request.mode, datasets = request.datasets.len(), "invocation");
        archiver.run(request).await.map_err(|e| HandlerError::new(RUN_FAILED, e.to_string()))
    }
}

fn outcome(summary: RunSummary) -> Result<Value, HandlerError> {
    let json = serde_json::to_value(&summary).expect("a summary always serialises");
    if summary.exit_code == EXIT_FAILED {
        let reasons: Vec<String> =
            summary.datasets.iter().filter_map(|d| d.error.as_ref().map(|e| format!("{}: {e}", d.dataset))).collect();
        error!(summary = %json, "run failed");
        return Err(HandlerError::new(RUN_FAILED, format!("run failed: {}. Summary: {json}", reasons.join("; "))));
    }
    Ok(json)
}

/// `errorType` of an invocation whose event was not understood.
pub const REJECTED_EVENT: &str = "EntraArchive.RejectedEvent";
/// `errorType` when settings, credentials or clients could not be set up.
pub const SETUP_FAILED: &str = "EntraArchive.SetupFailed";
/// `errorType` of a run that failed.
pub const RUN_FAILED: &str = "EntraArchive.RunFailed";

/// A failed invocation, reported by Lambda as `errorType` and `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// One of [`REJECTED_EVENT`], [`SETUP_FAILED`], [`RUN_FAILED`].
    pub kind: &'static str,
    /// What happened and what to do.
    pub message: String,
}

impl HandlerError {
    /// An error whose message leaves with every credential masked (`redact`):
    /// it goes to Lambda's logs and to whoever invoked the function.
    fn new(kind: &'static str, message: String) -> Self {
        HandlerError { kind, message: crate::redact::redacted(&message) }
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for HandlerError {}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        lambda_runtime::Diagnostic { error_type: e.kind.to_string(), error_message: e.message }
    }
}
