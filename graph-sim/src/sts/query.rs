//! The `GetWebIdentityToken` call as the STS Query protocol carries it: a
//! form body of `Action`, `Version` and the operation's parameters, the way
//! the AWS SDKs serialize it (`Audience.member.N`, `SigningAlgorithm`,
//! `DurationSeconds`, `Tags.member.N.Key`/`.Value`).
//!
//! Takes the decoded form; hands on a validated [`GetWebIdentityToken`], or
//! the STS error: a missing or unknown action (`MissingAction`,
//! `InvalidAction`), or parameters outside what the API reference allows
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetWebIdentityToken.html>:
//! 1–10 audiences of 1–1000 characters, `SigningAlgorithm` required and
//! `RS256` or `ES384`, `DurationSeconds` 60–3600 defaulting to 300, at most
//! 50 tags) as one 400 `ValidationError` listing every violation in AWS's
//! wording. `ES384` is valid at AWS but this stand-in signs RS256 only: it
//! answers 400 `NotSupportedByStandIn` saying so.

use std::collections::BTreeMap;

use axum::http::StatusCode;

use super::xml::StsError;

/// The operation this stand-in serves.
pub const ACTION: &str = "GetWebIdentityToken";
/// The STS API version the SDKs send.
pub const VERSION: &str = "2011-06-15";
/// The one signing algorithm this stand-in implements.
pub const RS256: &str = "RS256";
/// `DurationSeconds` when the caller sends none.
pub const DEFAULT_DURATION_SECS: i64 = 300;

/// A valid `GetWebIdentityToken` call.
#[derive(Debug, PartialEq, Eq)]
pub struct GetWebIdentityToken {
    /// The `aud` claim's values, in member order.
    pub audiences: Vec<String>,
    /// The token's lifetime in seconds.
    pub duration_secs: i64,
    /// Request tags, which AWS adds to the token as `request_tags`.
    pub tags: BTreeMap<String, String>,
}

/// What the form says, before validation (for the stats too).
#[derive(Debug, Default)]
pub struct Raw {
    pub audiences: Vec<String>,
    pub signing_algorithm: Option<String>,
    pub duration: Option<String>,
    pub tags: Vec<(Option<String>, Option<String>)>,
}

impl Raw {
    /// Reads the operation's parameters from the form.
    pub fn read(form: &[(String, String)]) -> Raw {
        let mut audiences: BTreeMap<usize, String> = BTreeMap::new();
        let mut tags: BTreeMap<usize, (Option<String>, Option<String>)> = BTreeMap::new();
        let mut raw = Raw::default();
        for (name, value) in form {
            if let Some(n) = name.strip_prefix("Audience.member.").and_then(|n| n.parse().ok()) {
                audiences.insert(n, value.clone());
            } else if let Some((n, field)) = name.strip_prefix("Tags.member.").and_then(|r| r.split_once('.')) {
                let Ok(n) = n.parse() else { continue };
                let tag = tags.entry(n).or_default();
                match field {
                    "Key" => tag.0 = Some(value.clone()),
                    "Value" => tag.1 = Some(value.clone()),
                    _ => {}
                }
            } else if name == "SigningAlgorithm" {
                raw.signing_algorithm = Some(value.clone());
            } else if name == "DurationSeconds" {
                raw.duration = Some(value.clone());
            }
        }
        raw.audiences = audiences.into_values().collect();
        raw.tags = tags.into_values().collect();
        raw
    }

    /// `DurationSeconds` as a number, if it is one.
    pub fn duration_seconds(&self) -> Option<i64> {
        self.duration.as_deref().and_then(|d| d.trim().parse().ok())
    }

    /// Validates the call as STS does.
    pub fn validate(&self) -> Result<GetWebIdentityToken, StsError> {
        let mut problems = Vec::new();
        let constraint = |value: String, at: &str, rule: &str| {
            format!("Value {value} at '{at}' failed to satisfy constraint: Member {rule}")
        };
        match self.audiences.len() {
            0 => problems.push(constraint("null".into(), "audience", "must not be null")),
            n if n > 10 => problems.push(constraint(
                format!("'[{}]'", self.audiences.join(", ")),
                "audience",
                "must have length less than or equal to 10",
            )),
            _ => {}
        }
        for (i, a) in self.audiences.iter().enumerate() {
            let len = a.chars().count();
            if !(1..=1000).contains(&len) {
                let rule = if len == 0 { "greater than or equal to 1" } else { "less than or equal to 1000" };
                problems.push(constraint(
                    format!("'{a}'"),
                    &format!("audience.{}", i + 1),
                    &format!("must have length {rule}"),
                ));
            }
        }
        match self.signing_algorithm.as_deref() {
            None => problems.push(constraint("null".into(), "signingAlgorithm", "must not be null")),
            Some(alg) if alg.chars().count() != 5 => {
                problems.push(constraint(format!("'{alg}'"), "signingAlgorithm", "must have length equal to 5"));
            }
            Some("RS256" | "ES384") => {}
            Some(alg) => problems.push(constraint(
                format!("'{alg}'"),
                "signingAlgorithm",
                "must satisfy enum value set: [RS256, ES384]",
            )),
        }
        let duration = match (&self.duration, self.duration_seconds()) {
            (None, _) => DEFAULT_DURATION_SECS,
            (Some(d), None) => {
                problems.push(constraint(format!("'{d}'"), "durationSeconds", "must be an integer"));
                DEFAULT_DURATION_SECS
            }
            (Some(_), Some(d)) => {
                if d < 60 {
                    problems.push(constraint(
                        format!("'{d}'"),
                        "durationSeconds",
                        "must have value greater than or equal to 60",
                    ));
                } else if d > 3600 {
                    problems.push(constraint(
                        format!("'{d}'"),
                        "durationSeconds",
                        "must have value less than or equal to 3600",
                    ));
                }
                d
            }
        };
        if self.tags.len() > 50 {
            problems.push(constraint(
                format!("'{} tags'", self.tags.len()),
                "tags",
                "must have length less than or equal to 50",
            ));
        }
        let mut tags = BTreeMap::new();
        for (i, (key, value)) in self.tags.iter().enumerate() {
            match (key, value) {
                (Some(k), Some(v)) if !k.is_empty() => {
                    tags.insert(k.clone(), v.clone());
                }
                (k, v) => {
                    let (field, present) =
                        if k.as_deref().is_none_or(str::is_empty) { ("key", k) } else { ("value", v) };
                    let shown = present.as_ref().map_or_else(|| "null".to_owned(), |p| format!("'{p}'"));
                    problems.push(constraint(
                        shown,
                        &format!("tags.{}.member.{field}", i + 1),
                        "must not be null or empty",
                    ));
                }
            }
        }
        if !problems.is_empty() {
            let n = problems.len();
            let errors = if n == 1 { "error" } else { "errors" };
            return Err(StsError::sender(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                format!("{n} validation {errors} detected: {}", problems.join("; ")),
            ));
        }
        if self.signing_algorithm.as_deref() != Some(RS256) {
            return Err(StsError::sender(
                StatusCode::BAD_REQUEST,
                "NotSupportedByStandIn",
                "SigningAlgorithm ES384 is valid at AWS STS, but graph-sim's STS stand-in signs RS256 only: \
                 ask for RS256.",
            ));
        }
        Ok(GetWebIdentityToken { audiences: self.audiences.clone(), duration_secs: duration, tags })
    }
}

/// Checks `Action` and `Version`: 400 `MissingAction` without an action,
/// 400 `InvalidAction` for any operation but [`ACTION`] of [`VERSION`].
pub fn check_action(action: Option<&str>, version: Option<&str>) -> Result<(), StsError> {
    match action {
        None | Some("") => Err(StsError::sender(
            StatusCode::BAD_REQUEST,
            "MissingAction",
            "The request is missing an action or a required parameter.",
        )),
        Some(ACTION) if version == Some(VERSION) => Ok(()),
        Some(other) => Err(StsError::sender(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "Could not find operation {other} for version {}. graph-sim's STS stand-in serves \
                 {ACTION} of {VERSION} only.",
                version.unwrap_or("NO_VERSION_SPECIFIED")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    fn message(body: &str) -> String {
        let e = Raw::read(&form(body)).validate().unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "ValidationError"), "{}", e.message);
        e.message
    }

    #[test]
    fn reads_what_the_sdk_sends() {
        let body = "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.2=b&Audience.member.1=\
                    api%3A%2F%2FAzureADTokenExchange&DurationSeconds=900&SigningAlgorithm=RS256\
                    &Tags.member.1.Key=team&Tags.member.1.Value=data";
        let raw = Raw::read(&form(body));
        assert_eq!(raw.duration_seconds(), Some(900));
        let call = raw.validate().unwrap();
        assert_eq!(call.audiences, ["api://AzureADTokenExchange", "b"], "member order, not form order");
        assert_eq!(call.duration_secs, 900);
        assert_eq!(call.tags, BTreeMap::from([("team".to_owned(), "data".to_owned())]));
        let default = Raw::read(&form("Audience.member.1=a&SigningAlgorithm=RS256")).validate().unwrap();
        assert_eq!(default.duration_secs, 300);
    }

    #[test]
    fn each_documented_limit() {
        assert_eq!(
            message("SigningAlgorithm=RS256"),
            "1 validation error detected: Value null at 'audience' failed to satisfy constraint: Member must not be null"
        );
        let eleven: String = (1..=11).map(|i| format!("Audience.member.{i}=a{i}&")).collect();
        assert!(message(&format!("{eleven}SigningAlgorithm=RS256")).contains("less than or equal to 10"));
        let long = "x".repeat(1001);
        assert!(message(&format!("Audience.member.1={long}&SigningAlgorithm=RS256")).contains("'audience.1'"));
        assert!(message("Audience.member.1=&SigningAlgorithm=RS256").contains("greater than or equal to 1"));
        assert!(message("Audience.member.1=a").contains("Value null at 'signingAlgorithm'"));
        assert!(message("Audience.member.1=a&SigningAlgorithm=RS512").contains("enum value set: [RS256, ES384]"));
        assert!(message("Audience.member.1=a&SigningAlgorithm=RS2566").contains("length equal to 5"));
        for (d, rule) in
            [("59", "greater than or equal to 60"), ("3601", "less than or equal to 3600"), ("5m", "an integer")]
        {
            let m = message(&format!("Audience.member.1=a&SigningAlgorithm=RS256&DurationSeconds={d}"));
            assert!(m.contains("'durationSeconds'") && m.contains(rule), "{m}");
        }
        for d in ["60", "3600"] {
            assert!(
                Raw::read(&form(&format!("Audience.member.1=a&SigningAlgorithm=RS256&DurationSeconds={d}")))
                    .validate()
                    .is_ok()
            );
        }
        let m = message("DurationSeconds=1");
        assert!(m.starts_with("3 validation errors detected: "), "{m}");
        assert!(
            message("Audience.member.1=a&SigningAlgorithm=RS256&Tags.member.1.Value=v").contains("tags.1.member.key")
        );
    }

    #[test]
    fn es384_is_refused_by_the_stand_in_not_by_aws() {
        let e = Raw::read(&form("Audience.member.1=a&SigningAlgorithm=ES384")).validate().unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "NotSupportedByStandIn"));
        assert!(e.message.contains("RS256 only"));
    }

    #[test]
    fn actions() {
        assert_eq!(check_action(Some(ACTION), Some(VERSION)), Ok(()));
        assert_eq!(check_action(None, Some(VERSION)).unwrap_err().code, "MissingAction");
        let e = check_action(Some("AssumeRole"), Some(VERSION)).unwrap_err();
        assert_eq!((e.code, e.status.as_u16()), ("InvalidAction", 400));
        assert!(e.message.starts_with("Could not find operation AssumeRole for version 2011-06-15."));
        assert_eq!(check_action(Some(ACTION), Some("2010-01-01")).unwrap_err().code, "InvalidAction");
    }
}
