//! The AADSTS answers Entra gives a federated client assertion it refuses,
//! with the text Entra sends and where each was seen.
//!
//! Microsoft's error-code reference
//! (<https://learn.microsoft.com/entra/identity-platform/reference-error-codes>)
//! lists few of these, so most texts are copied from Entra's own answers
//! quoted in public issues, named beside each. Takes the claims being
//! reported (issuer, subject, audience, key id); never the assertion.

use super::super::reply::AadError;

/// The page Entra's federated-credential errors point to.
const WIF_DOCS: &str = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/// AADSTS700211, 401 `invalid_client`: no federated credential of the app
/// has the assertion's issuer. Text as Entra sent it in
/// <https://github.com/Azure/azure-workload-identity/issues/1200>.
pub fn issuer_not_found(issuer: &str) -> AadError {
    AadError::invalid_client(
        700211,
        format!(
            "No matching federated identity record found for presented assertion issuer '{issuer}'. \
             Please check your federated identity credential Subject, Audience and Issuer against the \
             presented assertion. {WIF_DOCS}"
        ),
    )
}

/// AADSTS700213, 401 `invalid_client`: a credential has the issuer but none
/// the subject. Text as in
/// <https://github.com/Azure/azure-workload-identity/issues/1200> and
/// <https://github.com/dotnet/maui/pull/31978>.
pub fn subject_not_found(subject: &str) -> AadError {
    AadError::invalid_client(
        700213,
        format!(
            "No matching federated identity record found for presented assertion subject '{subject}'. \
             Check your federated identity credential Subject, Audience and Issuer against the \
             presented assertion. {WIF_DOCS}"
        ),
    )
}

/// AADSTS700212, 401 `invalid_client`: a credential has the issuer and
/// subject but not the audience. No verbatim sample was found; the text
/// follows its siblings 700211 and 700213. Several audiences (a JWT `aud`
/// array) are listed comma-separated.
pub fn audience_not_found(audiences: &[String]) -> AadError {
    AadError::invalid_client(
        700212,
        format!(
            "No matching federated identity record found for presented assertion audience '{}'. \
             Check your federated identity credential Subject, Audience and Issuer against the \
             presented assertion. {WIF_DOCS}",
            audiences.join(",")
        ),
    )
}

/// AADSTS70021, 400 `invalid_request`: the only credential that matches was
/// created moments ago and has not reached every node yet
/// (<https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#time-for-federated-credential-changes-to-propagate>).
/// Text and status as Entra sent them in
/// <https://github.com/Azure/azure-workload-identity/issues/616>.
pub fn not_yet_propagated(issuer: &str, subject: &str, audience: &str) -> AadError {
    AadError::bad_request(
        "invalid_request",
        70021,
        format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: \
             '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'. {WIF_DOCS}"
        ),
    )
}

/// AADSTS50166, 400 `invalid_request`: Entra could not fetch the issuer's
/// OpenID configuration or its key set. Text and status as Entra sent them
/// in <https://github.com/Azure/azure-workload-identity/issues/642> (the same
/// text also comes as AADSTS90061, per the project's troubleshooting guide).
pub fn issuer_unreachable() -> AadError {
    AadError::bad_request("invalid_request", 50166, "Request to External OIDC endpoint failed.".to_owned())
}

/// AADSTS7000272, 401 `invalid_client`: the issuer's key set has no key with
/// the assertion's `kid`. Text as Entra sent it in
/// <https://github.com/Azure/azure-workload-identity/issues/1232>.
pub fn key_not_found(kid: &str, issuer: &str) -> AadError {
    AadError::invalid_client(
        7000272,
        format!(
            "The certificate with identifier {kid} used to sign the federated credential could not be \
             found in the metadata of identity provider {issuer}. Please validate that your Identity \
             Provider's metadata exposes the key used to sign the incoming token."
        ),
    )
}

/// AADSTS500126, 401 `invalid_client`: the key was found but the signature
/// does not verify with it (or the token is not RS256, the one algorithm
/// Microsoft supports for federation). Text as Entra sent it on Microsoft Q&A
/// (<https://learn.microsoft.com/answers/questions/2111906/>); the
/// reference lists the reason under AADSTS50027 as "External ID token from
/// issuer failed signature verification".
pub fn signature_invalid(issuer: &str, kid: &str) -> AadError {
    AadError::invalid_client(
        500126,
        format!("External ID token from issuer '{issuer}' failed signature verification. KeyID of token is '{kid}'."),
    )
}
