//! Deterministic, realistic records.
//!
//! Input: the seed, the tenant id, a dataset, a count and a time range.
//! Output: [`Record`]s whose JSON follows the documented shapes (v1.0, and
//! beta for beta sign-ins, custom security attribute audits, sign-ups and
//! network access traffic). Each dataset draws from its own ChaCha20 stream,
//! plus an auxiliary stream for what happens to its records later (their
//! twins in another dataset, in-place updates), and a per-seed [`Directory`]
//! (object ids, devices, policy ids, workloads) is drawn once from stream 0,
//! so the same seed and the same sequence of calls give byte-identical
//! records, and generating one dataset never perturbs another. Twins are
//! rendered in the order their sources were generated, whenever the twin
//! dataset is first used, so that moment does not change them either.
//! Properties modelled after the first version of a generator are drawn from
//! a per-record stream ([`record_rng`], seeded by the record's id), so adding
//! them moved no draw of the dataset's streams: ids, times and every earlier
//! property stay what they were for each seed. JSON is produced from structs
//! (never from `serde_json::Map`), so field order does not depend on which
//! serde_json features the build happens to unify.
//!
//! Every property Microsoft's metadata declares for a resource (and for the
//! complex types it reaches) is sent, in the metadata's JSON shape:
//! collections as arrays, complex types as objects, enums as member names,
//! flags enums as comma-separated member names, numbers as numbers, times
//! as UTC with seven fractional digits. Beta sign-ins carry the union of the
//! beta SDK's and the beta CSDL's properties. Where Graph sends null (no
//! user in an app-only sign-in, no MFA step), the sim sends null too.

pub mod attribute_audits;
pub mod audits;
mod directory;
pub mod network_access;
pub mod provisioning;
pub mod risk;
pub mod service_principal_risk;
pub mod signins;
pub mod signins_beta;
pub mod signups;
pub mod vocab;

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Timelike, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::dataset::Dataset;
use crate::record::{Record, Store};
use crate::time::truncate_to_tick;
pub use directory::Directory;

/// Offset from a dataset's stream to its auxiliary stream.
pub const AUX_STREAM: u64 = 0x100;

/// One drawn record.
#[derive(Debug)]
pub struct Drawn {
    pub id: String,
    pub json: String,
    /// Its segment (0 where the dataset has none).
    pub segment: usize,
}

/// Draws one record at a given time (the dataset's first time field).
pub type GenerateFn = fn(&mut Ctx<'_>, DateTime<Utc>) -> Drawn;

/// Renders a record as its twin dataset serves it, drawing what the twin
/// adds from the source dataset's auxiliary stream.
pub type TwinFn = fn(&mut ChaCha20Rng, &Directory, &Record) -> String;

/// The JSON of a record after an update at the given time (which becomes its
/// first time field), or `None` when the record cannot change (any more).
pub type UpdateFn = fn(&mut ChaCha20Rng, &Record, DateTime<Utc>) -> Option<String>;

/// What a generator may draw on.
pub struct Ctx<'a> {
    pub rng: &'a mut ChaCha20Rng,
    pub dir: &'a Directory,
    /// The segment asked for, or `None` for the dataset's natural mix.
    pub segment: Option<usize>,
}

/// Record generator state: the directory, two RNGs per dataset, and the
/// twins waiting for their dataset's first use.
#[derive(Debug)]
pub struct Generator {
    dir: Directory,
    rngs: Vec<ChaCha20Rng>,
    aux: Vec<ChaCha20Rng>,
    /// Per dataset: whether it has been put to use (see [`Generator::materialize`]).
    materialized: Vec<bool>,
    /// Per source dataset: ids generated while its twin dataset was unused,
    /// in generation order.
    pending_twins: Vec<Vec<String>>,
    /// Times follow a working week ([`pick_working_time`]).
    diurnal: bool,
}

fn stream(seed: u64, stream: u64) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

impl Generator {
    /// A generator for `seed` and `tenant_id`.
    pub fn new(seed: u64, tenant_id: &str) -> Self {
        let dir = Directory::new(&mut stream(seed, 0), tenant_id);
        let rngs = Dataset::all().iter().map(|d| stream(seed, d.spec().rng_stream)).collect();
        let aux = Dataset::all().iter().map(|d| stream(seed, d.spec().rng_stream + AUX_STREAM)).collect();
        let n = Dataset::all().len();
        Generator { dir, rngs, aux, materialized: vec![false; n], pending_twins: vec![Vec::new(); n], diurnal: false }
    }

    /// Puts `ds` to use: from now on its twins are rendered as their sources
    /// are generated, and the twins that were waiting are rendered now, in
    /// generation order. Returns `true` the first time (the caller then
    /// generates the dataset's configured records); the caller makes sure the
    /// datasets twinned into `ds` were put to use first.
    pub fn materialize(&mut self, store: &mut Store, ds: Dataset) -> bool {
        if std::mem::replace(&mut self.materialized[ds.index()], true) {
            return false;
        }
        for &src in Dataset::all() {
            if src.spec().twin.as_ref().is_some_and(|t| t.dataset == ds) {
                for id in std::mem::take(&mut self.pending_twins[src.index()]) {
                    if let Some(record) = store.get(src, &id).cloned() {
                        self.render_twin(store, src, &record);
                    }
                }
            }
        }
        true
    }

    /// The same generator, its record times following a working week
    /// ([`pick_working_time`]) when `on`.
    pub fn with_diurnal(mut self, on: bool) -> Self {
        self.diurnal = on;
        self
    }

    /// Whether `ds` has been put to use.
    pub fn is_materialized(&self, ds: Dataset) -> bool {
        self.materialized[ds.index()]
    }

    fn render_twin(&mut self, store: &mut Store, src: Dataset, record: &Record) {
        let twin = src.spec().twin.as_ref().expect("render_twin is called for datasets with twins");
        let json = (twin.render)(&mut self.aux[src.index()], &self.dir, record);
        let copy = Record { id: record.id.clone(), time: record.time, json };
        store.insert(twin.dataset, copy, twin.segment);
    }

    /// Draws `count` new records of `ds` in `[from, to)` — of `segment`, or
    /// the dataset's natural mix when `None` — inserts them (and their twins,
    /// or queues those) into `store` and returns them newest first. About 2%
    /// sit exactly on a whole hour; ids never collide with records already in
    /// the store.
    pub fn generate(
        &mut self,
        store: &mut Store,
        ds: Dataset,
        segment: Option<usize>,
        count: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Record> {
        let spec = ds.spec();
        let twin = spec.twin.as_ref().map(|t| t.dataset);
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let rng = &mut self.rngs[ds.index()];
            let time = match self.diurnal {
                true => pick_working_time(rng, from, to),
                false => pick_time(rng, from, to),
            };
            let mut ctx = Ctx { rng, dir: &self.dir, segment };
            let drawn = loop {
                let drawn = (spec.generate)(&mut ctx, time);
                let taken = |d: Dataset| store.contains_id(d, &drawn.id);
                if !taken(ds) && !twin.is_some_and(taken) {
                    break drawn;
                }
            };
            let record = Record { id: drawn.id, time, json: drawn.json };
            store.insert(ds, record.clone(), drawn.segment);
            match twin {
                Some(t) if self.materialized[t.index()] => self.render_twin(store, ds, &record),
                Some(_) => self.pending_twins[ds.index()].push(record.id.clone()),
                None => {}
            }
            out.push(record);
        }
        out.sort_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
        out
    }

    /// Updates the record `id` of `ds` in place at `at` (truncated to a
    /// tick), drawing from the dataset's auxiliary stream; returns the new
    /// record, or `None` when there is no such record, the dataset's records
    /// never change, or this one cannot change any more.
    pub fn update(&mut self, store: &mut Store, ds: Dataset, id: &str, at: DateTime<Utc>) -> Option<Record> {
        let update = ds.spec().update?;
        let old = store.get(ds, id)?;
        let at = truncate_to_tick(at);
        let json = update(&mut self.aux[ds.index()], old, at)?;
        let record = Record { id: id.to_owned(), time: at, json };
        store.insert(ds, record.clone(), 0);
        Some(record)
    }
}

/// [`pick_time`], weighted by a working week: a time on a weekday between
/// 08:00 and 18:00 UTC is kept, any other only one time in five (drawn
/// again otherwise), so working hours are five times as dense.
pub fn pick_working_time(rng: &mut ChaCha20Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    loop {
        let time = pick_time(rng, from, to);
        let weekday = time.weekday().number_from_monday() <= 5;
        if (weekday && (8..18).contains(&time.hour())) || rng.random_bool(0.2) {
            return time;
        }
    }
}

/// A time in `[from, to)` at 100 ns resolution; 2% on a whole hour when the
/// range contains one. Returns `from` when the range is empty.
pub fn pick_time(rng: &mut ChaCha20Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let hour = TimeDelta::hours(1);
    let first_hour = from.duration_trunc(hour).map(|h| if h < from { h + hour } else { h }).ok();
    let on_hour = rng.random_bool(0.02);
    if let Some(first) = first_hour.filter(|h| on_hour && *h < to) {
        let hours = (to - first - TimeDelta::nanoseconds(1)).num_hours();
        return first + hour * i32::try_from(rng.random_range(0..=hours)).unwrap_or(0);
    }
    let span = (to - from).num_nanoseconds().unwrap_or(i64::MAX) / 100;
    if span <= 0 {
        return truncate_to_tick(from);
    }
    truncate_to_tick(from) + TimeDelta::nanoseconds(rng.random_range(0..span) * 100)
}

/// A stream of its own for one record: seeded by a label (which part of the
/// simulator draws) and the record's id, so what it yields depends on
/// neither the dataset's stream nor the order records are drawn in.
pub fn record_rng(label: &str, id: &str) -> ChaCha20Rng {
    let digest = Sha256::digest(format!("{label}\0{id}"));
    ChaCha20Rng::from_seed(digest.into())
}

/// A random (version 4 shaped) GUID.
pub fn guid(rng: &mut ChaCha20Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string()
}

/// `n` characters from `0-9A-F`.
pub fn upper_hex(rng: &mut ChaCha20Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16)])).collect()
}

/// `n` characters from `0-9a-f`.
pub fn lower_hex(rng: &mut ChaCha20Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)])).collect()
}

/// `n` characters from `A-Z0-9`.
pub fn upper_alnum(rng: &mut ChaCha20Rng, n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n).map(|_| SET[rng.random_range(0..SET.len())] as char).collect()
}

/// A uniformly chosen element.
pub fn pick<'a, T>(rng: &mut ChaCha20Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An element chosen by integer weight.
pub fn weighted<'a, T>(rng: &mut ChaCha20Rng, items: &'a [(u32, T)]) -> &'a T {
    let total: u32 = items.iter().map(|(w, _)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (w, item) in items {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{format_ticks, parse_filter_datetime};

    fn t(s: &str) -> DateTime<Utc> {
        parse_filter_datetime(s).unwrap()
    }

    fn records(seed: u64, ds: Dataset, n: usize) -> Vec<Record> {
        let mut g = Generator::new(seed, "tenant");
        let mut store = Store::default();
        g.generate(&mut store, ds, None, n, t("2026-11-22T10:00:00Z"), t("2026-11-24T10:00:00Z"))
    }

    #[test]
    fn same_seed_same_bytes() {
        for &ds in Dataset::all() {
            assert_eq!(records(42, ds, 200), records(42, ds, 200));
            assert_ne!(records(42, ds, 50), records(43, ds, 50));
        }
    }

    #[test]
    fn datasets_do_not_disturb_each_other() {
        let mut g = Generator::new(42, "tenant");
        let mut store = Store::default();
        let (from, to) = (t("2026-11-22T10:00:00Z"), t("2026-11-24T10:00:00Z"));
        g.generate(&mut store, Dataset::SignIns, None, 30, from, to);
        g.generate(&mut store, Dataset::RiskDetections, None, 30, from, to);
        let audits = g.generate(&mut store, Dataset::DirectoryAudits, None, 20, from, to);
        assert_eq!(audits, records(42, Dataset::DirectoryAudits, 20));
        let beta = g.generate(&mut store, Dataset::SignInsBeta, None, 20, from, to);
        assert_eq!(beta, records(42, Dataset::SignInsBeta, 20));
    }

    #[test]
    fn twins_do_not_depend_on_when_their_dataset_is_first_used() {
        let (from, to) = (t("2026-11-22T10:00:00Z"), t("2026-11-24T10:00:00Z"));
        let twins = |early: bool| {
            let mut g = Generator::new(42, "tenant");
            let mut store = Store::default();
            if early {
                g.materialize(&mut store, Dataset::SignInsBeta);
            }
            g.generate(&mut store, Dataset::SignIns, None, 40, from, to);
            g.generate(&mut store, Dataset::SignIns, None, 10, to, to + TimeDelta::hours(1));
            assert_eq!(store.all(Dataset::SignInsBeta).is_empty(), !early);
            g.materialize(&mut store, Dataset::SignInsBeta);
            assert!(!g.materialize(&mut store, Dataset::SignInsBeta), "only the first use counts");
            (store.all(Dataset::SignIns), store.all(Dataset::SignInsBeta))
        };
        let (v1, beta) = twins(false);
        assert_eq!((v1.clone(), beta.clone()), twins(true));
        assert_eq!(beta.len(), 50);
        for (a, b) in v1.iter().zip(&beta) {
            assert_eq!((&a.id, a.time), (&b.id, b.time));
        }
    }

    #[test]
    fn updates_replace_in_place_and_draw_from_their_own_stream() {
        let (from, to) = (t("2026-11-22T10:00:00Z"), t("2026-11-24T10:00:00Z"));
        let mut g = Generator::new(42, "tenant");
        let mut store = Store::default();
        let first = g.generate(&mut store, Dataset::RiskDetections, None, 50, from, to);
        let at = DateTime::parse_from_rfc3339("2026-11-25T00:00:00.123456789Z").unwrap().to_utc();
        let mut updated = 0;
        for r in &first {
            if let Some(new) = g.update(&mut store, Dataset::RiskDetections, &r.id, at) {
                assert_eq!(new.time, truncate_to_tick(at));
                assert_eq!(store.get(Dataset::RiskDetections, &r.id), Some(&new));
                updated += 1;
            }
        }
        assert!(updated > 10, "{updated}");
        assert_eq!(store.all(Dataset::RiskDetections).len(), 50);
        assert!(g.update(&mut store, Dataset::RiskDetections, "no-such-id", at).is_none());
        assert!(g.update(&mut store, Dataset::SignIns, &first[0].id, at).is_none());
        // Updates do not shift the dataset's own sequence.
        let more = g.generate(&mut store, Dataset::RiskDetections, None, 5, from, to);
        let mut fresh = Generator::new(42, "tenant");
        let mut s2 = Store::default();
        fresh.generate(&mut s2, Dataset::RiskDetections, None, 50, from, to);
        assert_eq!(more, fresh.generate(&mut s2, Dataset::RiskDetections, None, 5, from, to));
    }

    #[test]
    fn working_hours_are_five_times_as_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        // A week from Monday 2026-11-16.
        let from: DateTime<Utc> = "2026-11-16T00:00:00Z".parse().unwrap();
        let to = from + TimeDelta::days(7);
        let (mut working, mut other) = (0.0, 0.0);
        for _ in 0..20_000 {
            let t = pick_working_time(&mut rng, from, to);
            assert!(from <= t && t < to);
            match t.weekday().number_from_monday() <= 5 && (8..18).contains(&t.hour()) {
                true => working += 1.0,
                false => other += 1.0,
            }
        }
        // 50 working hours against 118 others in a week.
        let ratio = (working / 50.0) / (other / 118.0);
        assert!((4.5..5.5).contains(&ratio), "{ratio}");
    }

    #[test]
    fn times_stay_in_range_and_some_sit_on_the_hour() {
        let mut rng = stream(1, 9);
        let (from, to) = (t("2026-11-22T10:30:00Z"), t("2026-11-24T10:00:00Z"));
        let mut on_hour = 0;
        for _ in 0..5000 {
            let x = pick_time(&mut rng, from, to);
            assert!(x >= from && x < to, "{x}");
            if format_ticks(x).ends_with(":00:00.0000000Z") {
                on_hour += 1;
            }
        }
        assert!((50..200).contains(&on_hour), "{on_hour}");
        assert_eq!(pick_time(&mut rng, to, from), to);
    }

    #[test]
    fn whole_hours_include_an_hour_aligned_start() {
        let mut rng = stream(3, 9);
        let from = t("2026-11-24T10:00:00Z");
        let to = t("2026-11-24T10:00:01Z");
        let hits = (0..2000).filter(|_| pick_time(&mut rng, from, to) == from).count();
        assert!(hits > 10, "{hits}");
    }

    #[test]
    fn ids_are_unique_and_output_is_newest_first() {
        for &ds in Dataset::all() {
            let recs = records(5, ds, 1000);
            let mut ids: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 1000);
            assert!(recs.windows(2).all(|w| (w[0].time, &w[0].id) > (w[1].time, &w[1].id)));
        }
    }
}
