//! Invocation payloads, parsed into [`Action`]s: the custom forms as a
//! serde-tagged enum (`{"action": …}`, unknown fields refused), EventBridge's
//! scheduled events by their `detail-type` and `source`. Errors say what was
//! wrong and list what is accepted.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

use crate::datasets::{self, DatasetDef};

/// Accepted payloads, for error messages.
pub const ACCEPTED: &str = r#"an EventBridge Scheduler or EventBridge rule "Scheduled Event", {"action":"run","datasets":[…]} {"action":"backfill","from":"<RFC 3339>","to":"<RFC 3339>","datasets":[…]} {"action":"upgrade","datasets":[…]} {"action":"compact","datasets":[…]} ("datasets" optional) or {"action":"doctor"}"#;

/// What an event asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum Action {
    /// An incremental pass, over these datasets or the configured ones.
    Run {
        /// Datasets named in the event, if any.
        #[serde(default, deserialize_with = "dataset_list")]
        datasets: Option<Vec<&'static DatasetDef>>,
    },
    /// A backfill of `[from, to)`.
    Backfill {
        /// Inclusive start.
        #[serde(deserialize_with = "rfc3339")]
        from: DateTime<Utc>,
        /// Exclusive end.
        #[serde(deserialize_with = "rfc3339")]
        to: DateTime<Utc>,
        /// Datasets named in the event, if any.
        #[serde(default, deserialize_with = "dataset_list")]
        datasets: Option<Vec<&'static DatasetDef>>,
    },
    /// The `doctor` checks of the configured settings.
    Doctor {},
    /// Files of an older schema version rewritten in the current one (the
    /// function's tenant's, within the invocation's time).
    Upgrade {
        /// Datasets named in the event, if any.
        #[serde(default, deserialize_with = "dataset_list")]
        datasets: Option<Vec<&'static DatasetDef>>,
    },
    /// Sealed days' hour files merged into day files (the function's
    /// tenant's, within the invocation's time).
    Compact {
        /// Datasets named in the event, if any.
        #[serde(default, deserialize_with = "dataset_list")]
        datasets: Option<Vec<&'static DatasetDef>>,
    },
}

/// An EventBridge event; only a schedule's is accepted.
#[derive(Deserialize)]
struct EventBridge {
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
}

/// The `action` names [`Action`] knows.
const ACTIONS: [&str; 5] = ["run", "backfill", "doctor", "upgrade", "compact"];
/// What EventBridge sends on a schedule.
const SCHEDULED: &str = "Scheduled Event";
/// Sources of scheduled events: EventBridge rules and EventBridge Scheduler.
const SCHEDULE_SOURCES: [&str; 2] = ["aws.events", "aws.scheduler"];

/// Reads an invocation payload; the error says what was wrong and what is
/// accepted.
pub fn parse_event(event: &Value) -> Result<Action, String> {
    let object = event.as_object().ok_or_else(|| format!("the event is not a JSON object; expected {ACCEPTED}"))?;
    if let Some(action) = object.get("action") {
        if !action.as_str().is_some_and(|a| ACTIONS.contains(&a)) {
            return Err(format!("unknown action {action}; expected {ACCEPTED}"));
        }
        let parsed = Action::deserialize(event).map_err(|e| format!("{e}; expected {ACCEPTED}"))?;
        if let Action::Backfill { from, to, .. } = parsed
            && from >= to
        {
            return Err(format!("backfill \"from\" ({from}) must be before \"to\" ({to})"));
        }
        return Ok(parsed);
    }
    match EventBridge::deserialize(event) {
        Ok(e) if e.detail_type == SCHEDULED && SCHEDULE_SOURCES.contains(&e.source.as_str()) => {
            Ok(Action::Run { datasets: None })
        }
        Ok(e) => Err(format!(
            "an EventBridge event of type {:?} from {:?} is not a schedule; expected {ACCEPTED}",
            e.detail_type, e.source
        )),
        Err(_) => Err(format!("the event has no \"action\" and is not a scheduled event; expected {ACCEPTED}")),
    }
}

fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| de::Error::custom(format!("{text:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})")))
}

fn dataset_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<&'static DatasetDef>>, D::Error> {
    let known = || datasets::ALL.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    let names =
        Vec::<String>::deserialize(d).map_err(|_| de::Error::custom("\"datasets\" must be a list of dataset names"))?;
    let mut out: Vec<&'static DatasetDef> = Vec::new();
    for name in &names {
        let def = datasets::by_name(&name.to_ascii_lowercase())
            .ok_or_else(|| de::Error::custom(format!("unknown dataset {name:?}; known: {}", known())))?;
        if !out.contains(&def) {
            out.push(def);
        }
    }
    if out.is_empty() {
        return Err(de::Error::custom(format!("\"datasets\" is empty; known: {}", known())));
    }
    Ok(Some(out))
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
        assert_eq!(parse_event(&sample("run.json")), Ok(Action::Run { datasets: None }));
        assert_eq!(
            parse_event(&sample("run-signins.json")),
            Ok(Action::Run { datasets: Some(vec![datasets::by_name("signins").unwrap()]) })
        );
        let Ok(Action::Backfill { from, to, datasets }) = parse_event(&sample("backfill.json")) else {
            panic!("backfill sample")
        };
        assert!(from < to && datasets.is_none());
        assert_eq!(parse_event(&sample("doctor.json")), Ok(Action::Doctor {}));
        assert_eq!(parse_event(&sample("upgrade.json")), Ok(Action::Upgrade { datasets: None }));
        assert_eq!(parse_event(&sample("compact.json")), Ok(Action::Compact { datasets: None }));
        for invalid in ["invalid-unknown-action.json", "invalid-s3-notification.json"] {
            assert!(parse_event(&sample(invalid)).unwrap_err().contains("expected"), "{invalid}");
        }
    }

    #[test]
    fn dataset_names_are_case_insensitive() {
        let event = serde_json::json!({"action": "run", "datasets": ["SignIns", "DIRECTORY_AUDITS", "signins"]});
        let Action::Run { datasets: Some(defs) } = parse_event(&event).unwrap() else {
            panic!("issue 14 finding 11: a Lambda event's datasets are case-insensitive too")
        };
        assert_eq!(defs.iter().map(|d| d.name).collect::<Vec<_>>(), ["signins", "directory_audits"]);
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        let cases = [
            (serde_json::json!([1]), "not a JSON object"),
            (serde_json::json!({}), "no \"action\""),
            (serde_json::json!({"action": "purge"}), "unknown action \"purge\""),
            (serde_json::json!({"action": 7}), "unknown action 7"),
            (serde_json::json!({"action": "run", "dataset": ["signins"]}), "unknown field `dataset`"),
            (serde_json::json!({"action": "run", "datasets": ["logins"]}), "unknown dataset \"logins\""),
            (serde_json::json!({"action": "run", "datasets": "signins"}), "must be a list"),
            (serde_json::json!({"action": "run", "datasets": []}), "empty"),
            (serde_json::json!({"action": "doctor", "datasets": ["signins"]}), "unknown field `datasets`"),
            (serde_json::json!({"action": "backfill", "from": "2026-11-01T00:00:00Z"}), "missing field `to`"),
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
