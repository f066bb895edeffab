//! `$filter` for the activity reports: what Graph documents, and nothing more.
//!
//! Input is the already URL-decoded `$filter` value; output is a closed
//! [`TimeRange`]. The accepted language is a conjunction (`and`, optional
//! parentheses, case-insensitive keywords) of `<timeField> eq|ge|le <datetime>`
//! with unquoted RFC 3339 datetimes. Anything else — `gt`, `lt`, `or`, `not`,
//! functions, other properties — is rejected with a message that names the
//! offending clause, so a client bug surfaces here instead of in production.

use chrono::{DateTime, Utc};

use crate::query::QueryError;
use crate::time::{format_nanos, parse_filter_datetime};

/// The set of event times a filter admits: `lo <= t <= hi`, each bound
/// optional. Empty when `lo > hi`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub lo: Option<DateTime<Utc>>,
    /// Inclusive upper bound.
    pub hi: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Whether `t` lies in the range.
    #[cfg(test)]
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.lo.is_none_or(|lo| t >= lo) && self.hi.is_none_or(|hi| t <= hi)
    }

    /// A stable text form; two filters with the same meaning share it, so a
    /// skip token stays valid when a client re-spells an equivalent filter.
    pub fn canonical(&self) -> String {
        let b = |t: Option<DateTime<Utc>>| t.map_or_else(|| "*".to_owned(), format_nanos);
        format!("[{},{}]", b(self.lo), b(self.hi))
    }

    fn narrow(&mut self, op: Op, t: DateTime<Utc>) {
        if matches!(op, Op::Ge | Op::Eq) {
            self.lo = Some(self.lo.map_or(t, |lo| lo.max(t)));
        }
        if matches!(op, Op::Le | Op::Eq) {
            self.hi = Some(self.hi.map_or(t, |hi| hi.min(t)));
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Eq,
    Ge,
    Le,
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let boundary = c.is_whitespace() || c == '(' || c == ')';
        if boundary {
            if let Some(st) = start.take() {
                out.push(Token::Word(&s[st..i]));
            }
            match c {
                '(' => out.push(Token::Open),
                ')' => out.push(Token::Close),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(Token::Word(&s[st..]));
    }
    out
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    field: &'a str,
    range: TimeRange,
}

fn invalid(reason: String) -> QueryError {
    QueryError::InvalidFilter(reason)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&Token<'a>> {
        self.pos += 1;
        self.tokens.get(self.pos - 1)
    }

    /// The rest of the clause starting at token `from`, for error messages.
    fn clause_text(&self, from: usize) -> String {
        let mut out = String::new();
        for t in self.tokens.iter().skip(from).take(3) {
            match t {
                Token::Open => out.push('('),
                Token::Close => out.push(')'),
                Token::Word(w) => {
                    if !out.is_empty() && !out.ends_with('(') {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
            }
        }
        out
    }

    fn expr(&mut self) -> Result<(), QueryError> {
        self.term()?;
        loop {
            match self.peek() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => {
                    self.pos += 1;
                    self.term()?;
                }
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => {
                    return Err(invalid(format!(
                        "'or' is not supported; only 'and' may combine {} clauses",
                        self.field
                    )));
                }
                Some(Token::Word(_)) => {
                    return Err(invalid(format!(
                        "expected 'and' or end of filter at '{}'",
                        self.clause_text(self.pos)
                    )));
                }
                _ => return Ok(()),
            }
        }
    }

    fn term(&mut self) -> Result<(), QueryError> {
        let start = self.pos;
        match self.next() {
            Some(Token::Open) => {
                self.expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(()),
                    _ => Err(invalid("unbalanced parentheses".to_owned())),
                }
            }
            Some(Token::Word(w)) => {
                let w = *w;
                self.clause(start, w)
            }
            Some(Token::Close) => Err(invalid("unexpected ')'".to_owned())),
            None => Err(invalid("expected a clause, found end of filter".to_owned())),
        }
    }

    fn clause(&mut self, start: usize, field: &'a str) -> Result<(), QueryError> {
        if matches!(self.peek(), Some(Token::Open)) || field.contains(['\'', ',', '/']) {
            return Err(invalid(format!(
                "'{}' is not supported; only {} eq|ge|le <datetime> clauses are",
                self.clause_text(start),
                self.field
            )));
        }
        if field.eq_ignore_ascii_case("not") {
            return Err(invalid("'not' is not supported".to_owned()));
        }
        let op = match self.next() {
            Some(Token::Word(op)) => *op,
            _ => {
                return Err(invalid(format!("incomplete clause '{}'", self.clause_text(start))));
            }
        };
        let value = match self.next() {
            Some(Token::Word(v)) => *v,
            _ => {
                return Err(invalid(format!("incomplete clause '{}'", self.clause_text(start))));
            }
        };
        let clause = format!("{field} {op} {value}");
        if !field.eq_ignore_ascii_case(self.field) {
            return Err(invalid(format!(
                "'{clause}': property '{field}' is not supported in $filter here; use {}",
                self.field
            )));
        }
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ge" => Op::Ge,
            "le" => Op::Le,
            _ => {
                return Err(invalid(format!(
                    "'{clause}': operator '{op}' is not supported on {}; use eq, ge or le",
                    self.field
                )));
            }
        };
        let t = parse_filter_datetime(value).ok_or_else(|| {
            invalid(format!(
                "'{clause}': '{value}' is not an unquoted RFC 3339 datetime \
                 (at most 7 fractional digits, Z or ±hh:mm)"
            ))
        })?;
        self.range.narrow(op, t);
        Ok(())
    }
}

/// Parses a decoded `$filter` value for a dataset whose time property is
/// `time_field`.
pub fn parse_filter(input: &str, time_field: &str) -> Result<TimeRange, QueryError> {
    let mut p = Parser { tokens: tokenize(input), pos: 0, field: time_field, range: TimeRange::default() };
    if p.tokens.is_empty() {
        return Err(invalid("the filter is empty".to_owned()));
    }
    p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(invalid(format!("unexpected '{}'", p.clause_text(p.pos))));
    }
    Ok(p.range)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "createdDateTime";

    fn t(s: &str) -> DateTime<Utc> {
        parse_filter_datetime(s).unwrap()
    }

    fn err(input: &str) -> String {
        parse_filter(input, F).unwrap_err().to_string()
    }

    #[test]
    fn accepts_the_documented_forms() {
        let r = parse_filter(
            "createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-24T23:59:59.9999999Z",
            F,
        )
        .unwrap();
        assert_eq!(r.lo, Some(t("2026-11-24T00:00:00Z")));
        assert_eq!(r.hi, Some(t("2026-11-24T23:59:59.9999999Z")));

        let paren =
            parse_filter("(createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-25T00:00:00Z)", F)
                .unwrap();
        assert_eq!(paren.lo, r.lo);
        assert_eq!(paren.hi, Some(t("2026-11-25T00:00:00Z")));

        let nested =
            parse_filter("((createdDateTime ge 2026-11-24T00:00:00Z))AND(createdDateTime LE 2026-11-25T00:00:00Z)", F)
                .unwrap();
        assert_eq!(nested, paren);
    }

    #[test]
    fn eq_and_repeated_bounds_intersect() {
        let r = parse_filter("createdDateTime eq 2026-11-24T08:00:00Z", F).unwrap();
        assert_eq!(r.lo, r.hi);
        assert!(r.contains(t("2026-11-24T08:00:00Z")));
        assert!(!r.contains(t("2026-11-24T08:00:00.0000001Z")));

        let r = parse_filter(
            "createdDateTime ge 2026-11-24T01:00:00Z and createdDateTime ge 2026-11-24T02:00:00Z \
             and createdDateTime le 2026-11-24T05:00:00Z and createdDateTime le 2026-11-24T04:00:00Z",
            F,
        )
        .unwrap();
        assert_eq!(r.lo, Some(t("2026-11-24T02:00:00Z")));
        assert_eq!(r.hi, Some(t("2026-11-24T04:00:00Z")));
    }

    #[test]
    fn bounds_are_inclusive() {
        let r = parse_filter("createdDateTime ge 2026-11-24T08:00:00Z and createdDateTime le 2026-11-24T09:00:00Z", F)
            .unwrap();
        assert!(r.contains(t("2026-11-24T08:00:00Z")));
        assert!(r.contains(t("2026-11-24T09:00:00Z")));
        assert!(!r.contains(t("2026-11-24T07:59:59.9999999Z")));
        assert!(!r.contains(t("2026-11-24T09:00:00.0000001Z")));
    }

    #[test]
    fn rejects_gt_lt_and_names_the_clause() {
        let e = err("createdDateTime gt 2026-11-24T00:00:00Z");
        assert!(e.starts_with("Invalid filter clause"), "{e}");
        assert!(e.contains("createdDateTime gt 2026-11-24T00:00:00Z"), "{e}");
        assert!(
            err("createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime lt 2026-11-25T00:00:00Z").contains("'lt'")
        );
        assert!(err("createdDateTime ne 2026-11-24T00:00:00Z").contains("'ne'"));
    }

    #[test]
    fn rejects_other_fields_and_syntax() {
        assert!(err("activityDateTime ge 2026-11-24T00:00:00Z").contains("activityDateTime"));
        assert!(err("userId eq 'abc'").contains("userId"));
        assert!(err("startsWith(appDisplayName,'Graph')").contains("startsWith"));
        assert!(
            err("createdDateTime ge 2026-11-24T00:00:00Z or createdDateTime le 2026-11-25T00:00:00Z").contains("'or'")
        );
        assert!(err("not createdDateTime ge 2026-11-24T00:00:00Z").contains("'not'"));
        assert!(err("createdDateTime ge '2026-11-24T00:00:00Z'").contains("RFC 3339"));
        assert!(err("createdDateTime ge 2026-11-24T00:00:00.12345678Z").contains("RFC 3339"));
        assert!(err("(createdDateTime ge 2026-11-24T00:00:00Z").contains("parenthes"));
        assert!(err("createdDateTime ge 2026-11-24T00:00:00Z)").contains("unexpected"));
        assert!(err("createdDateTime ge").contains("incomplete"));
        assert!(err("createdDateTime ge 2026-11-24T00:00:00Z createdDateTime").contains("expected 'and'"));
        assert!(err("  ").contains("empty"));
        assert!(err("()").contains("unexpected ')'"));
        assert!(err("signInEventTypes/any(t: t eq 'interactiveUser')").contains("signInEventTypes"));
    }

    #[test]
    fn field_name_is_per_dataset() {
        assert!(parse_filter("activityDateTime ge 2026-11-24T00:00:00Z", "activityDateTime").is_ok());
        assert!(parse_filter("createdDateTime ge 2026-11-24T00:00:00Z", "activityDateTime").is_err());
    }

    #[test]
    fn canonical_form_ignores_spelling() {
        let a = parse_filter("createdDateTime ge 2026-11-24T02:00:00+02:00", F).unwrap();
        let b = parse_filter("(CREATEDDATETIME GE 2026-11-24T00:00:00.0000000Z)", F).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(TimeRange::default().canonical(), "[*,*]");
    }
}
