//! When a run must stop starting work: the Lambda's remaining time, or the
//! CLI's `--max-duration`.
//!
//! A [`Deadline`] has two instants: after `stop_starting` no new slice (or
//! page) is begun, so what has been read is written and committed in the
//! safety margin that remains; `hard` is the end itself, which no retry
//! backoff may sleep past. The next run resumes from the checkpoint.

use std::time::Duration;

use tokio::time::Instant;

/// The end of the time a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    stop_starting: Instant,
    hard: Instant,
}

impl Deadline {
    /// A run that must be done by `hard`, keeping `margin` to finish what it
    /// started.
    pub(crate) fn new(hard: Instant, margin: Duration) -> Deadline {
        let stop_starting = hard.checked_sub(margin).unwrap_or_else(Instant::now);
        Deadline { stop_starting, hard }
    }

    /// A run that must be done within `remaining` from now.
    pub fn within(remaining: Duration, margin: Duration) -> Deadline {
        Deadline::new(Instant::now() + remaining, margin)
    }

    /// Whether new work must not start any more.
    pub(crate) fn reached(&self) -> bool {
        Instant::now() >= self.stop_starting
    }

    /// Whether waiting `delay` (a retry backoff) still ends before the hard end.
    pub(crate) fn allows_wait(&self, delay: Duration) -> bool {
        Instant::now() + delay < self.hard
    }

    /// Time left before new work must stop.
    #[cfg(test)]
    fn remaining(&self) -> Duration {
        self.stop_starting.saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_stops_a_margin_before_the_end_and_waits_never_pass_it() {
        let d = Deadline::within(Duration::from_secs(900), Duration::from_secs(60));
        assert!(!d.reached());
        assert_eq!(d.remaining(), Duration::from_secs(840));
        assert!(d.allows_wait(Duration::from_secs(850)));
        assert!(!d.allows_wait(Duration::from_secs(900)));
        tokio::time::advance(Duration::from_secs(840)).await;
        assert!(d.reached());
        assert!(d.allows_wait(Duration::from_secs(30)), "backoffs may still use the margin");
        assert!(!d.allows_wait(Duration::from_secs(60)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_margin_longer_than_the_time_left_stops_at_once() {
        let d = Deadline::within(Duration::from_secs(30), Duration::from_secs(60));
        assert!(d.reached());
        assert_eq!(d.remaining(), Duration::ZERO);
    }
}
