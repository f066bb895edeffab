//! `$filter` for the activity reports: what Graph documents, and nothing more.
//!
//! Input is the already URL-decoded `$filter` value and the dataset's
//! [`FilterRules`]; output is a [`Selection`]: which time property orders and
//! bounds the records, the closed [`TimeRange`] it admits, and which segment
//! (beta's `signInEventTypes`) is asked for. The accepted language is a
//! conjunction (`and`, optional parentheses, case-insensitive keywords) of
//! `<timeField> <op> <datetime>` clauses, with unquoted RFC 3339 datetimes and
//! the operators the dataset accepts (`eq|ge|le` for most, `eq|gt|lt` for
//! provisioning; strictly, only those Microsoft documents — `eq` alone on
//! network access traffic and service principal risk detections — see
//! [`FilterRules::documented_ops`]), plus at most one
//! `<collection>/any(t: t eq '<value>')`
//! clause where the dataset has segments. All time clauses must name the same
//! property. Anything else — other operators, `or`, `not`, functions, other
//! properties — is rejected with a message that names the offending clause or
//! operator, so a client bug surfaces here instead of in production.

use chrono::{DateTime, TimeDelta, Utc};

use crate::query::QueryError;
use crate::time::{format_nanos, parse_filter_datetime};

/// The set of event times a filter admits: `lo <= t <= hi`, each bound
/// optional. Empty when `lo > hi`. Exclusive bounds (`gt`, `lt`) are stored as
/// the inclusive bound one nanosecond inside, which is exact: stored times
/// have at most nanosecond precision (and Graph's are whole 100 ns ticks).
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

    fn narrow(&mut self, op: CmpOp, t: DateTime<Utc>) {
        let lo = match op {
            CmpOp::Ge | CmpOp::Eq => Some(t),
            CmpOp::Gt => t.checked_add_signed(TimeDelta::nanoseconds(1)),
            CmpOp::Le | CmpOp::Lt => None,
        };
        let hi = match op {
            CmpOp::Le | CmpOp::Eq => Some(t),
            CmpOp::Lt => t.checked_sub_signed(TimeDelta::nanoseconds(1)),
            CmpOp::Ge | CmpOp::Gt => None,
        };
        if let Some(t) = lo {
            self.lo = Some(self.lo.map_or(t, |lo| lo.max(t)));
        }
        if let Some(t) = hi {
            self.hi = Some(self.hi.map_or(t, |hi| hi.min(t)));
        }
    }
}

/// A comparison operator on a time property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// Equal.
    Eq,
    /// Greater than or equal.
    Ge,
    /// Less than or equal.
    Le,
    /// Strictly greater.
    Gt,
    /// Strictly less.
    Lt,
}

impl CmpOp {
    fn keyword(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ge => "ge",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Lt => "lt",
        }
    }

    fn parse(s: &str) -> Option<CmpOp> {
        [CmpOp::Eq, CmpOp::Ge, CmpOp::Le, CmpOp::Gt, CmpOp::Lt].into_iter().find(|op| op.keyword() == s)
    }
}

/// What `$filter` accepts on one dataset.
#[derive(Debug)]
pub struct FilterRules {
    /// Time properties a filter may bound. The one a filter names orders the
    /// results (newest first); without a time clause, the first.
    pub time_fields: &'static [&'static str],
    /// Operators accepted on them.
    pub ops: &'static [CmpOp],
    /// The collection property whose `any` lambda picks one segment, if the
    /// dataset has segments.
    pub segments: Option<Segments>,
    /// The operators Microsoft documents, where they are fewer than `ops`;
    /// a strict parse ([`crate::Switches::refuse_undocumented_filters`])
    /// accepts only these. `None`: `ops` are all documented.
    pub documented_ops: Option<&'static [CmpOp]>,
}

/// Records of one dataset split by the value of a collection property, each
/// record in exactly one segment (beta sign-ins by `signInEventTypes`).
#[derive(Debug)]
pub struct Segments {
    /// The collection property, e.g. `signInEventTypes`.
    pub property: &'static str,
    /// Its values; a segment is an index into this list.
    pub values: &'static [&'static str],
    /// The segment served when the filter names none.
    pub default: usize,
}

/// What a filter selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Index into [`FilterRules::time_fields`] of the property that orders
    /// and bounds the results.
    pub field: usize,
    /// Segment asked for (0 when the dataset has none).
    pub segment: usize,
    /// Times the filter admits on `field`.
    pub range: TimeRange,
}

impl Selection {
    /// What a request without `$filter` gets.
    pub fn unfiltered(rules: &FilterRules) -> Selection {
        Selection { segment: rules.segments.as_ref().map_or(0, |s| s.default), ..Selection::default() }
    }
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

/// "a, b or c".
fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    rules: &'a FilterRules,
    /// The operators accepted on a time field.
    ops: &'static [CmpOp],
    field: Option<usize>,
    segment: Option<usize>,
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

    fn fields(&self) -> String {
        one_of(self.rules.time_fields)
    }

    fn ops(&self) -> Vec<&'static str> {
        self.ops.iter().map(|op| op.keyword()).collect()
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
                        self.fields()
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

    /// The segment property's `any` lambda, when `word` opens one.
    fn is_lambda(&self, word: &str) -> bool {
        let Some(seg) = &self.rules.segments else { return false };
        word.len() == seg.property.len() + 4
            && word[..seg.property.len()].eq_ignore_ascii_case(seg.property)
            && word[seg.property.len()..].eq_ignore_ascii_case("/any")
    }

    fn clause(&mut self, start: usize, field: &'a str) -> Result<(), QueryError> {
        if self.is_lambda(field) && matches!(self.peek(), Some(Token::Open)) {
            return self.lambda(field);
        }
        if matches!(self.peek(), Some(Token::Open)) || field.contains(['\'', ',', '/']) {
            return Err(invalid(format!(
                "'{}' is not supported; only {} {} <datetime> clauses are",
                self.clause_text(start),
                self.fields(),
                self.ops().join("|"),
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
        let Some(index) = self.rules.time_fields.iter().position(|f| f.eq_ignore_ascii_case(field)) else {
            return Err(invalid(format!(
                "'{clause}': property '{field}' is not supported in $filter here; use {}",
                self.fields()
            )));
        };
        let name = self.rules.time_fields[index];
        if let Some(other) = self.field.filter(|&f| f != index) {
            return Err(invalid(format!(
                "'{clause}': filter on one time property per request; this filter already bounds {}",
                self.rules.time_fields[other]
            )));
        }
        let op = CmpOp::parse(&op.to_ascii_lowercase()).filter(|o| self.ops.contains(o)).ok_or_else(|| {
            invalid(format!("'{clause}': operator '{op}' is not supported on {name}; use {}", one_of(&self.ops())))
        })?;
        let t = parse_filter_datetime(value).ok_or_else(|| {
            invalid(format!(
                "'{clause}': '{value}' is not an unquoted RFC 3339 datetime \
                 (at most 7 fractional digits, Z or ±hh:mm)"
            ))
        })?;
        self.field = Some(index);
        self.range.narrow(op, t);
        Ok(())
    }

    /// `<property>/any(<v>: <v> eq '<value>')`; the `Open` is next.
    fn lambda(&mut self, head: &str) -> Result<(), QueryError> {
        let seg = self.rules.segments.as_ref().expect("is_lambda checked the dataset has segments");
        self.pos += 1;
        let mut words = Vec::new();
        loop {
            match self.next() {
                Some(Token::Word(w)) => words.push(*w),
                Some(Token::Close) => break,
                Some(Token::Open) => {
                    return Err(invalid(format!("'{head}(…)': nested parentheses are not supported in a lambda")));
                }
                None => return Err(invalid("unbalanced parentheses".to_owned())),
            }
        }
        let body = words.join(" ");
        let clause = format!("{head}({body})");
        let usage = format!("{}/any(t: t eq '<value>')", seg.property);
        let (var, test) = body.split_once(':').ok_or_else(|| {
            invalid(format!("'{clause}' is not a lambda clause; use {usage} with one of {}", one_of(seg.values)))
        })?;
        let var = var.trim();
        let parts: Vec<&str> = test.split_whitespace().collect();
        if parts.iter().any(|p| p.eq_ignore_ascii_case("or") || p.eq_ignore_ascii_case("and")) {
            return Err(invalid(format!(
                "'{clause}': only one {} value per request is supported; use {usage}",
                seg.property
            )));
        }
        let [v, op, literal] = parts[..] else {
            return Err(invalid(format!("'{clause}' is not supported; use {usage}")));
        };
        if var.is_empty() || !v.eq_ignore_ascii_case(var) {
            return Err(invalid(format!("'{clause}' is not supported; use {usage}")));
        }
        if !op.eq_ignore_ascii_case("eq") {
            return Err(invalid(format!("'{clause}': operator '{op}' is not supported on {}; use eq", seg.property)));
        }
        let value = literal.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')).ok_or_else(|| {
            invalid(format!("'{clause}': '{literal}' is not a quoted string such as '{}'", seg.values[0]))
        })?;
        let index = seg.values.iter().position(|s| *s == value).ok_or_else(|| {
            invalid(format!("'{clause}': '{value}' is not a {} value; use {}", seg.property, one_of(seg.values)))
        })?;
        if self.segment.replace(index).is_some() {
            return Err(invalid(format!("'{clause}': at most one {} clause is supported", seg.property)));
        }
        Ok(())
    }
}

/// Parses a decoded `$filter` value under a dataset's rules; `strict`
/// accepts only the operators Microsoft documents.
pub fn parse_filter(input: &str, rules: &FilterRules, strict: bool) -> Result<Selection, QueryError> {
    let ops = match rules.documented_ops {
        Some(documented) if strict => documented,
        _ => rules.ops,
    };
    let mut p =
        Parser { tokens: tokenize(input), pos: 0, rules, ops, field: None, segment: None, range: TimeRange::default() };
    if p.tokens.is_empty() {
        return Err(invalid("the filter is empty".to_owned()));
    }
    p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(invalid(format!("unexpected '{}'", p.clause_text(p.pos))));
    }
    let default = Selection::unfiltered(rules);
    Ok(Selection { field: p.field.unwrap_or(0), segment: p.segment.unwrap_or(default.segment), range: p.range })
}

#[cfg(test)]
mod tests;
