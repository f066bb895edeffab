//! Deterministic, realistic records.
//!
//! Input: the seed, the tenant id, a dataset, a count and a time range.
//! Output: [`Record`]s whose JSON follows the documented v1.0 shapes. Each
//! dataset draws from its own ChaCha20 stream and a per-seed [`Directory`]
//! (object ids, devices, policy ids) is drawn once from stream 0, so the same
//! seed and the same sequence of calls give byte-identical records, and
//! generating one dataset never perturbs another. JSON is produced from
//! structs (never from `serde_json::Map`), so field order does not depend on
//! which serde_json features the build happens to unify.

pub mod audits;
pub mod signins;
pub mod vocab;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::dataset::Dataset;
use crate::record::{Record, Store};
use crate::time::truncate_to_tick;

/// Draws one record's `(id, json)` at a given time.
pub type GenerateFn = fn(&mut Ctx<'_>, DateTime<Utc>) -> (String, String);

/// What a generator may draw on.
pub struct Ctx<'a> {
    pub rng: &'a mut ChaCha20Rng,
    pub dir: &'a Directory,
}

/// Per-seed identities of the simulated tenant's cast.
#[derive(Debug)]
pub struct Directory {
    pub tenant_id: String,
    /// Object id per [`vocab::PEOPLE`] entry.
    pub user_ids: Vec<String>,
    /// Registered device per person: (device id, display name), or none.
    pub devices: Vec<Option<(String, String)>>,
    /// Object id per [`vocab::POLICIES`] entry.
    pub policy_ids: Vec<String>,
    /// Service principal object id per [`vocab::APPS`] entry.
    pub app_sp_ids: Vec<String>,
    /// Object id per [`vocab::GROUPS`] entry.
    pub group_ids: Vec<String>,
    /// Service principal of the Device Registration Service.
    pub device_registration_sp_id: String,
    /// Service principal of Microsoft Substrate Management.
    pub substrate_sp_id: String,
}

impl Directory {
    fn new(rng: &mut ChaCha20Rng, tenant_id: &str) -> Self {
        let user_ids = vocab::PEOPLE.iter().map(|_| guid(rng)).collect();
        let devices = vocab::PEOPLE
            .iter()
            .map(|person| {
                let first = person.name.split([' ', ',']).next().unwrap_or(person.name);
                let name = match rng.random_range(0..4) {
                    0 => return None,
                    1 => format!("{first}'s iPhone"),
                    _ => format!("LAPTOP-{}", upper_alnum(rng, 7)),
                };
                Some((guid(rng), name))
            })
            .collect();
        Directory {
            tenant_id: tenant_id.to_owned(),
            user_ids,
            devices,
            policy_ids: vocab::POLICIES.iter().map(|_| guid(rng)).collect(),
            app_sp_ids: vocab::APPS.iter().map(|_| guid(rng)).collect(),
            group_ids: vocab::GROUPS.iter().map(|_| guid(rng)).collect(),
            device_registration_sp_id: guid(rng),
            substrate_sp_id: guid(rng),
        }
    }
}

/// Record generator state: the directory and one RNG per dataset.
#[derive(Debug)]
pub struct Generator {
    dir: Directory,
    rngs: Vec<ChaCha20Rng>,
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
        Generator { dir, rngs }
    }

    /// Draws `count` new records of `ds` in `[from, to)`, inserts them into
    /// `store` and returns them newest first. About 2% sit exactly on a whole
    /// hour; ids never collide with records already in the store.
    pub fn generate(
        &mut self,
        store: &mut Store,
        ds: Dataset,
        count: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Record> {
        let spec = ds.spec();
        let rng = &mut self.rngs[ds.index()];
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let time = pick_time(rng, from, to);
            let mut ctx = Ctx { rng: &mut *rng, dir: &self.dir };
            let (id, json) = loop {
                let (id, json) = (spec.generate)(&mut ctx, time);
                if !store.contains_id(ds, &id) {
                    break (id, json);
                }
            };
            let record = Record { id, time, json };
            store.insert(ds, record.clone());
            out.push(record);
        }
        out.sort_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
        out
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

/// A random (version 4 shaped) GUID.
pub fn guid(rng: &mut ChaCha20Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string()
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
        g.generate(&mut store, ds, n, t("2026-11-22T10:00:00Z"), t("2026-11-24T10:00:00Z"))
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
        g.generate(&mut store, Dataset::SignIns, 30, from, to);
        let audits = g.generate(&mut store, Dataset::DirectoryAudits, 20, from, to);
        assert_eq!(audits, records(42, Dataset::DirectoryAudits, 20));
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
