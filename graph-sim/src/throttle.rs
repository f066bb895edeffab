//! Graph's per-tenant request budgets: throttle groups and the sliding
//! window that enforces a [`RateLimit`] on each.
//!
//! Takes the instant a data request starts and the group its dataset names;
//! hands back either "admitted" or how long until a slot frees, which the
//! server turns into a 429 (with `Retry-After` when the group sends one).
//! Pure: the clock is an argument, so tests choose every instant. It never
//! sleeps and never counts a rejected request.
//!
//! Accounting, and why: Graph documents a budget ("five requests per 10
//! seconds" per app per tenant for everything under `/auditLogs`; "one
//! request per second" per tenant for identityProtection; nothing beyond its
//! global limit for `/networkAccess`) and that a 429's
//! `Retry-After` says how long to wait; it does not document whether a
//! rejected request itself uses up budget (its general guidance, "all
//! requests accrue against your usage limits", is advice against immediate
//! retries, not a formula). The sim lets only admitted requests occupy the
//! window, which makes `Retry-After` exact: a client that waits that long is
//! admitted (barring its own other traffic). A client that hammers through a
//! throttle is therefore treated more kindly here than Graph may treat it;
//! tests of "we honour Retry-After" are exact, tests of "we survive ignoring
//! it" would prove nothing.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::control::{RateLimit, Switches};

/// Requests that share one budget at Graph. Each dataset names its group;
/// every group of a tenant has its own window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ThrottleGroup {
    /// Everything under `/auditLogs` (signIns v1.0 and beta,
    /// directoryAudits, provisioning): five requests per 10 seconds per app
    /// per tenant, 429s carry `Retry-After`. Limited by
    /// [`Switches::rate_limit`].
    AuditLogs,
    /// Identity Protection (riskDetections; servicePrincipalRiskDetections,
    /// which Graph's list omits, by the sim's choice): one request per
    /// second per tenant, 429s carry no `Retry-After`. Limited by
    /// [`Switches::identity_protection_rate_limit`].
    IdentityProtection,
    /// Global Secure Access (`/networkAccess`): no documented limit beyond
    /// Graph's global one; 429s carry `Retry-After`, as Graph's global
    /// throttling does. Limited by [`Switches::network_access_rate_limit`].
    NetworkAccess,
}

impl ThrottleGroup {
    /// Whether this group's 429s carry `Retry-After` (identityProtection's
    /// don't, per Graph's service-limits page).
    pub fn sends_retry_after(self) -> bool {
        match self {
            ThrottleGroup::AuditLogs | ThrottleGroup::NetworkAccess => true,
            ThrottleGroup::IdentityProtection => false,
        }
    }

    /// The limit the switches set on this group, if any.
    pub fn limit(self, switches: &Switches) -> Option<RateLimit> {
        match self {
            ThrottleGroup::AuditLogs => switches.rate_limit,
            ThrottleGroup::IdentityProtection => switches.identity_protection_rate_limit,
            ThrottleGroup::NetworkAccess => switches.network_access_rate_limit,
        }
    }
}

/// Starts admitted within the last window, oldest first.
#[derive(Debug, Default)]
pub(crate) struct SlidingWindow {
    starts: VecDeque<Instant>,
}

impl SlidingWindow {
    /// Admits a request starting at `now` when fewer than `limit.requests`
    /// admitted starts lie in `(now - window, now]`, and records it. Otherwise
    /// returns the wait until the oldest of them leaves the window, and
    /// records nothing. `now` must not go backwards between calls.
    pub fn try_start(&mut self, now: Instant, limit: RateLimit) -> Result<(), Duration> {
        // A start at `s` occupies [s, s + window): gone once now - s >= window.
        while self.starts.front().is_some_and(|&s| now.saturating_duration_since(s) >= limit.window) {
            self.starts.pop_front();
        }
        if self.starts.len() < limit.requests as usize {
            self.starts.push_back(now);
            return Ok(());
        }
        // The limit may have shrunk since these starts were admitted: the
        // slot frees when the start `requests` places from the newest leaves.
        let excess = self.starts.len() - limit.requests as usize;
        let wait = match self.starts.get(excess) {
            Some(&s) => (s + limit.window).saturating_duration_since(now),
            // `requests == 0`: nothing is ever admitted; suggest a window.
            None => limit.window,
        };
        Err(wait)
    }
}

/// One window per throttle group: the tenant's whole budget.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    windows: HashMap<ThrottleGroup, SlidingWindow>,
}

impl Throttle {
    /// [`SlidingWindow::try_start`] on `group`'s window.
    pub fn try_start(&mut self, group: ThrottleGroup, now: Instant, limit: RateLimit) -> Result<(), Duration> {
        self.windows.entry(group).or_default().try_start(now, limit)
    }
}

/// `Retry-After` seconds for a wait: whole seconds, rounded up, at least 1
/// (0 would invite an immediate retry that may land before the slot frees).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_PER_10S: RateLimit = RateLimit { requests: 5, window: Duration::from_secs(10) };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feeds requests at `offsets` (ms after t0) and returns which were
    /// admitted, and the waits of the others.
    fn run(limit: RateLimit, offsets: &[u64]) -> Vec<Result<(), Duration>> {
        let t0 = Instant::now();
        let mut w = SlidingWindow::default();
        offsets.iter().map(|&o| w.try_start(t0 + ms(o), limit)).collect()
    }

    #[test]
    fn burst_admits_exactly_the_limit() {
        let r = run(FIVE_PER_10S, &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(r[..5].iter().all(Result::is_ok));
        // The oldest start (t0) frees its slot at t0 + 10 s.
        assert_eq!(r[5], Err(ms(9_995)));
        assert_eq!(r[6], Err(ms(9_994)));
        assert_eq!(r[7], Err(ms(9_993)));
    }

    #[test]
    fn a_slot_frees_exactly_one_window_after_the_oldest_start() {
        // Five at 0..4 ms; at 10 000 ms the first has left, not the second.
        let r = run(FIVE_PER_10S, &[0, 1, 2, 3, 4, 9_999, 10_000, 10_000, 10_001]);
        assert_eq!(r[5], Err(ms(1)));
        assert_eq!(r[6], Ok(()));
        assert_eq!(r[7], Err(ms(1)), "the start at 1 ms still holds its slot");
        assert_eq!(r[8], Ok(()));
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        // Requests every 700 ms for a minute, admitted or not.
        let limit = RateLimit { requests: 3, window: ms(5_000) };
        let offsets: Vec<u64> = (0..90).map(|i| i * 700).collect();
        let results = run(limit, &offsets);
        let admitted: Vec<u64> = offsets.iter().zip(&results).filter(|(_, r)| r.is_ok()).map(|(&o, _)| o).collect();
        for (i, &a) in admitted.iter().enumerate() {
            let in_window = admitted[i..].iter().take_while(|&&b| b < a + 5_000).count();
            assert!(in_window <= 3, "{in_window} starts in [{a}, {a}+5000)");
        }
        // And the budget is used: 3 at the start of every 5.6 s (the first
        // 700 ms step at or after the window), 2 in the last partial one.
        assert_eq!(admitted.len(), 11 * 3 + 2, "{admitted:?}");
    }

    #[test]
    fn rejected_requests_do_not_take_a_slot() {
        let limit = RateLimit { requests: 1, window: ms(1_000) };
        // Hammering at 100 ms steps does not push the free slot back.
        let r = run(limit, &[0, 100, 200, 300, 999, 1_000]);
        assert_eq!(r[1], Err(ms(900)));
        assert_eq!(r[4], Err(ms(1)));
        assert_eq!(r[5], Ok(()));
    }

    #[test]
    fn paced_requests_are_never_rejected() {
        // 5 per 10 s at one per 2 s: the pacing the reference recommends.
        let offsets: Vec<u64> = (0..30).map(|i| i * 2_000).collect();
        assert!(run(FIVE_PER_10S, &offsets).iter().all(Result::is_ok));
    }

    #[test]
    fn a_shrunk_limit_waits_for_the_right_start() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::default();
        for i in 0..5 {
            assert!(w.try_start(t0 + ms(i * 1_000), FIVE_PER_10S).is_ok());
        }
        // Now 2 per 10 s: the slot frees when the start at 3 s leaves.
        let two = RateLimit { requests: 2, window: ms(10_000) };
        assert_eq!(w.try_start(t0 + ms(5_000), two), Err(ms(8_000)));
        let none = RateLimit { requests: 0, window: ms(10_000) };
        assert_eq!(w.try_start(t0 + ms(5_000), none), Err(ms(10_000)));
    }

    #[test]
    fn throttle_keeps_each_groups_window() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        let one = RateLimit { requests: 1, window: ms(1_000) };
        assert!(t.try_start(ThrottleGroup::AuditLogs, t0, one).is_ok());
        assert!(t.try_start(ThrottleGroup::AuditLogs, t0, one).is_err());
        // The other group has its own budget.
        assert!(t.try_start(ThrottleGroup::IdentityProtection, t0, one).is_ok());
        assert!(t.try_start(ThrottleGroup::IdentityProtection, t0, one).is_err());
        assert!(t.try_start(ThrottleGroup::NetworkAccess, t0, one).is_ok());
        assert!(ThrottleGroup::AuditLogs.sends_retry_after());
        assert!(!ThrottleGroup::IdentityProtection.sends_retry_after());
        assert!(ThrottleGroup::NetworkAccess.sends_retry_after());
    }

    #[test]
    fn each_group_reads_its_own_switch() {
        let switches = Switches {
            rate_limit: Some(RateLimit::AUDIT_LOGS),
            identity_protection_rate_limit: Some(RateLimit::IDENTITY_PROTECTION),
            ..Switches::default()
        };
        assert_eq!(ThrottleGroup::AuditLogs.limit(&switches), Some(RateLimit::AUDIT_LOGS));
        assert_eq!(ThrottleGroup::IdentityProtection.limit(&switches), Some(RateLimit::IDENTITY_PROTECTION));
        assert_eq!(ThrottleGroup::IdentityProtection.limit(&Switches::default()), None);
        assert_eq!(ThrottleGroup::NetworkAccess.limit(&switches), None);
        let gsa = Switches { network_access_rate_limit: Some(RateLimit::AUDIT_LOGS), ..Switches::default() };
        assert_eq!(ThrottleGroup::NetworkAccess.limit(&gsa), Some(RateLimit::AUDIT_LOGS));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(ms(1)), 1);
        assert_eq!(retry_after_secs(ms(1_000)), 1);
        assert_eq!(retry_after_secs(ms(1_001)), 2);
        assert_eq!(retry_after_secs(ms(9_995)), 10);
        assert_eq!(retry_after_secs(Duration::from_secs(10)), 10);
    }
}
