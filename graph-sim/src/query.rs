//! OData query options of a data request, and the nextLink that continues it.
//!
//! Takes the raw query string (percent-encoded, `+` for space) and a dataset's
//! spec; hands back a validated [`PageQuery`] or a [`QueryError`] whose
//! `Display` is the message Graph would send with a 400. `$select` and
//! `$orderby` are accepted and ignored; any other `$` option is refused;
//! options without `$` are ignored, as OData treats them as custom options.

use std::fmt::Write as _;

use thiserror::Error;

use crate::dataset::DatasetSpec;
use crate::filter::{Selection, parse_filter};
use crate::skiptoken::{Cursor, SkipTokenKey};

/// Why a data request's query was refused (always HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// `$filter` outside the supported language.
    #[error("Invalid filter clause: {0}")]
    InvalidFilter(String),
    /// `$top` not an integer in range.
    #[error("Invalid page size specified: '{value}'. Must be between 1 and {max} inclusive.")]
    PageSize {
        /// The value as sent.
        value: String,
        /// Largest page size of the dataset.
        max: usize,
    },
    /// A `$` option the endpoint does not support.
    #[error("Unknown query option '{0}' specified.")]
    UnknownOption(String),
    /// The same option given twice.
    #[error("Query option '{0}' was specified more than once, but it must be specified at most once.")]
    DuplicateOption(String),
    /// A skip token this sim did not issue for this query.
    #[error("Invalid skip token")]
    InvalidSkipToken,
}

/// A validated data request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Decoded `$filter` as sent, echoed into the nextLink.
    pub filter_text: Option<String>,
    /// What the filter selects: time field, segment and range.
    pub selection: Selection,
    /// Page size.
    pub top: usize,
    /// Where this page starts, when continuing.
    pub cursor: Option<Cursor>,
}

/// The string a skip token is sealed to: dataset and filter meaning (range,
/// and the ordering field and segment where the dataset has a choice).
pub fn scope(spec: &DatasetSpec, sel: &Selection) -> String {
    let mut scope = format!("{}\n{}", spec.path, sel.range.canonical());
    if spec.filter.time_fields.len() > 1 {
        let _ = write!(scope, "\n{}", spec.filter.time_fields[sel.field]);
    }
    if let Some(segments) = &spec.filter.segments {
        let _ = write!(scope, "\n{}", segments.values[sel.segment]);
    }
    scope
}

/// Parses the raw query string of a data request; `strict` accepts only the
/// `$filter` operators Microsoft documents for the dataset.
pub fn parse_query(
    raw: Option<&str>,
    spec: &DatasetSpec,
    key: &SkipTokenKey,
    strict: bool,
) -> Result<PageQuery, QueryError> {
    let mut filter = None;
    let mut top = None;
    let mut skiptoken = None;
    let mut seen_ignored: Vec<String> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let lower = name.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "$filter" => &mut filter,
            "$top" => &mut top,
            "$skiptoken" => &mut skiptoken,
            "$select" | "$orderby" => {
                if seen_ignored.contains(&lower) {
                    return Err(QueryError::DuplicateOption(name.into_owned()));
                }
                seen_ignored.push(lower);
                continue;
            }
            _ if lower.starts_with('$') => {
                return Err(QueryError::UnknownOption(name.into_owned()));
            }
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(QueryError::DuplicateOption(name.into_owned()));
        }
    }

    let selection = match &filter {
        Some(f) => parse_filter(f, &spec.filter, strict)?,
        None => Selection::unfiltered(&spec.filter),
    };
    let top = match top {
        None => spec.default_page_size,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=spec.max_page_size).contains(&n) => n,
            _ => {
                return Err(QueryError::PageSize { value: v, max: spec.max_page_size });
            }
        },
    };
    let cursor = match skiptoken {
        None => None,
        Some(t) => Some(key.decode(&scope(spec, &selection), &t).ok_or(QueryError::InvalidSkipToken)?),
    };
    Ok(PageQuery { filter_text: filter, selection, top, cursor })
}

/// Percent-encodes a query value: unreserved characters and `:` stay, spaces
/// become `%20` (as Graph writes them), everything else `%XX`.
pub fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3 / 2);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The `@odata.nextLink` continuing `q` after `cursor`, usable verbatim.
pub fn next_link(base_url: &str, spec: &DatasetSpec, q: &PageQuery, cursor: &Cursor, key: &SkipTokenKey) -> String {
    let mut link = format!("{base_url}{}?", spec.path);
    if let Some(f) = &q.filter_text {
        let _ = write!(link, "$filter={}&", encode_query_value(f));
    }
    let token = key.encode(&scope(spec, &q.selection), cursor);
    let _ = write!(link, "$top={}&$skiptoken={token}", q.top);
    link
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::time::parse_filter_datetime;

    fn key() -> SkipTokenKey {
        SkipTokenKey::new(7, "t")
    }

    fn parse(raw: &str) -> Result<PageQuery, QueryError> {
        parse_query(Some(raw), Dataset::SignIns.spec(), &key(), false)
    }

    #[test]
    fn defaults_without_options() {
        let q = parse_query(None, Dataset::SignIns.spec(), &key(), false).unwrap();
        assert_eq!(q.top, 1000);
        assert_eq!(q.selection, Selection::default());
        assert_eq!(q.cursor, None);
    }

    #[test]
    fn decodes_plus_and_percent_spaces() {
        let plus = parse("$filter=createdDateTime+ge+2026-11-24T00:00:00Z&$top=5").unwrap();
        let pct = parse("%24filter=createdDateTime%20ge%202026-11-24T00%3A00%3A00Z&%24top=5").unwrap();
        assert_eq!(plus.selection, pct.selection);
        assert_eq!(plus.top, 5);
        assert_eq!(plus.selection.range.lo, parse_filter_datetime("2026-11-24T00:00:00Z"));
        // An offset must arrive as %2B; a raw '+' decodes to a space.
        assert!(parse("$filter=createdDateTime ge 2026-11-24T02:00:00%2B02:00").is_ok());
        assert!(parse("$filter=createdDateTime ge 2026-11-24T02:00:00+02:00").is_err());
    }

    #[test]
    fn top_bounds() {
        assert_eq!(parse("$top=1").unwrap().top, 1);
        assert_eq!(parse("$top=1000").unwrap().top, 1000);
        for bad in ["0", "1001", "-1", "abc", "", "1.5"] {
            let e = parse(&format!("$top={bad}")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Invalid page size specified: '{bad}'. Must be between 1 and 1000 inclusive.")
            );
        }
    }

    #[test]
    fn option_names() {
        assert!(parse("$select=id,createdDateTime&$orderby=createdDateTime desc").is_ok());
        assert!(parse("api-version=1&foo=bar").is_ok());
        assert!(parse("$TOP=3").is_ok());
        assert_eq!(parse("$expand=x").unwrap_err(), QueryError::UnknownOption("$expand".to_owned()));
        assert_eq!(parse("$count=true").unwrap_err().to_string(), "Unknown query option '$count' specified.");
        assert!(matches!(parse("$top=1&$top=2").unwrap_err(), QueryError::DuplicateOption(_)));
    }

    #[test]
    fn next_link_round_trips_through_parse() {
        let spec = Dataset::SignIns.spec();
        let q = parse(
            "$filter=(createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-25T00:00:00Z)&$top=10",
        )
        .unwrap();
        let cursor = Cursor { time: parse_filter_datetime("2026-11-24T12:00:00.5Z").unwrap(), id: "abc".to_owned() };
        let link = next_link("http://127.0.0.1:9", spec, &q, &cursor, &key());
        assert!(
            link.starts_with(
                "http://127.0.0.1:9/v1.0/auditLogs/signIns?$filter=%28createdDateTime%20ge%202026-11-24T00:00:00Z%20and"
            ),
            "{link}"
        );
        let raw = link.split_once('?').unwrap().1;
        let again = parse(raw).unwrap();
        assert_eq!(again.selection, q.selection);
        assert_eq!(again.top, 10);
        assert_eq!(again.cursor, Some(cursor));
    }

    #[test]
    fn skiptoken_is_bound_to_filter() {
        let spec = Dataset::SignIns.spec();
        let q = parse("$filter=createdDateTime ge 2026-11-24T00:00:00Z").unwrap();
        let cursor = Cursor { time: parse_filter_datetime("2026-11-24T12:00:00Z").unwrap(), id: "abc".to_owned() };
        let token = key().encode(&scope(spec, &q.selection), &cursor);
        assert!(parse(&format!("$filter=createdDateTime ge 2026-11-24T00:00:00Z&$skiptoken={token}")).is_ok());
        assert_eq!(
            parse(&format!("$filter=createdDateTime ge 2026-11-23T00:00:00Z&$skiptoken={token}")).unwrap_err(),
            QueryError::InvalidSkipToken
        );
        assert_eq!(parse(&format!("$skiptoken={token}")).unwrap_err(), QueryError::InvalidSkipToken);
    }

    #[test]
    fn per_dataset_page_sizes() {
        let risk = Dataset::RiskDetections.spec();
        assert_eq!(parse_query(None, risk, &key(), false).unwrap().top, 20);
        assert_eq!(parse_query(Some("$top=500"), risk, &key(), false).unwrap().top, 500);
        assert_eq!(
            parse_query(Some("$top=501"), risk, &key(), false).unwrap_err().to_string(),
            "Invalid page size specified: '501'. Must be between 1 and 500 inclusive."
        );
        let provisioning = Dataset::Provisioning.spec();
        assert_eq!(parse_query(None, provisioning, &key(), false).unwrap().top, 100);
        assert_eq!(parse_query(Some("$top=1000"), provisioning, &key(), false).unwrap().top, 1000);
        let audits = Dataset::CustomSecurityAttributeAudits.spec();
        assert_eq!(parse_query(None, audits, &key(), false).unwrap().top, 100);
        assert_eq!(parse_query(Some("$top=100"), audits, &key(), false).unwrap().top, 100);
        assert_eq!(
            parse_query(Some("$top=101"), audits, &key(), false).unwrap_err().to_string(),
            "Invalid page size specified: '101'. Must be between 1 and 100 inclusive."
        );
    }

    #[test]
    fn skiptoken_is_bound_to_segment_and_ordering_field() {
        let beta = Dataset::SignInsBeta.spec();
        let cursor = Cursor { time: parse_filter_datetime("2026-11-24T12:00:00Z").unwrap(), id: "abc".to_owned() };
        let q =
            parse_query(Some("$filter=signInEventTypes/any(t: t eq 'nonInteractiveUser')&$top=3"), beta, &key(), false)
                .unwrap();
        let link = next_link("http://x", beta, &q, &cursor, &key());
        let raw = link.split_once('?').unwrap().1;
        assert_eq!(parse_query(Some(raw), beta, &key(), false).unwrap().cursor, Some(cursor.clone()));
        let token = raw.rsplit("$skiptoken=").next().unwrap();
        let other = format!("$filter=signInEventTypes/any(t: t eq 'servicePrincipal')&$skiptoken={token}");
        assert_eq!(parse_query(Some(&other), beta, &key(), false).unwrap_err(), QueryError::InvalidSkipToken);
        // The default (interactive) segment is a different query too.
        assert!(parse_query(Some(&format!("$skiptoken={token}")), beta, &key(), false).is_err());

        let risk = Dataset::RiskDetections.spec();
        let by_update =
            parse_query(Some("$filter=lastUpdatedDateTime ge 2026-11-24T00:00:00Z"), risk, &key(), false).unwrap();
        let token = key().encode(&scope(risk, &by_update.selection), &cursor);
        let by_detection = format!("$filter=detectedDateTime ge 2026-11-24T00:00:00Z&$skiptoken={token}");
        assert_eq!(parse_query(Some(&by_detection), risk, &key(), false).unwrap_err(), QueryError::InvalidSkipToken);
        // Datasets with one time field and no segments keep the original scope.
        assert_eq!(scope(Dataset::SignIns.spec(), &Selection::default()), "/v1.0/auditLogs/signIns\n[*,*]");
    }
}
