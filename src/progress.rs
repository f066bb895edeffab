//! The CLI's progress bar: one line per dataset on stderr, showing the share
//! of the dataset's window read (by time, as slices finish) and the records
//! written so far (in files moved into the archive: what a stop now would
//! keep). Shown only when stderr is a terminal (never in Lambda, never when
//! piped or redirected), so logs and `--json` output stay clean.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::Observer;
use crate::summary::Window;

/// Progress bars for a pass, one per dataset as it starts.
#[derive(Debug)]
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<&'static str, ProgressBar>>,
}

impl Bars {
    /// Bars drawn on stderr, or `None` when stderr is not a terminal.
    pub fn for_terminal() -> Option<Bars> {
        std::io::stderr().is_terminal().then(|| Bars::new(ProgressDrawTarget::stderr()))
    }

    /// Bars drawn to `target` (hidden targets in tests).
    pub(crate) fn new(target: ProgressDrawTarget) -> Bars {
        Bars { multi: MultiProgress::with_draw_target(target), bars: Mutex::new(HashMap::new()) }
    }

    /// The position of `dataset`'s bar (seconds of its window read), if it has one.
    #[cfg(test)]
    fn position(&self, dataset: &str) -> Option<u64> {
        self.bars.lock().expect("not poisoned").get(dataset).map(ProgressBar::position)
    }
}

impl Observer for Bars {
    fn read_through(&self, dataset: &'static str, window: Window, through: DateTime<Utc>, records: u64) {
        let total = seconds(window.start, window.end);
        let mut bars = self.bars.lock().expect("not poisoned");
        let bar = bars.entry(dataset).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>26} [{bar:30}] {percent:>3}% {msg} ({elapsed})")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(dataset);
            bar
        });
        // The window may differ from the one the bar began with (a pass
        // that plans again): the share is always of the window reported.
        bar.set_length(total);
        bar.set_position(seconds(window.start, through).min(total));
        bar.set_message(format!("{records} records written, read through {}", through.format("%Y-%m-%d %H:%M")));
        if through >= window.end {
            bar.finish();
        }
    }
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    (to - from).num_seconds().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_bar_follows_the_slices_of_its_dataset() {
        let bars = Bars::new(ProgressDrawTarget::hidden());
        let window = Window { start: t("2026-11-24T00:00:00Z"), end: t("2026-11-24T10:00:00Z") };
        assert_eq!(bars.position("signins"), None);
        bars.read_through("signins", window, t("2026-11-24T01:00:00Z"), 10);
        assert_eq!(bars.position("signins"), Some(3600));
        bars.read_through("signins", window, t("2026-11-24T10:00:00Z"), 99);
        assert_eq!(bars.position("signins"), Some(36_000));
        bars.read_through("directory_audits", window, t("2026-11-24T05:00:00Z"), 1);
        assert_eq!(bars.position("directory_audits"), Some(18_000));
    }

    /// Issue 16: the bar shows the share of the window reported with each
    /// slice, and the records written.
    #[test]
    fn a_bar_shows_the_share_of_its_window_and_the_records_written() {
        let bars = Bars::new(ProgressDrawTarget::hidden());
        let first = Window { start: t("2026-11-24T00:00:00Z"), end: t("2026-11-24T10:00:00Z") };
        bars.read_through("signins", first, t("2026-11-24T05:00:00Z"), 7);
        let bar = || bars.bars.lock().unwrap().get("signins").cloned().unwrap();
        assert_eq!((bar().position(), bar().length()), (18_000, Some(36_000)));
        assert_eq!(bar().message(), "7 records written, read through 2026-11-24 05:00");
        let wider = Window { start: t("2026-11-24T00:00:00Z"), end: t("2026-11-24T20:00:00Z") };
        bars.read_through("signins", wider, t("2026-11-24T05:00:00Z"), 7);
        assert_eq!(bar().length(), Some(72_000), "a quarter of the window now reported, not half of the first");
    }
}
