//! Everything a running simulator remembers, behind one mutex.
//!
//! Records, the record generator, switches, queued faults, issued tokens, the
//! request log and counters, the throttle windows, the app's parsed
//! certificate and federated credentials, and the RNG for request ids and
//! token entropy. Callers lock,
//! act and unlock; the lock is never held across an `.await`. Bearer tokens
//! live here as map keys and are never logged. Anything that reads or adds
//! records of a dataset calls [`State::ensure`] first, which generates the
//! dataset's configured records on first use.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::http::HeaderMap;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::config::SimConfig;
use crate::control::{Fault, RequestLog, SimStats, Switches};
use crate::dataset::Dataset;
use crate::generate::{Generator, guid};
use crate::record::Store;
use crate::skiptoken::SkipTokenKey;
use crate::throttle::Throttle;

use super::certificate::{CertificateError, ClientCertificate};
use super::federation::Registered;

/// ChaCha stream for request ids, trace ids and token entropy.
const ID_STREAM: u64 = 0x1d5;

/// An access token the sim issued.
#[derive(Debug)]
pub struct Issued {
    pub expires_at: Instant,
    /// Forced expiry by [`Fault::ExpireTokens`].
    pub revoked: bool,
}

/// Per-request correlation ids.
#[derive(Debug, Clone)]
pub struct Ids {
    /// Server-side id (`request-id`, AAD trace id).
    pub request_id: String,
    /// The caller's `client-request-id` when it sent one, else a fresh id.
    pub client_request_id: String,
}

/// Mutable simulator state.
#[derive(Debug)]
pub struct State {
    /// The tenant as configured, including runtime credential changes.
    pub config: SimConfig,
    pub base_url: String,
    /// `config.client_certificate_pem`, parsed.
    pub certificate: Option<ClientCertificate>,
    /// The app's federated identity credentials, as configured and as added
    /// or replaced since (`config.federated_credentials` is not updated).
    pub federated: Vec<Registered>,
    pub store: Store,
    pub generator: Generator,
    pub switches: Switches,
    pub faults: VecDeque<Fault>,
    pub tokens: HashMap<String, Issued>,
    pub log: Vec<RequestLog>,
    pub stats: SimStats,
    /// One sliding window per throttle group, used while a rate limit is set.
    pub throttle: Throttle,
    pub rng: ChaCha20Rng,
    pub skip_key: SkipTokenKey,
}

/// State shared between the server task and the [`crate::GraphSim`] handle.
pub type Shared = Arc<Mutex<State>>;

/// Locks the state; a panic in another holder does not poison the sim.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    /// Builds the state and generates the configured records; fails when the
    /// configured certificate is unusable.
    pub fn new(config: SimConfig, base_url: String) -> Result<Self, CertificateError> {
        let certificate = parse_certificate(config.client_certificate_pem.as_deref())?;
        let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
        rng.set_stream(ID_STREAM);
        let started = Instant::now();
        let federated = config
            .federated_credentials
            .iter()
            .map(|credential| Registered { credential: credential.clone(), ready_at: started })
            .collect();
        let mut state = State {
            generator: Generator::new(config.seed, &config.tenant_id).with_diurnal(config.diurnal),
            skip_key: SkipTokenKey::new(config.seed, &config.tenant_id),
            store: Store::default(),
            switches: Switches::default(),
            faults: VecDeque::new(),
            tokens: HashMap::new(),
            log: Vec::new(),
            stats: SimStats::default(),
            throttle: Throttle::default(),
            rng,
            base_url,
            certificate,
            federated,
            config,
        };
        for &ds in Dataset::all() {
            if ds.spec().at_start {
                state.ensure(ds);
            }
        }
        Ok(state)
    }

    /// Generates the configured records of `ds` the first time it is used
    /// (after those of the datasets whose records it also serves, so their
    /// twins come first). The same seed gives the same records whenever that
    /// happens.
    pub fn ensure(&mut self, ds: Dataset) {
        if self.generator.is_materialized(ds) {
            return;
        }
        for &src in Dataset::all() {
            if src.spec().twin.as_ref().is_some_and(|t| t.dataset == ds) {
                self.ensure(src);
            }
        }
        if self.generator.materialize(&mut self.store, ds) {
            let (from, to) = (self.config.from, self.config.to);
            for (segment, count) in self.config.counts(ds) {
                self.generator.generate(&mut self.store, ds, segment, count, from, to);
            }
        }
    }

    /// Replaces the app's certificate (`None` removes it).
    pub fn set_certificate(&mut self, pem: Option<String>) -> Result<(), CertificateError> {
        self.certificate = parse_certificate(pem.as_deref())?;
        self.config.client_certificate_pem = pem;
        Ok(())
    }

    /// Whether the app holds `permission` now: by default, by the tenant's
    /// grants ([`SimConfig::extra_permissions`]), and not revoked.
    pub fn grants(&self, permission: &str) -> bool {
        self.switches.grants(&self.config.extra_permissions, permission)
    }

    /// The permissions the app holds now: the `roles` of tokens issued now.
    pub fn granted_permissions(&self) -> Vec<&'static str> {
        self.switches.granted_permissions(&self.config.extra_permissions)
    }

    /// A fresh GUID from the id stream.
    pub fn new_guid(&mut self) -> String {
        guid(&mut self.rng)
    }

    /// Ids for one request, echoing a well-formed `client-request-id`.
    pub fn ids(&mut self, headers: &HeaderMap) -> Ids {
        let request_id = self.new_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_guid(v))
            .map_or_else(|| self.new_guid(), str::to_owned);
        Ids { request_id, client_request_id }
    }
}

fn parse_certificate(pem: Option<&str>) -> Result<Option<ClientCertificate>, CertificateError> {
    pem.map(ClientCertificate::from_pem).transpose()
}

/// Whether `s` is a hyphenated GUID.
pub fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("66ea54eb-6301-4ee5-be62-ff5a759b0100"));
        assert!(!is_guid("66ea54eb-6301-4ee5-be62-ff5a759b010"));
        assert!(!is_guid("66ea54eb_6301-4ee5-be62-ff5a759b0100"));
        assert!(!is_guid("\r\nx"));
    }

    #[test]
    fn client_request_id_is_echoed_only_when_well_formed() {
        let config = SimConfig::default().empty();
        let mut s = State::new(config, "http://x".to_owned()).unwrap();
        let mut h = HeaderMap::new();
        h.insert("client-request-id", "66ea54eb-6301-4ee5-be62-ff5a759b0100".parse().unwrap());
        assert_eq!(s.ids(&h).client_request_id, "66ea54eb-6301-4ee5-be62-ff5a759b0100");
        h.insert("client-request-id", "not a guid".parse().unwrap());
        let ids = s.ids(&h);
        assert!(is_guid(&ids.client_request_id));
        assert_ne!(ids.client_request_id, ids.request_id);
    }

    #[test]
    fn later_datasets_are_generated_on_first_use() {
        let config =
            SimConfig { signins: 20, signins_noninteractive: 7, provisioning: 5, ..SimConfig::default().empty() };
        let mut s = State::new(config, "http://x".to_owned()).unwrap();
        assert_eq!(s.store.all(Dataset::SignIns).len(), 20);
        assert!(s.store.all(Dataset::SignInsBeta).is_empty());
        assert!(s.store.all(Dataset::Provisioning).is_empty());
        s.ensure(Dataset::SignInsBeta);
        s.ensure(Dataset::SignInsBeta);
        assert_eq!(s.store.all(Dataset::SignInsBeta).len(), 27, "20 twins and 7 non-interactive");
        s.ensure(Dataset::Provisioning);
        assert_eq!(s.store.all(Dataset::Provisioning).len(), 5);
    }
}
