//! Timestamps the way Graph writes and reads them.
//!
//! Graph writes event times as UTC RFC 3339 with exactly seven fractional
//! digits (100 ns ticks, e.g. `2026-11-24T08:15:41.6195833Z`). `$filter`
//! literals are unquoted RFC 3339 with 0–7 fractional digits and `Z` or an
//! offset. Everything here is pure; comparisons happen on `DateTime<Utc>` at
//! full precision, never on strings.

use chrono::{DateTime, SecondsFormat, TimeDelta, Timelike, Utc};

/// Formats `t` as Graph does: UTC, seven fractional digits, `Z`.
/// Sub-tick precision (below 100 ns) is truncated.
pub fn format_ticks(t: DateTime<Utc>) -> String {
    format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), (t.nanosecond() % 1_000_000_000) / 100)
}

/// Formats `t` with nanosecond precision, for canonical (hashed) forms.
pub fn format_nanos(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `t` truncated to whole 100 ns ticks.
pub fn truncate_to_tick(t: DateTime<Utc>) -> DateTime<Utc> {
    let extra = t.nanosecond() % 100;
    t - TimeDelta::nanoseconds(i64::from(extra))
}

/// Parses a `$filter` datetime literal.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS`, an optional `.` followed by 1–7 digits, and
/// `Z` or `±HH:MM`. Rejects quotes, a space instead of `T`, more than seven
/// fractional digits, and anything chrono cannot place on the calendar.
pub fn parse_filter_datetime(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let punct = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if b.len() < 20 || !digits.iter().all(|&i| digit_at(i)) || !punct.iter().all(|&(i, c)| b[i] == c) {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while digit_at(i) {
            i += 1;
        }
        if !(1..=7).contains(&(i - start)) {
            return None;
        }
    }
    let zone = &b[i..];
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && matches!(zone[0], b'+' | b'-')
            && zone[1..3].iter().all(u8::is_ascii_digit)
            && zone[3] == b':'
            && zone[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse_filter_datetime(s).map(format_nanos)
    }

    #[test]
    fn formats_seven_digits() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T08:15:41.6195833Z").unwrap().to_utc();
        assert_eq!(format_ticks(t), "2026-11-24T08:15:41.6195833Z");
        let whole = DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z").unwrap().to_utc();
        assert_eq!(format_ticks(whole), "2026-11-24T08:00:00.0000000Z");
        let nanos = DateTime::parse_from_rfc3339("2026-11-24T08:00:00.123456789Z").unwrap().to_utc();
        assert_eq!(format_ticks(nanos), "2026-11-24T08:00:00.1234567Z");
        assert_eq!(format_nanos(truncate_to_tick(nanos)), "2026-11-24T08:00:00.123456700Z");
    }

    #[test]
    fn accepts_zero_to_seven_fraction_digits() {
        assert_eq!(p("2026-11-24T08:15:41Z").unwrap(), "2026-11-24T08:15:41.000000000Z");
        assert_eq!(p("2026-11-24T08:15:41.6Z").unwrap(), "2026-11-24T08:15:41.600000000Z");
        assert_eq!(p("2026-11-24T08:15:41.6195833Z").unwrap(), "2026-11-24T08:15:41.619583300Z");
        assert_eq!(p("2026-11-24T08:15:41.61958331Z"), None);
        assert_eq!(p("2026-11-24T08:15:41.Z"), None);
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(p("2026-11-24T10:15:41.5+02:00").unwrap(), "2026-11-24T08:15:41.500000000Z");
        assert_eq!(p("2026-11-24T03:15:41-05:00").unwrap(), "2026-11-24T08:15:41.000000000Z");
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "'2026-11-24T08:15:41Z'",
            "2026-11-24 08:15:41Z",
            "2026-11-24T08:15:41",
            "2026-11-24",
            "2026-13-24T08:15:41Z",
            "2026-11-24T08:15:41+0200",
            "2026-11-24T08:15:41 02:00",
            "datetime'2026-11-24T08:15:41Z'",
            "",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn ticks_compare_at_full_precision() {
        let a = parse_filter_datetime("2026-11-24T08:15:41.6195833Z").unwrap();
        let b = parse_filter_datetime("2026-11-24T08:15:41.6195834Z").unwrap();
        let c = parse_filter_datetime("2026-11-24T08:15:41.61958330Z");
        assert!(a < b);
        assert_eq!(c, None);
        assert_eq!(parse_filter_datetime("2026-11-24T08:15:41.619583Z").unwrap(), a - TimeDelta::nanoseconds(300));
    }
}
