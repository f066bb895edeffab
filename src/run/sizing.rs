//! How wide each Graph query of a window is: as wide as the data allows.
//!
//! Graph's budget counts requests, whatever they return, so a window is read
//! in as few queries as its records allow: the number of requests approaches
//! Σ ceil(records / page size). A dataset's first query spans the whole
//! window — a sparse tenant's 30 days, or an incremental run's new hour, in
//! one request. While the first pages of a query come back full (a
//! `@odata.nextLink`), the time they cover tells how dense the data is
//! (records come newest first, so `n` pages cover the span's end back to
//! their oldest record); a query that would take more than twice the pages
//! it may (the pass's target, or what the time left allows) is cut short
//! there, before it has read a tenth of them, and the window is read on in
//! queries of that many pages. After each complete query the density is
//! measured again from what it returned, so quiet and busy stretches get
//! wide and narrow queries; a query is at most [`GROWTH`] times wider than
//! the last complete one, so a quiet stretch before a busy one costs a few
//! short queries rather than a wide one cut short again and again. Pure: no
//! I/O, no clock.

use chrono::{DateTime, Duration, Utc};

use crate::layout;

/// Pages a query aims at: the checkpoint moves after each query, so this
/// bounds what a crash or a deadline costs in re-reading (≈ 100 s of
/// requests at Graph's 5 per 10 s), while adding at most one part-filled
/// page per this many.
pub(super) const TARGET_PAGES: u32 = 50;
/// The narrowest query.
const MIN_SPAN: Duration = Duration::minutes(1);
/// How much wider than the last complete query the next may be.
const GROWTH: i32 = 8;

/// What the pass knows of its dataset's density.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sizer {
    page_size: u32,
    /// The window time one page of records spans, when measured.
    span_per_page: Option<Duration>,
    /// The span of the last complete query, once one was sized.
    last_span: Option<Duration>,
    /// Whether the next query may be cut short: not the one sized from a
    /// cut (its few first pages would say the same again, and each cut
    /// costs the pages it read; a density misjudged there costs time, never
    /// requests).
    may_cut: bool,
}

impl Sizer {
    /// Nothing measured yet: the next query spans the rest of the window.
    pub(super) fn new(page_size: u32) -> Sizer {
        Sizer { page_size: page_size.max(1), span_per_page: None, last_span: None, may_cut: true }
    }

    /// The span of the next query, at most `rest`, aiming at `pages`.
    pub(super) fn next_span(&self, rest: Duration, pages: u32) -> Duration {
        let Some(per_page) = self.span_per_page else { return rest };
        let aimed = (per_page * pages.max(1) as i32).max(MIN_SPAN);
        let grown = self.last_span.map_or(aimed, |last| aimed.min(last * GROWTH));
        grown.max(MIN_SPAN).min(rest)
    }

    /// A query over `span` was read to its end and held `records`; its
    /// fullest page with more to come held `full_page` (Graph may send fewer
    /// than `$top` a page: that is the page size from then on). The next
    /// queries are sized from that (none: as if a page had filled the span).
    pub(super) fn learn(&mut self, span: Duration, records: u64, full_page: Option<u32>) {
        if let Some(full) = full_page.filter(|n| *n > 0) {
            self.page_size = full;
        }
        self.span_per_page = Some(scale(span, self.page_size as f64 / records.max(1) as f64));
        self.last_span = Some(span);
        self.may_cut = true;
    }

    /// The first `pages_read` pages of a query over `span` came back full and
    /// cover its last `covered`: if the query would take more than twice the
    /// `pages` it may, and little is read yet (a tenth of them at most), the
    /// query is cut short (`true`) and the next ones sized from this density.
    pub(super) fn too_wide(&mut self, span: Duration, covered: Duration, pages_read: u32, pages: u32) -> bool {
        let pages = pages.max(1);
        if !self.may_cut || pages_read == 0 || pages_read > (pages / 10).max(1) {
            return false;
        }
        let covered = covered.max(Duration::seconds(1));
        let estimate = pages_read as f64 * span.num_milliseconds() as f64 / covered.num_milliseconds() as f64;
        if estimate <= 2.0 * pages as f64 {
            return false;
        }
        self.span_per_page = Some(scale(covered, 1.0 / pages_read as f64));
        self.may_cut = false;
        true
    }
}

/// Where a query from `start` aimed at `end` ends: on the hour before `end`
/// when it spans two hours or more (and does not reach `window_end`), so
/// its cells are whole and a cell is not split into files across queries.
pub(super) fn aligned(start: DateTime<Utc>, end: DateTime<Utc>, window_end: DateTime<Utc>) -> DateTime<Utc> {
    let hour = layout::cell_of(end);
    match end < window_end && end - start >= Duration::hours(2) {
        true => hour,
        false => end.min(window_end),
    }
}

/// `span` × `factor`, at millisecond precision.
fn scale(span: Duration, factor: f64) -> Duration {
    Duration::milliseconds((span.num_milliseconds() as f64 * factor).round().max(1.0) as i64)
}

/// Pages a query may take: the target, or fewer when the time left (at
/// `per_page` a request) would not see them through — half of it, keeping
/// the rest for writing and a margin.
pub(super) fn pages_allowed(time_left: Option<std::time::Duration>, per_page: std::time::Duration) -> u32 {
    match time_left {
        None => TARGET_PAGES,
        Some(left) => {
            let affordable = (left.as_secs_f64() / 2.0 / per_page.as_secs_f64().max(0.001)).floor() as u32;
            affordable.clamp(1, TARGET_PAGES)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_query_spans_the_window_and_later_ones_follow_the_density() {
        let mut s = Sizer::new(1000);
        let month = Duration::days(30);
        assert_eq!(s.next_span(month, TARGET_PAGES), month, "unknown: the whole window");
        // 500 records in two days: a page holds four days' worth.
        s.learn(Duration::days(2), 500, None);
        assert_eq!(s.next_span(month, 2), Duration::days(8));
        assert_eq!(s.next_span(Duration::days(3), 2), Duration::days(3), "never past the window");
        // A page's worth in a day: ten pages are ten days, but at most eight
        // times the last query.
        s.learn(Duration::days(1), 1000, None);
        assert_eq!(s.next_span(month, 10), Duration::days(8));
        // Nothing in an hour: as if a page had filled it, within the growth.
        s.learn(Duration::hours(1), 0, None);
        assert_eq!(s.next_span(month, TARGET_PAGES), Duration::hours(8));
    }

    #[test]
    fn pages_shorter_than_asked_are_the_page_size_from_then_on() {
        let mut s = Sizer::new(1000);
        // 1,000 records in a day, in pages of 100: ten pages a day.
        s.learn(Duration::days(1), 1000, Some(100));
        assert_eq!(s.next_span(Duration::days(30), 20), Duration::days(2));
        // A query of one part-filled page says nothing of the page size.
        s.learn(Duration::days(2), 50, None);
        assert_eq!(s.next_span(Duration::days(30), 1), Duration::days(4));
    }

    #[test]
    fn full_first_pages_covering_little_time_cut_the_query_short() {
        let mut s = Sizer::new(1000);
        let month = Duration::days(30);
        // 1,000 records in the last 6 minutes: a month would take 7,200 pages.
        assert!(s.too_wide(month, Duration::minutes(6), 1, TARGET_PAGES));
        assert_eq!(s.next_span(month, TARGET_PAGES), Duration::minutes(300), "50 pages of 6 minutes");
        // Two pages in the last 10 days: 6 pages for the month, read on.
        let mut s = Sizer::new(1000);
        assert!(!s.too_wide(month, Duration::days(10), 2, TARGET_PAGES));
        // Five pages read (a tenth of fifty) may still cut it; six may not:
        // reading on is cheaper than reading them again.
        assert!(s.too_wide(month, Duration::hours(1), 5, TARGET_PAGES));
        assert_eq!(s.next_span(month, TARGET_PAGES), Duration::minutes(600));
        let mut fresh = Sizer::new(1000);
        assert!(!fresh.too_wide(month, Duration::hours(1), 6, TARGET_PAGES));
        // The query sized from a cut is not cut again, however dense its
        // first pages; the next after a complete one may be.
        let ten_hours = Duration::minutes(600);
        assert!(!s.too_wide(ten_hours, Duration::minutes(1), 1, TARGET_PAGES), "sized from a cut");
        s.learn(ten_hours, 50_000, Some(1000));
        assert!(s.too_wide(ten_hours, Duration::minutes(1), 1, TARGET_PAGES), "after a complete query");
        // All in the same second: at least a minute per query.
        let mut s = Sizer::new(1000);
        assert!(s.too_wide(Duration::hours(1), Duration::zero(), 1, 1));
        assert_eq!(s.next_span(Duration::hours(1), 1), MIN_SPAN);
    }

    #[test]
    fn queries_of_two_hours_or_more_end_on_the_hour() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let (start, window_end) = (t("2026-11-20T00:10:00Z"), t("2026-11-22T00:00:00Z"));
        assert_eq!(aligned(start, t("2026-11-20T05:42:00Z"), window_end), t("2026-11-20T05:00:00Z"));
        assert_eq!(aligned(start, t("2026-11-20T01:42:00Z"), window_end), t("2026-11-20T01:42:00Z"), "too short");
        assert_eq!(aligned(start, window_end, window_end), window_end, "the window's end stays");
        assert_eq!(aligned(start, t("2026-11-23T00:00:00Z"), window_end), window_end, "never past it");
    }

    #[test]
    fn the_time_left_bounds_the_pages_of_a_query() {
        let two = std::time::Duration::from_secs(2);
        assert_eq!(pages_allowed(None, two), TARGET_PAGES);
        assert_eq!(pages_allowed(Some(std::time::Duration::from_secs(40)), two), 10);
        assert_eq!(pages_allowed(Some(std::time::Duration::from_secs(1)), two), 1, "at least one");
        assert_eq!(pages_allowed(Some(std::time::Duration::from_secs(3600)), two), TARGET_PAGES);
    }
}
