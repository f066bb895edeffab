//! Repeating failed requests: a policy (configuration) and one loop.
//!
//! Whether an error is worth another try, and how long Graph asked us to
//! wait, are the error's own pure classifiers ([`Error::is_retryable`],
//! [`Error::retry_after`]). Waits honour `Retry-After` when sent, else
//! back off exponentially with jitter (backon's delays), up to a cap; a
//! wait that would end past the run's deadline is not started — the error
//! is returned instead, so a Lambda stops in time to commit what it has.
//! A stop request (a signal) ends a wait in progress at once, the same way.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tracing::warn;

use crate::deadline::Deadline;
use crate::error::{Error, Result};

/// How failed requests are repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// First backoff delay (doubled each time, with jitter).
    pub min_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Most time one request may spend waiting in all (`Retry-After` or
    /// backoff), whether or not the run has a deadline.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    /// Six retries, 1 s doubling to at most 60 s: about two minutes of
    /// trying when Graph gives no `Retry-After`; at most 15 minutes of
    /// waiting for one request however long Graph asks.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, the policy's retries
/// are used up, or the next wait would pass `deadline` (or a stop was
/// requested, before or during the wait: [`Error::OutOfTime`] then too).
pub(crate) async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Option<&Deadline>,
    what: &str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_retries)
        .with_jitter()
        .build();
    let mut waited = Duration::ZERO;
    loop {
        let last = match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        if !last.is_retryable() {
            return Err(last);
        }
        let Some(delay) = delays.next() else { return Err(last) };
        let wait = last.retry_after().unwrap_or(delay);
        if deadline.is_some_and(|d| !d.allows_wait(wait)) {
            return Err(Error::OutOfTime { last: Box::new(last) });
        }
        if waited + wait > policy.max_wait {
            return Err(Error::WaitTooLong {
                asked_secs: wait.as_secs(),
                waited_secs: waited.as_secs(),
                limit_secs: policy.max_wait.as_secs(),
                last: Box::new(last),
            });
        }
        waited += wait;
        warn!(what, delay_ms = wait.as_millis() as u64, error = %last, "retrying");
        let slept = match deadline {
            Some(deadline) => deadline.sleep(wait).await,
            None => {
                tokio::time::sleep(wait).await;
                true
            }
        };
        if !slept {
            return Err(Error::OutOfTime { last: Box::new(last) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::Instant;

    fn throttled(retry_after: Option<u64>) -> Error {
        Error::Throttled { status: 429, retry_after: retry_after.map(Duration::from_secs), path: "/p".into() }
    }

    /// Fails with `errors` in turn, then succeeds; counts attempts.
    async fn run(policy: &RetryPolicy, deadline: Option<&Deadline>, errors: Vec<Error>) -> (Result<usize>, usize) {
        let calls = AtomicUsize::new(0);
        let errors = std::sync::Mutex::new(errors.into_iter());
        let result = retrying(policy, deadline, "test", || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            match errors.lock().unwrap().next() {
                Some(e) => Err(e),
                None => Ok(n),
            }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    /// Issue 14, finding 12: a `Retry-After` of days is not slept on; a
    /// request's waits are bounded in all, deadline or not.
    #[tokio::test(start_paused = true)]
    async fn a_request_waits_at_most_its_bound_however_long_graph_asks() {
        let begin = Instant::now();
        let (result, calls) = run(&RetryPolicy::default(), None, vec![throttled(Some(86_400))]).await;
        assert_eq!(calls, 1);
        let e = result.unwrap_err();
        assert!(matches!(e, Error::WaitTooLong { asked_secs: 86_400, limit_secs: 900, .. }), "{e}");
        assert_eq!(begin.elapsed(), Duration::ZERO);
        let (result, calls) = run(&RetryPolicy::default(), None, (0..6).map(|_| throttled(Some(300))).collect()).await;
        assert_eq!(calls, 4, "300 s three times fits 15 minutes, a fourth does not");
        assert!(matches!(result, Err(Error::WaitTooLong { waited_secs: 900, .. })), "{result:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let begin = Instant::now();
        let (result, calls) = run(&RetryPolicy::default(), None, vec![throttled(Some(7)), throttled(Some(3))]).await;
        assert_eq!((result.unwrap(), calls), (2, 3));
        assert_eq!(begin.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_backoff_grows_up_to_the_cap() {
        let policy = RetryPolicy {
            max_retries: 4,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
            ..RetryPolicy::default()
        };
        let begin = Instant::now();
        let (result, calls) = run(&policy, None, (0..4).map(|_| throttled(None)).collect()).await;
        assert_eq!((result.unwrap(), calls), (4, 5));
        // 1 + 2 + 4 + 4 seconds, each plus up to 100 % jitter.
        let waited = begin.elapsed();
        assert!(waited >= Duration::from_secs(11) && waited <= Duration::from_secs(22), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_run_out_and_the_last_error_is_returned() {
        let policy = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
        let (result, calls) = run(&policy, None, (0..5).map(|_| throttled(Some(1))).collect()).await;
        assert!(matches!(result, Err(Error::Throttled { .. })));
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn errors_that_cannot_heal_are_not_retried() {
        let refused = Error::Refused { status: 400, code: "BadRequest".into(), message: "m".into(), path: "/p".into() };
        let (result, calls) = run(&RetryPolicy::default(), None, vec![refused]).await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_runs_past_the_deadline() {
        let deadline = Deadline::within(Duration::from_secs(30), Duration::from_secs(5));
        let begin = Instant::now();
        let (result, calls) =
            run(&RetryPolicy::default(), Some(&deadline), vec![throttled(Some(20)), throttled(Some(20))]).await;
        assert!(
            matches!(result, Err(Error::OutOfTime { ref last }) if matches!(**last, Error::Throttled { .. })),
            "the second 20 s wait would end past the deadline: {result:?}"
        );
        assert_eq!(calls, 2);
        assert_eq!(begin.elapsed(), Duration::from_secs(20));
    }

    /// Issue 16: a stop request (Ctrl-C, SIGTERM) ends a retry wait in
    /// progress at once, without another attempt; a stop before the first
    /// failure lets no wait start at all.
    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_a_retry_wait_at_once() {
        static STOP: crate::deadline::Stop = crate::deadline::Stop::new();
        let deadline = Deadline::unbounded().or_stop(&STOP);
        let begin = Instant::now();
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            STOP.request(15);
        });
        let (result, calls) = run(&RetryPolicy::default(), Some(&deadline), vec![throttled(Some(600))]).await;
        assert!(matches!(result, Err(Error::OutOfTime { .. })), "{result:?}");
        assert_eq!(calls, 1, "no attempt after the stop");
        assert_eq!(begin.elapsed(), Duration::from_secs(2), "the 600 s wait ended with the stop");
        let (result, calls) = run(&RetryPolicy::default(), Some(&deadline), vec![throttled(None)]).await;
        assert!(matches!(result, Err(Error::OutOfTime { .. })), "{result:?}");
        assert_eq!((calls, begin.elapsed()), (1, Duration::from_secs(2)), "no wait once stopped");
    }
}
