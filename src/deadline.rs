//! When a run must stop starting work: the Lambda's remaining time, the
//! CLI's `--max-duration`, or a request to stop (Ctrl-C, SIGTERM).
//!
//! A [`Deadline`] has two instants: after `stop_starting` no new slice (or
//! page) is begun, so what has been read is written and committed in the
//! safety margin that remains; `hard` is the end itself, which no retry
//! backoff may sleep past. A deadline may also carry a [`Stop`]: once it is
//! requested the deadline counts as reached and no wait is allowed, so the
//! run stops the same way, at once. The next run resumes from the
//! checkpoint. Reads no clock but Tokio's (paused in tests) and no signal
//! itself: the CLI asks the process's [`Stop`] when a signal comes.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// A request to stop, as a signal handler makes it: every deadline that
/// carries it is reached from then on. Holds the number of the first
/// signal (0: none yet).
#[derive(Debug)]
pub struct Stop {
    signal: AtomicU8,
    requested: Notify,
}

/// The process's stop request, which the CLI's signal handling sets.
static PROCESS_STOP: Stop = Stop::new();

impl Stop {
    /// Not requested yet.
    pub(crate) const fn new() -> Stop {
        Stop { signal: AtomicU8::new(0), requested: Notify::const_new() }
    }

    /// Asks to stop because of `signal` (its number, e.g. 2 for SIGINT).
    /// Returns whether this was the first request (the first signal is the
    /// one kept).
    pub fn request(&self, signal: u8) -> bool {
        let first = self.signal.compare_exchange(0, signal.max(1), Ordering::SeqCst, Ordering::SeqCst).is_ok();
        self.requested.notify_waiters();
        first
    }

    /// The signal of the first request, if one was made.
    pub fn requested(&self) -> Option<u8> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }

    /// Resolves once a stop is requested (at once if it was).
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.requested.notified();
            tokio::pin!(notified);
            // Registered before the check, so a request in between wakes it.
            notified.as_mut().enable();
            if self.requested().is_some() {
                return;
            }
            notified.await;
        }
    }
}

/// Time bounds of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    stop_starting: Instant,
    hard: Instant,
}

/// The end of the time a run may use, and the stop request it honours.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// `None`: no time limit (only a stop ends the run early).
    bounds: Option<Bounds>,
    stop: Option<&'static Stop>,
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Deadline) -> bool {
        let same_stop = match (self.stop, other.stop) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        self.bounds == other.bounds && same_stop
    }
}

impl Eq for Deadline {}

impl Deadline {
    /// A run that must be done by `hard`, keeping `margin` to finish what it
    /// started.
    pub(crate) fn new(hard: Instant, margin: Duration) -> Deadline {
        let stop_starting = hard.checked_sub(margin).unwrap_or_else(Instant::now);
        Deadline { bounds: Some(Bounds { stop_starting, hard }), stop: None }
    }

    /// A run that must be done within `remaining` from now.
    pub fn within(remaining: Duration, margin: Duration) -> Deadline {
        Deadline::new(Instant::now() + remaining, margin)
    }

    /// A run without a time limit (the CLI without `--max-duration`): only
    /// a stop request, if it carries one, ends it early.
    pub fn unbounded() -> Deadline {
        Deadline { bounds: None, stop: None }
    }

    /// The process's stop request: the CLI asks it when a signal comes
    /// ([`Stop::request`]), and reads it back to choose its exit status.
    pub fn process_stop() -> &'static Stop {
        &PROCESS_STOP
    }

    /// This deadline, also reached as soon as `stop` is requested.
    pub fn or_stop(self, stop: &'static Stop) -> Deadline {
        Deadline { stop: Some(stop), ..self }
    }

    /// Whether a stop was requested (rather than the time running out).
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.is_some_and(|s| s.requested().is_some())
    }

    /// Whether new work must not start any more.
    pub(crate) fn reached(&self) -> bool {
        self.stop_requested() || self.bounds.is_some_and(|b| Instant::now() >= b.stop_starting)
    }

    /// Whether waiting `delay` (a retry backoff) still ends before the hard
    /// end; never once a stop was requested.
    pub(crate) fn allows_wait(&self, delay: Duration) -> bool {
        !self.stop_requested() && self.bounds.is_none_or(|b| Instant::now() + delay < b.hard)
    }

    /// Sleeps for `delay`, unless a stop is requested first: whether the
    /// whole wait was slept.
    pub(crate) async fn sleep(&self, delay: Duration) -> bool {
        let Some(stop) = self.stop else {
            tokio::time::sleep(delay).await;
            return true;
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => !self.stop_requested(),
            _ = stop.wait() => false,
        }
    }

    /// Runs `work` unless a stop is requested first (or was): `None` then,
    /// and `work` is dropped.
    pub(crate) async fn unless_stopped<F: std::future::Future>(&self, work: F) -> Option<F::Output> {
        let Some(stop) = self.stop else { return Some(work.await) };
        tokio::select! {
            biased;
            _ = stop.wait() => None,
            out = work => Some(out),
        }
    }

    /// Time left before new work must stop: none once a stop was requested,
    /// [`Duration::MAX`] without a time limit.
    pub(crate) fn remaining(&self) -> Duration {
        match self.bounds {
            _ if self.stop_requested() => Duration::ZERO,
            Some(b) => b.stop_starting.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
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

    /// Issue 16: a stop request (a signal) reaches every deadline carrying
    /// it at once, bounded in time or not, refuses every further wait, and
    /// keeps the first signal.
    #[tokio::test(start_paused = true)]
    async fn a_stop_request_reaches_the_deadline_at_once() {
        static STOP: Stop = Stop::new();
        let unbounded = Deadline::unbounded().or_stop(&STOP);
        let bounded = Deadline::within(Duration::from_secs(900), Duration::from_secs(60)).or_stop(&STOP);
        assert!(!unbounded.reached() && !bounded.reached());
        assert_eq!(unbounded.remaining(), Duration::MAX);
        assert!(unbounded.allows_wait(Duration::from_secs(365 * 86_400)));
        assert!(!Deadline::unbounded().reached(), "without a stop, an unbounded deadline never comes");
        assert_eq!(STOP.requested(), None);
        assert!(STOP.request(15), "the first request");
        assert!(!STOP.request(2), "a second one changes nothing");
        assert_eq!(STOP.requested(), Some(15));
        for d in [unbounded, bounded] {
            assert!(d.reached());
            assert!(!d.allows_wait(Duration::ZERO));
            assert_eq!(d.remaining(), Duration::ZERO);
        }
    }

    /// Issue 16: a retry wait in progress ends as soon as a stop is
    /// requested, and says it was cut short.
    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_when_a_stop_is_requested() {
        static STOP: Stop = Stop::new();
        let d = Deadline::unbounded().or_stop(&STOP);
        let begin = Instant::now();
        assert!(d.sleep(Duration::from_secs(5)).await, "nothing asked to stop: the whole wait");
        assert_eq!(begin.elapsed(), Duration::from_secs(5));
        let begin = Instant::now();
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            STOP.request(2);
        });
        assert!(!d.sleep(Duration::from_secs(600)).await, "cut short");
        assert_eq!(begin.elapsed(), Duration::from_secs(3));
        assert!(!d.sleep(Duration::from_secs(600)).await, "already requested: no wait at all");
        assert_eq!(begin.elapsed(), Duration::from_secs(3));
    }
}
