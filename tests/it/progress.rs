//! A pass tells its observer (the CLI's progress bar) of every query read to
//! its end, in order, ending at each dataset's window end; and the binary draws no bar
//! when its output is not a terminal.

use std::sync::{Arc, Mutex};

use crate::common::*;
use chrono::{DateTime, Utc};
use entra_archive::Observer;
use entra_archive::summary::Window;

/// (dataset, window, through, records) of one call.
type Call = (&'static str, Window, DateTime<Utc>, u64);

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Call>>);

impl Observer for Recorder {
    fn read_through(&self, dataset: &'static str, window: Window, through: DateTime<Utc>, records: u64) {
        self.0.lock().unwrap().push((dataset, window, through, records));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_query_is_reported_in_order_up_to_the_window_end() {
    let h = Harness::start(sim_config(80)).await;
    // Pages of one record: each window is read in several queries.
    h.sim.set_switches(|s| s.max_page_size = Some(1));
    let archiver = h.archiver(h.settings(t("2026-11-20T06:00:00Z"), "1000/1s")).await;
    let recorder = Arc::new(Recorder::default());
    let mut request = archiver.default_request();
    request.observers.push(recorder.clone());
    let summary = archiver.run(request).await.unwrap();
    assert!(summary.complete);

    let calls = recorder.0.lock().unwrap().clone();
    for d in &summary.datasets {
        let mine: Vec<_> = calls.iter().filter(|c| c.0 == d.dataset).collect();
        assert!(mine.len() >= 2, "{}: several queries: {mine:?}", d.dataset);
        assert!(mine.windows(2).all(|w| w[0].2 < w[1].2 && w[0].3 <= w[1].3), "{}: in order", d.dataset);
        let last = mine.last().unwrap();
        assert_eq!(last.2, last.1.end, "{}: ends at the window end", d.dataset);
        assert_eq!(last.3, d.records, "{}: records as in the summary", d.dataset);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_bar_when_output_is_not_a_terminal() {
    let h = Harness::start(sim_config(81)).await;
    let now = now_for_end(t("2026-11-20T06:00:00Z"));
    let out = h.command(&["run", "--since", FROM, "--now", &now]).output().await.unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("[=") && !stderr.contains('\r'), "no progress bar in piped output:\n{stderr}");
}
