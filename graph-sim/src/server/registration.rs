//! The app registration at runtime: its permissions and credentials changed
//! while the simulator runs, as an administrator changes them in the portal
//! or through Graph (consent to a permission, a rotated secret, a new
//! certificate, federated identity credentials added or replaced).
//!
//! Takes the new values; the token endpoint honours them from the next
//! request (a new federated credential only once its propagation delay has
//! passed). Invalid values panic, naming what Entra would refuse. Secrets
//! are never logged.

use std::time::{Duration, Instant};

use crate::config::{FederatedCredential, check_federated_credentials};

use super::GraphSim;
use super::federation::Registered;
use super::state::lock;

impl GraphSim {
    /// The application permissions the app holds now (the `roles` of tokens
    /// issued now): [`crate::control::GRANTED_PERMISSIONS`] and the optional
    /// ones granted ([`crate::SimConfig::extra_permissions`],
    /// [`GraphSim::grant_permission`]), less [`crate::Switches::revoked_permissions`]
    /// and [`crate::Switches::missing_permission`].
    pub fn granted_permissions(&self) -> Vec<&'static str> {
        lock(&self.shared).granted_permissions()
    }

    /// Grants the app one of the optional permissions
    /// ([`crate::control::OPTIONAL_PERMISSIONS`], any case), as an
    /// administrator consenting to it in the portal: data requests are
    /// answered at once, and tokens issued from now on carry the role (a
    /// revocation in [`crate::Switches::revoked_permissions`] still wins).
    ///
    /// # Panics
    /// If the sim does not model `permission`.
    pub fn grant_permission(&self, permission: &str) {
        let Some(known) = crate::control::known_permission(permission) else {
            panic!("grant_permission: '{permission}' is not a permission the simulator models");
        };
        let mut s = lock(&self.shared);
        if !s.config.extra_permissions.iter().any(|p| p.eq_ignore_ascii_case(known)) {
            s.config.extra_permissions.push(known.to_owned());
        }
    }

    /// Replaces the client secret the token endpoint accepts, as after a
    /// rotation in the portal: the previous secret is then rejected with
    /// AADSTS7000215. Access tokens already issued stay valid.
    pub fn set_client_secret(&self, secret: impl Into<String>) {
        lock(&self.shared).config.client_secret = secret.into();
    }

    /// Replaces the app's uploaded certificate (PEM, X.509, RSA); `None`
    /// removes it, after which every client assertion fails with
    /// AADSTS700027. Access tokens already issued stay valid.
    ///
    /// # Panics
    /// If `pem` holds no usable RSA certificate.
    pub fn set_client_certificate(&self, pem: Option<String>) {
        let result = lock(&self.shared).set_certificate(pem);
        if let Err(e) = result {
            panic!("set_client_certificate: {e}");
        }
    }

    /// Adds a federated identity credential to the app, as an administrator
    /// does in the portal or through Graph. Entra takes a while to
    /// propagate a new credential: until `propagation` has passed,
    /// assertions that only this credential matches are answered
    /// AADSTS70021; after, they get tokens. [`Duration::ZERO`] makes it
    /// usable at once.
    ///
    /// # Panics
    /// If the app would then hold more than
    /// [`crate::config::MAX_FEDERATED_CREDENTIALS`], or the credential is one
    /// Entra refuses (see [`FederatedCredential`]): an empty or over-long
    /// property, not exactly one audience, a name or an issuer and subject
    /// pair another credential has.
    pub fn add_federated_credential(&self, fic: FederatedCredential, propagation: Duration) {
        let mut s = lock(&self.shared);
        let mut all: Vec<FederatedCredential> = s.federated.iter().map(|r| r.credential.clone()).collect();
        all.push(fic.clone());
        if let Err(e) = check_federated_credentials(&all) {
            drop(s);
            panic!("add_federated_credential: {e}");
        }
        s.federated.push(Registered { credential: fic, ready_at: Instant::now() + propagation });
    }

    /// Replaces all of the app's federated identity credentials; the new
    /// ones are usable at once (an empty list removes them all).
    ///
    /// # Panics
    /// As [`GraphSim::add_federated_credential`], for the whole list.
    pub fn set_federated_credentials(&self, fics: Vec<FederatedCredential>) {
        if let Err(e) = check_federated_credentials(&fics) {
            panic!("set_federated_credentials: {e}");
        }
        let now = Instant::now();
        lock(&self.shared).federated =
            fics.into_iter().map(|credential| Registered { credential, ready_at: now }).collect();
    }

    /// The app's federated identity credentials now, propagated or not.
    pub fn federated_credentials(&self) -> Vec<FederatedCredential> {
        lock(&self.shared).federated.iter().map(|r| r.credential.clone()).collect()
    }
}
