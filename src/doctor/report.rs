//! The doctor's report: one row per check (check, result, evidence, fix), as
//! a table for people and as JSON, with the exit status it implies. Holds no
//! secrets: rows are built from messages that never contain them, and every
//! row's text passes `redact` when it is made and again when it is printed
//! (a server that echoes the request shows nothing of it here).

use std::fmt::Write as _;

use serde::Serialize;

use crate::redact::{redact, redacted};
use crate::summary::{EXIT_FAILED, EXIT_USAGE};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Nothing to do.
    Ok,
    /// Works now, but needs attention (exit status still 0).
    Warn,
    /// Broken: the archive cannot work until it is fixed.
    Fail,
    /// Not run, because an earlier check it needs failed.
    Skip,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }
}

/// One checked prerequisite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `token` or `licence signins`.
    pub check: String,
    /// Its outcome.
    pub result: Outcome,
    /// What was seen.
    #[serde(serialize_with = "masked")]
    pub evidence: String,
    /// What to do (empty when there is nothing to do).
    #[serde(serialize_with = "masked")]
    pub fix: String,
}

impl Check {
    /// A row.
    pub(crate) fn new(
        check: impl Into<String>,
        result: Outcome,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check { check: check.into(), result, evidence: redacted(&evidence.into()), fix: redacted(&fix.into()) }
    }

    /// A passed check.
    pub(crate) fn ok(check: impl Into<String>, evidence: impl Into<String>) -> Check {
        Check::new(check, Outcome::Ok, evidence, "")
    }

    /// A check not run because `needs` is missing.
    pub(crate) fn skip(check: impl Into<String>, needs: &str) -> Check {
        Check::new(check, Outcome::Skip, format!("skipped: needs {needs}"), "")
    }
}

/// A row's text as it leaves the program.
fn masked<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact(text))
}

/// Every check of one doctor pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The rows, in the order they ran.
    pub checks: Vec<Check>,
    /// True when settings could not be validated (exit status 2, as `run`).
    #[serde(skip)]
    pub bad_settings: bool,
}

impl Report {
    /// Whether no check failed (warnings allowed).
    pub fn passed(&self) -> bool {
        !self.checks.iter().any(|c| c.result == Outcome::Fail)
    }

    /// 0 when no check failed, 2 for bad settings, else 1.
    pub fn exit_code(&self) -> u8 {
        match (self.passed(), self.bad_settings) {
            (true, _) => 0,
            (false, true) => EXIT_USAGE,
            (false, false) => EXIT_FAILED,
        }
    }

    /// The report as one JSON object: `{"ok", "exit_code", "checks": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "ok": self.passed(), "exit_code": self.exit_code(), "checks": self.checks })
    }

    /// The report as a table for a terminal.
    pub fn to_text(&self) -> String {
        let width = self.checks.iter().map(|c| c.check.chars().count()).max().unwrap_or(5).max(5);
        let mut out = String::new();
        let _ = writeln!(out, "{:width$}  {:6}  EVIDENCE / FIX", "CHECK", "RESULT");
        for c in &self.checks {
            let _ = writeln!(out, "{:width$}  {:6}  {}", c.check, c.result.label(), redact(&c.evidence));
            if !c.fix.is_empty() {
                let _ = writeln!(out, "{:width$}  {:6}  fix: {}", "", "", redact(&c.fix));
            }
        }
        let failed = self.checks.iter().filter(|c| c.result == Outcome::Fail).count();
        let warned = self.checks.iter().filter(|c| c.result == Outcome::Warn).count();
        let _ = writeln!(out, "\n{} checks: {failed} failed, {warned} warnings", self.checks.len());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_pass_failures_do_not() {
        let mut report = Report {
            checks: vec![Check::ok("a", "fine"), Check::new("b", Outcome::Warn, "hm", "x")],
            ..Default::default()
        };
        assert_eq!(report.exit_code(), 0);
        report.checks.push(Check::new("c", Outcome::Fail, "broken", "fix it"));
        assert_eq!(report.exit_code(), EXIT_FAILED);
        report.bad_settings = true;
        assert_eq!(report.exit_code(), EXIT_USAGE);
        let json = report.to_json();
        assert_eq!(json["ok"], false);
        assert_eq!(json["checks"][1]["result"], "warn");
        assert!(report.to_text().contains("fix: fix it"));
    }

    #[test]
    fn rows_show_no_credentials_however_they_are_made() {
        let echo = "HTTP 500 (client_id=c&client_secret=Echo~Secret.Value&grant_type=client_credentials)";
        let made = Check::new("token", Outcome::Fail, echo, format!("retry; {echo}"));
        let direct = Check { check: "token".into(), result: Outcome::Fail, evidence: echo.into(), fix: echo.into() };
        let report = Report { checks: vec![made, direct], ..Default::default() };
        for text in [report.to_text(), report.to_json().to_string()] {
            assert!(text.contains("client_secret=***&grant_type") && !text.contains("Echo~Secret"), "{text}");
        }
    }
}
