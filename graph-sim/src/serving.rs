//! A server running on its own task until asked to stop: what [`GraphSim`]
//! and the STS stand-in each are underneath.
//!
//! [`Serving::spawn`] takes a bound listener and a router and serves them;
//! [`Serving::shutdown`] stops accepting connections and waits (up to a few
//! seconds) for requests in flight; dropping it stops the server without
//! waiting.
//!
//! [`GraphSim`]: crate::GraphSim

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`Serving::shutdown`] waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server.
#[derive(Debug)]
pub(crate) struct Serving {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Serving {
    /// Serves `router` on `listener` until stopped.
    pub(crate) fn spawn(listener: TcpListener, router: Router) -> Serving {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Serving { stop: Some(stop), task: Some(task) }
    }

    /// Stops accepting connections and waits up to [`SHUTDOWN_GRACE`] for
    /// in-flight requests to finish.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
