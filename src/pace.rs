//! Client-side pacing under Graph's request budget.
//!
//! Graph allows a number of requests per window per app and tenant (for the
//! activity reports: 5 per 10 seconds, all `/auditLogs` endpoints together).
//! A [`Pacer`] makes every request — first tries and retries alike — wait
//! for a free slot, so at most `requests` start in any `window`. It is a
//! sliding-window log, not a token bucket: a bucket refilling one token every
//! two seconds would allow nine starts in some ten-second window. Shared by
//! all datasets of a run, since they share the tenant's budget.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::datasets::Throttle;
use tokio::time::Instant;

/// At most `requests` request starts in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

#[cfg(test)]
impl Budget {
    /// Graph's documented limit for the identity and access reports.
    pub(crate) const AUDIT_LOGS: Budget = Budget { requests: 5, window: Duration::from_secs(10) };
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.requests, humantime::format_duration(self.window))
    }
}

impl FromStr for Budget {
    type Err = String;

    /// `5/10s`: five requests per ten seconds.
    fn from_str(text: &str) -> Result<Budget, String> {
        let expected = || format!("{text:?} is not a budget such as 5/10s (requests per window)");
        let (count, window) = text.trim().split_once('/').ok_or_else(expected)?;
        let requests: u32 = count.trim().parse().map_err(|_| expected())?;
        let window = humantime::parse_duration(window.trim()).map_err(|_| expected())?;
        if requests == 0 || window.is_zero() {
            return Err(format!("{text:?} allows no requests at all"));
        }
        Ok(Budget { requests, window })
    }
}

/// One [`Pacer`] per throttle group of a tenant: requests of one group never
/// wait for another's budget.
#[derive(Debug)]
pub(crate) struct Pacers {
    audit_logs: Pacer,
    identity_protection: Pacer,
    network_access: Pacer,
}

impl Pacers {
    /// Pacers for the `/auditLogs`, `identityProtection` and `networkAccess`
    /// budgets.
    pub(crate) fn new((audit_logs, identity_protection, network_access): (Budget, Budget, Budget)) -> Pacers {
        Pacers {
            audit_logs: Pacer::new(audit_logs),
            identity_protection: Pacer::new(identity_protection),
            network_access: Pacer::new(network_access),
        }
    }

    /// The pacer of `group`.
    pub(crate) fn of(&self, group: Throttle) -> &Pacer {
        match group {
            Throttle::AuditLogs => &self.audit_logs,
            Throttle::IdentityProtection => &self.identity_protection,
            Throttle::NetworkAccess => &self.network_access,
        }
    }
}

/// A request reaches Graph some time after it starts here, and that time
/// varies (a first request may open a connection, a later one reuse it): two
/// requests started exactly one window apart can arrive a little less than a
/// window apart and be throttled. The pacer therefore keeps this share of the
/// window in hand (2 %, at least 50 ms): 10.2 s for 5 per 10 s, so a run
/// keeps 98 % of the budget busy.
fn spacing(window: Duration) -> Duration {
    window + (window / 50).max(Duration::from_millis(50))
}

/// Waits for a slot in the budget before each request.
#[derive(Debug)]
pub(crate) struct Pacer {
    budget: Budget,
    spacing: Duration,
    starts: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    /// A pacer for `budget`.
    pub(crate) fn new(budget: Budget) -> Pacer {
        Pacer {
            budget,
            spacing: spacing(budget.window),
            starts: Mutex::new(VecDeque::with_capacity(budget.requests as usize)),
        }
    }

    /// Waits until a request may start, and counts it as started.
    pub(crate) async fn wait(&self) {
        let mut starts = self.starts.lock().await;
        loop {
            let now = Instant::now();
            while starts.front().is_some_and(|&t| now.duration_since(t) >= self.spacing) {
                starts.pop_front();
            }
            if starts.len() < self.budget.requests as usize {
                starts.push_back(now);
                return;
            }
            let oldest = *starts.front().expect("full, so not empty");
            tokio::time::sleep_until(oldest + self.spacing).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_and_print() {
        assert_eq!("5/10s".parse::<Budget>().unwrap(), Budget::AUDIT_LOGS);
        assert_eq!(" 1 / 1s ".parse::<Budget>().unwrap(), Budget { requests: 1, window: Duration::from_secs(1) });
        assert_eq!(Budget::AUDIT_LOGS.to_string(), "5/10s");
        for bad in ["5", "x/10s", "5/ten", "0/10s", "5/0s"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_budget() {
        let pacer = Pacer::new(Budget::AUDIT_LOGS);
        let begin = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..23 {
            pacer.wait().await;
            starts.push(Instant::now().duration_since(begin));
        }
        for (i, &t) in starts.iter().enumerate() {
            let in_window = starts[i..].iter().filter(|&&u| u < t + Duration::from_secs(10)).count();
            assert!(in_window <= 5, "{in_window} starts in the window from {t:?}");
        }
        // Five at once, then five every 10.2 seconds: as fast as the budget
        // allows, with 2 % kept for network jitter.
        assert_eq!(starts[4], Duration::ZERO);
        assert_eq!(starts[5], Duration::from_millis(10_200));
        assert_eq!(starts[22], Duration::from_millis(40_800));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_budget() {
        let pacer = std::sync::Arc::new(Pacer::new(Budget { requests: 2, window: Duration::from_secs(1) }));
        let begin = Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let p = pacer.clone();
                tokio::spawn(async move {
                    p.wait().await;
                    Instant::now().duration_since(begin)
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times, [0, 0, 1050, 1050, 2100, 2100].map(Duration::from_millis));
    }
}
