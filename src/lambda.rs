//! The AWS Lambda face: event payloads in, a JSON summary out.
//!
//! Takes the invocation's event, decides what is asked ([`parse_event`]:
//! an EventBridge Scheduler or EventBridge rule "Scheduled Event" means an
//! incremental run; `{"action":"run"}` and `{"action":"backfill"}` are the
//! custom forms; `{"action":"doctor"}` runs the `doctor` checks), runs it through the same [`Archiver`] the CLI uses — built
//! once per execution environment, so cached credentials and tokens survive
//! warm invocations — and returns the run summary. A failed run is returned
//! as an error so Lambda counts it (and EventBridge retries or dead-letters
//! it); a partial one (a dataset skipped for a licence or permission) is not.
//! A doctor report is always the response, failed checks included: only a
//! rejected event or a failed setup is an invocation error.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use tracing::{error, info};

use crate::config::{Config, RawSettings, env_var};
use crate::datasets::{self, DatasetDef};
use crate::deadline::Deadline;
use crate::metrics;
use crate::retry::RetryPolicy;
use crate::run::Mode;
use crate::summary::{EXIT_FAILED, RunSummary};
use crate::{Archiver, Request};

/// Accepted payloads, for error messages.
pub const ACCEPTED: &str = r#"an EventBridge Scheduler or EventBridge rule "Scheduled Event", {"action":"run","datasets":[…]} {"action":"backfill","from":"<RFC 3339>","to":"<RFC 3339>","datasets":[…]} ("datasets" optional) or {"action":"doctor"}"#;

/// What an event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An incremental pass, over these datasets or the configured ones.
    Run {
        /// Datasets named in the event, if any.
        datasets: Option<Vec<&'static DatasetDef>>,
    },
    /// A backfill of `[from, to)`.
    Backfill {
        /// Inclusive start.
        from: DateTime<Utc>,
        /// Exclusive end.
        to: DateTime<Utc>,
        /// Datasets named in the event, if any.
        datasets: Option<Vec<&'static DatasetDef>>,
    },
    /// The `doctor` checks of the configured settings.
    Doctor,
}

/// Reads an invocation payload; the error says what was wrong and what is
/// accepted.
pub fn parse_event(event: &Value) -> Result<Action, String> {
    let object = event.as_object().ok_or_else(|| format!("the event is not a JSON object; expected {ACCEPTED}"))?;
    if let Some(action) = object.get("action") {
        return parse_custom(object, action);
    }
    let detail_type = object.get("detail-type").and_then(Value::as_str);
    let source = object.get("source").and_then(Value::as_str);
    match (detail_type, source) {
        (Some("Scheduled Event"), Some("aws.events" | "aws.scheduler")) => Ok(Action::Run { datasets: None }),
        (Some(other), Some(source)) => Err(format!(
            "an EventBridge event of type {other:?} from {source:?} is not a schedule; expected {ACCEPTED}"
        )),
        _ => Err(format!("the event has no \"action\" and is not a scheduled event; expected {ACCEPTED}")),
    }
}

fn parse_custom(object: &Map<String, Value>, action: &Value) -> Result<Action, String> {
    let allowed: &[&str] = match action.as_str() {
        Some("run") => &["action", "datasets"],
        Some("backfill") => &["action", "datasets", "from", "to"],
        Some("doctor") => &["action"],
        _ => return Err(format!("unknown action {action}; expected {ACCEPTED}")),
    };
    if let Some(extra) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("unknown field {extra:?} for action {action}; expected {ACCEPTED}"));
    }
    if action == "doctor" {
        return Ok(Action::Doctor);
    }
    let datasets = object.get("datasets").map(parse_datasets).transpose()?;
    if action == "run" {
        return Ok(Action::Run { datasets });
    }
    let time = |name: &str| -> Result<DateTime<Utc>, String> {
        let text = object
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("backfill needs \"{name}\" as an RFC 3339 time"))?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("backfill \"{name}\" {text:?} is not an RFC 3339 time ({e})"))
    };
    let (from, to) = (time("from")?, time("to")?);
    if from >= to {
        return Err(format!("backfill \"from\" ({from}) must be before \"to\" ({to})"));
    }
    Ok(Action::Backfill { from, to, datasets })
}

fn parse_datasets(value: &Value) -> Result<Vec<&'static DatasetDef>, String> {
    let known = || datasets::ALL.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    let names = value.as_array().ok_or("\"datasets\" must be a list of dataset names")?;
    let mut out: Vec<&'static DatasetDef> = Vec::new();
    for name in names {
        let name = name.as_str().ok_or("\"datasets\" must be a list of dataset names")?;
        let def = datasets::by_name(name).ok_or_else(|| format!("unknown dataset {name:?}; known: {}", known()))?;
        if !out.contains(&def) {
            out.push(def);
        }
    }
    if out.is_empty() {
        return Err(format!("\"datasets\" is empty; known: {}", known()));
    }
    Ok(out)
}

/// Builds the [`Archiver`] on the first invocation.
pub type Setup = Box<dyn Fn() -> BoxFuture<'static, Result<Archiver, crate::Error>> + Send + Sync>;

/// The function's state across invocations of one execution environment.
pub struct App {
    archiver: OnceCell<Archiver>,
    setup: Setup,
    metrics_namespace: Option<String>,
}

impl App {
    /// An app reading its settings from the process environment and AWS
    /// from the standard chain (the Lambda role).
    pub fn from_env() -> App {
        let namespace = env_var(METRICS_NAMESPACE_VAR).unwrap_or_else(|| metrics::DEFAULT_NAMESPACE.to_string());
        App::new(Box::new(|| {
            Box::pin(async {
                let config = Config::from_raw(RawSettings::from_env(env_var), env_var)?;
                Archiver::connect(config, RetryPolicy::default(), Arc::new(Utc::now)).await
            })
        }))
        .with_metrics(namespace)
    }

    /// Prints CloudWatch EMF metrics (see [`metrics`]) in `namespace` to
    /// stdout after every invocation, where Lambda's log capture turns them
    /// into metrics.
    pub fn with_metrics(mut self, namespace: String) -> App {
        self.metrics_namespace = Some(namespace);
        self
    }

    /// An app whose archiver `setup` builds (tests point it at local servers).
    /// If setup fails, the invocation fails with the reason and the next one
    /// tries again.
    pub fn new(setup: Setup) -> App {
        App { archiver: OnceCell::new(), setup, metrics_namespace: None }
    }

    async fn archiver(&self) -> Result<&Archiver, crate::Error> {
        self.archiver.get_or_try_init(|| (self.setup)()).await
    }

    /// Handles one invocation, which must end within `remaining` (the
    /// Lambda context's deadline; `None`: no limit): the summary as JSON, or
    /// an error whose message says what failed (with the summary, when there
    /// is one). Work stops `ARCHIVE_DEADLINE_MARGIN` before the end, so what
    /// was read is committed; the next invocation resumes.
    pub async fn handle(&self, event: Value, remaining: Option<Duration>) -> Result<Value, HandlerError> {
        if parse_event(&event) == Ok(Action::Doctor) {
            return self.doctor().await;
        }
        let (summary, result) = self.invoke(event, remaining).await;
        if let Some(namespace) = &self.metrics_namespace {
            for line in metrics::emf_lines(namespace, summary.as_ref(), Utc::now()) {
                println!("{line}");
            }
        }
        result
    }

    /// The doctor's report as the response; failed checks are in it, not an error.
    async fn doctor(&self) -> Result<Value, HandlerError> {
        let archiver = self.archiver().await.map_err(|e| HandlerError::new(SETUP_FAILED, e.to_string()))?;
        let report = archiver.doctor().await;
        info!(ok = report.passed(), checks = report.checks.len(), "doctor");
        Ok(report.to_json())
    }

    async fn invoke(
        &self,
        event: Value,
        remaining: Option<Duration>,
    ) -> (Option<RunSummary>, Result<Value, HandlerError>) {
        match self.run(event, remaining).await {
            Ok(summary) => (Some(summary.clone()), outcome(summary)),
            Err(e) => (None, Err(e)),
        }
    }

    async fn run(&self, event: Value, remaining: Option<Duration>) -> Result<RunSummary, HandlerError> {
        let action =
            parse_event(&event).map_err(|e| HandlerError::new(REJECTED_EVENT, format!("rejected event: {e}")))?;
        let archiver = self.archiver().await.map_err(|e| HandlerError::new(SETUP_FAILED, e.to_string()))?;
        let deadline = remaining.map(|r| Deadline::within(r, archiver.config().deadline_margin));
        let request = match action {
            Action::Run { datasets } => Request {
                datasets: datasets.unwrap_or_else(|| archiver.config().datasets.clone()),
                mode: Mode::Incremental,
                deadline,
                observer: None,
            },
            Action::Backfill { from, to, datasets } => Request {
                datasets: datasets.unwrap_or_else(|| archiver.config().datasets.clone()),
                mode: Mode::Backfill { from, to },
                deadline,
                observer: None,
            },
            Action::Doctor => {
                return Err(HandlerError::new(REJECTED_EVENT, "doctor is not a run (handled by App::handle)".into()));
            }
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

/// Environment variable naming the CloudWatch metrics namespace.
pub const METRICS_NAMESPACE_VAR: &str = "ARCHIVE_METRICS_NAMESPACE";

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
    fn new(kind: &'static str, message: String) -> Self {
        HandlerError { kind, message }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn every_sample_event_parses_as_documented() {
        assert_eq!(parse_event(&sample("eventbridge-scheduler.json")), Ok(Action::Run { datasets: None }));
        assert_eq!(parse_event(&sample("eventbridge-rule-scheduled.json")), Ok(Action::Run { datasets: None }));
        assert_eq!(
            parse_event(&sample("run-signins.json")),
            Ok(Action::Run { datasets: Some(vec![datasets::by_name("signins").unwrap()]) })
        );
        let Ok(Action::Backfill { from, to, datasets }) = parse_event(&sample("backfill.json")) else {
            panic!("backfill sample")
        };
        assert!(from < to && datasets.is_none());
        assert_eq!(parse_event(&sample("doctor.json")), Ok(Action::Doctor));
        for invalid in ["invalid-unknown-action.json", "invalid-s3-notification.json"] {
            assert!(parse_event(&sample(invalid)).unwrap_err().contains("expected"), "{invalid}");
        }
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        let cases = [
            (serde_json::json!([1]), "not a JSON object"),
            (serde_json::json!({}), "no \"action\""),
            (serde_json::json!({"action": "run", "dataset": ["signins"]}), "unknown field \"dataset\""),
            (serde_json::json!({"action": "run", "datasets": ["logins"]}), "unknown dataset \"logins\""),
            (serde_json::json!({"action": "run", "datasets": []}), "empty"),
            (serde_json::json!({"action": "doctor", "datasets": ["signins"]}), "unknown field \"datasets\""),
            (serde_json::json!({"action": "backfill", "from": "2026-11-01T00:00:00Z"}), "\"to\""),
            (
                serde_json::json!({"action": "backfill", "from": "yesterday", "to": "2026-11-01T00:00:00Z"}),
                "not an RFC 3339",
            ),
            (
                serde_json::json!({"action": "backfill", "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}),
                "before",
            ),
            (serde_json::json!({"detail-type": "Object Created", "source": "aws.s3"}), "not a schedule"),
        ];
        for (event, needle) in cases {
            let e = parse_event(&event).unwrap_err();
            assert!(e.contains(needle), "{event}: {e}");
        }
    }
}
