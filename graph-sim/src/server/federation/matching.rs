//! The app's federated identity credentials as the token endpoint holds
//! them, and matching an assertion's `iss`, `sub` and `aud` against them in
//! Entra's order.
//!
//! Takes the registered credentials (each with the moment it has reached
//! every node), the assertion's claims and the current instant; answers the
//! first check that fails: issuer (AADSTS700211), subject (700213),
//! audience (700212), then a match that is still propagating (70021).
//! Comparisons are exact: Entra matches federated credentials
//! case-sensitively
//! (<https://learn.microsoft.com/entra/identity-platform/reference-breaking-changes#federated-identity-credentials-now-use-case-sensitive-matching>).

use std::time::Instant;

use crate::config::FederatedCredential;

use super::super::reply::AadError;
use super::errors;

/// A federated credential of the app and when the token endpoint starts
/// honouring it.
#[derive(Clone, Debug)]
pub struct Registered {
    /// The credential as the administrator created it.
    pub credential: FederatedCredential,
    /// When it has propagated; before this, assertions only it matches are
    /// answered AADSTS70021.
    pub ready_at: Instant,
}

/// Whether any credential has `issuer`: Entra's first check, made before
/// it fetches the issuer's keys.
pub fn check_issuer(credentials: &[Registered], issuer: &str) -> Result<(), AadError> {
    if credentials.iter().any(|r| r.credential.issuer == issuer) {
        Ok(())
    } else {
        Err(errors::issuer_not_found(issuer))
    }
}

/// Finds a credential with the assertion's issuer, subject and one of its
/// audiences that has propagated by `now`.
pub fn check_match(
    credentials: &[Registered],
    issuer: &str,
    subject: &str,
    audiences: &[String],
    now: Instant,
) -> Result<(), AadError> {
    let by_issuer: Vec<&Registered> = credentials.iter().filter(|r| r.credential.issuer == issuer).collect();
    if by_issuer.is_empty() {
        return Err(errors::issuer_not_found(issuer));
    }
    let by_subject: Vec<&Registered> = by_issuer.into_iter().filter(|r| r.credential.subject == subject).collect();
    if by_subject.is_empty() {
        return Err(errors::subject_not_found(subject));
    }
    let matching = |r: &&Registered| r.credential.audiences.iter().find(|a| audiences.contains(a)).cloned();
    let full: Vec<(&Registered, String)> = by_subject.iter().filter_map(|r| matching(r).map(|a| (*r, a))).collect();
    match full.iter().find(|(r, _)| r.ready_at <= now) {
        Some(_) => Ok(()),
        None => match full.first() {
            None => Err(errors::audience_not_found(audiences)),
            Some((_, audience)) => Err(errors::not_yet_propagated(issuer, subject, audience)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ISS: &str = "https://abc.tokens.sts.global.api.aws";
    const SUB: &str = "arn:aws:iam::123456789012:role/entra-archive-function";
    const AUD: &str = "api://AzureADTokenExchange";

    fn registered(issuer: &str, subject: &str, ready_at: Instant) -> Registered {
        Registered { credential: FederatedCredential::new("fic", issuer, subject), ready_at }
    }

    fn auds(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_claim_in_entras_order() {
        let now = Instant::now();
        let fics = [registered(ISS, SUB, now), registered("https://other", "x", now)];
        assert_eq!(check_issuer(&fics, ISS), Ok(()));
        assert_eq!(check_match(&fics, ISS, SUB, &auds(&[AUD]), now), Ok(()));
        assert_eq!(check_match(&fics, ISS, SUB, &auds(&["other", AUD]), now), Ok(()), "aud may be an array");

        let e = check_issuer(&fics, &ISS.to_uppercase()).unwrap_err();
        assert_eq!((e.code, e.error, e.status.as_u16()), (700211, "invalid_client", 401));
        assert!(e.message.contains(&format!("issuer '{}'", ISS.to_uppercase())), "{}", e.message);

        let e = check_match(&fics, ISS, &SUB.replace("function", "Function"), &auds(&[AUD]), now).unwrap_err();
        assert_eq!((e.code, e.error, e.status.as_u16()), (700213, "invalid_client", 401));
        assert!(e.message.contains("subject 'arn:aws:iam::123456789012:role/entra-archive-Function'"));

        let e = check_match(&fics, ISS, SUB, &auds(&["api://other", "x"]), now).unwrap_err();
        assert_eq!((e.code, e.error, e.status.as_u16()), (700212, "invalid_client", 401));
        assert!(e.message.contains("audience 'api://other,x'"), "{}", e.message);
        assert_eq!(check_match(&fics, ISS, SUB, &[], now).unwrap_err().code, 700212);
    }

    #[test]
    fn a_match_still_propagating_is_70021_until_it_has_propagated() {
        let now = Instant::now();
        let later = now + Duration::from_secs(30);
        let fics = [registered(ISS, SUB, later)];
        let e = check_match(&fics, ISS, SUB, &auds(&[AUD]), now).unwrap_err();
        assert_eq!((e.code, e.error, e.status.as_u16()), (70021, "invalid_request", 400));
        assert_eq!(
            e.message,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: \
                 '{ISS}'. Assertion Subject: '{SUB}'. Assertion Audience: '{AUD}'. \
                 https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
            )
        );
        assert_eq!(check_match(&fics, ISS, SUB, &auds(&[AUD]), later), Ok(()));
        // Another credential that matches and has propagated is enough.
        let both = [registered(ISS, SUB, later), Registered { ready_at: now, ..registered(ISS, SUB, now) }];
        assert_eq!(check_match(&both, ISS, SUB, &auds(&[AUD]), now), Ok(()));
        // A propagating credential does not hide a subject mismatch.
        assert_eq!(check_match(&fics, ISS, "other", &auds(&[AUD]), now).unwrap_err().code, 700213);
    }
}
