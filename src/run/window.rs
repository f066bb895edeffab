//! Which time range a dataset's pass reads, as a pure function of the plan
//! and the checkpoint.

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::Mode;
use crate::summary::Window;

/// How far back a first run starts without `--since`: what Entra ID P1/P2
/// still holds.
pub(crate) const FIRST_RUN_LOOKBACK: Duration = Duration::days(30);

/// What one pass reads, the same for every dataset of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// The moment the window is measured from.
    pub(crate) now: DateTime<Utc>,
    /// The window ends this long before `now`.
    pub(crate) lag: Duration,
    /// Each pass re-reads this much before the checkpoint for late arrivals.
    pub(crate) overlap: Duration,
    /// Where a first run starts (default: 30 days back).
    pub(crate) since: Option<DateTime<Utc>>,
    /// Incremental pass or backfill.
    pub(crate) mode: Mode,
}

impl Plan {
    /// The window of a dataset archived through `archived_through`.
    /// Incremental: `[checkpoint − overlap, now − lag)`, or from `since`
    /// (else 30 days back) on a first run. Backfill: the range asked for,
    /// ending no later than now − lag. Ends on a whole second.
    pub(crate) fn window(&self, archived_through: Option<DateTime<Utc>>) -> Window {
        let end = (self.now - self.lag).duration_trunc(Duration::seconds(1)).expect("a second divides any timestamp");
        match (self.mode, archived_through) {
            (Mode::Backfill { from, to }, _) => Window { start: from, end: to.min(end) },
            (Mode::Incremental, Some(through)) => Window { start: through - self.overlap, end },
            (Mode::Incremental, None) => Window { start: self.since.unwrap_or(end - FIRST_RUN_LOOKBACK), end },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn plan(since: Option<&str>) -> Plan {
        Plan {
            now: t("2026-11-24T10:25:31.75Z"),
            lag: Duration::minutes(10),
            overlap: Duration::hours(1),
            since: since.map(t),
            mode: Mode::Incremental,
        }
    }

    #[test]
    fn first_run_starts_at_since_or_thirty_days_back() {
        let w = plan(None).window(None);
        assert_eq!(w.end, t("2026-11-24T10:15:31Z"), "now − lag, on a whole second");
        assert_eq!(w.start, t("2026-10-25T10:15:31Z"));
        let w = plan(Some("2026-11-20T00:00:00Z")).window(None);
        assert_eq!(w.start, t("2026-11-20T00:00:00Z"));
    }

    #[test]
    fn backfills_read_the_range_asked_for_and_no_further_than_the_lag() {
        let mut p = plan(None);
        p.mode = Mode::Backfill { from: t("2026-11-01T00:00:00Z"), to: t("2026-11-02T00:00:00Z") };
        let w = p.window(Some(t("2026-11-24T09:00:00Z")));
        assert_eq!((w.start, w.end), (t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z")));
        p.mode = Mode::Backfill { from: t("2026-11-24T00:00:00Z"), to: t("2026-11-25T00:00:00Z") };
        assert_eq!(p.window(None).end, t("2026-11-24T10:15:31Z"));
    }

    #[test]
    fn later_runs_reread_the_overlap_before_the_checkpoint() {
        let w = plan(Some("2026-11-01T00:00:00Z")).window(Some(t("2026-11-24T09:00:00Z")));
        assert_eq!((w.start, w.end), (t("2026-11-24T08:00:00Z"), t("2026-11-24T10:15:31Z")));
    }
}
