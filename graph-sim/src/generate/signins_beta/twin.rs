//! A v1.0 sign-in as beta serves the same event (an `interactiveUser`
//! sign-in): the v1.0 record read back, every v1.0 value kept as it is
//! (device and policies gain beta's properties), followed by the beta
//! properties, drawn to agree with what the v1.0 record says.
//!
//! The beta properties of Graph's example come from the source dataset's
//! auxiliary stream, in the order twins are rendered; the rest from the
//! record's own stream. A record that is not a v1.0 sign-in (hand-written)
//! still gets a twin, with defaults for what it lacks.

use chrono::TimeDelta;
use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::super::signins::shape::V1SignIn;
use super::super::{Directory, record_rng};
use super::extras::BetaSignIn;
use super::policies::{self, PolicyFacts};
use super::user::{self, UserFacts};
use super::{RECORD_STREAM, serialize};
use crate::record::Record;

/// Renders a v1.0 sign-in as beta serves it. Draws from `rng` (the v1.0
/// dataset's auxiliary stream) what it always has.
pub fn twin(rng: &mut ChaCha20Rng, dir: &Directory, record: &Record) -> String {
    let v1: V1SignIn = serde_json::from_str(&record.json).unwrap_or_default();
    let x = &mut record_rng(RECORD_STREAM, &record.id);
    // The Authenticator app answers a few seconds into the sign-in.
    let prompt_after = TimeDelta::milliseconds(x.random_range(3_000..40_000));
    let facts = UserFacts::of_v1(&v1, dir, prompt_after);
    let mut extras = user::extras(rng, &facts, record.time);
    let facts_p = PolicyFacts { interactive: true, second: facts.second, error_code: facts.error_code };
    let base = v1
        .map(|d, ps| (policies::device(x, d), ps.into_iter().map(|p| policies::user_policy(x, p, &facts_p)).collect()));
    let policies = &base.applied_conditional_access_policies;
    let additions = user::additions(x, dir, &facts, &mut extras, policies, record.time, None);
    serialize(&BetaSignIn { base, extras, additions })
}
